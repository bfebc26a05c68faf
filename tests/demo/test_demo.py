from __future__ import annotations

import datetime as dt
import itertools
import json

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from hizone.catalog import default_catalog, read_yaml
from hizone.demo import DemoData, generate, load
from hizone.demo.generate import CALIBRATION
from hizone.demo.load import planted_anomalies
from hizone.errors import HizoneError, StoreError
from hizone.intake.completeness import completeness
from hizone.intake.service import audit_trail, list_submissions
from hizone.registry import load_provinces, load_zones, validate_credit_code, validate_industry_code
from hizone.store import session_scope
from hizone.store.models import DatasetInfo, Enterprise, Qualification, Submission, Zone

CAL = read_yaml(CALIBRATION)
THOUSAND_YUAN_PER_100M = 1e5  # 1 亿元 = 100,000 千元


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(default_catalog(), load_provinces(), load_zones(), enterprises=3000, seed=11)


def column(data: DemoData, year: int, element: str) -> np.ndarray:
    return data.annual[year][:, data.annual_elements.index(element)]


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not(demo: DemoData) -> None:
    again = generate(default_catalog(), load_provinces(), load_zones(), enterprises=3000, seed=11)
    other = generate(default_catalog(), load_provinces(), load_zones(), enterprises=3000, seed=12)
    assert np.array_equal(demo.annual[2021], again.annual[2021], equal_nan=True)
    assert list(demo.enterprises.credit_code) == list(again.enterprises.credit_code)
    assert demo.anomalies == again.anomalies
    assert not np.array_equal(demo.annual[2021], other.annual[2021], equal_nan=True)


def test_national_totals_land_on_the_published_figures(demo: DemoData) -> None:
    # 千元 → 万亿元 is a factor of 1e9.
    assert np.nansum(column(demo, 2021, "revenue")) / 1e9 == pytest.approx(47.8, rel=1e-6)
    assert np.nansum(column(demo, 2021, "total_profit")) / 1e9 == pytest.approx(4.1, rel=0.03)
    assert np.nansum(column(demo, 2021, "revenue")) / np.nansum(column(demo, 2020, "revenue")) == pytest.approx(
        1.117, rel=1e-6)
    jan_jul_2022 = np.nansum(demo.monthly["2022-07"][:, 0]) / 1e9
    assert jan_jul_2022 == pytest.approx(27.4, rel=0.03)


def test_high_tech_share_scales_to_the_published_count(demo: DemoData) -> None:
    q = demo.qualifications
    year_end = dt.date(2021, 12, 31)
    holders = {int(i) for i, kind, start, end in zip(q.enterprise, q.kind, q.valid_from, q.valid_to, strict=True)
               if kind == "high_tech" and start <= year_end and (end is None or end >= year_end)}
    reporting = np.count_nonzero(~np.isnan(column(demo, 2021, "revenue")))
    # 11.5万 of the ~20万 reporting enterprises the programme has; the demo keeps the share.
    assert len(holders) / reporting == pytest.approx(115_000 / 200_000, abs=0.03)
    assert all(end is None or start <= end for start, end in zip(q.valid_from, q.valid_to, strict=True))


def test_reports_are_internally_consistent(demo: DemoData) -> None:
    for year in demo.annual:
        employees = column(demo, year, "employees")
        ok = ~np.isnan(employees)
        assert (column(demo, year, "rd_staff")[ok] <= employees[ok]).all()
        assert (column(demo, year, "emp_bachelor_plus")[ok] <= employees[ok]).all()
        assert (column(demo, year, "emp_phd")[ok] <= column(demo, year, "emp_master")[ok]).all()
        assert (column(demo, year, "tech_revenue")[ok] <= column(demo, year, "revenue")[ok]).all()
        assert (column(demo, year, "invention_patent_grants")[ok]
                <= column(demo, year, "invention_patent_applications")[ok]).all()
    for code in demo.enterprises.credit_code:
        validate_credit_code(str(code))
    for industry in set(demo.enterprises.industry):
        validate_industry_code(str(industry))


