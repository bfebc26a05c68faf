"""Completion against target and schedule, standings of zones and provinces with ranks, and the checks of
cumulative weekly reports. Pure: no store, web or file imports."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from hizone.evaluate.uncertainty import rank_descending


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


@dataclass(frozen=True)
class Progress:
    """One zone's or province's standing as of a day: its latest cumulative figures against target and schedule."""

    level: str  # zone / province
    key: str
    target: int
    developed: int
    signed: int
    on_duty: int
    due: float  # share of the target due by the day (schedule)
    rank: int | None = None  # by completion, 1 = best, ties share the best rank

    @property
    def completion(self) -> float:
        return completion(self.developed, self.target)

    @property
    def scheduled(self) -> float:
        """Posts due by the day: target × due share."""
        return self.target * self.due

    @property
    def pace(self) -> float | None:
        """Completion against the schedule (1.0 = on schedule); None before anything is due."""
        return self.completion / self.due if self.due > 0 else None


def _ranked(rows: list[Progress]) -> list[Progress]:
    """Ranked by completion, as the project ranks scores (evaluate.uncertainty.rank_descending: ties share the
    best rank, 1 2 2 4), in rank order, then key."""
    if not rows:
        return []
    ranks = rank_descending(np.asarray([r.completion for r in rows], dtype=np.float64))[0]
    ranked = [Progress(r.level, r.key, r.target, r.developed, r.signed, r.on_duty, r.due, int(rank))
              for r, rank in zip(rows, ranks, strict=True)]
    return sorted(ranked, key=lambda r: (r.rank or 0, r.key))


def standings(latest: Mapping[str, Report], zone_targets: Mapping[str, int], province_targets: Mapping[str, int],
              provinces: Mapping[str, str], due: float) -> tuple[list[Progress], list[Progress]]:
    """Zones and provinces ranked by completion as of one day. ``latest``: each zone's latest report up to the
    day (a zone with a target and no report stands at 0). A province's figures are its zones' sums (ratios
    roll up as sum over sum); its target is its own where one was set, else its zones' targets summed."""
    zones = [_progress("zone", z, t, _figures(latest.get(z)), due) for z, t in zone_targets.items()]
    sums: dict[str, list[int]] = {}
    for zone, report in latest.items():
        figures = sums.setdefault(provinces.get(zone, ""), [0, 0, 0])
        for i, value in enumerate(_figures(report)):
            figures[i] += value
    targets: dict[str, int] = {}
    for zone, target in zone_targets.items():
        targets[provinces.get(zone, "")] = targets.get(provinces.get(zone, ""), 0) + target
    targets.update(province_targets)
    province_rows = [_progress("province", p, t, tuple(sums.get(p, [0, 0, 0])), due) for p, t in targets.items() if p]
    return _ranked(zones), _ranked(province_rows)


def _progress(level: str, key: str, target: int, figures: tuple[int, ...], due: float) -> Progress:
    developed, signed, on_duty = figures
    return Progress(level, key, target, developed, signed, on_duty, due)


def _figures(report: Report | None) -> tuple[int, int, int]:
    return (report.developed, report.signed, report.on_duty) if report else (0, 0, 0)


def latest_by_zone(reports: list[Report], on: date) -> dict[str, Report]:
    """Each zone's latest report dated on or before ``on``."""
    found: dict[str, Report] = {}
    for report in sorted(reports, key=lambda r: r.on):
        if report.on <= on:
            found[report.zone] = report
    return found
