"""PDF reports on the demo: one zone's evaluation report, every zone's (the batch), the national monthly report.

Run: .venv/bin/python benchmarks/bench_reports.py   (a few minutes: the batch prints every zone's report)

Setup (not timed): the demo (HIZONE_BENCH_ENTERPRISES, default 5,000 enterprises) in a fresh SQLite store, the
analytic tables, evaluation runs for 2022 and 2023, the alert rules run; the renderer's browsers started.
Timed with a warm renderer (as in a running server or a batch): figures gathered and printed to PDF.
Baseline: printing a one-page report with one chart (the renderer's fixed cost per PDF).
Targets (issue 21): one zone < 2 s, all zones < 2 min, the national monthly report < 5 s.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections import deque
from concurrent.futures import Future
from pathlib import Path

from harness import heading, row

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.auth import Principal
from hizone.catalog import default_catalog
from hizone.demo import generate, load
from hizone.monitor.service import AlertStore, run_rules
from hizone.ranking import framework_for, run_evaluation
from hizone.registry import load_provinces, load_zones
from hizone.reports.documents import print_monthly_report, print_zone_report, submit_zone_report, zones_evaluated
from hizone.reports.render import PageFurniture, PdfRenderer
from hizone.reports.sources import Sources, open_sources
from hizone.store import connect, upgrade
from hizone.store.read_views import form_views, refresh_read_views
from hizone.web.services.monitoring import monthly_periods
from hizone.web.services.views import load_views

ENTERPRISES = int(os.environ.get("HIZONE_BENCH_ENTERPRISES", "5000"))
YEAR = 2023
REPEATS = 5
BASELINE = ('<!doctype html><html lang="zh" data-print="1"><head><meta charset="utf-8"><style>'
            '.chart{width:160mm;height:70mm}</style></head><body><h1>基准报告</h1>'
            '<div class="chart" data-chart="ranks" '
            'data-payload=\'{"years":["2022","2023"],"ranks":[3,2],"of":10}\'></div></body></html>')


def _setup(directory: Path) -> Sources:
    engine = connect(f"sqlite:///{directory / 'store.sqlite'}")
    upgrade(engine)
    catalog = default_catalog()
    refresh_read_views(engine, form_views(catalog))
    load(engine, generate(catalog, load_provinces(), load_zones(), ENTERPRISES, 2021), catalog)
    analytics = directory / "analytics.duckdb"
    build(engine, analytics)
    for year in (YEAR - 1, YEAR):
        run_evaluation(engine, Analytics(analytics), framework_for("zone_evaluation", year), year, samples=100)
    AlertStore(engine).record(run_rules(Analytics(analytics)))
    return open_sources(engine, analytics, Principal("bench", "analyst"))


def _median_seconds(action: object, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _batch(src: Sources, renderer: PdfRenderer, codes: list[str], out: Path) -> None:
    """As `hizone report zones` does it: the next report gathered while the browsers print."""
    in_flight: deque[tuple[Path, Future[bytes]]] = deque()
    for code in codes:
        in_flight.append((out / f"{code}.pdf", submit_zone_report(src, code, YEAR, renderer=renderer)))
        if len(in_flight) > 4:
            target, done = in_flight.popleft()
            target.write_bytes(done.result())
    while in_flight:
        target, done = in_flight.popleft()
        target.write_bytes(done.result())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        src = _setup(directory)
        renderer = PdfRenderer()
        try:
            renderer.render(BASELINE, PageFurniture("warm-up"))
            codes = zones_evaluated(src, YEAR)
            month = monthly_periods(src.fig, load_views())[-1]
            print_zone_report(src, codes[0], YEAR, renderer=renderer)  # the first report warms the memo
            load_average = os.getloadavg()[0]
            heading(f"PDF reports: {len(codes)} zones, {ENTERPRISES:,} enterprises, load {load_average:.1f} "
                    f"on {os.cpu_count()} cores")
            baseline = _median_seconds(lambda: renderer.render(BASELINE, PageFurniture("baseline")))
            row("baseline: a one-page PDF with one chart", baseline, "s")
            one = _median_seconds(lambda: print_zone_report(src, codes[len(codes) // 2], YEAR, renderer=renderer))
            row("one zone's evaluation report (target < 2 s)", one, "s", f"{one / baseline:.1f}x baseline")
            monthly = _median_seconds(lambda: print_monthly_report(src, "nation", None, month, renderer=renderer), 3)
            row("the national monthly report (target < 5 s)", monthly, "s", f"{monthly / baseline:.1f}x baseline")
            (directory / "batch").mkdir()
            started = time.perf_counter()
            _batch(src, renderer, codes, directory / "batch")
            batch = time.perf_counter() - started
            row(f"all {len(codes)} zones' reports (target < 120 s)", batch, "s",
                f"{batch / len(codes):.2f} s each, {batch / len(codes) / baseline:.1f}x baseline")
            print(f"  load average now {os.getloadavg()[0]:.1f}", flush=True)
        finally:
            renderer.close()


if __name__ == "__main__":
    main()
