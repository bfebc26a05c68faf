from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from hizone.catalog import default_catalog
from hizone.demo import DemoData, generate, load
from hizone.errors import HizoneError, StoreError
from hizone.registry import load_provinces, load_zones, validate_credit_code, validate_industry_code
from hizone.store import session_scope
from hizone.store.models import DatasetInfo, Enterprise, Qualification, Submission, Zone


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
        reports = session.scalars(select(Submission).where(Submission.period == "2021")).all()
        assert len(reports) == np.count_nonzero(~np.isnan(column(demo, 2021, "revenue")))
        assert counts["annual reports"] == sum(np.count_nonzero(~np.isnan(m[:, 0])) for m in demo.annual.values())
        assert all(r.synthetic and r.state == "approved" and r.revision == 1 for r in reports)
        stored = sum(r.values["revenue"] for r in reports)
        assert stored == pytest.approx(np.nansum(column(demo, 2021, "revenue")), abs=0.5)
        assert isinstance(reports[0].values["employees"], int)
        info = {row.key: row.value for row in session.scalars(select(DatasetInfo))}
        assert info["synthetic"] == "true" and json.loads(info["planted_anomalies"]) == demo.anomalies
        month = session.scalars(select(Submission).where(Submission.period == "2023-05")).all()
        assert len(month) == len(demo.zones) - 1
    with pytest.raises(StoreError, match="already holds enterprises"):
        load(engine, demo, catalog)


def test_fewer_enterprises_than_zones_is_refused() -> None:
    with pytest.raises(HizoneError, match="at least one enterprise per zone"):
        generate(default_catalog(), load_provinces(), load_zones(), enterprises=100)
