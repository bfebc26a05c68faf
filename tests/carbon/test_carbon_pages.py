"""The carbon pages show the API's figures: every data-figure on the zone page and the national page is the
API's value as printed for people (万/亿 steps, ratios to 3 decimals); a published account shows as published, with
what changed since; a zone user gets no other zone's page."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.analytics.fixture import CODES
from tests.carbon.test_carbon_api import carbon_app, client  # noqa: F401 (fixture)
from tests.web.conftest import login

FIGURE = re.compile(r'data-figure="(\w+)"[^>]*>([^<]*)<')


def _printed(name: str, value: object) -> str:
    """As the pages print a figure (services.carbon.DISPLAY through the one amount formatter), in Chinese."""
    from hizone.web.i18n import translate
    from hizone.web.services.carbon import DISPLAY
    from hizone.web.services.tables import format_amount

    spec = DISPLAY[name]
    if value is None:
        return "—"
    assert isinstance(value, int | float)
    if spec[0] == "amount":
        return format_amount(value, translate(f"unit.{spec[1]}", "zh"), "zh", spec[2])
    return f"{value:+.1f}%" if spec[0] == "pct" else f"{value:,.{0 if spec[0] == 'int' else spec[1]}f}"


def _page(app: FastAPI, username: str, url: str) -> str:
    page = login(TestClient(app), username, "a-long-test-password").get(url)
    assert page.status_code == 200, page.text[:500]
    return page.text


def _section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start:html.index("</section>", start)]


def test_the_zone_page_shows_the_apis_figures(carbon_app: FastAPI, engine: Engine) -> None:  # noqa: F811
    [api] = client(carbon_app, engine, "z1101").get(
        "/api/v1/carbon/accounts?year=2023&level=zone&key=Z1101").json()["accounts"]
    html = _page(carbon_app, "z1101", "/carbon/zones/Z1101?year=2023")
    shown = dict(FIGURE.findall(_section(html, 'id="account"')))
    assert len(shown) == 14
    for name, text in shown.items():
        assert text == _printed(name, api[name]), name
    # by hand (test_accounts): 303.736 tce, 953.86 tCO2, 51 万元 of value added, 303.736 / 51 tce/万元
    assert (shown["tce_equivalent"], shown["co2_total_location"]) == ("303.7吨标准煤", "953.9吨CO₂")
    assert (shown["value_added"], shown["energy_intensity"]) == ("51.00万元", "5.956")
    pathway = dict(FIGURE.findall(_section(html, 'id="pathway"')))
    assert pathway["warning"] == api["warning"]["name_zh"]
    assert pathway["co2_path"] == _printed("co2_path", api["co2_path"]) and pathway["base_year"] == "2022"
    for entry in api["ledger"]:
        row = re.search(rf'data-ledger="{entry["item"]}".*?data-figure="value">([^<]*)<', html)
        assert row and row.group(1) == _printed(entry["unit"], entry["value"]), entry["item"]
    for emitter in api["largest_emitters"]:
        row = re.search(rf'data-emitter="{emitter["credit_code"]}"(.*?)</tr>', html, re.S)
        assert row and dict(FIGURE.findall(row.group(1))) == {
            f: _printed(f, emitter[f]) for f in ("tce_equivalent", "co2_total_location", "co2_intensity")}
    # Grades (both in GB/T 4754 division 39): E1 669.66 tCO2 / 36 万元, E2 284.2 / 9, the division 953.86 / 45;
    # K 0.878 is grade 3 (0.8–1.2), K 1.490 grade 4 (1.2–2.0).
    for code, k, grade in ((CODES["E1"], 669.66 / 36 / (953.86 / 45), 3), (CODES["E2"], 284.2 / 9 / (953.86 / 45), 4)):
        row = re.search(rf'data-emitter="{code}"(.*?)</tr>', html, re.S)
        assert row and f"<td class=\"num\" data-grade-k>{k:,.2f}</td>" in row.group(1), code
        assert f'data-grade="{grade}"' in row.group(1), code
    assert 'data-live' in html and 'data-published' not in html  # nothing published yet: live, and it says so
    assert 'data-source="en_electricity_purchased_total"' in _section(html, 'data-ledger="emissions_location"')
    english = login(TestClient(carbon_app), "z1101", "a-long-test-password")
    english.get("/lang/en?next=/")
    page = english.get("/carbon/zones/Z1101?year=2023").text
    assert "Green assets and liabilities" in page and "303.7 tce" in page


def test_the_national_page_shows_the_apis_figures_and_the_map(carbon_app: FastAPI, engine: Engine) -> None:  # noqa: F811
    api = client(carbon_app, engine, "nat").get
    [nation] = api("/api/v1/carbon/accounts?year=2023").json()["accounts"]
    provinces = api("/api/v1/carbon/accounts?year=2023&level=province").json()["accounts"]
    html = _page(carbon_app, "nat", "/carbon?year=2023")
    for name, text in FIGURE.findall(_section(html, 'id="nation"')):
        assert text == (nation["warning"]["name_zh"] if name == "warning" else _printed(name, nation[name])), name
    hubei = next(p for p in provinces if p["key"] == "42")
    row = re.search(r'data-key="42">(.*?)</tr>', html, re.S)
    shaded = hubei["energy_intensity"]
    assert row and dict(FIGURE.findall(row.group(1)))["energy_intensity"] == _printed("energy_intensity", shaded)
    assert f'"value": {hubei["energy_intensity"]}' in html.replace("&#34;", '"')  # the map's shading


def test_a_zone_user_gets_no_other_zones_page(carbon_app: FastAPI, engine: Engine) -> None:  # noqa: F811
    other = login(TestClient(carbon_app), "z1101", "a-long-test-password").get("/carbon/zones/Z4201?year=2023")
    assert other.status_code == 403 and "61.45" not in other.text
    national = _page(carbon_app, "z1101", "/carbon?year=2023")
    assert 'data-key="Z4201"' not in national and 'data-key="Z1101"' in national


def test_the_accounts_export_holds_the_apis_figures_of_the_callers_scope(carbon_app: FastAPI,  # noqa: F811
                                                                           engine: Engine) -> None:
    import csv
    import io

    import fastexcel

    api = {a["key"]: a for a in client(carbon_app, engine, "p42").get(
        "/api/v1/carbon/accounts?year=2023&level=zone").json()["accounts"]}
    browser = login(TestClient(carbon_app), "p42", "a-long-test-password")
    exported = browser.get("/carbon/export/accounts.csv?level=zone&year=2023")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    keyed = {row[0].lstrip("'"): dict(zip(header, row, strict=True)) for row in body if row and row[0]}
    assert api and set(keyed) == set(api) and "Z1101" not in keyed  # a province's user: its own province's zones only
    energy = "单位增加值综合能耗（tce/万元）"
    for key, account in api.items():
        if account.get("withheld") is None:
            assert float(keyed[key][energy]) == pytest.approx(account["energy_intensity"])
    workbook = browser.get("/carbon/export/accounts.xlsx?level=zone&year=2023")
    sheet = fastexcel.read_excel(workbook.content).load_sheet(0).to_arrow()
    assert sorted(str(v) for v in sheet.column(0).to_pylist() if v in api) == sorted(api)


def test_a_published_account_shows_as_published_and_says_when_the_live_figures_differ(
        carbon_app: FastAPI, engine: Engine) -> None:  # noqa: F811
    from hizone.analytics.read import Viewer
    from hizone.auth import Principal
    from hizone.carbon.accounts import Status, first_year, statuses
    from hizone.carbon.factors import default_library
    from hizone.carbon.pathways import default_targets
    from hizone.store.carbon_accounts import publish
    from tests.analytics.fixture import CODES
    from tests.reports import write_report

    fig = carbon_app.state.figures.get()
    found = statuses(fig, default_library(), default_targets(), "zone", ["Z1101"], 2023, Viewer.everyone(),
                     first_year())
    assert all(isinstance(s, Status) for s in found)
    publish(engine, Principal(username="ana", role="analyst"), 2023, "zone", found, fig.build_state())  # type: ignore[arg-type]
    html = _page(carbon_app, "z1101", "/carbon/zones/Z1101?year=2023")
    assert 'data-published="1"' in html and "data-stale" not in html and "303.7吨标准煤" in html
    # E2 corrects its 2023 energy: 100 t more raw coal (71.43 tce); the page keeps the published 303.7 and says so.
    write_report(engine, form_code="enterprise_energy", form_version=2021, entity_key=CODES["E2"], zone_code="Z1101",
                 period="2023", revision=2, state="approved",
                 values={"en_electricity_purchased": 0, "en_heat_purchased": 1000, "en_raw_coal": 200})
    carbon_app.state.figures.get()  # brings the analytics file up to date
    [api] = client(carbon_app, engine, "z1101").get(
        "/api/v1/carbon/accounts?year=2023&level=zone&key=Z1101").json()["accounts"]
    # The API answers as the page does: the published figure, and why today's differ; the live figure moved.
    assert api["tce_equivalent"] == pytest.approx(303.736) and api["published"]["version"] == 1
    assert "data change" in api["changed_since"]
    from hizone.web.services.carbon import accounts
    [live] = accounts(carbon_app.state.figures.get(), Principal(username="ana", role="analyst"), "zone", "Z1101",
                      2023)
    assert live["tce_equivalent"] == pytest.approx(303.736 + 71.43)
    html = _page(carbon_app, "z1101", "/carbon/zones/Z1101?year=2023")
    shown = dict(FIGURE.findall(_section(html, 'id="account"')))
    assert shown["tce_equivalent"] == "303.7吨标准煤" and 'data-published="1"' in html
    assert "data-stale" in html and "data change" in _section(html, 'id="account"')
