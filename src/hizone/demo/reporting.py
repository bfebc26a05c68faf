"""The demo's reporting loop (synthetic): the last year's annual reports on time, late, missing, corrected and
returned with a comment or awaiting review, and the reminders the demo users got for them.

Sizes: about 1% of the last year's enterprises never report (the smallest: in the Torch survey the missing are
mostly small firms) and 4% report after the deadline, by 3, 12 or 30 days; in the demo users' zone a few
enterprises send a correction (revision 2), filed by their zone on their behalf, some of which the zone's
reviewer returns (enterprise_annual's workflow: the zone returns), another user than the one who filed them.
Nothing here changes a figure: the missing are left out of the generated data itself, late and corrected reports
keep their approved values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import Engine

from hizone.auth.policy import Principal
from hizone.catalog import Catalog
from hizone.intake.service import transition, workflow_of
from hizone.online.calendar import CHINA, window
from hizone.online.dispatch import run_reminders

MISSING_SHARE = 0.01  # of the last year's reporters: the smallest of those holding no qualification
LATE_EVERY, LATE_DAYS = 25, (3, 12, 30)  # one in 25 (4%), spread over three delays
CORRECTIONS = {"returned": 3, "submitted": 3}  # revisions 2 in the demo zone, by what their province did
CORRECTION_DAYS = 45  # after the deadline: after every late first report
RETURN_COMMENT = "（合成）研发费用与从业人员数不匹配，请核实研发人员口径后重新报送"
# The days the demo's reminders ran: a week before the last annual deadline (to those not yet reported) and the
# day after it (to the missing, and the zones that chase them).
REMINDER_DAYS = ((4, 23), (5, 1))


def first_of_each_zone(codes: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """Each zone's first enterprise by credit code: the demo users' enterprise is one (auth.create_demo_users)."""
    keep = np.zeros(len(codes), dtype=bool)
    order = np.lexsort((codes, zones))
    keep[order[np.r_[True, zones[order][1:] != zones[order][:-1]]]] = True
    return keep


def missing_rows(revenue: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The rows of the last year left missing: the smallest by revenue of the reporting rows not in ``keep``, as
    many as MISSING_SHARE of all reporting rows (or every candidate, if fewer)."""
    reporting = ~np.isnan(revenue)
    candidates = np.flatnonzero(reporting & ~keep)
    ordered = candidates[np.argsort(revenue[candidates], kind="stable")]
    return np.sort(ordered[: int(np.count_nonzero(reporting) * MISSING_SHARE)])


def late_days(rows: np.ndarray) -> dict[int, np.ndarray]:
    """Of the last year's reporting rows, the late ones by days after the deadline (the rest are on time)."""
    late = rows[np.arange(len(rows)) % LATE_EVERY == LATE_EVERY // 2]
    return {days: late[np.arange(len(late)) % len(LATE_DAYS) == k] for k, days in enumerate(LATE_DAYS)}


def arrival(form: str, period: str, days_late: int = 0) -> dt.datetime:
    """When a demo report arrived: two days before its deadline at 10:00 Beijing time, or ``days_late`` after."""
    deadline = window(form, period).deadline
    day = deadline + dt.timedelta(days=days_late or -2)
    return dt.datetime.combine(day, dt.time(10), tzinfo=CHINA).astimezone(dt.UTC)


def correction_plan(codes: np.ndarray, zone_codes: np.ndarray, reporting: np.ndarray) -> dict[str, np.ndarray]:
    """Which rows of the demo users' zone (the first with enterprises, as create_demo_users takes it) send a
    correction, by what happens to it: its first enterprise's (the demo enterprise user's) is returned, so that
    user sees a report to correct."""
    zone = zone_codes[np.lexsort((codes, zone_codes))[0]]
    rows = np.flatnonzero((zone_codes == zone) & reporting)
    rows = rows[np.argsort(codes[rows], kind="stable")]
    plan, start = {}, 0
    for state, count in CORRECTIONS.items():
        plan[state] = rows[start:start + count]
        start += count
    return plan


def filer(zone: str) -> Principal:
    """The demo's zone user who files (submits) its zone's reports, also its enterprises' on their behalf."""
    return Principal(f"demo-{zone}", "zone", zone_code=zone)


def reviewer(form: str, period: str, step: str, zone: str, province: str) -> Principal:
    """The demo's user taking a review step of a report: of the first role the form's workflow names for it (a
    zone's reviewer, another user than its filer; a province's department), else the national level."""
    roles = dict(workflow_of(form, period)).get(step, ())
    if roles[:1] == ("zone",):
        return Principal(f"demo-{zone}-reviewer", "zone", zone_code=zone)
    if roles[:1] == ("province",):
        return Principal(f"demo-{province}", "province", province_code=province)
    return Principal("demo-torch", "admin")


def move_corrections(engine: Engine, form: str, period: str, zone: str, province: str,
                     keys: dict[str, list[str]]) -> None:
    """The corrections (stored as drafts) go through the workflow: submitted by their zone, some returned by
    whom the form's workflow names (``reviewer``)."""
    everyone = [k for found in keys.values() for k in found]
    if not everyone:
        return
    transition(engine, "submit", filer(zone), form=form, period=period, entity_keys=everyone)
    if keys.get("returned"):
        transition(engine, "return", reviewer(form, period, "return", zone, province), form=form,
                   period=period, entity_keys=keys["returned"], comment=RETURN_COMMENT)


def remind_demo_users(engine: Engine, last_year: int, catalog: Catalog) -> dict[str, Any]:
    """The reminders of the demo's reminder days, in the app only (the demo sends no mail)."""
    sent: dict[str, Any] = {}
    for month, day in REMINDER_DAYS:
        on = dt.date(last_year + 1, month, day)
        outcome = run_reminders(engine, on, None, catalog=catalog)
        sent[on.isoformat()] = len(outcome.reminded)
    return sent
