"""The national overview and zone profile show the right figures (hand-computed from tests/web/seed.py)."""

from __future__ import annotations

import re
import threading
import time

import fastexcel
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hizone.analytics.read import ReadCache, Reader, Viewer
from hizone.auth import Principal
from hizone.config import analytics_path
from hizone.web.services import overview, profile
from hizone.web.services.rankings import median
from hizone.web.services.views import load_views
from tests.reports import write_report
from tests.web.seed import Seeded

NATIONAL = Viewer.everyone()  # sees every figure: the sums as they are
ADMIN = Principal("admin1", "admin")


def test_sums_use_the_latest_approved_revision_only(app: FastAPI) -> None:
    fig = app.state.figures.get()
    assert overview.annual_periods(fig) == ["2022", "2023"]
    # Enterprise 1's submitted (unapproved) revision 2 of 999,999 must not count.
    assert fig.value("revenue_total", "zone", "Z1101", "2023", NATIONAL).value == 180_000
    assert fig.value("revenue_total", "zone", "Z4401", "2023", NATIONAL).value == 198_000
    assert fig.value("enterprise_count", "zone", "Z4401", "2023", NATIONAL).value == 3
    assert fig.value("revenue_total", "nation", "CN", "2023", NATIONAL).value == 411_000
    assert fig.value("revenue_total", "nation", "CN", "2022", NATIONAL).value == 390_000


def test_kpis_with_year_on_year(app: FastAPI) -> None:
    fig, views = app.state.figures.get(), load_views()
    kpis = {k.indicator.code: k for k in overview.kpis(fig, views, "2023", NATIONAL)}
    assert kpis["zones"].value == 3
    assert kpis["enterprises"].value == 6 and kpis["enterprises"].yoy == pytest.approx(20.0)
    assert kpis["revenue"].value == pytest.approx(4.11)  # 411,000 千元 = 4.11 亿元
    # The catalog's revenue_yoy: on the comparable basis (enterprise 6 reported for 2023 only).
    assert kpis["revenue"].yoy == pytest.approx((404_000 / 390_000 - 1) * 100)
    assert kpis["total_profit"].value == pytest.approx(0.32)
    assert kpis["employees"].value == pytest.approx(0.0516)  # 516 人 in 万人


def test_ratios_roll_up_as_sum_over_sum(app: FastAPI) -> None:
    fig = app.state.figures.get()
    beijing = fig.value("rd_intensity", "province", "11", "2023", NATIONAL).value
    # (6,000 + 2,000 + 600) / (120,000 + 60,000 + 33,000), not the mean of the three firms' ratios
    assert beijing == pytest.approx(8_600 / 213_000 * 100)


def test_province_table_and_top_zones(app: FastAPI) -> None:
    fig, views = app.state.figures.get(), load_views()
    table = overview.province_table(fig, views, "2023", "zh", NATIONAL)
    rows = {r["province"]: r for r in table.rows}
    assert rows["北京市"]["zones"] == 2 and rows["北京市"]["revenue"] == pytest.approx(2.13)
    # Comparable basis: enterprise 6 (7,000 in 2023 only) is not part of the growth.
    assert rows["广东省"]["revenue_yoy"] == pytest.approx((191_000 / 210_000 - 1) * 100)
    top = overview.top_zones(fig, views, "2023", views.indicators["revenue"], "en", 2, NATIONAL)
    assert [r["zone"] for r in top.rows] == ["Guangzhou", "Zhongguancun"]


def test_zone_profile_against_medians_and_benchmarks(app: FastAPI, seeded: Seeded) -> None:
    fig, views = app.state.figures.get(), load_views()
    zone = fig.zones[seeded.own_zone]
    key = {k.indicator.code: k for k in profile.key_indicators(fig, views, zone, "2023", ADMIN)}
    assert key["revenue"].value == pytest.approx(1.8)
    assert key["revenue"].national_median == pytest.approx(median([1.8, 0.33, 1.98]))
    assert key["revenue"].yoy == pytest.approx((180_000 / 150_000 - 1) * 100)
    benchmark = profile.benchmark_for(fig, views, "2023", seeded.other_zone, ADMIN)
    gaps = {r["indicator"]: r for r in profile.gap_table(fig, views, zone, "2023", benchmark, "zh", ADMIN).rows}
    assert gaps["营业收入"]["gap"] == pytest.approx(0.18)  # 1.98 − 1.80 亿元
    history = profile.rank_history(fig, views, seeded.own_zone)
    assert history == {"years": ["2022", "2023"], "ranks": [2, 2], "of": 3}
    monthly = profile.monthly_trend(fig, views, seeded.own_zone, "zh", ADMIN)
    revenue = next(s for s in monthly["series"] if s["code"] == "revenue")
    assert revenue["yoy"][monthly["months"].index("2023-02")] == pytest.approx(20.0)  # 20,400 / 17,000


