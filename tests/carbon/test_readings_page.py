"""The readings page of a zone's main energy-using units: month and day totals that are the roll-up's, the latest
warnings, and scope: a zone's user sees only its own zone's units, the national roles every zone's."""

from __future__ import annotations

import datetime as dt
import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.store import session_scope
from hizone.store.models import Alert
from tests.carbon.test_readings_api import OTHER_UNIT, OWN_UNIT, _client, _post, _register
from tests.web.conftest import app, login, seeded, seeded_analytics  # noqa: F401 (fixtures)
from tests.web.seed import Seeded


def _body(unit: str, readings: list[tuple[str, str, str, float]]) -> bytes:
    return json.dumps({"readings": [{"unit": unit, "meter": meter, "energy": energy, "time": at, "quantity": q}
                                    for meter, energy, at, q in readings]}).encode()


def _cells(html: str, unit: str, energy: str) -> str:
    found = re.search(rf'<tr data-unit="{unit}" data-energy="{energy}">(.*?)</tr>', html, re.S)
    assert found, (unit, energy)
    return found.group(1)


def test_a_zones_readings_page_shows_its_units_roll_ups_and_warnings_within_scope(
        app, engine: Engine, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _register(app, engine, seeded)
    bot, admin = _client(app, engine, "enterprise1"), _client(app, engine, "admin1")
    # Own unit: 10 + 20 kWh on 1 Nov (China time; 23:30 on 31 Oct UTC is 07:30 on 1 Nov), 5 kWh on 2 Nov, and
    # 3 m3 of gas on 2 Nov; the other zone's unit 99 kWh. By hand: electricity 35 kWh in 3 readings, 30 | 5 by day.
    assert _post(bot, "p-1", _body(OWN_UNIT, [("E1", "electricity", "2026-10-31T23:30:00Z", 10.0),
                                              ("E1", "electricity", "2026-11-01T09:00:00+08:00", 20.0),
                                              ("E1", "electricity", "2026-11-02T09:00:00+08:00", 5.0),
                                              ("G1", "natural_gas", "2026-11-02T10:00:00+08:00", 3.0)])
                 ).status_code == 201
    assert _post(admin, "p-2", _body(OTHER_UNIT, [("E1", "electricity", "2026-11-01T09:00:00+08:00", 99.0)])
                 ).status_code == 201
    with session_scope(engine) as session:
        session.add(Alert(rule_code="energy_own_history", indicator="energy_day_electricity", level="unit",
                          entity_key=OWN_UNIT, period="2026-11", severity="warning", kind="own_history",
                          message=f"{OWN_UNIT}: electricity on 2026-11-02 was far above its days", evidence={},
                          first_seen=dt.datetime(2026, 11, 3, tzinfo=dt.UTC),
                          last_seen=dt.datetime(2026, 11, 3, tzinfo=dt.UTC)))
    api = _client(app, engine, "zone1").get("/api/v1/readings/rollup?start=2026-11-01&end=2026-12-01&level=unit"
                                            "&grain=day").json()["rows"]
    by_day = {(r["energy"], r["period"]): r["total"] for r in api if r["key"] == OWN_UNIT}
    assert by_day == {("electricity", "2026-11-01"): 30.0, ("electricity", "2026-11-02"): 5.0,
                      ("natural_gas", "2026-11-02"): 3.0}

    page = login(TestClient(app), "zone1").get(f"/carbon/zones/{seeded.own_zone}/readings?month=2026-11")
    assert page.status_code == 200, page.text[:500]
    html = page.text
    electricity = _cells(html, OWN_UNIT, "electricity")
    assert 'data-figure="month_total">35.0<' in electricity and 'data-figure="readings">3<' in electricity
    assert 'data-figure="month_total">3.0<' in _cells(html, OWN_UNIT, "natural_gas")
    days = _cells(html[html.index('id="days"'):], OWN_UNIT, "electricity")
    assert 'data-day="2026-11-01">30.0<' in days and 'data-day="2026-11-02">5.0<' in days
    assert f'data-alert="{OWN_UNIT}"' in html and "far above its days" in html
    assert OTHER_UNIT not in html and "99.0" not in html
    assert 'href="/carbon/zones/' in html  # the carbon pages' nav

    other = login(TestClient(app), "zone1").get(f"/carbon/zones/{seeded.other_zone}/readings?month=2026-11")
    assert other.status_code == 403 and "99.0" not in other.text
    national = login(TestClient(app), "analyst1").get(f"/carbon/zones/{seeded.other_zone}/readings")
    assert national.status_code == 200 and 'data-figure="month_total">99.0<' in _cells(
        national.text, OTHER_UNIT, "electricity")  # the latest month with readings by default
    bad = login(TestClient(app), "analyst1").get(f"/carbon/zones/{seeded.own_zone}/readings?month=2026-13")
    assert bad.status_code == 422 and "month" in bad.text
