"""Demo generation and store load: rows/s and peak memory, SQLite and PostgreSQL, against a plain baseline."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from harness import heading, measure, row

from hizone.catalog import default_catalog
from hizone.demo import generate, load
from hizone.registry import load_provinces, load_zones
from hizone.registry.sync import sync_registry
from hizone.store import connect, session_scope, upgrade
from hizone.store.bulk import bulk_insert
from hizone.store.models import Enterprise

ENTERPRISES = int(os.environ.get("HIZONE_BENCH_ENTERPRISES", "200000"))


def _generate() -> int:
    data = generate(default_catalog(), load_provinces(), load_zones(), ENTERPRISES, 2021)
    return sum(int((~np.isnan(m[:, 0])).sum()) for m in data.annual.values())


def _generate_and_load(url: str) -> dict[str, int]:
    engine = connect(url)
    upgrade(engine)
    catalog = default_catalog()
    return load(engine, generate(catalog, load_provinces(), load_zones(), ENTERPRISES, 2021), catalog)


def _enterprise_rows(url: str, n: int) -> tuple[object, list[tuple[object, ...]]]:
    engine = connect(url)
    upgrade(engine)
    data = generate(default_catalog(), load_provinces(), load_zones(), n, 2021)
    with session_scope(engine) as session:
        sync_registry(session, data.provinces, data.zones)
    ent = data.enterprises
    rows = [(i + 1, str(ent.credit_code[i]), ent.name[i], data.zones[ent.zone[i]].code, str(ent.industry[i]),
             ent.founded[i].astype(object), True) for i in range(n)]
    return engine, rows


def _insert_enterprises(url: str, n: int, how: str) -> float:
    """Seconds to insert the same ``n`` enterprises the straightforward way (ORM) or hizone's (bulk)."""
    engine, rows = _enterprise_rows(url, n)
    columns = ("id", "credit_code", "name", "zone_code", "industry_code", "founded", "synthetic")
    started = time.perf_counter()
    with session_scope(engine) as session:  # type: ignore[arg-type]
        if how == "orm":
            session.add_all(Enterprise(**dict(zip(columns, r, strict=True))) for r in rows)
        else:
            bulk_insert(session.connection(), Enterprise.__tablename__, columns, rows)
    return time.perf_counter() - started


def _stores(workdir: Path) -> list[tuple[str, str, object]]:
    from tests.pgserver import PostgresServer

    server = PostgresServer().start()
    admin = connect(server.url())
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in ("bench_load", "bench_orm", "bench_bulk"):
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    return [("SQLite", f"sqlite:///{workdir}/{{}}.sqlite", None), ("PostgreSQL", server.url("{}"), server)]


def main() -> None:
    heading(f"demo data: generation and store load, {ENTERPRISES:,} enterprises × 5 years + 24 months")
    seconds, peak, reports = measure(_generate)
    row("generate (NumPy, in memory)", seconds, "s", f"{reports / seconds:,.0f} annual reports/s, peak {peak:,.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        for label, pattern, server in _stores(Path(tmp)):
            seconds, peak, counts = measure(_generate_and_load, pattern.format("bench_load"))
            rows = sum(counts.values())
            row(f"{label}: generate + load everything", seconds, "s",
                f"{rows / seconds:,.0f} rows/s ({rows:,} rows), peak {peak:,.0f} MB")
            n = 20_000
            _, _, base = measure(_insert_enterprises, pattern.format("bench_orm"), n, "orm")
            _, _, bulk = measure(_insert_enterprises, pattern.format("bench_bulk"), n, "bulk")
            row(f"{label}: insert {n:,} enterprises, ORM add_all (baseline)", base, "s", f"{n / base:,.0f} rows/s")
            row(f"{label}: insert {n:,} enterprises, hizone bulk_insert", bulk, "s",
                f"{n / bulk:,.0f} rows/s, {base / bulk:.1f}× the baseline")
            if server is not None:
                server.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
