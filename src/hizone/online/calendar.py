"""The reporting calendar: when a form's period opens and its deadline, and how timely an entity's report is.

Pure: no web or store imports. The windows are catalog YAML (``calendar/``, versioned by the first report year
they apply to, the Torch calendar as the package's default); the first submission time comes from the caller
(the store's submission history).
"""

from __future__ import annotations

import calendar as gregorian
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from hizone.catalog import Catalog, default_catalog, package_directory, read_yaml, user_directories
from hizone.errors import CatalogError

CALENDAR_KIND = "calendar"
# Deadlines are days in China: a report sent at 23:30 Beijing time on the deadline is on time.
CHINA = dt.timezone(dt.timedelta(hours=8), "CST")
KINDS = {"annual": "annual", "express": "annual", "monthly": "monthly"}  # kind -> the period shape it takes

_ANNUAL_DATE = re.compile(r"^Y(?:\+(\d))?-(\d{2})-(\d{2}|last)$")
_MONTHLY_DATE = re.compile(r"^M(?:\+(\d))?-(\d{2}|last)$")
_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")


class Status(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"  # past the deadline with nothing submitted
    OPEN = "open"  # nothing submitted yet, the deadline not passed
    NOT_OPEN = "not_open"  # nothing submitted, the window not open yet


@dataclass(frozen=True)
class DateRule:
    """A day relative to a period: ``offset`` years (annual) or months (monthly) on, then month/day."""

    shape: str  # annual / monthly
    offset: int
    month: int  # 0 for monthly rules: the month is the period's plus the offset
    day: int  # 0: the last day of the month

    def on(self, period: str) -> dt.date:
        year = int(period[:4])
        if self.shape == "annual":
            year, month = year + self.offset, self.month
        else:
            months = year * 12 + int(period[5:7]) - 1 + self.offset
            year, month = divmod(months, 12)
            month += 1
        last = gregorian.monthrange(year, month)[1]
        return dt.date(year, month, self.day or last)


@dataclass(frozen=True)
class WindowRule:
    opens: DateRule
    deadline: DateRule


@dataclass(frozen=True)
class Calendar:
    version: int
    name_zh: str
    name_en: str
    source: str
    rules: dict[tuple[str, str], WindowRule]  # (form, kind) -> rule
    where: str


@dataclass(frozen=True)
class Window:
    form: str
    period: str
    kind: str
    opens: dt.date
    deadline: dt.date


@dataclass(frozen=True)
class Timeliness:
    status: Status
    days: int  # late: days after the deadline; missing: days overdue; open: days left; not_open: days to opening


# ---------------------------------------------------------------- parsing


def _date_rule(text: Any, shape: str, where: str) -> DateRule:
    pattern = _ANNUAL_DATE if shape == "annual" else _MONTHLY_DATE
    match = pattern.match(text) if isinstance(text, str) else None
    if match is None:
        example = "Y+1-04-30" if shape == "annual" else "M+1-10"
        raise CatalogError(f"expected a {shape} date like {example!r}, got {text!r}", where=where)
    if shape == "annual":
        offset, month, day = int(match.group(1) or 0), int(match.group(2)), match.group(3)
    else:
        offset, month, day = int(match.group(1) or 0), 0, match.group(2)
    if shape == "annual" and not 1 <= month <= 12:
        raise CatalogError(f"month {month} is not between 1 and 12", where=where)
    # A day every year's month has (29 February is not: use "last"); any month for monthly rules.
    longest = 28 if shape == "monthly" else gregorian.monthrange(2023, month)[1]
    number = 0 if day == "last" else int(day)
    if day != "last" and not 1 <= number <= longest:
        raise CatalogError(f"day {day} is not in every such month: use 1..{longest} or 'last'", where=where)
    return DateRule(shape, offset, month, number)


def _window_rule(spec: Any, shape: str, where: str) -> WindowRule:
    if not isinstance(spec, dict) or set(spec) != {"opens", "deadline"}:
        raise CatalogError("expected {opens, deadline}", where=where)
    rule = WindowRule(_date_rule(spec["opens"], shape, f"{where}.opens"),
                      _date_rule(spec["deadline"], shape, f"{where}.deadline"))
    # Checked on a sample period of each shape: the rules are offsets, so one period decides for all.
    sample = "2023" if shape == "annual" else "2023-12"
    if rule.deadline.on(sample) < rule.opens.on(sample):
        raise CatalogError(f"the deadline {spec['deadline']} is before the opening {spec['opens']}",
                           where=f"{where}.deadline")
    return rule


def parse_calendar(doc: dict[str, Any], path: str, catalog: Catalog) -> Calendar:
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CatalogError("'version' (the first report year) must be a whole number", where=f"{path}: version")
    windows = doc.get("windows")
    if not isinstance(windows, dict) or not windows:
        raise CatalogError("expected 'windows': form -> kind -> {opens, deadline}", where=f"{path}: windows")
    rules: dict[tuple[str, str], WindowRule] = {}
    for form, kinds in windows.items():
        where = f"{path}: windows.{form}"
        if form not in catalog.forms:
            raise CatalogError(f"unknown form '{form}' (known: {', '.join(sorted(catalog.forms))})", where=where)
        frequency = catalog.forms[form][-1].frequency
        if not isinstance(kinds, dict) or frequency not in kinds:
            raise CatalogError(f"expected a '{frequency}' window (the form is {frequency})", where=where)
        for kind, spec in kinds.items():
            if KINDS.get(kind) != frequency:
                allowed = ", ".join(k for k, s in KINDS.items() if s == frequency)
                raise CatalogError(f"kind '{kind}' is not one of a {frequency} form ({allowed})",
                                   where=f"{where}.{kind}")
            rules[(str(form), str(kind))] = _window_rule(spec, frequency, f"{where}.{kind}")
    return Calendar(version, str(doc.get("name_zh", "")), str(doc.get("name_en", "")), str(doc.get("source", "")),
                    rules, path)


def calendar_directories() -> list[Path]:
    return [package_directory(CALENDAR_KIND), *user_directories(CALENDAR_KIND)]


def load_calendars(directories: Iterable[Path], catalog: Catalog) -> dict[int, Calendar]:
    """Every calendar by version; a later directory's file of the same name replaces an earlier one's."""
    paths: dict[str, Path] = {}
    for root in directories:
        for path in sorted(root.glob("*.yaml")):
            paths[path.name] = path
    found: dict[int, Calendar] = {}
    for path in sorted(paths.values(), key=lambda p: p.name):
        parsed = parse_calendar(read_yaml(path), str(path), catalog)
        found[parsed.version] = parsed
    return found


@cache
def default_calendars() -> dict[int, Calendar]:
    return load_calendars(calendar_directories(), default_catalog())


# ---------------------------------------------------------------- the engine


def calendar_for(year: int, calendars: Mapping[int, Calendar] | None = None) -> Calendar:
    found = default_calendars() if calendars is None else calendars
    usable = [v for v in sorted(found) if v <= year]
    if not usable:
        first = min(found) if found else None
        raise CatalogError(f"no reporting calendar for {year}" + (f" (the first is for {first})" if first else ""),
                           where="calendar")
    return found[usable[-1]]


def window(form: str, period: str, kind: str | None = None,
           calendars: Mapping[int, Calendar] | None = None) -> Window:
    """The window of ``form``'s ``period`` (its own frequency's kind unless ``kind``, e.g. "express")."""
    if not _PERIOD.match(period):
        raise CatalogError(f"'{period}' is not a period (YYYY or YYYY-MM, month 01..12)", where="period")
    chosen = calendar_for(int(period[:4]), calendars)
    shape = "monthly" if len(period) == 7 else "annual"
    kinds = [k for f, k in chosen.rules if f == form]
    if not kinds:
        raise CatalogError(f"form '{form}' has no window in the calendar", where=chosen.where)
    wanted = kind or ("monthly" if shape == "monthly" else "annual")
    rule = chosen.rules.get((form, wanted))
    if rule is None or KINDS[wanted] != shape:
        raise CatalogError(f"form '{form}' has no '{wanted}' window for period {period} "
                           f"(kinds: {', '.join(kinds)})", where=chosen.where)
    return Window(form, period, wanted, rule.opens.on(period), rule.deadline.on(period))


def local_date(at: dt.datetime) -> dt.date:
    """The day in China of a stored time (naive times are UTC, as SQLite returns them)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(CHINA).date()


def timeliness(win: Window, first_submitted: dt.datetime | None, today: dt.date) -> Timeliness:
    """How timely a report is: by its first submission if any, else by ``today`` against the window."""
    if first_submitted is not None:
        late = (local_date(first_submitted) - win.deadline).days
        return Timeliness(Status.LATE, late) if late > 0 else Timeliness(Status.ON_TIME, 0)
    if today < win.opens:
        return Timeliness(Status.NOT_OPEN, (win.opens - today).days)
    if today <= win.deadline:
        return Timeliness(Status.OPEN, (win.deadline - today).days)
    return Timeliness(Status.MISSING, (today - win.deadline).days)
