"""A national contest stage at the published scale (~1,500 entrants reach the 全国赛, enterprise-rules.md §7):
judge assignment and the ranking with the judge-severity correction, pure engines.

Run: .venv/bin/python benchmarks/bench_contests.py   (a few seconds)

Timed: assigning 5 of 60 judges to each of 1,500 entries (each judge tied to the entries of its own zone, 40
zones) and ranking the 7,500 scores with the z-score correction. Baseline: the same ranking with the rubric's
trimmed mean (no per-judge statistics), in the same process.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from harness import heading, row

from hizone.contests.assign import Entry, Judge, assign
from hizone.contests.model import parse_rubric
from hizone.contests.scoring import Score, results

ENTRIES, JUDGES, PER_ENTRY, ZONES, REPEATS = 1500, 60, 5, 40, 3
DIMENSIONS = ("tech", "business", "market", "team", "finance")


def _rubric(correction: str):  # type: ignore[no-untyped-def]
    return parse_rubric({"code": "b", "version": 2023, "min_score": 0, "max_score": 100, "correction": correction,
                         "judges_per_entry": PER_ENTRY, "trim": 1,
                         "dimensions": [{"code": d, "weight": 1} for d in DIMENSIONS]}, "bench")


def _best(fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(18)
    entries = [Entry(f"E{i:04d}", f"ORG{i:04d}", f"Z{i % ZONES:02d}") for i in range(ENTRIES)]
    judges = [Judge(f"J{j:02d}", None, f"Z{j % ZONES:02d}") for j in range(JUDGES)]
    plan = assign(entries, judges, PER_ENTRY)
    severity = {j.code: rng.normal(0, 6) for j in judges}
    scores = [Score(j, e, {d: float(np.clip(70 + severity[j] + rng.normal(0, 8), 0, 100)) for d in DIMENSIONS})
              for e, js in plan.items() for j in js]
    loads = statistics.pstdev([sum(j.code in js for js in plan.values()) for j in judges])
    heading(f"contests: {ENTRIES:,} entries × {PER_ENTRY} of {JUDGES} judges ({len(scores):,} scores)")
    t_assign = _best(lambda: assign(entries, judges, PER_ENTRY))
    z, trimmed = _rubric("zscore"), _rubric("trimmed_mean")
    t_z = _best(lambda: results(z, scores, plan, 111))
    t_trim = _best(lambda: results(trimmed, scores, plan, 111))
    row("assignment (conflicts excluded, loads balanced)", t_assign, "s", f"load sd {loads:.2f} entries")
    row("ranking, z-score correction", t_z, "s")
    row("ranking, trimmed mean (baseline)", t_trim, "s", f"z-score / trimmed = {t_z / t_trim:.2f}")


if __name__ == "__main__":
    main()
