"""`build` from the store (SQLite and PostgreSQL) and indicator values checked against hand computation."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sqlalchemy import Engine

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.auth.policy import Principal
from hizone.intake.service import transition
from hizone.ranking.values import data_fingerprint
from tests.analytics.fixture import CODES, cumulative, populate, single_month
from tests.reports import write_report


@pytest.fixture
def analytics(engine: Engine, tmp_path: Path) -> Analytics:
    populate(engine)
    build(engine, tmp_path / "analytics.duckdb")
    return Analytics(tmp_path / "analytics.duckdb")


def value(analytics: Analytics, code: str, level: str, key: str, period: str, view: str = "published"
          ) -> float | None:
    (found,) = analytics.values([code], level, [key], [period], view)
    return found.value


def test_national_sums_and_ratios_roll_up_as_sum_over_sum(analytics: Analytics) -> None:
    assert value(analytics, "revenue_total", "nation", "CN", "2023") == 1200 + 400 + 300 + 880 + 0
    assert value(analytics, "revenue_total", "nation", "CN", "2022") == 1000 + 500 + 800 + 0 + 700
    # Σ R&D / Σ revenue, not a mean of the enterprises' ratios.
    assert value(analytics, "rd_intensity", "nation", "CN", "2023") == pytest.approx(
        (72 + 8 + 30 + 22 + 0) / 2780 * 100)
    assert value(analytics, "invention_patents_per_10k_employees", "nation", "CN", "2023") == pytest.approx(
        (8 + 1 + 2 + 4) / (120 + 40 + 30 + 88) * 10000)
    assert value(analytics, "energy_per_10k_value_added", "province", "11", "2023") == pytest.approx(
        (33 + 18 + 6) / ((360 + 90 + 60) / 10))
    assert value(analytics, "value_added_per_employee", "zone", "Z4201", "2023") == pytest.approx(220 / 88)


def test_groups_beyond_the_hierarchy(analytics: Analytics) -> None:
    assert value(analytics, "revenue_total", "region", "east", "2022") == 1000 + 500 + 700
    assert value(analytics, "revenue_total", "region", "central", "2023") == 880
    assert value(analytics, "revenue_total", "demo_zone", "中关村", "2023") == 1900
    assert value(analytics, "revenue_total", "cluster", "greater_bay_area", "2022") == 700
    assert value(analytics, "revenue_total", "cluster", "jingjinji", "2023") == 1900
    assert analytics.members("cluster")["chengdu_chongqing"] == ["Z5101"]


def test_qualification_counts_and_shares_use_validity_at_period_end(analytics: Analytics) -> None:
    # 2022: E1 and E4 hold the qualification at 31 Dec; 2023: E1 (to 31 Dec inclusive) and E3 (from June).
    assert value(analytics, "high_tech_enterprise_count", "nation", "CN", "2022") == 2
    assert value(analytics, "high_tech_enterprise_count", "nation", "CN", "2023") == 2
    assert value(analytics, "high_tech_enterprise_count", "zone", "Z4201", "2023") == 0
    assert value(analytics, "high_tech_revenue_share", "nation", "CN", "2023") == pytest.approx(
        (1200 + 300) / 2780 * 100)
    assert value(analytics, "enterprise_count", "zone", "Z1101", "2023") == 3


def test_year_on_year_on_the_comparable_basis_with_the_raw_basis_beside_it(analytics: Analytics) -> None:
    (zone,) = analytics.values(["revenue_yoy"], "zone", ["Z1101"], ["2023"])
    assert zone.value == pytest.approx(((1200 + 400) / (1000 + 500) - 1) * 100)  # E3 is new: left out
    assert zone.value_raw == pytest.approx((1900 / 1500 - 1) * 100)
    (nation,) = analytics.values(["revenue_yoy"], "nation", ["CN"], ["2023"])
    assert nation.value == pytest.approx((2480 / 2300 - 1) * 100)
    assert nation.value_raw == pytest.approx((2780 / 3000 - 1) * 100)
    (first,) = analytics.values(["revenue_yoy"], "nation", ["CN"], ["2022"])
    assert first.value is None and first.reason == "no data for revenue in the previous year"


def test_division_by_zero_is_null_with_a_reason(analytics: Analytics) -> None:
    (zone,) = analytics.values(["rd_intensity"], "zone", ["Z5101"], ["2023"])
    assert zone.value is None and zone.reason == "division by zero: revenue is 0"
    (dormant,) = analytics.values(["revenue_yoy"], "enterprise", [CODES["E5"]], ["2023"])
    assert dormant.value is None and dormant.reason == "previous year's revenue is 0"


def test_published_takes_the_latest_approved_revision_and_provisional_the_latest_submitted(
        analytics: Analytics) -> None:
    assert value(analytics, "revenue_total", "enterprise", CODES["E4"], "2023") == 880  # revision 2
    assert value(analytics, "revenue_total", "enterprise", CODES["E2"], "2023") == 400
    assert value(analytics, "revenue_total", "enterprise", CODES["E2"], "2023", "provisional") == 450
    assert value(analytics, "revenue_total", "nation", "CN", "2023", "provisional") == 2830
    assert analytics.values(["revenue_total"], "zone", ["Z4401"], ["2023"]) == []  # only a draft


def test_single_months_are_derived_from_cumulative_reports(analytics: Analytics) -> None:
    assert value(analytics, "revenue_cum", "zone", "Z1101", "2023-03") == pytest.approx(cumulative("Z1101", 2023, 3))
    assert value(analytics, "revenue_month", "zone", "Z1101", "2023-03") == pytest.approx(
        single_month("Z1101", 2023, 3))
    assert value(analytics, "revenue_month", "zone", "Z1101", "2023-01") == pytest.approx(
        single_month("Z1101", 2023, 1))
    assert value(analytics, "revenue_month_yoy", "zone", "Z1101", "2023-03") == pytest.approx(10.0)
    # Z4401 did not report 2023-09: neither September nor October can be derived for it.
    assert analytics.values(["revenue_month"], "zone", ["Z4401"], ["2023-09", "2023-10"]) == []
    assert value(analytics, "revenue_month", "zone", "Z4401", "2023-11") == pytest.approx(
        single_month("Z4401", 2023, 11))
    # Nation, September 2023: comparable basis leaves out Z4401, which has no 2023 report to compare.
    zones = ("Z1101", "Z4201", "Z5101")
    (nation,) = analytics.values(["revenue_cum_yoy"], "nation", ["CN"], ["2023-09"])
    assert nation.value == pytest.approx((sum(cumulative(z, 2023, 9) for z in zones)
                                          / sum(cumulative(z, 2022, 9) for z in zones) - 1) * 100)
    assert nation.value_raw == pytest.approx((sum(cumulative(z, 2023, 9) for z in zones)
                                              / sum(cumulative(z, 2022, 9) for z in (*zones, "Z4401")) - 1) * 100)


def test_every_figure_names_the_submissions_it_came_from(analytics: Analytics) -> None:
    rows = analytics.sources("revenue_yoy", "zone", "Z1101", "2023")
    current = {(r.entity_key, r.values["revenue"]) for r in rows if r.role == "current"}
    previous = {(r.entity_key, r.values["revenue"]) for r in rows if r.role == "previous year"}
    assert current == {(CODES["E1"], 1200), (CODES["E2"], 400), (CODES["E3"], 300)}
    assert previous == {(CODES["E1"], 1000), (CODES["E2"], 500)}
    assert sum(v or 0.0 for _, v in current) == value(analytics, "revenue_total", "zone", "Z1101", "2023")
    month = analytics.sources("revenue_month", "zone", "Z1101", "2023-03")
    assert sorted(r.period for r in month) == ["2023-02", "2023-03"]  # N月 = 1–N月 − 1–(N−1)月


def test_build_is_incremental_by_period(engine: Engine, tmp_path: Path) -> None:
    populate(engine)
    path = tmp_path / "analytics.duckdb"
    first = build(engine, path)
    assert first.rebuilt["enterprise_annual"] == ["2022", "2023"]
    again = build(engine, path)
    assert again.rebuilt["enterprise_annual"] == [] and again.kept["enterprise_annual"] == 2
    write_report(engine, form_code="enterprise_annual", form_version=2021, entity_key=CODES["E1"],
                 zone_code="Z1101", period="2023", revision=2, state="approved",
                 values={"revenue": 1300, "employees": 120})
    third = build(engine, path)
    assert {form: periods for form, periods in third.rebuilt.items() if periods} == {"enterprise_annual": ["2023"]}
    assert third.kept["enterprise_annual"] == 1
    values = Analytics(path).values(["revenue_total"], "nation", ["CN"], ["2022", "2023"])
    assert [v.value for v in values] == [3000, 2780 + 100]


def test_each_step_of_the_approval_reaches_an_incremental_build(engine: Engine, tmp_path: Path) -> None:
    """submitted -> reviewed -> approved: each step rebuilds the period, and the published figure (and so
    an evaluation's data fingerprint) moves when the revision is approved, not before."""
    populate(engine, monthly=False)
    path = tmp_path / "analytics.duckdb"
    build(engine, path)
    published = value(Analytics(path), "revenue_total", "nation", "CN", "2023")
    assert published == 2780  # E2's revision 2 (450) is only submitted: its approved 400 counts
    before = data_fingerprint(Analytics(path))
    steps = [("review", Principal("province 11", "province", province_code="11")),
             ("approve", Principal("torch", "admin"))]
    for action, actor in steps:
        moved = transition(engine, action, actor, form="enterprise_annual", period="2023",
                           entity_keys=[CODES["E2"]])
        assert moved.count == 1
        rebuilt = build(engine, path)
        assert rebuilt.rebuilt["enterprise_annual"] == ["2023"], action
    after = Analytics(path)
    assert value(after, "revenue_total", "nation", "CN", "2023") == published + 50
    assert value(after, "revenue_total", "zone", "Z1101", "2023") == 1200 + 450 + 300
    assert data_fingerprint(after) != before


def test_parquet_export_holds_the_fact_tables(engine: Engine, tmp_path: Path) -> None:
    populate(engine, monthly=False)
    report = build(engine, tmp_path / "a.duckdb", parquet=tmp_path / "parquet")
    names = {p.name for p in report.parquet}
    assert {"enterprise_annual__annual__published.parquet", "indicator_value.parquet",
            "membership.parquet"} <= names
    total = duckdb.execute(f"SELECT sum(e_revenue) FROM '{tmp_path}/parquet/enterprise_annual__annual__published"
                           ".parquet' WHERE period = '2023'").fetchall()
    assert total == [(2780.0,)]


def test_the_report_counts_the_rows_each_view_shows(engine: Engine, tmp_path: Path) -> None:
    """The provisional view's count is worked out from its pending rows: it equals the view's own rows."""
    populate(engine)
    path = tmp_path / "analytics.duckdb"
    report = build(engine, path)
    with duckdb.connect(str(path), read_only=True) as con:
        counted = {name: con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] for name in report.rows}
    assert report.rows == counted
    # E2's submitted revision 2 replaces a published row; E6's draft shows nowhere.
    assert report.rows["enterprise_annual__annual__provisional"] == report.rows[
        "enterprise_annual__annual__published"] == 10
