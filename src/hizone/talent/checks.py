"""The campaign's row checks inside intake's validation (rules YAML ``row_checks: [talent_campaign]``):
progress.row_problems over the file's rows, against the targets and the zone's stored earlier reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Connection

from hizone.intake.errors_report import Issue, IssueTally
from hizone.intake.periods import week_start
from hizone.talent.campaign import Campaign, for_form
from hizone.talent.progress import Report, row_problems
from hizone.talent.store import as_of, stored_reports, targets, zone_provinces, zones_with_target

if TYPE_CHECKING:
    from hizone.intake.checks import CheckRows
    from hizone.intake.rules import RuleSet

_COLUMNS = {"developed": "ta_developed", "signed": "ta_signed", "on_duty": "ta_on_duty"}


@dataclass(frozen=True)
class Loaded:
    campaign: Campaign | None
    zones: frozenset[str]  # with a target
    stored: dict[str, int]  # zone -> posts developed in its latest stored report before this week
    on: dt.date  # the day the file's week speaks for


def load(conn: Connection, rules: RuleSet, period: str) -> Loaded:
    monday = week_start(period)
    c = for_form(rules.form.code, monday)
    if c is None:
        return Loaded(None, frozenset(), {}, monday)
    stored = {r.zone: int(r.values["ta_developed"]) for r in stored_reports(conn, rules.form.code, monday.year,
                                                                              before=period)
              if np.isfinite(r.values["ta_developed"])}
    return Loaded(c, zones_with_target(targets(conn, c), zone_provinces(conn)), stored, as_of(period, c))


def issues(rows: CheckRows, loaded: Loaded, tally: IssueTally) -> list[Issue]:
    raw = rows.raw
    position = {"zone": rows.columns.roles.get("entity"), "date": rows.columns.roles.get("period"),
                **{k: rows.columns.elements.get(code) for k, code in _COLUMNS.items()}}
    if loaded.campaign is None:
        room = tally.room("error", "talent_no_campaign", len(rows.keys))
        return [Issue("error", "talent_no_campaign", f"{rows.period}没有进行中的人才活动",
                      f"no talent campaign is reported on this form in {rows.period[:4]}", raw.source_name,
                      raw.sheet, int(raw.row_numbers[i]), None, "period", rows.period) for i in range(room)]
    notes = rows.texts.get("note", np.full(len(rows.keys), "", dtype=np.str_))
    values = {k: rows.values[code] for k, code in _COLUMNS.items()}
    usable = np.isfinite(values["developed"]) & np.isfinite(values["signed"]) & np.isfinite(values["on_duty"])
    index = np.flatnonzero(usable & (rows.keys != ""))
    reports = [Report(str(rows.keys[i]), loaded.on, int(values["developed"][i]), int(values["signed"][i]),
                      int(values["on_duty"][i]), str(notes[i])) for i in index.tolist()]
    c = loaded.campaign
    found: list[Issue] = []
    for p in row_problems(reports, loaded.zones, c.start, c.deadline, loaded.stored, first_row=0):
        if not tally.room("error", p.rule, 1):
            continue
        i = int(index[p.row])
        column, code = position[p.column], _COLUMNS.get(p.column)
        value = str(int(rows.values[code][i])) if code else rows.period if p.column == "date" else str(rows.keys[i])
        found.append(Issue("error", p.rule, p.message_zh, p.message_en, raw.source_name, raw.sheet,
                           int(raw.row_numbers[i]), raw.letter(column) if column is not None else None,
                           code or p.column, value, str(rows.keys[i])))
    return found
