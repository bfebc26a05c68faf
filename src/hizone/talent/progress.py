"""Completion against target and against a straight-line schedule; checks of cumulative weekly reports."""

from __future__ import annotations

from collections.abc import Collection, Mapping
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


@dataclass(frozen=True)
class Problem:
    """One row's problem: the file's row (header row 1), the column, the check, and why in Chinese and English."""

    row: int
    column: str  # zone / date / developed / signed / on_duty
    rule: str
    message_zh: str
    message_en: str


def row_problems(reports: list[Report], targets: Collection[str], start: date, deadline: date,
                 stored: Mapping[str, int] | None = None, first_row: int = 2) -> list[Problem]:
    """Each row's problems: a zone without a target, a date outside the campaign, signed > developed,
    on duty > signed, and posts developed falling without a correction note below the zone's previous
    figure (an earlier row of the file, else ``stored``: its latest stored report before this one)."""
    problems: list[Problem] = []
    last: dict[str, int] = dict(stored or {})
    for row, report in enumerate(reports, start=first_row):
        def add(column: str, rule: str, zh: str, en: str, row: int = row) -> None:
            problems.append(Problem(row, column, rule, zh, en))

        if report.zone not in targets:
            add("zone", "talent_no_target", f"高新区{report.zone}在本次活动中没有目标任务",
                f"zone {report.zone!r} has no target in this campaign")
        if not start <= report.on <= deadline:
            add("date", "talent_outside", f"{report.on}不在活动期内（{start}至{deadline}）",
                f"{report.on} is outside the campaign ({start}..{deadline})")
        if report.signed > report.developed:
            add("signed", "talent_signed", f"签约{report.signed}人多于开发岗位{report.developed}个",
                f"{report.signed} signed > {report.developed} developed")
        if report.on_duty > report.signed:
            add("on_duty", "talent_on_duty", f"在岗{report.on_duty}人多于签约{report.signed}人",
                f"{report.on_duty} on duty > {report.signed} signed")
        before = last.get(report.zone)
        if before is not None and report.developed < before and not report.correction:
            add("developed", "talent_fell", f"累计开发岗位{report.developed}个低于此前的{before}个，且未填写更正说明",
                f"cumulative {report.developed} fell below {before} without a correction note")
        last[report.zone] = report.developed
    return problems


def row_errors(reports: list[Report], targets: Collection[str], start: date, deadline: date,
               where: str) -> list[str]:
    """Per-row errors (row = line in the file, header row 1), naming file, row, column and reason."""
    return [f"{where}, row {p.row}, column {p.column}: {p.message_en}"
            for p in row_problems(reports, targets, start, deadline)]
