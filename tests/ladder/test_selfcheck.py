"""What a firm is missing, against hand-computed amounts (the issue's example among them)."""

from __future__ import annotations

from fractions import Fraction as F

from hizone.ladder.assess import assess
from hizone.ladder.rules import rules_for
from hizone.ladder.selfcheck import more_needed, shortfalls

from .test_assess import M, strong_firm

RULES = rules_for(2024)
assert RULES is not None


def test_the_issues_example_38_wan_more_rd() -> None:
    # sales 2000万 + 1500万 + 6000万 = 9500万, the latest 6000万 (5000万–2亿) → 4% needed; R&D 100万 + 100万 +
    # 142万 = 342万 = 3.6%; 4% of 9500万 is 380万: 38万 more
    firm = strong_firm(sales=(F(2000 * M), F(1500 * M), F(6000 * M)), rd=(F(100 * M), F(100 * M), F(142 * M)),
                       hitech_revenue=F(6000 * M))
    result = assess(firm, RULES)
    assert result.hightech.rd_ratio == F(36, 1000)
    (found,) = [s for s in shortfalls(result) if s.scheme == "hightech"]
    assert (found.criterion, found.threshold, found.more, found.quantity) == ("rd_ratio", F(4, 100), F(38 * M), "rd")


def test_staff_and_high_tech_revenue_grow_their_whole_too() -> None:
    # 9 of 100 staff: (9 + x) / (100 + x) ≥ 10% ⇒ x ≥ (10 − 9) / 0.9 = 1.11: 2 people
    # high-tech 1500万 of 3000万: (1500 + x) / (3000 + x) ≥ 60% ⇒ x ≥ (1800 − 1500) / 0.4 = 750万
    result = assess(strong_firm(st_staff=F(9), hitech_revenue=F(1500 * M), rd_domestic=F(55)), RULES)
    found = {s.criterion: s.more for s in shortfalls(result) if s.scheme == "hightech"}
    assert found == {"st_staff": F(2), "hitech_revenue": F(750 * M), "rd_domestic": F(5)}
    assert more_needed(F(9), F(100), F(1, 10), True) == F(10, 9)


def test_sme_score_short_of_60() -> None:
    # staff 10% → 4, R&D 60万/3000万 = 2% → 10, no IP → 0: 14, 46 short. R&D alone: no band gives 10 + 46 = 56
    # (the top gives 50). 科技人员 alone: no band gives 4 + 46. Nothing on its own passes.
    result = assess(strong_firm(st_staff=F(10), rd=(F(0), F(0), F(60 * M)), ip_class1=F(0), ip_class2=F(0)), RULES)
    assert [s for s in shortfalls(result) if s.scheme == "tech_sme"] == []
    # with 2 class II (12): 26, 34 short: R&D from 10 to ≥ 44 points is the 6% band → 180万, 120万 more
    result = assess(strong_firm(st_staff=F(10), rd=(F(0), F(0), F(60 * M)), ip_class1=F(0), ip_class2=F(2)),
                    RULES)
    (found,) = [s for s in shortfalls(result) if s.scheme == "tech_sme"]
    assert (found.criterion, found.threshold, found.more) == ("rd_share", F(6, 100), F(120 * M))


def test_sme_staff_points_of_zero_need_the_first_band() -> None:
    # 9 of 100 staff → 0 points: (9 + x) / (100 + x) ≥ 10% ⇒ 2 people
    result = assess(strong_firm(st_staff=F(9)), RULES)
    (found,) = [s for s in shortfalls(result) if s.scheme == "tech_sme"]
    assert (found.criterion, found.threshold, found.more) == ("staff_share", F(1, 10), F(2))