def test_zone_sizes_are_heavy_tailed_and_every_zone_reports(demo: DemoData) -> None:
    revenue = np.zeros(len(demo.zones))
    np.add.at(revenue, demo.enterprises.zone, np.nan_to_num(column(demo, 2021, "revenue")))
    assert (revenue > 0).all()
    top_tenth = np.sort(revenue)[::-1][: len(revenue) // 10].sum()
    assert top_tenth / revenue.sum() > 0.4
    assert demo.zones[int(np.argmax(revenue))].name_zh == "中关村科技园区"


def test_planted_anomalies_are_in_the_series(demo: DemoData) -> None:
    kinds = {a["kind"]: a for a in demo.anomalies}
    codes = [z.code for z in demo.zones]
    missing = codes.index(kinds["missing_month"]["zone"])
    assert np.isnan(demo.monthly["2023-05"][missing]).all()
    jump = codes.index(kinds["jump"]["zone"])
    single = demo.monthly["2023-06"][jump, 0] - demo.monthly["2023-05"][jump, 0]
    usual = demo.monthly["2023-05"][jump, 0] - demo.monthly["2023-04"][jump, 0]
    assert single > 3 * usual
    decline = codes.index(kinds["decline"]["zone"])
    for month in ("09", "12"):
        now = demo.monthly[f"2023-{month}"][decline, 0] - demo.monthly[f"2023-{int(month) - 1:02d}"][decline, 0]
        before = demo.monthly[f"2022-{month}"][decline, 0] - demo.monthly[f"2022-{int(month) - 1:02d}"][decline, 0]
        assert now < 0.7 * before
    # A clean zone's cumulative flows never fall.
    clean = next(i for i in range(len(codes)) if codes[i] not in {a.get("zone") for a in demo.anomalies})
    series = np.array([demo.monthly[m][clean, 0] for m in sorted(demo.monthly) if m.startswith("2023")])
    assert (np.diff(series) > 0).all()


def test_load_writes_everything_once_and_marks_it_synthetic(engine: Engine, demo: DemoData) -> None:
    catalog = default_catalog()
    counts = load(engine, demo, catalog)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Zone)) == len(demo.zones)
        assert session.scalar(select(func.count()).select_from(Enterprise)) == len(demo.enterprises)
        assert session.scalar(select(func.count()).select_from(Qualification)) == len(demo.qualifications.kind)
        reports = session.scalars(select(Submission).where(Submission.period == "2021",
                                                           Submission.form_code == "enterprise_annual")).all()
        assert len(reports) == np.count_nonzero(~np.isnan(column(demo, 2021, "revenue")))
        assert counts["annual reports"] == sum(np.count_nonzero(~np.isnan(m[:, 0])) for m in demo.annual.values())
        assert all(r.synthetic and r.state == "approved" and r.revision == 1 for r in reports)
        stored = sum(r.values["revenue"] for r in reports)
        assert stored == pytest.approx(np.nansum(column(demo, 2021, "revenue")), abs=0.5)
        assert isinstance(reports[0].values["employees"], int)
        info = {row.key: row.value for row in session.scalars(select(DatasetInfo))}
        assert info["synthetic"] == "true" and json.loads(info["planted_anomalies"]) == planted_anomalies(demo)
        assert json.loads(info["open_work"]) == demo.workflow
        month = session.scalars(select(Submission).where(Submission.period == "2023-05")).all()
        assert len(month) == len(demo.zones) - 1
    with pytest.raises(StoreError, match="already holds enterprises"):
        load(engine, demo, catalog)


def test_fewer_enterprises_than_zones_is_refused() -> None:
    with pytest.raises(HizoneError, match="at least one enterprise per zone"):
        generate(default_catalog(), load_provinces(), load_zones(), enterprises=100)


def zone_revenue(data: DemoData, year: int) -> np.ndarray:
    revenue = np.zeros(len(data.zones))
    np.add.at(revenue, data.enterprises.zone, np.nan_to_num(column(data, year, "revenue")))
    return revenue


def zone_index(data: DemoData, code: str) -> int:
    return [z.code for z in data.zones].index(code)


def high_tech_at_year_end(data: DemoData, year: int) -> np.ndarray:
    q, end = data.qualifications, dt.date(year, 12, 31)
    holders = {int(i) for i, kind, start, stop in zip(q.enterprise, q.kind, q.valid_from, q.valid_to, strict=True)
               if kind == "high_tech" and start <= end and (stop is None or stop >= end)}
    return np.bincount(data.enterprises.zone[sorted(holders)], minlength=len(data.zones))


def test_every_per_zone_figure_names_its_year_source_and_how_sure() -> None:
    anchors = CAL["zones"]["anchors"]
    assert {"Z1101", "Z4403", "Z3501", "Z1201", "Z3201"} <= set(anchors)
    for code, anchor in anchors.items():
        figures = [anchor[k] for k in ("revenue", "industrial_output", "high_tech") if k in anchor]
        figures += list(anchor.get("rank", {}).values())
        assert figures, code
        for figure in figures:
            assert figure["value"] > 0 and figure["source"] and figure["sure"] in {"published", "derived", "recalled"}
        assert all(k in {"name", "revenue", "industrial_output", "high_tech", "rank"} for k in anchor), code
        assert all("year" in anchor[k] for k in ("revenue", "industrial_output", "high_tech") if k in anchor), code


