"""Completion against target and against a straight-line schedule; checks of cumulative weekly reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Report:
    zone: str
    on: date
    developed: int
    signed: int
    on_duty: int
    correction: str = ""


def completion(value: int, target: int) -> float:
    """Share of the target reached (1.0 = 100 %)."""
    return value / target


def scheduled_share(start: date, deadline: date, on: date) -> float:
    """Share of the target due by `on` on a straight line from start (0) to deadline (1), clipped to [0, 1]."""
    span = (deadline - start).days
    return min(1.0, max(0.0, (on - start).days / span))


def row_errors(reports: list[Report], targets: dict[str, int], start: date, deadline: date,
               where: str) -> list[str]:
    """Per-row errors (row = line in the file, header row 1), naming file, row, column and reason."""
    errors: list[str] = []
    last: dict[str, int] = {}
    for row, report in enumerate(reports, start=2):
        at = f"{where}, row {row}"
        if report.zone not in targets:
            errors.append(f"{at}, column zone: zone {report.zone!r} has no target in this campaign")
        if not start <= report.on <= deadline:
            errors.append(f"{at}, column date: {report.on} is outside the campaign ({start}..{deadline})")
        if report.signed > report.developed:
            errors.append(f"{at}, column signed: {report.signed} signed > {report.developed} developed")
        if report.on_duty > report.signed:
            errors.append(f"{at}, column on_duty: {report.on_duty} on duty > {report.signed} signed")
        before = last.get(report.zone)
        if before is not None and report.developed < before and not report.correction:
            errors.append(f"{at}, column developed: cumulative {report.developed} fell below {before} "
                          "without a correction note")
        last[report.zone] = report.developed
    return errors
