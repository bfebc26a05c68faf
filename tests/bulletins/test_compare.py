"""The comparison of a fact with the reported figure, checked with values worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from hizone.bulletins.compare import CompareRules, Mapping, Target, compare, default_rules, load_rules, target
from hizone.errors import CatalogError

RULES = CompareRules(0.05, {"revenue": Mapping("revenue_total", "元", 0.001),
                            "high_tech_enterprise_count": Mapping("high_tech_enterprise_count", "家", 1)})


def test_target_matches_metric_unit_and_a_year() -> None:
    assert target("high_tech_enterprise_count", "家", "2021-12-31", RULES) == Target(
        "high_tech_enterprise_count", "2021", 1)
    assert target("revenue", "元", "2021", RULES) == Target("revenue_total", "2021", 0.001)
    assert target("revenue", "美元", "2021", RULES) is None  # another unit: not the indicator's
    assert target("revenue", "元", "2022-01..07", RULES) is None  # months: no annual figure
    assert target("revenue", "元", "", RULES) is None
    assert target("revenue_yoy", "%", "2021", RULES) is None


def test_compare_by_hand() -> None:
    # 5200亿元 in the bulletin, 540,000,000 千元 (5400亿元) reported: |5200 − 5400| / 5400 = 0.037 ≤ 0.05.
    close = compare(5.2e11, Target("revenue_total", "2021", 0.001), 540_000_000.0, RULES)
    assert close.reported == pytest.approx(5.4e11)
    assert close.relative == pytest.approx(200 / 5400)
    assert not close.flagged
    # 5450 high-tech enterprises against 5000 reported: 450 / 5000 = 0.09 > 0.05, flagged.
    far = compare(5450, Target("high_tech_enterprise_count", "2021", 1), 5000.0, RULES)
    assert far.relative == pytest.approx(0.09) and far.flagged
    missing = compare(5450, Target("high_tech_enterprise_count", "2021", 1), None, RULES, "withheld")
    assert (missing.reported, missing.flagged, missing.reason) == (None, False, "withheld")


def test_the_catalog_rules_load_and_bad_rules_are_refused(tmp_path: Path) -> None:
    rules = default_rules()
    assert rules.metrics["revenue"] == Mapping("revenue_total", "元", 0.001) and 0 < rules.tolerance < 1
    bad = tmp_path / "compare.yaml"
    bad.write_text("version: 1\ntolerance: 5\nmetrics: {}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="tolerance"):
        load_rules(bad)
    bad.write_text("version: 1\ntolerance: 0.1\nmetrics: {revenue: {indicator: revenue_total}}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"metrics\.revenue"):
        load_rules(bad)
