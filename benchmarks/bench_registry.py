"""Registry lists: an enterprise list of the programme's size registered, then a 高企 list matched to it.

Baseline: reading the same CSV through intake's readers (read_list), in the same process. Figures for SQLite;
HIZONE_BENCH_ENTERPRISES sets the size (default 200,000, the enterprises reporting in a year).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import heading, row

from hizone.auth.policy import Principal
from hizone.registry import check_character
from hizone.registry.enterprises import import_enterprises
from hizone.registry.lists import import_list
from hizone.registry.sheets import read_list
from hizone.registry.sync import sync_store
from hizone.store import connect, upgrade

ENTERPRISES = int(os.environ.get("HIZONE_BENCH_ENTERPRISES", "200000"))
ZONES = ("Z1101", "Z1201", "Z1301", "Z1302", "Z3101", "Z3102", "Z4403", "Z5101")
ADMIN = Principal("bench", "admin")


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


def main() -> None:
    codes = [(first := f"91110108{i:09d}") + check_character(first) for i in range(1, ENTERPRISES + 1)]
    enterprises = _csv(["统一社会信用代码", "企业名称", "高新区代码", "行业代码", "成立日期"],
                       ([c, f"测试企业{i}有限公司", ZONES[i % len(ZONES)], "3911", "2015-03-02"]
                        for i, c in enumerate(codes)))
    hightech = _csv(["企业名称", "统一社会信用代码", "证书编号", "发证日期"],
                    ([f"测试企业{i}有限公司", c, f"GR2023{ZONES[i % len(ZONES)][1:3]}{i:06d}", "2023-11-20"]
                     for i, c in enumerate(codes) if i % 2 == 0))  # issued in the province of the enterprise's zone
    with tempfile.TemporaryDirectory() as tmp:
        engine = connect(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        upgrade(engine)
        sync_store(engine)
        heading(f"registry lists, SQLite, {ENTERPRISES:,} enterprises")
        read, _ = _timed(lambda: read_list(enterprises, ("credit_code",), name="enterprises.csv"))
        row("baseline: read the enterprise list (intake readers)", read, "s")
        first, result = _timed(lambda: import_enterprises(engine, enterprises, ADMIN, name="enterprises.csv"))
        assert len(result.registered) == ENTERPRISES
        row("import-enterprises into an empty store", first, "s", f"{first / read:.1f}× reading, "
            f"{ENTERPRISES / first:,.0f} rows/s")
        again, result = _timed(lambda: import_enterprises(engine, enterprises, ADMIN, name="enterprises.csv"))
        assert len(result.unchanged) == ENTERPRISES
        row("the same list again (all unchanged)", again, "s", f"{again / read:.1f}× reading")
        certificates = (ENTERPRISES + 1) // 2
        read, _ = _timed(lambda: read_list(hightech, ("credit_code",), name="hightech.csv"))
        row("baseline: read the certificate list", read, "s")
        listed, result = _timed(lambda: import_list(engine, hightech, "hightech", ADMIN, name="hightech.csv"))
        assert len(result.stored) == certificates, result.describe()[0]
        row(f"import-list hightech, {certificates:,} certificates", listed, "s",
            f"{listed / read:.1f}× reading, {certificates / listed:,.0f} rows/s")
        again, result = _timed(lambda: import_list(engine, hightech, "hightech", ADMIN, name="hightech.csv"))
        assert (len(result.stored), len(result.unchanged)) == (0, certificates), result.describe()[0]
        row("the same certificate list again (all unchanged)", again, "s", f"{again / read:.1f}× reading")
        engine.dispose()


if __name__ == "__main__":
    main()
