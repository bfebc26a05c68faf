"""The incubation chain at the national size: 15,000 carriers and 700,000 enterprises in incubation imported
(read, validated row by row, an enterprise's stays checked against each other and the store) and the carriers'
indicators built (per-carrier counts, levels held, the chain, the roll-up by province). Target: < 30 s in all.

Baseline in the same process: DuckDB reading the same two CSVs and counting stays per carrier (what the
import and the indicators do, without validation or storage). Figures for SQLite; HIZONE_BENCH_CARRIERS and
HIZONE_BENCH_INCUBATEES set the sizes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from harness import heading, row

from hizone.auth.policy import Principal
from hizone.incubation.registry import import_carriers, import_incubatees
from hizone.incubation.service import chain, summary
from hizone.registry import check_character
from hizone.registry.sync import sync_store
from hizone.registry.tables import load_zones
from hizone.store import connect, upgrade

CARRIERS = int(os.environ.get("HIZONE_BENCH_CARRIERS", "15000"))
INCUBATEES = int(os.environ.get("HIZONE_BENCH_INCUBATEES", "700000"))
ADMIN = Principal("bench", "admin")
TODAY = dt.date(2024, 6, 30)


def _csv(header: list[str], rows: Any) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _code(n: int) -> str:
    first = f"91110108{n:09d}"
    return first + check_character(first)


def _stays() -> Any:
    """Rows in groups of six: five enterprises (the first graduated, the others a third graduated), then the
    first one's second stay, in another carrier from the day after it graduated (so the overlap check meets
    an enterprise with two stays, in the file and, on the second import, in the store)."""
    for i in range(INCUBATEES):
        group, place = divmod(i, 6)
        year = 2016 + (group * 6) % 8
        if place == 5:
            yield [f"K{(i + 1) % CARRIERS:05d}", _code(group * 5), f"{year}-01-02", "", ""]
        elif place == 0 or i % 3 == 0:
            yield [f"K{i % CARRIERS:05d}", _code(group * 5 + place), f"{year - 2}-03-01", f"{year}-01-01",
                   "高新技术企业"]
        else:
            yield [f"K{i % CARRIERS:05d}", _code(group * 5 + place), f"{year}-05-01", "", ""]


def main() -> None:
    zones = [(z.code, z.province_code) for z in load_zones()]
    kinds = [("孵化器", "国家级") if i % 5 < 2 else ("众创空间", "国家备案") for i in range(5)]
    carriers = _csv(["载体代码", "载体名称", "载体类型", "综合或专业", "专业领域", "高新区代码", "级别", "认定日期"],
                    ([f"K{i:05d}", f"测试载体{i}", kinds[i % 5][0], "专业" if i % 3 == 0 else "综合",
                      "生物医药" if i % 3 == 0 else "", zones[i % len(zones)][0],
                      kinds[i % 5][1] if i % 7 == 0 else "", "2019-06-01" if i % 7 == 0 else ""]
                     for i in range(CARRIERS)))
    stays = _csv(["载体代码", "统一社会信用代码", "入孵日期", "毕业日期", "毕业条件"], _stays())
    with tempfile.TemporaryDirectory() as tmp:
        carriers_csv, stays_csv = Path(tmp) / "carriers.csv", Path(tmp) / "stays.csv"
        carriers_csv.write_bytes(carriers)
        stays_csv.write_bytes(stays)
        con = duckdb.connect()
        base, counted = _timed(lambda: con.execute(
            f"SELECT c.\"载体代码\", count(s.\"统一社会信用代码\") FROM read_csv_auto('{carriers_csv}') c "
            f"LEFT JOIN read_csv_auto('{stays_csv}', all_varchar=true) s ON s.\"载体代码\" = c.\"载体代码\" "
            "GROUP BY 1").fetchall())
        assert len(counted) == CARRIERS
        engine = connect(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        upgrade(engine)
        sync_store(engine)
        heading(f"incubation chain, SQLite, {CARRIERS:,} carriers, {INCUBATEES:,} enterprises in incubation")
        row("baseline: DuckDB reads both CSVs, counts stays per carrier", base, "s")
        took_c, result = _timed(lambda: import_carriers(engine, carriers_csv, ADMIN, today=TODAY))
        assert result.added == CARRIERS, result.describe()[0]
        row("import-carriers (levels with their recognition)", took_c, "s", f"{CARRIERS / took_c:,.0f} rows/s")
        took_s, result = _timed(lambda: import_incubatees(engine, stays_csv, ADMIN, today=TODAY))
        assert result.added == INCUBATEES, result.describe()[0]
        row("import-incubatees into an empty store", took_s, "s", f"{INCUBATEES / took_s:,.0f} rows/s, "
            f"{result.overdue:,} beyond 48 months")
        took_i, found = _timed(lambda: (summary(engine, ADMIN, today=TODAY), chain(engine, ADMIN, today=TODAY)))
        assert found[0]["carriers"] == CARRIERS and found[0]["in_incubation"] + found[0]["graduated"] == INCUBATEES
        row("indicators: per carrier, chain, roll-up by province", took_i, "s")
        total = took_c + took_s + took_i
        row("import + validate + indicators (target < 30 s)", total, "s", f"{total / base:.1f}× the baseline, "
            f"{'within' if total < 30 else 'OVER'} target")
        again, result = _timed(lambda: import_incubatees(engine, stays_csv, ADMIN, today=TODAY))
        assert result.unchanged == INCUBATEES, result.describe()[0]
        row("the same incubatee list again (checked against the store)", again, "s", f"{again / base:.1f}× baseline")
        engine.dispose()


if __name__ == "__main__":
    main()
