"""The enterprise ladder (梯度培育): qualification rules as data and a pure engine assessing firms against them."""

from hizone.ladder.assess import Assessment, Check, Firm, Points, Unchecked, Verdict, assess
from hizone.ladder.rules import LadderRules, rules_for

__all__ = ["Assessment", "Check", "Firm", "LadderRules", "Points", "Unchecked", "Verdict", "assess", "rules_for"]
