"""Scores: validation, the weighted total, the judge-severity correction, ranks with ties, who advances."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hizone.contests.model import Rubric
from hizone.errors import HizoneError


class ScoreError(HizoneError):
    """A score that is refused (out of range, a judge not assigned, a missing dimension)."""


@dataclass(frozen=True)
class Score:
    judge: str
    entry: str
    marks: Mapping[str, float]   # dimension code → raw mark


def total(rubric: Rubric, marks: Mapping[str, float]) -> float:
    """The weighted mean of the marks (weights normalised), on the rubric's scale."""
    weight = sum(d.weight for d in rubric.dimensions)
    return sum(d.weight * marks[d.code] for d in rubric.dimensions) / weight


def validate(rubric: Rubric, scores: Sequence[Score], assignment: Mapping[str, Sequence[str]],
             where: str = "scores") -> None:
    """Every problem at once, one per line, naming the row (1 = first score), judge, entry and dimension."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    codes = [d.code for d in rubric.dimensions]
    for row, s in enumerate(scores, 1):
        if s.judge not in assignment.get(s.entry, ()):
            problems.append(f"row {row}: judge {s.judge} is not assigned to entry {s.entry}")
        if (s.judge, s.entry) in seen:
            problems.append(f"row {row}: judge {s.judge} scored entry {s.entry} twice")
        seen.add((s.judge, s.entry))
        for code in codes:
            if code not in s.marks:
                problems.append(f"row {row}, {code}: missing")
            elif not rubric.min_score <= s.marks[code] <= rubric.max_score:
                problems.append(f"row {row}, {code}: {s.marks[code]:g} is outside "
                                f"{rubric.min_score:g}–{rubric.max_score:g}")
        for code in s.marks:
            if code not in codes:
                problems.append(f"row {row}, {code}: not a dimension of rubric {rubric.code}")
    if problems:
        raise ScoreError("\n".join(problems), where=where)


def read_csv(rubric: Rubric, text: str, where: str = "scores.csv") -> list[Score]:
    """Scores from CSV with the columns judge, entry and one per dimension code; errors name row and column
    (row 2 = the first data row, as a spreadsheet shows it)."""
    reader = csv.DictReader(io.StringIO(text))
    needed = ["judge", "entry", *(d.code for d in rubric.dimensions)]
    missing = [c for c in needed if c not in (reader.fieldnames or [])]
    if missing:
        raise ScoreError(f"missing column(s): {', '.join(missing)}", where=where)
    scores, problems = [], []
    for line, row in enumerate(reader, 2):
        marks: dict[str, float] = {}
        for d in rubric.dimensions:
            raw = (row.get(d.code) or "").strip()
            try:
                marks[d.code] = float(raw)
            except ValueError:
                problems.append(f"row {line}, column {d.code}: {raw!r} is not a number")
        judge, entry = (row.get("judge") or "").strip(), (row.get("entry") or "").strip()
        if not judge or not entry:
            problems.append(f"row {line}: judge and entry are required")
        scores.append(Score(judge, entry, marks))
    if problems:
        raise ScoreError("\n".join(problems), where=where)
    return scores


@dataclass(frozen=True)
class Result:
    entry: str
    raw_mean: float          # mean of the judges' weighted totals, uncorrected
    value: float             # the corrected value the rank is based on
    rank: int
    advances: bool


def corrected(rubric: Rubric, scores: Sequence[Score]) -> dict[str, float]:
    """Entry → the value it is ranked by: the mean of its z-scores (each judge's totals standardised by that
    judge's mean and population standard deviation; a judge with one distinct total gives 0), or its trimmed
    mean (dropping ``trim`` highest and lowest totals when more than 2·trim remain)."""
    totals = [(s.judge, s.entry, total(rubric, s.marks)) for s in scores]
    by_entry: dict[str, list[float]] = {}
    if rubric.correction == "zscore":
        by_judge: dict[str, list[float]] = {}
        for judge, _, t in totals:
            by_judge.setdefault(judge, []).append(t)
        stats = {j: (statistics.fmean(v), statistics.pstdev(v)) for j, v in by_judge.items()}
        for judge, entry, t in totals:
            mean, sd = stats[judge]
            by_entry.setdefault(entry, []).append((t - mean) / sd if sd > 0 else 0.0)
        return {e: statistics.fmean(v) for e, v in by_entry.items()}
    for _, entry, t in totals:
        by_entry.setdefault(entry, []).append(t)
    out = {}
    for e, v in by_entry.items():
        v = sorted(v)
        k = rubric.trim
        out[e] = statistics.fmean(v[k:len(v) - k] if len(v) > 2 * k else v)
    return out


def results(rubric: Rubric, scores: Sequence[Score], assignment: Mapping[str, Sequence[str]],
            advance: int | None = None, ineligible: frozenset[str] = frozenset()) -> list[Result]:
    """Validated, corrected and ranked (competition ranking: equal values share a rank, 1, 2, 2, 4).
    The top ``advance`` ranks go on, ties at the cut all included; an ineligible entry never advances."""
    validate(rubric, scores, assignment)
    values = corrected(rubric, scores)
    raw: dict[str, list[float]] = {}
    for s in scores:
        raw.setdefault(s.entry, []).append(total(rubric, s.marks))
    order = sorted(values, key=lambda e: (-round(values[e], 9), e))
    out: list[Result] = []
    rank = 0
    for i, e in enumerate(order, 1):
        if i == 1 or round(values[e], 9) != round(values[order[i - 2]], 9):
            rank = i
        goes = advance is None or rank <= advance
        out.append(Result(e, statistics.fmean(raw[e]), values[e], rank, goes and e not in ineligible))
    return out
