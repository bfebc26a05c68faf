"""Speed of the composite-index engine, with ratios to COINr and to a plain per-replication loop.

Run: .venv/bin/python benchmarks/bench_evaluate.py   (about 10-20 s)

COINr's figures on this machine (given in the issue): the ASEM example builds in about 0.2 s and 100
uncertainty replications take about 24 s.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hizone.evaluate import (
    IndexData,
    IndexTree,
    PipelineConfig,
    parse_pipeline,
    run_pipeline,
    table_from_records,
    tree_from_records,
)
from hizone.evaluate.uncertainty import (
    UncertaintySpec,
    parse_uncertainty_spec,
    run_replications_one_by_one,
    run_uncertainty,
)

ASEM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "coinr-asem"
COINR_BUILD_SECONDS = 0.2
COINR_SECONDS_PER_REPLICATION = 24.0 / 100

ASEM_PIPELINE = {"steps": [
    {"denominate": {}},
    {"impute": {"method": "group_mean", "group": "EurAsia_group"}},
    {"screen": {"min_availability": 0.9}},
    {"treat": {"method": "winsorise", "max_points": 5, "skew": 2, "kurtosis": 3.5, "fallback": "log_ct"}},
    {"normalise": {"method": "minmax", "range": [0, 100]}},
    {"aggregate": {"method": "arithmetic"}},
]}
# minmax to [1, 100] so that geometric aggregation (one of the varied choices) sees no zeros
UA_PIPELINE = {"steps": [*ASEM_PIPELINE["steps"][:4], {"normalise": {"method": "minmax", "range": [1, 100]}},
                         {"aggregate": {"method": "arithmetic"}}]}
UA_VARY = {
    "treat.max_points": [1, 2, 3, 4, 5],
    "normalise": [{"method": "minmax", "range": [1, 100]}, {"method": "zscore", "mean": 10, "sd": 2}],
    "aggregate.method": ["arithmetic", "geometric"],
    "weights": {"noise": {2: 0.25, 3: 0.25}},
}


def read_records(path: Path) -> list[dict[str, str | None]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def synthetic_index(units: int = 173, indicators: int = 40, seed: int = 0) -> tuple[IndexData, IndexTree]:
    """A zone-sized data set: lognormal indicators (some outliers, 2% missing) in 8 pillars, 2 sub-indices."""
    rng = np.random.default_rng(seed)
    pillars = 8
    meta: list[dict[str, str | None]] = []
    for i in range(indicators):
        meta.append({"Level": "1", "iCode": f"i{i}", "Direction": "1" if i % 4 else "-1", "Weight": "1",
                     "Parent": f"p{i % pillars}", "Type": "Indicator"})
    for p in range(pillars):
        meta.append({"Level": "2", "iCode": f"p{p}", "Direction": "1", "Weight": "1", "Parent": f"s{p % 2}",
                     "Type": "Aggregate"})
    for s in range(2):
        meta.append({"Level": "3", "iCode": f"s{s}", "Direction": "1", "Weight": "1", "Parent": "index",
                     "Type": "Aggregate"})
    meta.append({"Level": "4", "iCode": "index", "Direction": "1", "Weight": "1", "Parent": "", "Type": "Aggregate"})
    tree = tree_from_records(meta, "synthetic iMeta")
    values = rng.lognormal(mean=2.0, sigma=0.8, size=(units, indicators))
    values[rng.random(values.shape) < 0.02] = np.nan
    rows = [{"uCode": f"Z{u:03d}", **{f"i{i}": "" if np.isnan(values[u, i]) else repr(float(values[u, i]))
                                      for i in range(indicators)}} for u in range(units)]
    return table_from_records(rows, tree, "synthetic iData"), tree


def ua_setup(tree: IndexTree, samples: int, impute_group: bool) -> tuple[PipelineConfig, UncertaintySpec]:
    steps = list(UA_PIPELINE["steps"])
    if not impute_group:
        steps[1] = {"impute": {"method": "mean"}}
    base = parse_pipeline({"steps": steps})
    spec = parse_uncertainty_spec({"samples": samples, "seed": 1, "vary": UA_VARY}, base, tree)
    return base, spec


def main() -> None:
    tree = tree_from_records(read_records(ASEM / "ASEM_iMeta.csv"), "ASEM_iMeta.csv")
    data = table_from_records(read_records(ASEM / "ASEM_iData.csv"), tree, "ASEM_iData.csv")
    config = parse_pipeline(ASEM_PIPELINE)

    build = median_seconds(lambda: run_pipeline(data, tree, config), repeats=500)
    print(f"ASEM full pipeline (51 units × 49 indicators, 6 steps): {build * 1e3:.2f} ms (median of 500); "
          f"COINr {COINR_BUILD_SECONDS * 1e3:.0f} ms -> {COINR_BUILD_SECONDS / build:.0f}x faster")

    base, spec = ua_setup(tree, 1000, impute_group=True)
    run_uncertainty(data, tree, base, spec)  # warm-up
    ua = median_seconds(lambda: run_uncertainty(data, tree, base, spec), repeats=5)
    coinr_ua = 1000 * COINR_SECONDS_PER_REPLICATION
    print(f"ASEM uncertainty, 1,000 replications (20 method combinations × weight noise): {ua:.3f} s; "
          f"COINr ~{coinr_ua:.0f} s (100 in 24 s, scaled) -> {coinr_ua / ua:.0f}x faster")

    plain_count = 200
    design = np.random.default_rng(2).random((plain_count, spec.dimension))
    start = time.perf_counter()
    run_replications_one_by_one(design, data, tree, base, spec)
    plain = (time.perf_counter() - start) / plain_count * 1000
    print(f"  baseline in this process: plain pipeline per replication, {plain_count} run, extrapolated to "
          f"1,000: {plain:.2f} s -> vectorised is {plain / ua:.0f}x faster")

    big_data, big_tree = synthetic_index()
    big_base, big_spec = ua_setup(big_tree, 10_000, impute_group=False)
    start = time.perf_counter()
    big = run_uncertainty(big_data, big_tree, big_base, big_spec)
    large = time.perf_counter() - start
    print(f"173 units × 40 indicators, 10,000 replications: {large:.2f} s "
          f"(ranks {big.ranks.shape[0]} × {big.ranks.shape[1]}); target < 10 s")
    big_design = np.random.default_rng(3).random((plain_count, big_spec.dimension))
    start = time.perf_counter()
    run_replications_one_by_one(big_design, big_data, big_tree, big_base, big_spec)
    big_plain = (time.perf_counter() - start) / plain_count * 10_000
    print(f"  baseline: plain pipeline per replication, {plain_count} run, extrapolated to 10,000: "
          f"{big_plain:.1f} s -> vectorised is {big_plain / large:.0f}x faster")


if __name__ == "__main__":
    main()
