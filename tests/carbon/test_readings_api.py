"""The readings API on both stores: batches in JSON and CSV with idempotency keys, all or nothing, one change
event a batch, roll-ups, and scope: an enterprise sends only for its own units, a zone reads only its zone."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from hizone.auth.users import create_token
from hizone.store.changes import READINGS_WRITTEN, AuditFilter, audit_entries
from hizone.store.models import ChangeEvent
from hizone.store.readings import batch_count
from tests.web.conftest import app, seeded, seeded_analytics  # noqa: F401 (fixtures)
from tests.web.seed import Seeded

OWN_UNIT, OTHER_UNIT = "U-own", "U-other"


def _client(app, engine: Engine, username: str) -> TestClient:  # type: ignore[no-untyped-def]  # noqa: F811
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {create_token(engine, username, 'readings')}"
    return client


def _register(app, engine: Engine, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    admin = _client(app, engine, "admin1")
    units = [{"code": OWN_UNIT, "name": "一号厂区", "credit_code": seeded.own_enterprise,
              "meters": [{"code": "E1", "energy": "electricity", "measure_unit": "kWh"},
                         {"code": "G1", "energy": "natural_gas", "measure_unit": "m3"}]},
             {"code": OTHER_UNIT, "name": "广州厂区", "credit_code": seeded.other_enterprise,
              "meters": [{"code": "E1", "energy": "electricity", "measure_unit": "kWh"}]}]
    done = admin.post("/api/v1/readings/units", json={"units": units})
    assert done.status_code == 201, done.text
    assert done.json() == {"units": [OWN_UNIT, OTHER_UNIT], "meters": [f"{OWN_UNIT}/E1", f"{OWN_UNIT}/G1",
                                                                    f"{OTHER_UNIT}/E1"], "unchanged": 0}


def _readings(unit: str, hours: range, quantity: float = 10.0) -> bytes:
    return json.dumps({"readings": [{"unit": unit, "meter": "E1", "energy": "electricity",
                                     "time": f"2026-11-01T{h:02d}:00:00+08:00", "quantity": quantity}
                                    for h in hours]}).encode()


def _post(client: TestClient, key: str, body: bytes, kind: str = "application/json"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/readings/batches", content=body,
                       headers={"Idempotency-Key": key, "Content-Type": kind})


def test_batches_are_idempotent_atomic_and_one_event_each(app, engine: Engine, seeded: Seeded) -> None:  # noqa: F811
    _register(app, engine, seeded)
    bot = _client(app, engine, "enterprise1")
    first = _post(bot, "b-1", _readings(OWN_UNIT, range(0, 3)))
    assert first.status_code == 201, first.text
    assert first.json() == {"batch_id": 1, "readings": 3, "first": "2026-11-01T00:00:00+08:00",
                            "last": "2026-11-01T02:00:00+08:00", "replayed": False}
    again = _post(bot, "b-1", _readings(OWN_UNIT, range(0, 3)))
    assert again.status_code == 200 and again.json() == {**first.json(), "replayed": True}
    other = _post(bot, "b-1", _readings(OWN_UNIT, range(0, 3), quantity=11))
    assert other.status_code == 409
    assert "idempotency key 'b-1' was used for batch 1 with other content" in other.json()["error"]["message"]
    with engine.connect() as conn:
        before = batch_count(conn)
        events = conn.scalar(select(func.count()).where(ChangeEvent.kind == READINGS_WRITTEN))
    assert before == (1, 3) and events == 1
    # One bad reading among good ones: nothing of the batch is stored
    bad = json.loads(_readings(OWN_UNIT, range(3, 6)))
    bad["readings"][1]["quantity"] = -1
    refused = _post(bot, "b-2", json.dumps(bad).encode())
    assert refused.status_code == 422
    assert refused.json()["problems"] == [{"row": 2, "field": "quantity", "reason": "negative consumption (-1)",
                                           "where": "reading 2, quantity: negative consumption (-1)"}]
    superscript = json.loads(_readings(OWN_UNIT, range(3, 4)))  # '²'.isdigit() is True, float('²') fails
    superscript["readings"][0]["time"] = "²"
    refused_time = _post(bot, "b-3", json.dumps(superscript).encode())
    assert refused_time.status_code == 422
    assert [(p["row"], p["field"]) for p in refused_time.json()["problems"]] == [(1, "time")]
    with engine.connect() as conn:
        assert batch_count(conn) == before
        entries = audit_entries(conn, AuditFilter(object_kind="energy_reading_batch"))
    assert [(e.action, e.object_id, e.detail["readings"]) for e in entries] == [("readings", "1", 3)]


def test_csv_batches_and_a_correction_in_the_rollup(app, engine: Engine, seeded: Seeded) -> None:  # noqa: F811
    _register(app, engine, seeded)
    bot = _client(app, engine, "enterprise1")
    csv = "unit,meter,energy,time,quantity\n" + "".join(
        f"{OWN_UNIT},E1,electricity,2026-11-01 {h:02d}:00,5\n" for h in range(24)) + \
        f"{OWN_UNIT},G1,natural_gas,2026-11-02 00:00,7\n"
    assert _post(bot, "c-1", csv.encode(), "text/csv").status_code == 201
    fix = f"unit,meter,energy,time,quantity,measure_unit\n{OWN_UNIT},E1,electricity,2026-11-01 05:00,0.105,MWh\n"
    assert _post(bot, "c-2", fix.encode(), "text/csv").status_code == 201
    zone = _client(app, engine, "zone1")
    day = zone.get("/api/v1/readings/rollup?start=2026-11-01&end=2026-12-01&level=unit&grain=day").json()
    assert day["rows"] == [
        {"key": OWN_UNIT, "energy": "electricity", "unit": "kWh", "period": "2026-11-01", "total": 23 * 5 + 105,
         "readings": 24},
        {"key": OWN_UNIT, "energy": "natural_gas", "unit": "m3", "period": "2026-11-02", "total": 7, "readings": 1}]
    month = zone.get("/api/v1/readings/rollup?start=2026-11-01&end=2026-12-01&grain=month").json()
    assert [(r["key"], r["total"]) for r in month["rows"]] == [(seeded.own_zone, 220.0), (seeded.own_zone, 7.0)]


def test_scope_an_enterprise_sends_only_for_its_units_and_nobody_reads_outside_their_zone(
        app, engine: Engine, seeded: Seeded) -> None:  # noqa: F811
    _register(app, engine, seeded)
    admin = _client(app, engine, "admin1")
    assert _post(admin, "other-1", _readings(OTHER_UNIT, range(2))).status_code == 201
    bot = _client(app, engine, "enterprise1")
    refused = _post(bot, "e-1", _readings(OTHER_UNIT, range(2)))
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["reason"] == f"unknown unit '{OTHER_UNIT}'"  # not "not yours": no leak
    for user in ("zone1", "enterprise1", "province1"):
        rows = _client(app, engine, user).get("/api/v1/readings/rollup?start=2026-11-01&end=2026-11-02&level=unit")
        assert rows.status_code == 200
        assert OTHER_UNIT not in rows.text and seeded.other_zone not in rows.text
        leak = _client(app, engine, user).get(
            f"/api/v1/readings/rollup?start=2026-11-01&end=2026-11-02&zone={seeded.other_zone}")
        assert leak.json()["rows"] == []
    national = admin.get("/api/v1/readings/rollup?start=2026-11-01&end=2026-11-02&level=unit").json()
    assert [r["key"] for r in national["rows"]] == [OTHER_UNIT]
    # registering units is the zone's or above's, and only in their scope
    zone = _client(app, engine, "zone1")
    foreign = zone.post("/api/v1/readings/units", json={"units": [{
        "code": "U-x", "name": "x", "credit_code": seeded.other_enterprise,
        "meters": [{"code": "E", "energy": "electricity", "measure_unit": "kWh"}]}]})
    assert foreign.status_code == 400 and "in your scope" in foreign.json()["error"]["message"]
    assert bot.post("/api/v1/readings/units", json={"units": []}).status_code == 403


def test_a_meter_whose_unit_does_not_fit_its_energy_is_refused(app, engine: Engine, seeded: Seeded) -> None:  # noqa: F811
    admin = _client(app, engine, "admin1")
    done = admin.post("/api/v1/readings/units", json={"units": [{
        "code": "U-d", "name": "d", "credit_code": seeded.own_enterprise,
        "meters": [{"code": "D", "energy": "diesel", "measure_unit": "kWh"}]}]})
    assert done.status_code == 400
    error = done.json()["error"]
    assert (error["where"], error["message"]) == ("units[0].meters[0].measure_unit",
                                                  "'kWh' is not a unit of diesel (one of t, 吨, kg, 千克, 万t, 万吨)")
    assert _post(admin, "x", b"not json").status_code == 400
    assert _post(admin, "x", b"a;b", "text/plain").status_code == 415


def test_a_readings_batch_leaves_the_data_version_and_so_every_page_cache(
        app, engine: Engine, seeded: Seeded) -> None:  # noqa: F811
    from hizone.analytics.read import data_version
    from tests.reports import write_report

    _register(app, engine, seeded)
    before = data_version(engine)
    bot = _client(app, engine, "enterprise1")
    assert _post(bot, "v-1", _readings(OWN_UNIT, range(3))).status_code == 201
    assert _post(bot, "v-2", _readings(OWN_UNIT, range(3, 6))).status_code == 201
    assert data_version(engine) == before
    write_report(engine, form_code="enterprise_energy", form_version=2021, entity_key=seeded.own_enterprise,
                 zone_code=seeded.own_zone, period="2023", revision=1, state="approved",
                 values={"en_electricity_purchased": 1})
    after = data_version(engine)
    assert after != before and after[1:] == before[1:]  # the submission's event moved the first column only
