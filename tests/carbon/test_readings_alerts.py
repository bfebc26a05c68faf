"""The history warning from the stored stream into the alert store, and the monitor's own rules unaffected."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from sqlalchemy import Engine

from hizone.auth.policy import Principal
from hizone.carbon.readings import RawBatch, default_config
from hizone.monitor.rules import default_rules
from hizone.monitor.service import AlertStore
from hizone.store.readings import MeterSpec, UnitSpec, raise_history_alerts, register_units, store_batch
from tests.carbon.seed import seed_registry

CST = dt.timezone(dt.timedelta(hours=8))


def _batch(days: list[tuple[str, float]]) -> RawBatch:
    n = len(days)
    return RawBatch({"unit": pa.array(["U1"] * n), "meter": pa.array(["E"] * n),
                     "energy": pa.array(["electricity"] * n), "time": pa.array([f"{d}T12:00:00" for d, _ in days]),
                     "quantity": pa.array([q for _, q in days]), "measure_unit": pa.nulls(n, pa.string())},
                    "reading", 1)


def test_a_spike_in_the_stream_becomes_one_unit_alert(engine: Engine) -> None:
    seed_registry(engine, {"C1": "Z1"})
    admin = Principal("admin", "admin")
    config = default_config()
    register_units(engine, admin, [UnitSpec("U1", "单位", "C1", (MeterSpec("E", "electricity", "kWh"),))], config)
    usual = [(f"2026-10-{d:02d}", 100.0 + (d % 3)) for d in range(1, 31)]
    now = dt.datetime(2026, 11, 5, 9, tzinfo=CST)
    store_batch(engine, admin, "oct", _batch(usual), config, now)
    store_batch(engine, admin, "spike", _batch([("2026-10-31", 400.0), ("2026-11-01", 101.0)]), config, now)
    assert raise_history_alerts(engine, config, now) == {"new": 1, "seen": 0}
    (alert,) = AlertStore(engine).list()
    assert (alert.rule, alert.level, alert.key, alert.period) == ("unit_day_above_history", "unit", "U1", "2026-10")
    assert [d["day"] for d in alert.evidence["days"]] == ["2026-10-31"]
    assert raise_history_alerts(engine, config, now) == {"new": 0, "seen": 1}


def test_the_monitor_leaves_the_readings_rules_to_their_engine() -> None:
    assert "unit_day_above_history" not in {r.code for r in default_rules()}
