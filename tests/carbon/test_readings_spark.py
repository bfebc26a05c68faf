"""The readings' roll-up on PySpark (local mode) over the Parquet export agrees with the embedded roll-up, at
every level and grain, corrections included."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hizone.analytics.readings_spark import readings_rollup
from hizone.analytics.spark import local_session
from hizone.auth.policy import Principal
from hizone.carbon.readings import default_config, parse_json, rollup
from hizone.store import connect
from hizone.store.readings import (
    MeterSpec,
    UnitSpec,
    export_parquet,
    load_readings,
    meter_info,
    register_units,
    store_batch,
)
from tests.carbon.seed import seed_registry

pytestmark = [pytest.mark.spark,
              pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")]
ADMIN = Principal("admin", "admin")


def _store(path: Path) -> tuple[Engine, int, int]:
    engine = connect(f"sqlite:///{path}")
    seed_registry(engine, {f"C{i}": f"Z{1 + i % 2}" for i in range(4)})
    config = default_config()
    register_units(engine, ADMIN, [UnitSpec(f"U{i}", f"单位{i}", f"C{i}", (
        MeterSpec("E", "electricity", "kWh"), MeterSpec("G", "natural_gas", "m3"))) for i in range(4)], config)
    now = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    for day in range(40):  # 2026-10-20 .. 2026-11-28, every 5 hours, both meters of every unit
        stamps = [dt.datetime(2026, 10, 20, tzinfo=dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(days=day, hours=h)
                  for h in range(0, 24, 5)]
        body = {"readings": [{"unit": f"U{u}", "meter": m, "energy": e, "time": t.isoformat(),
                              "quantity": round(1 + u + day * 0.5 + t.hour / 10 + (m == "G"), 3)}
                             for u in range(4) for m, e in (("E", "electricity"), ("G", "natural_gas"))
                             for t in stamps]}
        store_batch(engine, ADMIN, f"d{day}", parse_json(json.dumps(body).encode()), config, now)
    fix = {"readings": [{"unit": "U1", "meter": "E", "energy": "electricity", "time": "2026-10-21T05:00:00+08:00",
                         "quantity": 99.5}]}
    store_batch(engine, ADMIN, "fix", parse_json(json.dumps(fix).encode()), config, now)
    start = int(dt.datetime(2026, 10, 1, tzinfo=dt.UTC).timestamp())
    return engine, start, int(dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp())


def test_spark_and_the_embedded_rollup_agree(tmp_path: Path, sqlite_template: Path) -> None:
    store = tmp_path / "store.sqlite"
    store.write_bytes(sqlite_template.read_bytes())
    engine, start, end = _store(store)
    with engine.connect() as conn:
        meters = meter_info(conn, ADMIN)
        readings = load_readings(conn, meters, start, end)
        export_parquet(conn, tmp_path / "parquet", start, end)
    embedded = {(level, grain): {(k, e, p): (t, n) for k, e, p, t, n in rollup(readings, meters, level, grain).rows()}
                for level in ("meter", "unit", "zone") for grain in ("day", "month")}
    with local_session("hizone-readings-test") as spark:
        for (level, grain), expected in embedded.items():
            frame = readings_rollup(spark, tmp_path / "parquet" / "readings.parquet",
                                    tmp_path / "parquet" / "meters.parquet", level, grain)
            got = {(r["key"], r["energy"], r["period"]): (r["total"], r["readings"]) for r in frame.collect()}
            assert got.keys() == expected.keys(), (level, grain)
            for key, (total, count) in expected.items():
                assert got[key][1] == count and got[key][0] == pytest.approx(total, rel=1e-12), (level, grain, key)
    assert embedded[("unit", "day")][("U1", "electricity", "2026-10-21")][1] == 5  # the fix replaced one
    engine.dispose()
