"""Intake speed: 200,000 enterprise annual reports validated and stored, against merely reading the file.

Targets: CSV ≤ 3× DuckDB reading the same CSV into memory; .xlsx ≤ 2× fastexcel reading it; rows/s and
peak memory (each import in its own process) for SQLite and, when a server can be started, PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import fastexcel
import numpy as np
import xlsxwriter
from sqlalchemy import insert

from hizone.catalog import default_catalog
from hizone.registry import check_character
from hizone.store import connect, upgrade
from hizone.store.models import Enterprise, Province, Zone

ROWS = int(os.environ.get("HIZONE_BENCH_INTAKE_ROWS", "200000"))
ZONES = [f"Z{11 + i // 8:02d}{i % 8 + 1:02d}" for i in range(40)]


def _codes(n: int) -> list[str]:
    return [(base := f"91110108{i:09d}") + check_character(base) for i in range(1, n + 1)]


def make_rows(n: int) -> tuple[list[str], list[list[object]]]:
    form = default_catalog().form("enterprise_annual", 2021)
    rng = np.random.default_rng(7)
    codes = _codes(n)
    employees = rng.integers(10, 5000, n)
    header = ["统一社会信用代码", "企业名称", "高新区代码"] + [f.element.name_zh for f in form.fields]
    revenue = np.round(rng.uniform(2000, 900000, n), 1)
    applications = rng.integers(0, 40, n)
    grants = rng.integers(0, 20, n)
    shares = {"emp_bachelor_plus": 0.6, "emp_master": 0.2, "emp_phd": 0.05, "rd_staff": 0.2}
    known = {"employees": employees, "revenue": revenue, "patent_applications": applications,
             "invention_patent_applications": applications // 2, "patent_grants": grants,
             "invention_patent_grants": grants // 3, "rd_fte": np.floor(employees * 0.15),
             "tech_revenue": np.round(revenue * 0.1, 1), "hitech_product_revenue": np.round(revenue * 0.5, 1),
             "total_profit": np.round(revenue * 0.08, 1), "net_profit": np.round(revenue * 0.06, 1)}
    known.update({code: (employees * share).astype(np.int64) for code, share in shares.items()})
    columns: list[np.ndarray] = []
    for f in form.fields:
        e = f.element
        if e.code in known:
            columns.append(known[e.code])
        elif e.type == "integer":
            columns.append((employees * rng.uniform(0, 0.05, n)).astype(np.int64))
        else:
            columns.append(np.round(rng.uniform(100, 90000, n), 1))
    rows = [[codes[i], f"企业{i}", ZONES[i % len(ZONES)], *(c[i].item() for c in columns)] for i in range(n)]
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(header) + "\n")
        handle.writelines(",".join(str(v) for v in row) + "\n" for row in rows)


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("企业年报")
    sheet.write_row(0, 0, header)
    for i, row in enumerate(rows, start=1):
        sheet.write_row(i, 0, row)
    book.close()


def seed(url: str, n: int) -> None:
    engine = connect(url)
    upgrade(engine)
    codes = _codes(n)
    with engine.begin() as conn:
        conn.execute(insert(Province), [{"code": "11", "name_zh": "北京市", "name_en": "Beijing", "region": "east"}])
        conn.execute(insert(Zone), [{"code": z, "name_zh": z, "name_en": z, "province_code": "11", "city": "北京",
                                     "approved_year": 2000, "demo_zone": None, "source": "bench"} for z in ZONES])
        conn.execute(insert(Enterprise), [{"credit_code": c, "name": f"企业{i}", "zone_code": ZONES[i % len(ZONES)],
                                           "industry_code": "6510", "founded": dt.date(2010, 1, 1),
                                           "synthetic": True} for i, c in enumerate(codes)])
    engine.dispose()


def warm_up(path: Path) -> None:
    """Validate a three-row file first: the timed run then measures importing, not first-use imports
    (pyarrow loads pandas on its first compute call), as in a running server."""
    from hizone.intake.validate import validate

    with path.with_suffix(".csv").open(encoding="utf-8") as handle:  # written next to the .xlsx
        lines = [next(handle) for _ in range(3)]
    validate("".join(lines).encode(), "enterprise_annual", "2021", name="warm-up.csv")


def child(url: str, path: str) -> None:
    """One import in a fresh process, so its peak memory is its own."""
    from hizone.intake.service import import_file

    warm_up(Path(path))
    engine = connect(url)
    start = time.perf_counter()
    result = import_file(engine, Path(path), "enterprise_annual", "2021", "bench", today=dt.date(2024, 6, 30))
    seconds = time.perf_counter() - start
    assert result.status == "stored", result.report and result.report.issues[:3]
    waited = time.perf_counter()
    for thread in threading.enumerate():
        if thread.name == "hizone-checkpoint":  # SQLite's copy of the log into the file, after the commit
            thread.join()
    checkpoint = time.perf_counter() - waited
    peak = _peak_mib()
    print(json.dumps({"seconds": seconds, "rows": result.created, "peak_mib": peak, "checkpoint": checkpoint}))


def _peak_mib() -> float:
    """This process's peak resident memory. Not getrusage: Linux carries the parent's peak over into a
    child's ru_maxrss at exec, so a large benchmark parent would show as the import's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(url: str, path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", url, str(path)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"import failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline_duckdb(path: Path) -> float:
    start = time.perf_counter()
    with duckdb.connect() as con:
        con.sql(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
    return time.perf_counter() - start


def baseline_fastexcel(path: Path) -> float:
    start = time.perf_counter()
    fastexcel.read_excel(str(path)).load_sheet(0).to_arrow()
    return time.perf_counter() - start


RUNS = 3  # each import runs this many times, each in a fresh process on a fresh store; the best counts


def _postgres() -> tuple[object | None, Callable[[str], str] | None]:
    """A running PostgreSQL server and a function making a fresh database on it, or (None, None)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        from tests.pgserver import PostgresServer

        server = PostgresServer().start()
    except Exception as exc:  # no PostgreSQL binaries on this machine
        print(f"PostgreSQL: skipped ({exc})")
        return None, None
    from sqlalchemy import text

    def fresh(name: str) -> str:
        admin = connect(server.url())
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        return server.url(name)

    return server, fresh


def timed_import(url: str, path: Path) -> dict[str, float]:
    """One import into a freshly seeded store, after the disk has written everything out (files just
    written would otherwise be flushed during the import)."""
    seed(url, ROWS)
    os.sync()
    return run_child(url, path)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hizone-bench-intake-") as tmp:
        root = Path(tmp)
        header, rows = make_rows(ROWS)
        csv_path, xlsx_path = root / "annual.csv", root / "annual.xlsx"
        write_csv(csv_path, header, rows)
        write_xlsx(xlsx_path, header, rows)
        del rows
        print(f"intake: {ROWS:,} enterprise annual reports, {len(header)} columns; "
              f"csv {csv_path.stat().st_size / 2**20:.0f} MiB, xlsx {xlsx_path.stat().st_size / 2**20:.0f} MiB; "
              f"best of {RUNS} runs")
        os.sync()
        duck = min(baseline_duckdb(csv_path) for _ in range(3))
        fast = min(baseline_fastexcel(xlsx_path) for _ in range(2))
        server, fresh_postgres = _postgres()
        stores: dict[str, Callable[[str], str]] = {"sqlite": lambda name: f"sqlite:///{root / name}.sqlite"}
        if fresh_postgres is not None:
            stores["postgresql"] = fresh_postgres
        try:
            for backend, fresh in stores.items():
                for label, path, base, target, base_name in (("csv", csv_path, duck, 3.0, "DuckDB read"),
                                                             ("xlsx", xlsx_path, fast, 2.0, "fastexcel read")):
                    run = min((timed_import(fresh(f"bench_{label}_{i}"), path) for i in range(RUNS)),
                              key=lambda r: r["seconds"])
                    ratio = run["seconds"] / base
                    print(f"  {backend:10s} {label:4s}: {run['seconds']:.2f} s, {ROWS / run['seconds']:,.0f} rows/s, "
                          f"peak {run['peak_mib']:.0f} MiB; {base_name} {base:.2f} s; ratio {ratio:.2f}× "
                          f"(target ≤ {target:.0f}×) {'OK' if ratio <= target else 'OVER'}"
                          + (f"; then {run['checkpoint']:.2f} s of checkpoint in the background"
                             if run["checkpoint"] > 0.005 else ""))
        finally:
            if server is not None:
                server.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
