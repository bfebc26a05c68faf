"""The assessment engine against hand-computed expectations: each band's edges, each hard criterion, the
verdicts, and what a missing value does (never a guess)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction as F
from pathlib import Path

import pytest

from hizone.catalog import package_directory
from hizone.errors import CatalogError
from hizone.ladder.assess import Firm, Verdict, assess
from hizone.ladder.rules import LadderRules, load_rule_sets, rules_for

RULES = rules_for(2024)
assert RULES is not None
M = 10_000  # 万元 in yuan


def strong_firm(**changes: object) -> Firm:
    """A firm that passes everything: the tests change one thing at a time.

    科技型中小企业: staff share 40/100 = 40% → 20; R&D 3,000,000/30,000,000 = 10% → 50; a class I patent → 30:
    score 100. 高新技术企业: three years' R&D 8,000,000 / sales 75,000,000 = 10.67% ≥ 4% (sales_y3 3000万 ≤ 5000万
    → 5%); IP 7–8 + 22 = 29–30, conversions 5 → 25–30, management 20, net assets 10→14→20: ½(1.4 + 1.4286) − 1
    = 41% → 9–10, sales 20→25→30 (万元 ×100): ½(1.25 + 1.2) − 1 = 22.5% → 5–6: min 29+25+20+9+5 = 88,
    max 30+30+20+10+6 = 96.
    """
    base = Firm(id="F", year=2024, founded_year=2015, staff=F(100), st_staff=F(40),
                sales=(F(2000 * M), F(2500 * M), F(3000 * M)), rd=(F(200 * M), F(300 * M), F(300 * M)),
                rd_domestic=F(95), hitech_revenue=F(2400 * M), total_assets=F(8000 * M),
                net_assets=(F(1000 * M), F(1400 * M), F(2000 * M)), ip_class1=F(1), ip_class2=F(0),
                conversions=F(5), ip_quality_points=F(22), rd_management=F(20), major_incident=False)
    return replace(base, **changes)


def test_the_strong_firm_as_computed_by_hand() -> None:
    result = assess(strong_firm(), RULES)
    assert result.tech_sme.score == 100 and result.tech_sme.eligible is True
    hte = result.hightech
    assert hte.rd_ratio == F(800, 7500)
    assert hte.rd_threshold == F(5, 100)
    assert hte.failed == ()
    assert (hte.score_min, hte.score_max) == (88, 96)
    assert hte.verdict is Verdict.eligible
    assert result.unchecked == ()


# ---------------------------------------------------------------- 科技型中小企业 bands


@pytest.mark.parametrize(("st_staff", "points"), [(30, 20), (29, 16), (25, 16), (24, 12), (20, 12), (15, 8),
                                                  (14, 4), (10, 4), (9, 0), (0, 0)])
def test_sme_staff_share_band_edges(st_staff: int, points: int) -> None:
    # staff 100, so st_staff is the percentage; exactly 30% is the top band
    staff_points = assess(strong_firm(st_staff=F(st_staff)), RULES).tech_sme.points[0]
    assert staff_points.value == F(st_staff, 100)
    assert staff_points.low == staff_points.high == points


@pytest.mark.parametrize(("rd_y3", "points"), [(F(180 * M), 50), (F(180 * M) - 1, 40), (F(150 * M), 40),
                                               (F(120 * M), 30), (F(90 * M), 20), (F(60 * M), 10),
                                               (F(60 * M) - 1, 0)])
def test_sme_rd_share_band_edges(rd_y3: F, points: int) -> None:
    # sales_y3 3000万: 6% is exactly 180万, 5% 150万, 4% 120万, 3% 90万, 2% 60万; one yuan less drops a band
    rd_points = assess(strong_firm(rd=(F(200 * M), F(300 * M), rd_y3)), RULES).tech_sme.points[1]
    assert rd_points.low == points


@pytest.mark.parametrize(("class1", "class2", "points"), [(1, 0, 30), (2, 9, 30), (0, 9, 24), (0, 4, 24),
                                                          (0, 3, 18), (0, 2, 12), (0, 1, 6), (0, 0, 0)])
def test_sme_ip_points(class1: int, class2: int, points: int) -> None:
    ip = assess(strong_firm(ip_class1=F(class1), ip_class2=F(class2)), RULES).tech_sme.points[2]
    assert ip.low == points


def test_sme_size_limits_are_inclusive() -> None:
    at_limits = strong_firm(staff=F(500), st_staff=F(200), sales=(F(1), F(1), F(20000 * M)),
                            rd=(F(0), F(0), F(2000 * M)), total_assets=F(20000 * M), hitech_revenue=F(0))
    assert assess(at_limits, RULES).tech_sme.eligible is True  # 500 staff, sales and assets exactly 2亿
    for over in ({"staff": F(501)}, {"total_assets": F(20000 * M) + 1},
                 {"sales": (F(1), F(1), F(20000 * M) + 1)}):
        assert assess(replace(at_limits, **over), RULES).tech_sme.eligible is False, over


def test_sme_score_of_exactly_60_passes_and_staff_points_of_0_fail() -> None:
    # staff 30% → 20, R&D 60万/3000万 = 2% → 10, class I → 30: 60
    sixty = assess(strong_firm(st_staff=F(30), rd=(F(0), F(0), F(60 * M))), RULES).tech_sme
    assert (sixty.score, sixty.eligible) == (60, True)
    # staff 30% → 20, R&D just under 2% → 0, class I → 30: 50
    fifty = assess(strong_firm(st_staff=F(30), rd=(F(0), F(0), F(60 * M) - 1)), RULES).tech_sme
    assert (fifty.score, fifty.eligible) == (50, False)
    # staff 9% → 0, R&D 10% → 50, class I → 30: 80, but the 科技人员 points are 0
    no_staff_points = assess(strong_firm(st_staff=F(9)), RULES).tech_sme
    assert (no_staff_points.score, no_staff_points.eligible) == (80, False)


# ---------------------------------------------------------------- 高新技术企业 hard criteria


@pytest.mark.parametrize(("sales_y3", "threshold"), [(F(5000 * M), F(5, 100)), (F(5000 * M) + 1, F(4, 100)),
                                                     (F(20000 * M), F(4, 100)), (F(20000 * M) + 1, F(3, 100))])
def test_rd_threshold_by_the_latest_years_sales(sales_y3: F, threshold: F) -> None:
    firm = strong_firm(sales=(F(2000 * M), F(2500 * M), sales_y3), hitech_revenue=sales_y3)
    assert assess(firm, RULES).hightech.rd_threshold == threshold


def test_rd_ratio_exactly_at_the_threshold_passes() -> None:
    # sales 3000万 + 3000万 + 6000万 = 1.2亿 (latest 6000万 → 4%); R&D exactly 4% of it = 480万
    sales = (F(3000 * M), F(3000 * M), F(6000 * M))
    at = strong_firm(sales=sales, rd=(F(100 * M), F(180 * M), F(200 * M)), hitech_revenue=F(6000 * M))
    result = assess(at, RULES).hightech
    assert (result.rd_ratio, result.rd_threshold) == (F(4, 100), F(4, 100))
    assert "rd_ratio" not in result.failed
    below = assess(replace(at, rd=(F(100 * M), F(180 * M), F(200 * M) - 1)), RULES).hightech
    assert below.failed == ("rd_ratio",)
    assert below.verdict is Verdict.ineligible


@pytest.mark.parametrize(("changes", "failed"), [
    ({"founded_year": 2024}, "registered"),  # 2024 − 2024 = 0 < 1
    ({"ip_class1": F(0), "ip_class2": F(0)}, "ip"),
    ({"st_staff": F(9)}, "st_staff"),  # 9% < 10%
    ({"rd_domestic": F(5999, 100)}, "rd_domestic"),  # 59.99 < 60
    ({"hitech_revenue": F(1800 * M) - 1}, "hitech_revenue"),  # 60% of 3000万 is 1800万
    ({"major_incident": True}, "incident"),
])
def test_each_hard_criterion_fails_alone(changes: dict[str, object], failed: str) -> None:
    result = assess(strong_firm(**changes), RULES).hightech
    assert result.failed == (failed,)
    assert result.verdict is Verdict.ineligible


def test_hard_criteria_exactly_at_their_thresholds_pass() -> None:
    edge = strong_firm(founded_year=2023, st_staff=F(10), rd_domestic=F(60), hitech_revenue=F(1800 * M),
                       ip_class1=F(0), ip_class2=F(1))
    assert assess(edge, RULES).hightech.failed == ()


def test_failed_criteria_are_listed_in_the_contracts_order() -> None:
    result = assess(strong_firm(major_incident=True, founded_year=2024, rd_domestic=F(10)), RULES).hightech
    assert result.failed == ("registered", "rd_domestic", "incident")


# ---------------------------------------------------------------- 高新技术企业 score and verdict


def scored(quality: int, management: int) -> Firm:
    """IP class I → 7–8 + quality; conversions 3 → 13–18; net assets 100→115→132.25: ½(1.15 + 1.15) − 1 = 15%
    → 5–6; sales 1600→2000→2500 万元: ½(1.25 + 1.25) − 1 = 25% → 7–8."""
    return strong_firm(ip_quality_points=F(quality), rd_management=F(management), conversions=F(3),
                       net_assets=(F(100), F(115), F("132.25")), sales=(F(1600 * M), F(2000 * M), F(2500 * M)),
                       hitech_revenue=F(2500 * M))


@pytest.mark.parametrize(("quality", "management", "low", "high", "verdict"), [
    # min = 7 + q + 13 + m + 5 + 7, max = 8 + q + 18 + m + 6 + 8
    (19, 20, 71, 79, Verdict.eligible),  # the minimum is above 70
    (18, 20, 70, 78, Verdict.borderline),  # a minimum of exactly 70 is not above it
    (10, 14, 56, 64, Verdict.ineligible),
    (12, 14, 58, 66, Verdict.ineligible),
    (16, 10, 58, 66, Verdict.ineligible),
    (16, 14, 62, 70, Verdict.ineligible),  # a maximum of exactly 70 cannot pass
    (17, 14, 63, 71, Verdict.borderline),
])
def test_score_range_and_verdict(quality: int, management: int, low: int, high: int, verdict: Verdict) -> None:
    result = assess(scored(quality, management), RULES).hightech
    assert (result.score_min, result.score_max, result.verdict) == (low, high, verdict)


@pytest.mark.parametrize(("conversions", "low", "high"), [(F(5), 25, 30), (F(7, 2), 13, 18), (F(4), 19, 24),
                                                          (F(3), 13, 18), (F(2), 7, 12), (F(1), 1, 6),
                                                          (F(99, 100), 0, 0)])
def test_conversion_bands(conversions: F, low: int, high: int) -> None:
    points = assess(strong_firm(conversions=conversions), RULES).hightech.points[1]
    assert (points.low, points.high) == (low, high)


@pytest.mark.parametrize(("class1", "class2", "low", "high"), [(1, 0, 7, 8), (0, 7, 5, 6), (0, 5, 5, 6),
                                                               (0, 4, 3, 4), (0, 3, 3, 4), (0, 2, 1, 2),
                                                               (0, 1, 1, 2), (0, 0, 0, 0)])
def test_ip_quantity_bands_plus_quality_points(class1: int, class2: int, low: int, high: int) -> None:
    ip = assess(strong_firm(ip_class1=F(class1), ip_class2=F(class2), ip_quality_points=F(10)), RULES).hightech
    assert (ip.points[0].low, ip.points[0].high) == (low + 10, high + 10)


@pytest.mark.parametrize(("values", "low", "high"), [
    ((F(100), F(135), F("182.25")), 9, 10),  # ½(1.35 + 1.35) − 1 = 35% exactly
    ((F(100), F(125), F("156.25")), 7, 8),  # 25% exactly
    ((F(100), F(105), F("110.25")), 3, 4),  # 5% exactly
    ((F(100), F(101), F("102.01")), 1, 2),  # 1% > 0
    ((F(100), F(100), F(100)), 0, 0),  # 0 is not > 0
    ((F(100), F(90), F(80)), 0, 0),  # negative
    ((F(0), F(100), F(140)), 9, 10),  # a first year of 0: the last two years, 140/100 − 1 = 40%
    ((F(100), F(0), F(140)), 0, 0),  # a second year of 0: 0 points
    ((F(-100), F(-50), F(-20)), 0, 0),  # a negative base: no growth rate
])
def test_net_asset_growth(values: tuple[F, F, F], low: int, high: int) -> None:
    growth = assess(strong_firm(net_assets=values), RULES).hightech.points[3]
    assert (growth.low, growth.high) == (low, high)


# ---------------------------------------------------------------- missing values: never guessed


def test_a_missing_value_makes_its_criteria_not_checkable() -> None:
    result = assess(strong_firm(rd=(F(200 * M), F(300 * M), None)), RULES)
    assert result.tech_sme.score is None
    assert result.tech_sme.eligible is None  # 20 + 30 + (0..50): 50 to 100 straddles 60
    assert result.hightech.rd_ratio is None
    assert "rd_ratio" not in result.hightech.failed
    assert result.hightech.verdict is Verdict.incomplete
    assert [(u.criterion, u.why) for u in result.unchecked] == [("tech_sme.rd_share", "rd_y3 empty"),
                                                               ("hightech.rd_ratio", "rd_y3 empty")]


def test_known_criteria_decide_when_they_can() -> None:
    # staff 10% → 4, no IP → 0, R&D unknown → at most 50: at most 54 < 60
    small = assess(strong_firm(st_staff=F(10), ip_class1=F(0), ip_class2=F(0), rd=(None, None, None)), RULES)
    assert (small.tech_sme.score, small.tech_sme.eligible) == (None, False)
    # a failed hard criterion decides although rd_domestic is unknown
    failed = assess(strong_firm(rd_domestic=None, major_incident=True), RULES).hightech
    assert (failed.failed, failed.verdict) == (("incident",), Verdict.ineligible)
    # management unknown (0..20) but the rest alone is at least 29 + 25 + 9 + 5 = 68: incomplete …
    unsure = assess(strong_firm(rd_management=None), RULES).hightech
    assert (unsure.score_min, unsure.score_max, unsure.verdict) == (None, None, Verdict.incomplete)
    # … and with sales growing 35%+ (9–10 instead of 5–6) it is at least 72 > 70: eligible whatever it is
    growing = strong_firm(rd_management=None, sales=(F(1000 * M), F(1400 * M), F(2000 * M)),
                          hitech_revenue=F(2000 * M))
    assert assess(growing, RULES).hightech.verdict is Verdict.eligible
    # IP unknown (at most 30), nothing else scores: at most 30 ≤ 70
    hopeless = strong_firm(ip_quality_points=None, conversions=F(0), rd_management=F(0),
                           net_assets=(F(100), F(100), F(100)), sales=(F(3000 * M), F(3000 * M), F(3000 * M)))
    assert assess(hopeless, RULES).hightech.verdict is Verdict.ineligible


def test_a_zero_denominator_is_not_checkable_with_its_reason() -> None:
    result = assess(strong_firm(sales=(F(0), F(0), F(0)), hitech_revenue=F(0)), RULES)
    reasons = {u.criterion: u.why for u in result.unchecked}
    assert reasons["tech_sme.rd_share"] == "sales_y3 is 0"
    assert reasons["hightech.rd_ratio"] == "three years' sales is 0"
    assert reasons["hightech.hitech_revenue"] == "sales_y3 is 0"
    assert result.hightech.points[4].low == 0  # sales growth over a second year of 0 earns 0


def test_a_firm_with_class_i_ip_needs_no_class_ii_count() -> None:
    result = assess(strong_firm(ip_class2=None), RULES)
    assert result.unchecked == ()
    assert result.tech_sme.points[2].low == 30


# ---------------------------------------------------------------- rules as data, versioned by year


def test_a_later_version_applies_from_its_year(tmp_path: Path) -> None:
    text = (package_directory("ladder") / "hightech-2016.yaml").read_text(encoding="utf-8")
    (tmp_path / "hightech-2026.yaml").write_text(text.replace("version: 2016", "version: 2026")
                                                 .replace("pass_above: 70", "pass_above: 90"), encoding="utf-8")
    sets = load_rule_sets([package_directory("ladder"), tmp_path])
    before, after = rules_for(2025, sets), rules_for(2026, sets)
    assert isinstance(before, LadderRules) and isinstance(after, LadderRules)
    assert (before.hightech.pass_above, after.hightech.pass_above) == (70, 90)
    firm = strong_firm(year=2026)  # 88–96: eligible above 70, borderline against 90
    assert assess(firm, after).hightech.verdict is Verdict.borderline
    assert rules_for(2016, sets) is None  # the 科技型中小企业 rules start in 2017


def test_a_bad_band_names_its_file(tmp_path: Path) -> None:
    text = (package_directory("ladder") / "tech_sme-2017.yaml").read_text(encoding="utf-8")
    (tmp_path / "tech_sme-2017.yaml").write_text(text.replace("{from: 0.25, points: 16}",
                                                              "{from: 0.35, points: 16}"), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"tech_sme-2017.yaml: staff_share: bands must go from the highest"):
        load_rule_sets([tmp_path])
