"""Stages per enterprise and year: from the qualification lists and the reported figures (through the read path),
the 瞪羚 rule with a zone's own variant, counts and year-over-year moves."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hizone.analytics.build import build
from hizone.analytics.read import Reader, ScopeError, Viewer, open_reader
from hizone.ladder.rules import gazelle_rules, report_mapping, rules_for
from hizone.ladder.service import stage_counts, transitions, zone_stages
from hizone.ladder.stages import assess_gazelle, enterprise_stages, firm_from_reports
from tests.analytics.fixture import CODES, populate

MAPPING = report_mapping(2023)
RULES = rules_for(2023)
GAZELLE = gazelle_rules(2023)
assert MAPPING is not None and RULES is not None and GAZELLE is not None


def reports(revenue: list[float], rd: list[float], first: int = 2020) -> dict[int, dict[str, float | None]]:
    """Reports in 千元, as on the form."""
    return {first + i: {"revenue": r, "rd_expenditure": d, "employees": 50.0, "total_assets": 5000.0,
                        "valid_invention_patents": 1.0, "hitech_product_revenue": None}
            for i, (r, d) in enumerate(zip(revenue, rd, strict=True))}


def test_the_report_fills_what_it_holds_in_yuan_and_leaves_the_rest_empty() -> None:
    firm = firm_from_reports("E", 2023, reports([1000, 1100, 1200, 1300], [10, 20, 30, 40]), MAPPING)
    assert firm.sales == (F(1_100_000), F(1_200_000), F(1_300_000))  # 千元 × 1000, y−2 … y
    assert firm.rd == (F(20_000), F(30_000), F(40_000))
    assert (firm.staff, firm.total_assets, firm.ip_class1) == (F(50), F(5_000_000), F(1))
    assert (firm.st_staff, firm.hitech_revenue, firm.rd_domestic, firm.founded_year) == (None, None, None, None)
    assert firm.net_assets == (None, None, None)


def test_gazelle_from_reported_revenue_and_rd() -> None:
    # base 2020 revenue 1000万 = 10,000 千元 (exactly the minimum); 2023 17,280 = 10,000 × 1.2³ (exactly 20% a
    # year); R&D (300+300+300+300) / (10000+12000+14400+17280) = 1200/53680 = 2.24% — not above 2.5%
    firm = firm_from_reports("E", 2023, {}, MAPPING, founded_year=2015)
    growing = reports([10000, 12000, 14400, 17280], [300, 300, 300, 300])
    passed, checks = assess_gazelle(firm, growing, MAPPING, GAZELLE)
    by_code = {c.code: c for c in checks}
    assert by_code["age"].passed is True  # 2023 − 2015 = 8 ≤ 15
    assert by_code["base_revenue"].passed is True
    assert (by_code["revenue_growth"].value, by_code["revenue_growth"].threshold) == (F(1728, 1000), F(1728, 1000))
    assert by_code["revenue_growth"].passed is True
    assert by_code["rd_intensity"].value == F(1200, 53680)
    assert passed is False
    # R&D 1342 a year: 5368 / 53680 = 10% > 2.5%
    passed, _ = assess_gazelle(firm, reports([10000, 12000, 14400, 17280], [1342] * 4), MAPPING, GAZELLE)
    assert passed is True
    # one yuan short of the growth: 17,279.999 千元
    passed, _ = assess_gazelle(firm, reports([10000, 12000, 14400, 17279.999], [1342] * 4), MAPPING, GAZELLE)
    assert passed is False


def test_a_zones_own_gazelle_definition_drops_the_age_limit() -> None:
    guangzhou = gazelle_rules(2023, "Z4402")
    assert guangzhou is not None and guangzhou.max_age is None and GAZELLE.max_age == 15
    firm = firm_from_reports("E", 2023, {}, MAPPING)  # founding year unknown
    data = reports([10000, 12000, 14400, 17280], [1342] * 4)
    national, checks = assess_gazelle(firm, data, MAPPING, GAZELLE)
    assert national is None and checks[0].missing == ("founded_year",)  # the age cannot be checked
    local, checks = assess_gazelle(firm, data, MAPPING, guangzhou)
    assert local is True and [c.code for c in checks] == ["base_revenue", "revenue_growth", "rd_intensity"]


def test_a_list_decides_a_rung_the_data_cannot() -> None:
    stages = enterprise_stages("E", "Z1101", 2023, reports([1000, 1100, 1200, 1300], [10, 20, 30, 40]),
                               {"srdi": True}, RULES, MAPPING, GAZELLE)
    status = {s.stage: s for s in stages.stages}
    assert status["srdi"].listed is True and status["srdi"].by_data is None
    assert status["innovative_sme"].listed is None  # the registry keeps no list of it
    assert stages.top == "srdi"


# ---------------------------------------------------------------- through the read path


@pytest.fixture
def reader(engine: Engine, tmp_path: Path) -> Reader:
    populate(engine, monthly=False)
    path = tmp_path / "analytics.duckdb"
    build(engine, path)
    return open_reader(path)


def test_zone_stages_from_the_analytics_file(reader: Reader) -> None:
    e1, e2, e3 = CODES["E1"], CODES["E2"], CODES["E3"]
    now = {s.credit_code: s for s in zone_stages(reader, ["Z1101"], 2023, Viewer.everyone())}
    assert sorted(now) == sorted([e1, e2, e3])  # the 2023 reporters of Z1101
    # E1 holds 高企 to 2023-12-31 (the year's end), E3 from 2023-06-01; E2 none
    assert [now[c].top for c in (e1, e2, e3)] == ["high_tech", None, "high_tech"]
    sme = next(s for s in now[e1].stages if s.stage == "tech_sme")
    # E1 2023: R&D 72 / revenue 1200 = 6% → 50, 8 invention patents → 30; 科技人员 are not on the form, so
    # 80 + (0..20) passes 60 but the 科技人员 points cannot be checked: not decided
    assert sme.by_data is None
    checks = {c.code: c for c in sme.criteria}
    assert (checks["staff"].value, checks["staff"].passed) == (F(120), True)
    assert (checks["sales"].value, checks["sales"].passed) == (F(1_200_000), True)
    counts = {c.stage: (c.reached, c.listed, c.by_data) for c in stage_counts(list(now.values()))}
    assert counts["high_tech"] == (2, 2, 0)
    assert counts["tech_sme"] == (0, 0, 0)


def test_transitions_between_years(reader: Reader) -> None:
    everyone = Viewer.everyone()
    before, after = (zone_stages(reader, ["Z1101"], year, everyone) for year in (2022, 2023))
    moves = transitions(before, after)
    # 2022: E1 高企, E2 nothing; 2023: the same, and E3 new
    assert moves == {"up": [], "same": sorted([CODES["E1"], CODES["E2"]]), "down": [], "joined": [CODES["E3"]],
                     "left": []}
    # Z4201: E4's 高企 ended 2022-12-31: it fell off the ladder
    before, after = (zone_stages(reader, ["Z4201"], year, everyone) for year in (2022, 2023))
    assert transitions(before, after)["down"] == [CODES["E4"]]


def test_a_zone_user_reads_only_its_own_enterprises(reader: Reader) -> None:
    wuhan = Viewer(frozenset({"Z4201"}), frozenset({"zone:Z4201"}))
    assert [s.credit_code for s in zone_stages(reader, ["Z4201"], 2023, wuhan)] == [CODES["E4"]]
    with pytest.raises(ScopeError):
        zone_stages(reader, ["Z1101"], 2023, wuhan)
    with pytest.raises(ScopeError):
        zone_stages(reader, ["Z4201", "Z1101"], 2023, wuhan)


def test_the_stages_command_counts_and_writes_the_criteria(reader: Reader, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hizone.cli import app

    out = tmp_path / "criteria.csv"
    outcome = CliRunner().invoke(app, ["ladder", "stages", "--year", "2023", "--province", "11", "--analytics",
                                       str(reader.analytics.path), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert "3 reporting enterprise(s) in 1 zone(s), 2023" in outcome.output
    assert "high_tech             2 (list 2, data 0)" in outcome.output
    assert "up 0, same 2, down 0, joined 1, left 0" in outcome.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ('"credit_code","zone_code","year","top_stage","stage","listed","by_data","criterion",'
                        '"value","threshold","passed","not_checkable"')
    assert f'"{CODES["E1"]}","Z1101","2023","high_tech","high_tech","yes","","rd_ratio","","0.05","",' \
           '"rd_y1, sales_y1 empty"' in lines
    unknown = CliRunner().invoke(app, ["ladder", "stages", "--year", "2023", "--zone", "Z9999", "--analytics",
                                       str(reader.analytics.path)])
    assert unknown.exit_code == 2 and "unknown zone(s) Z9999" in unknown.output