def test_zones_take_their_published_figures(demo: DemoData) -> None:
    revenue = zone_revenue(demo, 2021) / THOUSAND_YUAN_PER_100M
    assert revenue[zone_index(demo, "Z1201")] == pytest.approx(5200, rel=1e-6)  # 天津滨海: 营业收入 5,200 亿
    assert revenue[zone_index(demo, "Z4105")] == pytest.approx(759.66, rel=1e-6)  # 新乡
    ratio = CAL["zones"]["revenue_per_industrial_output"]["value"]
    assert revenue[zone_index(demo, "Z3501")] == pytest.approx(3453.8 * ratio, rel=1e-6)  # 厦门, from 工业总产值
    # 高企 at the end of 2021, at the demo's scale: 深圳 5,450, 南京 5,934, 天津滨海 2,443.
    held = high_tech_at_year_end(demo, 2021)
    for code, published in (("Z4403", 5450), ("Z3201", 5934), ("Z1201", 2443)):
        assert held[zone_index(demo, code)] == pytest.approx(published * demo.scale, abs=2), code
    # 深圳 is no longer a small zone: among the ten largest by revenue.
    assert sorted(revenue, reverse=True).index(revenue[zone_index(demo, "Z4403")]) < 10


def test_zhongguancun_holds_a_plausible_share_of_the_national_revenue(demo: DemoData) -> None:
    # 中关村's published revenue over the national total, both 2021: 8.4 / 47.8 万亿 = 17.6 %. A band of ±15 %
    # of that share allows for the anchor being a recalled figure and for the years around 2021.
    published = CAL["zones"]["anchors"]["Z1101"]["revenue"]["value"] * 1e8 / CAL["base_totals"]["revenue"]["value"]
    assert published == pytest.approx(0.176, abs=0.001)
    for year in demo.annual:
        revenue = zone_revenue(demo, year)
        assert 0.85 * published < revenue[zone_index(demo, "Z1101")] / revenue.sum() < 1.15 * published, year
        assert demo.zones[int(np.argmax(revenue))].code == "Z1101"


def test_zone_revenue_moves_a_little_each_year(demo: DemoData) -> None:
    outlier = next(a for a in demo.anomalies if a["kind"] == "enterprise_outlier")
    tampered = demo.enterprises.zone[list(demo.enterprises.credit_code).index(outlier["enterprise"])]
    years = sorted(demo.annual)
    for before, after in itertools.pairwise(years):
        share_before, share_after = (zone_revenue(demo, y) / zone_revenue(demo, y).sum() for y in (before, after))
        change = share_after / share_before
        if after == int(outlier["period"]):
            change = np.delete(change, tampered)
        # A zone's share of national revenue changes by a few per cent a year, never by a factor.
        assert ((change > 0.85) & (change < 1.18)).all(), (after, change.min(), change.max())


def test_the_last_month_leaves_work_in_every_state(engine: Engine, demo: DemoData) -> None:
    load(engine, demo, default_catalog())
    plan = {item["kind"]: [w["zone"] for w in demo.workflow if w["kind"] == item["kind"]] for item in demo.workflow}
    period = demo.workflow[0]["period"]
    assert period == max(demo.monthly) and set(plan) == {"awaiting_review", "returned", "late_report",
                                                        "missing_report"}
    states = {s.entity_key: s.state for s in list_submissions(engine, form="zone_monthly", period=period)}
    assert [states[z] for z in plan["awaiting_review"]] == ["submitted"]
    assert [states[z] for z in plan["returned"]] == ["returned"]
    assert all(z not in states for z in plan["missing_report"])
    others = set(states) - set(plan["awaiting_review"]) - set(plan["returned"])
    assert {states[z] for z in others} == {"approved"}
    # The states came through the workflow itself: a submit by the zone, a return by its province, with a comment.
    trail = [e for e in audit_trail(engine, object_kind="submission") if e.detail["period"] == period]
    assert sorted((e.action, e.detail["entity"], e.detail["role"]) for e in trail) == sorted(
        [("submit", plan["awaiting_review"][0], "zone"), ("submit", plan["returned"][0], "zone"),
         ("return", plan["returned"][0], "province")])
    assert next(e for e in trail if e.action == "return").detail["comment"]
    # Completeness shows the late and the missing reports of the month, and the earlier months all on time.
    report = {z.zone_code: z for z in completeness(engine, "zone_monthly", period).zones}
    assert sorted(z for z, summary in report.items() if summary.late) == sorted(plan["late_report"])
    assert sorted(z for z, summary in report.items() if summary.missing) == sorted(plan["missing_report"])
    earlier = completeness(engine, "zone_monthly", "2023-11").zones
    assert all(z.late == 0 and z.missing == 0 for z in earlier)
