"""Every figure a page, export or API answer shows is the analytics read API's value for the same group, period
and viewer (hizone.analytics.read): the pages compute nothing themselves.

Walks the figures of the overview (KPI cards, province table, top zones), the zone list, the zone profile (key
indicators, gap analysis), the monitoring tables and the indicator API, for several roles; and checks that a
zone's viewer cannot get another zone's values from the read API.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hizone.analytics.read import Reader, ScopeError, Viewer
from hizone.analytics.rollup import NATION_KEY
from hizone.auth import Principal
from hizone.web.i18n import translate
from hizone.web.services.tables import Suppressed
from hizone.web.services.views import Indicator, load_views
from tests.web.seed import Seeded

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the store does not matter here

PRINCIPALS = {"public": Principal.public(), "analyst": Principal("analyst1", "analyst"),
              "province": Principal("province1", "province", province_code="11"),
              "zone": Principal("zone1", "zone", zone_code="Z1101")}
YEAR, MONTH = "2023", "2023-02"


def t(key: str) -> str:
    return translate(key, "zh")


def _csv(client: TestClient, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.text[:300])
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _expected(reader: Reader, viewer: Viewer, item: Indicator, level: str, key: str, period: str,
              yoy: bool = False) -> float | str | None:
    """What a page must show: the read API's value in the item's display unit, or the withheld label."""
    code = item.yoy if yoy else item.indicator
    assert code is not None
    figure = reader.value(code, level, key, period, viewer)
    if figure.withheld:
        return Suppressed.LABEL
    value = figure.value_raw if yoy and item.yoy_raw else figure.value
    if value is None:
        return None
    return value if yoy else value * item.factor


def _same(shown: str, expected: float | str | None, where: str) -> None:
    if expected is None:
        assert shown in ("", "—"), where
    elif isinstance(expected, str):
        assert shown == expected, where
    else:
        assert float(shown.replace(",", "")) == pytest.approx(expected, rel=1e-9, abs=1e-9), where


def _label(item: Indicator) -> str:
    return f"{item.name('zh')} ({item.unit_label('zh')})"


@pytest.mark.parametrize("role", list(PRINCIPALS))
def test_overview_figures_are_the_read_apis(app: FastAPI, clients: dict[str, TestClient], role: str) -> None:
    reader, views, client = app.state.figures.get(), load_views(), clients[role]
    viewer = reader.viewer(PRINCIPALS[role])
    page = client.get(f"/?year={YEAR}").text
    checked = 0
    for item in views.kpis:
        if item.indicator is None:
            continue
        card = re.search(rf'data-kpi="{item.code}">.*?<div class="value">([^<]+)<', page, re.S)
        assert card, item.code
        expected = _expected(reader, viewer, item, "nation", NATION_KEY, YEAR)
        text = card.group(1).strip()
        if isinstance(expected, float):  # the card shows 0 or 2 decimals
            decimals = 0 if item.unit in ("家", "人") else 2
            assert text == f"{expected:,.{decimals}f}", item.code
        else:
            _same(text, expected, item.code)
        checked += 1
    provinces = _csv(client, f"/export/provinces.csv?year={YEAR}")
    for row in provinces:
        code = next(p.code for p in reader.provinces.values() if p.name("zh") == row[t("zones.province")])
        for item in views.province_indicators:
            _same(row[_label(item)], _expected(reader, viewer, item, "province", code, YEAR), f"{code} {item.code}")
            checked += 1
        revenue_yoy = _expected(reader, viewer, views.indicators["revenue"], "province", code, YEAR, yoy=True)
        _same(row[t("overview.revenue_yoy")], revenue_yoy, code)
    revenue = views.indicators["revenue"]
    for row in _csv(client, f"/export/top_zones.csv?year={YEAR}&indicator=revenue"):
        code = next(z.code for z in reader.zones.values() if z.name("zh") == row[t("zones.name")])
        _same(row[_label(revenue)], _expected(reader, viewer, revenue, "zone", code, YEAR), code)
        checked += 1
    assert checked >= len(provinces) * len(views.province_indicators) + 5


@pytest.mark.parametrize("role", list(PRINCIPALS))
def test_zone_list_figures_are_the_read_apis(app: FastAPI, clients: dict[str, TestClient], role: str) -> None:
    reader, views = app.state.figures.get(), load_views()
    viewer = reader.viewer(PRINCIPALS[role])
    rows = _csv(clients[role], f"/export/zones.csv?year={YEAR}")
    assert len(rows) == len(reader.zones)
    for row in rows:
        code = row[next(iter(row))]
        for item in views.zone_list_indicators:
            label = item.name("zh") if item.unit == "家" else _label(item)
            _same(row[label], _expected(reader, viewer, item, "zone", code, YEAR), f"{role} {code} {item.code}")


@pytest.mark.parametrize("role", ["analyst", "province", "zone"])
def test_zone_profile_figures_are_the_read_apis(app: FastAPI, clients: dict[str, TestClient], role: str,
                                                seeded: Seeded) -> None:
    reader, views, client = app.state.figures.get(), load_views(), clients[role]
    viewer, zone = reader.viewer(PRINCIPALS[role]), seeded.own_zone
    rows = _csv(client, f"/zones/{zone}/export/key_indicators.csv?year={YEAR}")
    assert [r[t("profile.indicator")] for r in rows] == [i.name("zh") for i in views.profile_indicators]
    for row, item in zip(rows, views.profile_indicators, strict=True):
        _same(row[t("profile.this_zone")], _expected(reader, viewer, item, "zone", zone, YEAR), item.code)
        if item.yoy:
            _same(row[t("kpi.yoy") + " %"], _expected(reader, viewer, item, "zone", zone, YEAR, yoy=True), item.code)
    gaps = _csv(client, f"/zones/{zone}/export/gap_analysis.csv?year={YEAR}&benchmark=Z1102")
    bench = reader.group_values([i.indicator for i in views.profile_indicators if i.indicator], ["Z1102"], YEAR,
                                viewer)
    for row, item in zip(gaps, views.profile_indicators, strict=False):
        assert item.indicator is not None
        _same(row[t("profile.this_zone")], _expected(reader, viewer, item, "zone", zone, YEAR), item.code)
        found = bench[item.indicator]
        expected = Suppressed.LABEL if found.withheld else found.value * item.factor if found.value is not None \
            else None
        _same(row[t("profile.benchmark")], expected, f"benchmark {item.code}")


@pytest.mark.parametrize("role", ["analyst", "province", "zone"])
def test_monitoring_figures_are_the_read_apis(app: FastAPI, clients: dict[str, TestClient], role: str) -> None:
    reader, views, client = app.state.figures.get(), load_views(), clients[role]
    viewer = reader.viewer(PRINCIPALS[role])
    tables = [("zones", "zone")] + ([("provinces", "province")] if role == "analyst" else [])
    for table, level in tables:
        response = client.get(f"/monitoring/export/{table}.csv?month={MONTH}")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]  # its y/y labels repeat
        assert rows, table
        for row in rows:
            key, values = row[0], row[2:]
            for i, item in enumerate(views.monthly_elements):
                _same(values[2 * i], _expected(reader, viewer, item, level, key, MONTH), f"{key} {item.code}")
                _same(values[2 * i + 1], _expected(reader, viewer, item, level, key, MONTH, yoy=True),
                      f"{key} {item.code} y/y")


@pytest.mark.parametrize("role", list(PRINCIPALS))
def test_indicator_api_values_are_the_read_apis(app: FastAPI, clients: dict[str, TestClient], role: str) -> None:
    reader, views, client = app.state.figures.get(), load_views(), clients[role]
    viewer = reader.viewer(PRINCIPALS[role])
    asks = [("/api/v1/indicators", "nation", NATION_KEY), ("/api/v1/indicators?province=11", "province", "11")]
    if role != "public":
        asks.append(("/api/v1/zones/Z1101/indicators", "zone", "Z1101"))
    shown_as: dict[str, Indicator] = {}
    for item in views.kpis + views.profile_indicators:  # the API lists each code once, the first way it is shown
        shown_as.setdefault(item.code, item)
    for path, level, key in asks:
        body = client.get(path + ("&" if "?" in path else "?") + f"year={YEAR}").json()
        for entry in body["indicators"]:
            item = shown_as[entry["code"]]
            assert entry["unit"] == item.unit
            if item.indicator is None:
                continue
            expected = _expected(reader, viewer, item, level, key, YEAR)
            if expected == Suppressed.LABEL:
                assert entry["value"] is None and entry["suppressed"], (path, item.code)
            else:
                assert entry["value"] == pytest.approx(expected), (path, item.code)
            change = _expected(reader, viewer, item, level, key, YEAR, yoy=True) if item.yoy else None
            assert entry["yoy_pct"] == (None if change in (None, Suppressed.LABEL) else pytest.approx(change))


def test_a_zone_viewer_gets_no_other_zones_values(app: FastAPI, seeded: Seeded) -> None:
    reader = app.state.figures.get()
    zone_viewer = reader.viewer(PRINCIPALS["zone"])
    own = reader.value("revenue_total", "zone", seeded.own_zone, YEAR, zone_viewer)
    assert own.value == 180_000 and own.withheld is None
    other = reader.values(["revenue_total", "rd_intensity", "revenue_yoy"], "zone", [seeded.other_zone], [YEAR],
                          zone_viewer)
    assert all(f.value is None and f.value_raw is None and f.withheld for f in other)
    assert reader.value("revenue_total", "zone", seeded.other_zone, YEAR, Viewer.everyone()).value == 198_000
    # An ad-hoc formula and an ad-hoc group through the same scope.
    formula = reader.formula("revenue - total_profit", "enterprise_annual", "annual", "zone",
                             [seeded.own_zone, seeded.other_zone], [YEAR], zone_viewer)
    assert formula[0].value == 180_000 - 15_000 and formula[1].value is None and formula[1].withheld
    assert reader.group_values(["revenue_total"], [seeded.other_zone], YEAR, zone_viewer)["revenue_total"].withheld
    # Rows behind a value, and an enterprise's own values, only inside the scope.
    with pytest.raises(ScopeError):
        reader.drill_down("revenue_total", "zone", seeded.other_zone, YEAR, zone_viewer)
    with pytest.raises(ScopeError):
        reader.values(["revenue_total"], "enterprise", [seeded.other_enterprise], [YEAR], zone_viewer)
    rows = reader.drill_down("revenue_total", "zone", seeded.own_zone, YEAR, zone_viewer)
    assert sorted(r.values["revenue"] for r in rows) == [60_000, 120_000]
    mine = reader.values(["revenue_total"], "enterprise", [seeded.own_enterprise], [YEAR], zone_viewer)
    assert mine[0].value == 120_000
