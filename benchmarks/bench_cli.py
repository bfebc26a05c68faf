"""How fast the `hizone` command starts: `hizone --help` and `hizone index run` on COINr's ASEM example, each
as a whole process (interpreter start, imports, the work, exit), against `python -c pass` in the same run.

Run: .venv/bin/python benchmarks/bench_cli.py   (about 10 s; HIZONE_BENCH_CLI_RUNS sets the runs per command)

Like hyperfine: one warm-up run (the OS file cache), then RUNS timed runs of each command in turn, so that a
change in the machine's load hits every command alike; the median and the fastest run are printed, and the
median less the baseline's (what the command itself costs). The CPU seconds (user + system, of the process and
its children) are printed too: on a machine shared with other work they move far less than the wall clock.
Targets: `hizone --help` at most 0.3 s and `hizone index run` on ASEM at most 0.5 s. Why a command is slow:
`python -X importtime -c "import hizone.cli"`.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import REPO, heading, row

RUNS = int(os.environ.get("HIZONE_BENCH_CLI_RUNS", "15"))
ASEM = REPO.parent / "shared" / "data" / "coinr-asem"
TARGETS = {"hizone --help": 0.3, "hizone index run (ASEM)": 0.5}
# The pipeline of COINr's ASEM example as the engine's tests and benchmarks run it.
ASEM_PIPELINE = """steps:
  - denominate: {}
  - impute: {method: group_mean, group: EurAsia_group}
  - screen: {min_availability: 0.9}
  - treat: {method: winsorise, max_points: 5, skew: 2, kurtosis: 3.5, fallback: log_ct}
  - normalise: {method: minmax, range: [0, 100]}
  - aggregate: {method: arithmetic}
"""


def _hizone() -> list[str]:
    """The installed `hizone` script beside this interpreter, else what that script runs."""
    script = shutil.which("hizone", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-c", "from hizone.cli import main; main()"]


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _seconds(command: list[str]) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one run."""
    cpu, started = _cpu(), time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, _cpu() - cpu


def main() -> None:
    heading(f"CLI start-up: whole processes, median of {RUNS} runs (and the fastest)")
    with tempfile.TemporaryDirectory(prefix="hizone-bench-cli-") as tmp:
        pipeline = Path(tmp) / "pipeline.yaml"
        pipeline.write_text(ASEM_PIPELINE, encoding="utf-8")
        commands = {
            "baseline: python -c pass": [sys.executable, "-c", "pass"],
            "hizone --help": [*_hizone(), "--help"],
            "hizone index run (ASEM)": [*_hizone(), "index", "run", "--data", str(ASEM / "ASEM_iData.csv"),
                                        "--meta", str(ASEM / "ASEM_iMeta.csv"), "--pipeline", str(pipeline),
                                        "--out", str(Path(tmp) / "index.csv")],
        }
        for command in commands.values():
            _seconds(command)  # warm-up
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, command in commands.items():
                times[name].append(_seconds(command))
    baseline = statistics.median(wall for wall, _ in times["baseline: python -c pass"])
    for name, measured in times.items():
        median = statistics.median(wall for wall, _ in measured)
        target = TARGETS.get(name)
        verdict = "" if target is None else (
            f"{'OK' if median <= target else 'OVER'} target {target} s; fastest {min(measured)[0]:.3f} s; "
            f"{median - baseline:.3f} s over the baseline, {median / baseline:.1f}x it")
        row(name, median, "s", verdict)
        row(f"{name}: CPU (user + system)", statistics.median(cpu for _, cpu in measured), "s")


if __name__ == "__main__":
    main()
