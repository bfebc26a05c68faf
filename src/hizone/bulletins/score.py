"""Recall and precision of extracted facts against an answer key (a CSV with the extract's columns).

A predicted fact matches a key fact when subject and unit agree, the values agree within a relative 1e-6
and the spans overlap; each fact matches at most once. Metric and period are counted apart."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from hizone.bulletins.model import FACT_COLUMNS, Fact
from hizone.errors import HizoneError


@dataclass(frozen=True)
class Score:
    key: int
    predicted: int
    matched: int
    metric_agrees: int
    period_agrees: int

    @property
    def recall(self) -> float:
        return self.matched / self.key if self.key else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 1.0

    def __add__(self, other: Score) -> Score:
        return Score(self.key + other.key, self.predicted + other.predicted, self.matched + other.matched,
                     self.metric_agrees + other.metric_agrees, self.period_agrees + other.period_agrees)


def read_facts(path: Path) -> list[Fact]:
    """The facts of a CSV written by `hizone bulletins extract` (or an answer key in the same columns)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != FACT_COLUMNS:
            raise HizoneError(f"expected the columns {','.join(FACT_COLUMNS)}", where=str(path))
        try:
            return [Fact(file=r["file"], start=int(r["start"]), end=int(r["end"]), subject=r["subject"],
                         subject_name=r["subject_name"], metric=r["metric"], value=float(r["value"]), unit=r["unit"],
                         period=r["period"], qualifier=r["qualifier"], quote=r["quote"]) for r in reader]
        except ValueError as exc:
            raise HizoneError(f"row {reader.line_num}: {exc}", where=str(path)) from None


def matches(predicted: Fact, expected: Fact) -> bool:
    return (predicted.subject == expected.subject and predicted.unit == expected.unit
            and math.isclose(predicted.value, expected.value, rel_tol=1e-6)
            and predicted.start < expected.end and expected.start < predicted.end)


def score(predicted: list[Fact], key: list[Fact]) -> Score:
    free = list(predicted)
    matched = metric = period = 0
    for expected in key:
        found = next((p for p in free if matches(p, expected)), None)
        if found is None:
            continue
        free.remove(found)
        matched += 1
        metric += found.metric == expected.metric
        period += found.period == expected.period
    return Score(len(key), len(predicted), matched, metric, period)


def misses(predicted: list[Fact], key: list[Fact]) -> tuple[list[Fact], list[Fact]]:
    """(key facts not found, predicted facts matching no key fact): what to read when a figure drops."""
    free = list(predicted)
    missed = []
    for expected in key:
        found = next((p for p in free if matches(p, expected)), None)
        if found is None:
            missed.append(expected)
        else:
            free.remove(found)
    return missed, free
