"""The comprehensive evaluation of every zone for one year, with 1,000 uncertainty replications, on the demo.

Run: .venv/bin/python benchmarks/bench_ranking.py   (about a minute at 20,000 enterprises)

Setup (not timed in the figures): the demo (HIZONE_BENCH_ENTERPRISES, default 20,000 enterprises) loaded
into a fresh SQLite store and the analytic tables built. Timed: reading the framework's indicator values
for the year and the year before from the analytics file, and the index (pipeline, ranks, rank changes,
1,000 replications). Baseline: the engine's plain loop, one pipeline run per replication.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from harness import heading, row

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.catalog import default_catalog
from hizone.demo import generate, load
from hizone.evaluate.uncertainty import run_replications_one_by_one
from hizone.ranking.compute import evaluate
from hizone.ranking.framework import framework_for
from hizone.ranking.service import read_inputs
from hizone.registry import load_provinces, load_zones
from hizone.store import connect, upgrade

ENTERPRISES = int(os.environ.get("HIZONE_BENCH_ENTERPRISES", "20000"))
YEAR = 2021
REPLICATIONS = 1000
BASELINE_REPLICATIONS = 50
REPEATS = 3


def _setup(directory: Path) -> Analytics:
    engine = connect(f"sqlite:///{directory / 'store.sqlite'}")
    upgrade(engine)
    catalog = default_catalog()
    load(engine, generate(catalog, load_provinces(), load_zones(), ENTERPRISES, 2021), catalog)
    build(engine, directory / "analytics.duckdb")
    engine.dispose()
    return Analytics(directory / "analytics.duckdb")


def main() -> None:
    heading(f"ranking: zone_evaluation {YEAR}, {ENTERPRISES:,} demo enterprises, {REPLICATIONS:,} replications")
    framework = framework_for("zone_evaluation", YEAR)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        analytics = _setup(Path(tmp))
        row("setup: demo, store load, analytic tables", time.perf_counter() - started, "s", "(not in the figures)")
        values_s, index_s = [], []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            inputs = read_inputs(analytics, framework, YEAR)
            t1 = time.perf_counter()
            evaluation = evaluate(framework, YEAR, inputs.current, inputs.previous, samples=REPLICATIONS)
            t2 = time.perf_counter()
            values_s.append(t1 - t0)
            index_s.append(t2 - t1)
    values, index = statistics.median(values_s), statistics.median(index_s)
    total = values + index
    zones = len(evaluation.zone_codes)
    row("zones evaluated", zones, "zones")
    row("indicator values (2 years, 24 formulas, DuckDB)", values, "s", f"{values / total:.0%} of the total")
    row(f"index: pipeline, ranks, changes, {REPLICATIONS:,} replications", index, "s",
        f"{index / total:.0%} of the total")
    row("evaluation, total", total, "s", f"median of {REPEATS}")
    spec = framework.uncertainty(BASELINE_REPLICATIONS)
    design = np.random.default_rng(spec.seed).random((BASELINE_REPLICATIONS, spec.dimension))
    t0 = time.perf_counter()
    run_replications_one_by_one(design, inputs.current, framework.tree, framework.pipeline, spec)
    per_replication = (time.perf_counter() - t0) / BASELINE_REPLICATIONS
    row("baseline: one pipeline run per replication, per replication", per_replication * 1000, "ms")
    row(f"baseline extrapolated to {REPLICATIONS:,} replications", per_replication * REPLICATIONS, "s",
        f"index is {per_replication * REPLICATIONS / index:.1f}x faster")


if __name__ == "__main__":
    main()
