"""What every benchmark shares: timing in a fresh child process (for its own peak memory) and printing."""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # so benchmarks can use the tests' PostgreSQL fixture server


def _child(fn: Callable[..., Any], args: tuple[Any, ...], conn: Any) -> None:
    started = time.perf_counter()
    result = fn(*args)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conn.send((seconds, peak_mb, result))


def measure(fn: Callable[..., Any], *args: Any) -> tuple[float, float, Any]:
    """(seconds, peak resident MB, result) of ``fn(*args)`` run in a forked process."""
    parent, child = mp.get_context("fork").Pipe()
    process = mp.get_context("fork").Process(target=_child, args=(fn, args, child))
    process.start()
    seconds, peak_mb, result = parent.recv()
    process.join()
    return seconds, peak_mb, result


def row(name: str, value: float, unit: str, note: str = "") -> None:
    print(f"  {name:<58} {value:>14,.3f} {unit:<10} {note}", flush=True)


def heading(title: str) -> None:
    print(f"\n== {title}", flush=True)
