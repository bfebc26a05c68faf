"""Meter readings: ingest through the API's batch path (JSON and CSV bodies) into the embedded store, and the
zone roll-up of a month, each against a baseline measured in the same process.

Scale: HIZONE_BENCH_READING_UNITS units (default 10,000, one electricity meter each) reading hourly;
HIZONE_BENCH_READING_HOURS hours of roll-up data (default 720, a month: 7.2 million readings);
HIZONE_BENCH_READING_INGEST_HOURS hours sent through the API per body kind (default 10: 100,000 readings);
HIZONE_BENCH_READING_SPARK_UNITS units × HIZONE_BENCH_READING_SPARK_YEARS years for PySpark (250 × 4: 8.8 million).

Baselines: ingest against a plain executemany of the same readings as rows (meter, time, quantity) into a
SQLite table on a raw connection; the roll-up against DuckDB grouping the same arrays, already in memory.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
from fastapi.testclient import TestClient
from harness import heading, row
from sqlalchemy import insert

from hizone.auth.users import add_user, create_token
from hizone.carbon.readings import CHINA_OFFSET_S, rollup
from hizone.config import Settings
from hizone.store import connect, session_scope, upgrade
from hizone.store.models import EnergyMeter, EnergyReadingBatch, EnergyUnit, Enterprise, Province, Zone
from hizone.store.readings import load_readings, meter_info
from hizone.web import create_app

UNITS = int(os.environ.get("HIZONE_BENCH_READING_UNITS", "10000"))
HOURS = int(os.environ.get("HIZONE_BENCH_READING_HOURS", "720"))
INGEST_HOURS = int(os.environ.get("HIZONE_BENCH_READING_INGEST_HOURS", "10"))
SPARK_UNITS = int(os.environ.get("HIZONE_BENCH_READING_SPARK_UNITS", "250"))
SPARK_YEARS = int(os.environ.get("HIZONE_BENCH_READING_SPARK_YEARS", "4"))
ZONES = 20
START = int(dt.datetime(2026, 10, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())


def _registry(url: str) -> None:
    engine = connect(url)
    upgrade(engine)
    with session_scope(engine) as session:
        session.add(Province(code="11", name_zh="北京市", name_en="Beijing", region="east"))
        session.flush()
        session.add_all([Zone(code=f"Z{z:03d}", name_zh=f"区{z}", name_en=f"Z{z}", province_code="11", city="北京",
                              approved_year=2000, demo_zone=None, source="bench") for z in range(ZONES)])
        session.flush()
    with engine.begin() as conn:
        conn.execute(insert(Enterprise), [{"id": i + 1, "credit_code": f"BENCH{i:013d}", "name": f"企业{i}",
                                           "zone_code": f"Z{i % ZONES:03d}", "synthetic": True}
                                          for i in range(UNITS)])
        conn.execute(insert(EnergyUnit), [{"id": i + 1, "code": f"U{i}", "name": f"单位{i}", "enterprise_id": i + 1,
                                           "zone_code": f"Z{i % ZONES:03d}", "created_by": "bench"}
                                          for i in range(UNITS)])
        conn.execute(insert(EnergyMeter), [{"id": i + 1, "unit_id": i + 1, "code": "E", "energy": "electricity",
                                            "measure_unit": "kWh", "created_by": "bench"} for i in range(UNITS)])
    add_user(engine, "bench-admin", "bench-password-123", "admin")
    engine.dispose()


def _quantities(hour: int) -> np.ndarray:
    return np.random.default_rng(hour).gamma(2.0, 50.0, UNITS).round(3)


def _json_body(hour: int) -> bytes:
    stamp = dt.datetime.fromtimestamp(START + hour * 3600, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"readings": [{"unit": f"U{i}", "meter": "E", "energy": "electricity", "time": stamp,
                                     "quantity": q} for i, q in enumerate(_quantities(hour).tolist())]}).encode()


def _csv_body(hour: int) -> bytes:
    stamp = dt.datetime.fromtimestamp(START + hour * 3600, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [f"U{i},E,electricity,{stamp},{q}" for i, q in enumerate(_quantities(hour).tolist())]
    return ("unit,meter,energy,time,quantity\n" + "\n".join(lines) + "\n").encode()


def ingest(folder: Path) -> None:
    url = f"sqlite:///{folder / 'ingest.sqlite'}"
    _registry(url)
    engine = connect(url)
    app = create_app(engine, Settings(database_url=url, var_dir=folder / "var", secret_key="bench-secret"))
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {create_token(engine, 'bench-admin', 'bench')}"
    readings = INGEST_HOURS * UNITS
    heading(f"readings ingest: {INGEST_HOURS} batches of {UNITS:,} readings per body kind (load {_load()})")
    rates = {}
    for kind, make, offset in (("JSON", _json_body, 0), ("CSV", _csv_body, INGEST_HOURS)):
        # One batch of hours no timed batch sends, untimed: the first request of a process pays its imports and
        # caches, which a running service has paid long before (measured: +25 ms of CPU a batch over ten).
        warm = client.post("/api/v1/readings/batches", content=make(2 * INGEST_HOURS + offset), headers={
            "Idempotency-Key": f"warm-{kind}", "Content-Type": "application/json" if kind == "JSON" else "text/csv"})
        assert warm.status_code == 201, warm.text[:300]
        bodies = [make(offset + h) for h in range(INGEST_HOURS)]
        started, cpu_started = time.perf_counter(), time.process_time()
        for h, body in enumerate(bodies):
            answer = client.post("/api/v1/readings/batches", content=body, headers={
                "Idempotency-Key": f"{kind}-{h}", "Content-Type": "application/json" if kind == "JSON" else "text/csv"})
            assert answer.status_code == 201, answer.text[:300]
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rates[kind] = readings / seconds
        row(f"API batch path, {kind} bodies", rates[kind], "readings/s", f"{seconds:.2f} s")
        # CPU time of the process (client, server thread, SQLite): what the path costs, whatever the load.
        row(f"API batch path, {kind} bodies, per CPU-second", readings / cpu, "readings/s", f"{cpu:.2f} s CPU")
    baseline = _rows_baseline(folder)
    row("baseline: executemany of (meter, time, quantity) rows", baseline, "readings/s")
    for kind, rate in rates.items():
        row(f"ratio {kind} path / baseline", rate / baseline, "x", "target: ≥ 100,000 readings/s")
    client.close()
    engine.dispose()


def _rows_baseline(folder: Path) -> float:
    conn = sqlite3.connect(folder / "rows.sqlite")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE reading (meter_id INTEGER NOT NULL, at INTEGER NOT NULL, quantity REAL NOT NULL)")
    meters = list(range(1, UNITS + 1))
    started = time.perf_counter()
    for h in range(INGEST_HOURS):
        at = START + h * 3600
        conn.executemany("INSERT INTO reading VALUES (?, ?, ?)",
                         zip(meters, [at] * UNITS, _quantities(h).tolist(), strict=True))
        conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return INGEST_HOURS * UNITS / seconds


def month_rollup(folder: Path) -> None:
    url = f"sqlite:///{folder / 'month.sqlite'}"
    _registry(url)
    engine = connect(url)
    ids = np.arange(1, UNITS + 1, dtype="<i4").tobytes()
    with engine.begin() as conn:  # a month of hourly batches, stored as the API stores them
        for h in range(HOURS):
            at = START + h * 3600
            conn.execute(insert(EnergyReadingBatch).values(
                idempotency_key=f"h{h}", content_sha256="", reading_count=UNITS, first_at=at, last_at=at,
                meter_ids=ids, times=np.full(UNITS, at, dtype="<i8").tobytes(),
                quantities=_quantities(h).astype("<f8").tobytes(), created_by="bench"))
    from hizone.auth.policy import Principal

    admin = Principal("bench-admin", "admin")
    heading(f"readings roll-up: {UNITS:,} units × {HOURS} h = {UNITS * HOURS:,} readings (load {_load()})")
    end = START + HOURS * 3600
    best = {}
    for _ in range(3):
        started = time.perf_counter()
        with engine.connect() as conn:
            meters = meter_info(conn, admin)
            readings = load_readings(conn, meters, START, end)
        loaded = time.perf_counter()
        month = rollup(readings, meters, "zone", "month")
        done = time.perf_counter()
        day = rollup(readings, meters, "zone", "day")
        daily = time.perf_counter() - done
        for name, value in (("read", loaded - started), ("rollup", done - loaded), ("total", done - started),
                            ("day", daily)):
            best[name] = min(best.get(name, 1e9), value)
    row("store → arrays (batches unpacked, corrections checked)", best["read"], "s")
    row("zone × month roll-up of the arrays (NumPy)", best["rollup"], "s")
    row("zone roll-up of the month, end to end", best["total"], "s", "target: < 1 s")
    row("zone × day roll-up of the arrays (NumPy)", best["day"], "s")
    con = duckdb.connect()
    frame = {"meter": readings.meter_ids, "ts": readings.times, "q": readings.quantities,
             "zone": meters.index_of["zone"][readings.meter_ids]}
    con.register("r", frame)
    started = time.perf_counter()
    for _ in range(3):
        con.execute(f"SELECT zone, (ts + {CHINA_OFFSET_S}) // 86400 AS day, sum(q) FROM r GROUP BY ALL").fetchall()
    duck = (time.perf_counter() - started) / 3
    row("baseline: DuckDB zone × day over the same arrays in memory", duck, "s")
    row("ratio NumPy zone × day / DuckDB zone × day", best["day"] / duck, "x")
    total = float(np.nansum(month.totals))
    assert abs(total - float(readings.quantities.sum())) < 1e-6 * total, "the roll-up lost readings"
    assert np.isclose(np.nansum(day.totals), total)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    row("store size per reading (checkpointed)", (folder / "month.sqlite").stat().st_size / (UNITS * HOURS), "bytes")
    engine.dispose()


def spark_years(folder: Path) -> None:
    """The zone × month roll-up of many years of hourly readings on PySpark (local mode) over Parquet, one file a
    year, against the embedded NumPy roll-up of the same readings in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hizone.analytics.readings_spark import readings_rollup
    from hizone.analytics.spark import local_session
    from hizone.carbon.readings import MeterInfo, Readings

    units = SPARK_UNITS
    meter_rows = [(i + 1, i + 1, f"U{i}", "E", f"Z{i % ZONES:03d}", "electricity") for i in range(units)]
    pq.write_table(pa.table({"meter_id": pa.array([r[0] for r in meter_rows], pa.int32()),
                             "meter": [f"{r[2]}/E" for r in meter_rows], "unit": [r[2] for r in meter_rows],
                             "zone": [r[4] for r in meter_rows], "energy": [r[5] for r in meter_rows]}),
                   folder / "meters.parquet")
    files, parts = [], []
    hours = 365 * 24
    for year in range(SPARK_YEARS):
        times = np.repeat(START + (year * hours + np.arange(hours)) * 3600, units).astype(np.int64)
        ids = np.tile(np.arange(1, units + 1, dtype=np.int32), hours)
        quantities = np.random.default_rng(year).gamma(2.0, 50.0, len(ids)).round(3)
        batch = np.repeat(np.arange(year * hours, (year + 1) * hours, dtype=np.int64), units)
        path = folder / f"readings-{year}.parquet"
        pq.write_table(pa.table({"meter_id": ids, "ts": times, "quantity": quantities, "batch_id": batch}), path)
        files.append(path)
        parts.append(Readings(ids, times, quantities, batch))
    count = units * hours * SPARK_YEARS
    heading(f"readings on PySpark: {units:,} units hourly × {SPARK_YEARS} years = {count:,} readings "
            f"(load {_load()})")
    with local_session("hizone-bench-readings", memory="2g") as spark:
        started = time.perf_counter()
        rows = readings_rollup(spark, files, folder / "meters.parquet", "zone", "month").collect()
        seconds = time.perf_counter() - started
    row("PySpark local[1] zone × month over Parquet (corrections checked)", seconds, "s",
        f"{count / seconds:,.0f} readings/s")
    started = time.perf_counter()
    embedded = rollup(Readings.concat(parts).current(), MeterInfo.of(meter_rows), "zone", "month")
    local = time.perf_counter() - started
    row("baseline: embedded NumPy roll-up of the same readings in memory", local, "s")
    row("ratio PySpark / embedded", seconds / local, "x")
    spark_total = sum(r["total"] for r in rows)
    assert np.isclose(spark_total, np.nansum(embedded.totals), rtol=1e-9), "Spark and the embedded roll-up differ"


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="hizone-bench-readings-") as tmp:
        ingest(Path(tmp))
        month_rollup(Path(tmp))
        spark_years(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
