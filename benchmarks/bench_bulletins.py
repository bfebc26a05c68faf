"""Facts from bulletins: recall and precision against the hand-built answer keys, and extraction time.

Keys: tests/data/bulletins/<name>.key.csv, written by reading each bulletin (tools/bulletins_key.py turns the
hand-written .key.spec into the CSV). A predicted fact matches a key fact when subject and unit agree, the
values agree within a relative 1e-6 and the spans overlap; of the matched, how many also agree on metric and
on period is printed too. 000 and 001 are the bulletins the rules were developed on; 002 was held out and first
measured before any rule was tuned on it (recall 0.915, precision 0.930).
Goals: recall ≥ 0.75, precision ≥ 0.85; extraction of a 40,000-character bulletin under 1 s.

Time: the three bulletins joined (some 42,000 characters) as one, the median of RUNS extractions after one
warm-up (which also loads the lexicons), wall clock and CPU time; baseline in the same process: a scan of the
same text for every number (one regular expression), which is what any extractor costs at least.

Run: .venv/bin/python benchmarks/bench_bulletins.py
"""

from __future__ import annotations

import dataclasses
import os
import re
import statistics
import sys
import time
from collections.abc import Callable

from harness import REPO, heading, row

from hizone.bulletins.extract import extract_facts, read_bulletin
from hizone.bulletins.score import Score, read_facts, score
from hizone.registry.tables import load_zones

DATA = REPO / "tests" / "data" / "bulletins"
NAMES = ("000_c0e1c72b8ee8b672", "001_0c4cfb2025f63034", "002_6cc8a5aa16ec9f0d")
HELD_OUT = {"002_6cc8a5aa16ec9f0d"}
RUNS = int(os.environ.get("HIZONE_BENCH_BULLETIN_RUNS", "7"))
GOALS = {"recall": 0.75, "precision": 0.85, "seconds": 1.0}


def _median_seconds(fn: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    fn()
    times = []
    for _ in range(RUNS):
        started = clock()
        fn()
        times.append(clock() - started)
    return statistics.median(times)


def main() -> int:
    zones = [(z.code, z.name_zh) for z in load_zones()]
    heading("bulletins: facts against the hand-built answer keys")
    total = Score(0, 0, 0, 0, 0)
    for name in NAMES:
        bulletin = read_bulletin(DATA / f"{name}.txt")
        result = score(extract_facts(bulletin, zones), read_facts(DATA / f"{name}.key.csv"))
        total += result
        note = (f"{result.matched}/{result.key} key facts found, {result.predicted} predicted; of the matched "
                f"{result.metric_agrees} same metric, {result.period_agrees} same period"
                + (" (held out)" if name in HELD_OUT else ""))
        row(f"{name} recall", result.recall, "", note)
        row(f"{name} precision", result.precision, "")
    row("all recall", total.recall, "", f"goal ≥ {GOALS['recall']}")
    row("all precision", total.precision, "", f"goal ≥ {GOALS['precision']}")
    row("all: matched facts with the same metric", total.metric_agrees / max(total.matched, 1), "")
    row("all: matched facts with the same period", total.period_agrees / max(total.matched, 1), "")

    first = read_bulletin(DATA / f"{NAMES[0]}.txt")
    joined = dataclasses.replace(first, text="".join((DATA / f"{n}.txt").read_text(encoding="utf-8") for n in NAMES))
    heading(f"bulletins: extraction time, {len(joined.text):,} characters, median of {RUNS}")
    numbers = re.compile(r"\d+(?:\.\d+)?")
    baseline = _median_seconds(lambda: numbers.findall(joined.text))
    row("baseline: find every number (one regular expression)", baseline, "s")
    seconds = _median_seconds(lambda: extract_facts(joined, zones))
    row("extract_facts", seconds, "s", f"{seconds / baseline:,.0f}× baseline; goal < {GOALS['seconds']} s")
    cpu = _median_seconds(lambda: extract_facts(joined, zones), time.process_time)
    row("extract_facts, CPU time", cpu, "s", "less moved by a shared machine's load")
    met = (total.recall >= GOALS["recall"] and total.precision >= GOALS["precision"]
           and seconds < GOALS["seconds"])
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