def test_overview_page_shows_figures_and_the_synthetic_banner(clients: dict[str, TestClient]) -> None:
    page = clients["public"].get("/")
    assert page.status_code == 200
    assert "演示数据（合成）/ Synthetic demo data" in page.text
    kpi = re.search(r'data-kpi="revenue">.*?<div class="value">([^<]+)<', page.text, re.S)
    assert kpi and kpi.group(1).strip() == "4.11"
    assert "国家高新区总览" in page.text


def test_language_switch_sets_a_cookie_and_translates(clients: dict[str, TestClient]) -> None:
    client = clients["public"]
    switched = client.get("/lang/en?next=/zones", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/zones"
    page = client.get("/zones")
    assert "National high-tech zones" in page.text and "Zhongguancun" in page.text
    assert client.get("/lang/zh?next=//evil.example", follow_redirects=False).headers["location"] == "/"


def test_tables_export_to_csv_and_xlsx(clients: dict[str, TestClient]) -> None:
    client = clients["public"]
    csv = client.get("/export/provinces.csv?year=2023")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith('"省份","区域","园区数"') and any(line.startswith('"北京市",') for line in lines)
    xlsx = client.get("/export/provinces.xlsx?year=2023")
    sheet = fastexcel.read_excel(xlsx.content).load_sheet(0, header_row=None)
    cells = {str(v) for column in sheet.to_arrow().columns for v in column.to_pylist()}
    assert "北京市" in cells and "演示数据（合成）/ Synthetic demo data" in cells


def test_zone_profile_page_lists_enterprises_by_qualification(clients: dict[str, TestClient],
                                                              seeded: Seeded) -> None:
    page = clients["zone"].get(f"/zones/{seeded.own_zone}?year=2023")
    assert page.status_code == 200 and "中关村科技园区" in page.text
    assert re.search(r'data-kind="high_tech">[^<]*<b>2</b>', page.text)
    assert re.search(r'data-kind="gazelle">[^<]*<b>1</b>', page.text)
    listed = clients["zone"].get(f"/zones/{seeded.own_zone}/enterprises?kind=gazelle")
    assert "测试企业2" in listed.text and "测试企业1" not in listed.text


def test_a_slow_rebuild_runs_in_the_background_while_the_old_snapshot_is_served(app: FastAPI) -> None:
    cache = ReadCache(app.state.engine, analytics_path(app.state.settings), sync_seconds=0.0)  # every rebuild slow
    first = cache.get()
    write_report(app.state.engine, form_code="enterprise_annual", form_version=2021, entity_key="91110000TOUCH0000X",
                 zone_code="Z1101", period="2023", revision=1, state="draft", values={"revenue": 1})
    assert cache.get() is first  # served at once, not after the rebuild
    deadline = time.monotonic() + 20
    while cache.get() is first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.get().version != first.version


def test_while_a_refresh_runs_other_requests_get_the_previous_build_at_once(app: FastAPI) -> None:
    """A request that finds a refresh running is not queued behind it (uploads arriving every second would hold
    every page behind one rebuild after another): it gets the build before, and the change it saw follows."""
    cache = ReadCache(app.state.engine, analytics_path(app.state.settings))  # refreshes are quick: done at once
    first = cache.get()
    for attempt in range(20):
        write_report(app.state.engine, form_code="enterprise_annual", form_version=2021, zone_code="Z1101",
                     entity_key=f"91110000TOUCH{attempt:04d}X", period="2023", revision=1, state="draft",
                     values={"revenue": 1})
        refreshed: list[Reader] = []
        refresher = threading.Thread(target=lambda into=refreshed: into.append(cache.get()))
        refresher.start()
        while refresher.is_alive() and not cache.refreshing:
            time.sleep(0.0005)
        served = cache.get()  # asked while the refresh (of this very change) runs
        overlapped = cache.refreshing  # still running after the answer: it did not wait for the refresh
        refresher.join()
        if overlapped:
            break
        first = cache.get()  # the refresh ended before the question: try again
    else:
        pytest.fail("the refresh never outlasted a request's question")
    assert served is first
    assert refreshed and refreshed[0] is not first and refreshed[0].version == cache.get().version


def test_zone_tables_export(clients: dict[str, TestClient], seeded: Seeded) -> None:
    key = clients["zone"].get(f"/zones/{seeded.own_zone}/export/key_indicators.csv?year=2023")
    lines = key.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith('"指标","单位","本园区"')
    assert any(line.startswith('"营业收入","亿元","1.8",') for line in lines)
    completeness = clients["province"].get("/reporting/completeness/export.csv?form=enterprise_annual&period=2023")
    rows = [r.replace('"', "") for r in completeness.content.decode("utf-8-sig").splitlines()]
    assert [r.split(",")[0] for r in rows[1:]] == ["Z1101", "Z1102"]  # the province's zones only
    assert rows[1].split(",")[2:4] == ["2", "2"]  # Z1101: 2 enterprises expected, both reported for 2023
