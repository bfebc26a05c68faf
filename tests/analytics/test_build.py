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
from tests.analytics.fixture import CLEAN_ZONE, CODES, cumulative, monthly_values, populate, single_month
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


Cell = tuple[str, str, str]  # level, key, period


def _provisional_differs(path: Path) -> set[Cell]:
    """The cells where any indicator's provisional value, raw value or reason is not the published one."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT level, key, period FROM (SELECT * FROM indicator_value WHERE view = 'published') p FULL JOIN "
            "(SELECT * FROM indicator_value WHERE view = 'provisional') v USING (period_type, indicator, level, key, "
            "period) WHERE (p.value IS NULL) <> (v.value IS NULL) OR abs(p.value - v.value) > 1e-9 * abs(p.value) "
            "OR (p.value_raw IS NULL) <> (v.value_raw IS NULL) OR abs(p.value_raw - v.value_raw) > "
            "1e-9 * abs(p.value_raw) OR p.reason IS DISTINCT FROM v.reason").fetchall()
    return {(level, key, period) for level, key, period in rows}


# Every group Z1101 belongs to: the only zone with a pending row in the fixture (E2's submitted 2023 revision).
CLEAN_ZONE_GROUPS = {("zone", "Z1101"), ("province", "11"), ("region", "east"), ("nation", "CN"),
                     ("demo_zone", "中关村"), ("cluster", "jingjinji")}


def test_provisional_values_differ_from_published_only_where_a_pending_row_reaches(
        analytics: Analytics) -> None:
    differs = _provisional_differs(analytics.path)
    assert {(level, key) for level, key, _ in differs} <= CLEAN_ZONE_GROUPS
    assert {period for _, _, period in differs} == {"2023"}
    assert ("zone", "Z4201", "2023") not in differs and ("province", "42", "2023") not in differs
    # Z1101 in 2023 by hand, E2 at 450 in place of 400: E1 1200, E2 450, E3 300 (new); 2022 E1 1000, E2 500.
    assert value(analytics, "revenue_total", "zone", "Z1101", "2023", "provisional") == 1950
    assert value(analytics, "rd_intensity", "zone", "Z1101", "2023", "provisional") == pytest.approx(
        (72 + 8 + 30) / 1950 * 100)
    (growth,) = analytics.values(["revenue_yoy"], "zone", ["Z1101"], ["2023"], "provisional")
    assert growth.value == pytest.approx(((1200 + 450) / (1000 + 500) - 1) * 100)  # E1, E2 reported both years
    assert growth.value_raw == pytest.approx((1950 / 1500 - 1) * 100)
    # The nation's comparable basis: E1, E2, E4 and E5 (E3 is new, E6 did not report 2023).
    assert value(analytics, "revenue_yoy", "nation", "CN", "2023", "provisional") == pytest.approx(
        ((1200 + 450 + 880 + 0) / (1000 + 500 + 800 + 0) - 1) * 100)
    assert value(analytics, "revenue_yoy", "nation", "CN", "2023") == pytest.approx(
        ((1200 + 400 + 880 + 0) / (1000 + 500 + 800 + 0) - 1) * 100)


def test_a_pending_monthly_report_moves_its_month_and_the_next_single_month_only(
        engine: Engine, tmp_path: Path) -> None:
    populate(engine)
    june = {**monthly_values(CLEAN_ZONE, 2023, 6), "revenue": round(5 * cumulative(CLEAN_ZONE, 2023, 6), 4)}
    write_report(engine, form_code="zone_monthly", form_version=2022, entity_key=CLEAN_ZONE, zone_code=CLEAN_ZONE,
                 period="2023-06", revision=2, state="submitted", values=june)
    path = tmp_path / "analytics.duckdb"
    build(engine, path)
    analytics = Analytics(path)
    differs = _provisional_differs(path)
    assert {(level, key) for level, key, _ in differs} <= CLEAN_ZONE_GROUPS
    assert {period for _, _, period in differs} == {"2023", "2023-06", "2023-07"}  # 2023: E2's annual revision
    assert value(analytics, "revenue_cum", "zone", CLEAN_ZONE, "2023-06", "provisional") == pytest.approx(
        june["revenue"])
    assert value(analytics, "revenue_month", "zone", CLEAN_ZONE, "2023-06", "provisional") == pytest.approx(
        june["revenue"] - cumulative(CLEAN_ZONE, 2023, 5))
    assert value(analytics, "revenue_month", "zone", CLEAN_ZONE, "2023-07", "provisional") == pytest.approx(
        cumulative(CLEAN_ZONE, 2023, 7) - june["revenue"])
    assert value(analytics, "revenue_month", "zone", CLEAN_ZONE, "2023-07") == pytest.approx(
        single_month(CLEAN_ZONE, 2023, 7))
    # Single months from the cumulative reports (Z5101's planted June jump makes its July negative).
    others = sum(cumulative(z, 2023, 7) - cumulative(z, 2023, 6) for z in ("Z4201", "Z5101", "Z4401"))
    assert value(analytics, "revenue_month", "nation", "CN", "2023-07", "provisional") == pytest.approx(
        others + cumulative(CLEAN_ZONE, 2023, 7) - june["revenue"])
