"""Alerts on built analytics: the planted anomalies are found, clean zones raise none, states persist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.catalog import default_catalog
from hizone.demo import generate, load
from hizone.monitor.service import AlertStore, run_rules
from hizone.registry import load_provinces, load_zones
from hizone.store import session_scope
from hizone.store.models import DatasetInfo
from tests.analytics.fixture import CLEAN_ZONE, DECLINE_ZONE, JUMP_ZONE, MISSING_ZONE, populate


def test_fixture_anomalies_are_found_and_the_clean_zone_raises_none(engine: Engine, tmp_path: Path) -> None:
    populate(engine)
    build(engine, tmp_path / "a.duckdb")
    alerts = run_rules(Analytics(tmp_path / "a.duckdb"))
    found = {(a.rule, a.key, a.period) for a in alerts}
    assert ("revenue_month_yoy_slump", DECLINE_ZONE, "2023-06") in found  # April–June below −30%
    assert ("revenue_month_jump", JUMP_ZONE, "2023-06") in found
    assert ("monthly_report_missing", MISSING_ZONE, "2023-09") in found
    assert not [a for a in alerts if a.key == CLEAN_ZONE]
    store = AlertStore(engine)
    assert store.record(alerts) == {"new": len(alerts), "seen": 0}
    slump = next(a for a in store.list() if a.rule == "revenue_month_yoy_slump")
    store.transition(slump.id, "acknowledged", "analyst", "called the zone")
    assert store.record(run_rules(Analytics(tmp_path / "a.duckdb"))) == {"new": 0, "seen": len(alerts)}
    kept = next(a for a in store.list(state="acknowledged"))
    assert (kept.id, kept.note, kept.changed_by) == (slump.id, "called the zone", "analyst")


@pytest.fixture
def demo(engine: Engine, tmp_path: Path) -> tuple[Engine, Analytics]:
    load(engine, generate(default_catalog(), load_provinces(), load_zones(), enterprises=2000, seed=3),
         default_catalog())
    build(engine, tmp_path / "a.duckdb")
    return engine, Analytics(tmp_path / "a.duckdb")


RULE_FOR = {"decline": "revenue_month_yoy_slump", "jump": "revenue_month_jump",
            "missing_month": "monthly_report_missing"}


def test_the_demo_planted_anomalies_are_found(demo: tuple[Engine, Analytics]) -> None:
    engine, analytics = demo
    with session_scope(engine) as session:
        planted = json.loads(session.scalar(select(DatasetInfo.value).where(DatasetInfo.key == "planted_anomalies"))
                             or "[]")
    alerts = run_rules(analytics)
    checked = 0
    for anomaly in planted:
        if anomaly["kind"] not in RULE_FOR:
            continue
        hits = [a for a in alerts if a.rule == RULE_FOR[anomaly["kind"]] and a.key == anomaly["zone"]]
        assert hits, anomaly
        expected = anomaly.get("period") or anomaly["from"]
        assert any(a.period == expected or a.evidence.get("since") == expected for a in hits), (anomaly, hits)
        checked += 1
    assert checked == 3
    # The data-quality rules raise nothing on the zones nobody tampered with.
    tampered = {a.get("zone") for a in planted}
    quality = [a for a in alerts if a.kind in ("jump", "missing") and a.key not in tampered]
    assert quality == []
    # Any other slump is a real fall in that zone's enterprise reports, not noise of the monthly split.
    for alert in alerts:
        if alert.rule == "revenue_month_yoy_slump" and alert.key not in tampered:
            (annual,) = analytics.values(["revenue_yoy"], "zone", [alert.key], [alert.period[:4]])
            assert annual.value_raw is not None and annual.value_raw < -20, alert
