"""Reminder rules and texts: which reports are due a reminder on a day, and the message a user gets.

Pure: no web or store imports. The rules are catalog YAML (``reminders/``, versioned by the first report year):
so many days before the deadline to whoever has not reported yet, so many days after it to whoever is still
missing. Who is reminded, and the once-a-day limit, are ``hizone.online.dispatch``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hizone.catalog import Catalog, default_catalog, package_directory, read_yaml, user_directories
from hizone.errors import CatalogError
from hizone.online.calendar import Calendar, Status, calendar_for, default_calendars, window

REMINDERS_KIND = "reminders"
LINES_SHOWN = 20  # a message lists this many reports, then says how many more
MONTHS_BACK = 24  # monthly periods looked at: a reminder later than two years after a deadline is no reminder


@dataclass(frozen=True)
class Schedule:
    before: tuple[int, ...]  # days before the deadline
    after: tuple[int, ...]  # days after it


@dataclass(frozen=True)
class ReminderRules:
    version: int
    default: Schedule
    forms: dict[str, Schedule]  # a form's own schedule, where it has one
    where: str

    def schedule(self, form: str) -> Schedule:
        return self.forms.get(form, self.default)


@dataclass(frozen=True)
class Due:
    """A form's period due a reminder today: ``kind`` before or after its deadline, ``days`` from it."""

    form: str
    period: str
    kind: str  # before / after
    days: int
    deadline: dt.date

    @property
    def status(self) -> Status:
        """Whom it is for: those still open before the deadline, those missing after it."""
        return Status.OPEN if self.kind == "before" else Status.MISSING


@dataclass(frozen=True)
class Item:
    """One report a user is reminded of."""

    due: Due
    entity_key: str
    entity_name: str
    form_zh: str
    form_en: str


@dataclass(frozen=True)
class Message:
    subject_zh: str
    subject_en: str
    body_zh: str
    body_en: str

    @property
    def subject(self) -> str:
        return f"{self.subject_zh} / {self.subject_en}"

    @property
    def body(self) -> str:
        return f"{self.body_zh}\n\n----\n\n{self.body_en}"


# ---------------------------------------------------------------- the rules


def _days(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 366
                                              for d in value):
        raise CatalogError(f"expected a list of whole days from 1 to 366, got {value!r}", where=where)
    return tuple(sorted(set(value), reverse=True))


def _schedule(spec: Any, where: str) -> Schedule:
    if not isinstance(spec, dict) or not set(spec) <= {"before", "after"}:
        raise CatalogError("expected {before: [days], after: [days]}", where=where)
    return Schedule(_days(spec.get("before", []), f"{where}.before"), _days(spec.get("after", []), f"{where}.after"))


def parse_rules(doc: dict[str, Any], path: str, catalog: Catalog) -> ReminderRules:
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CatalogError("'version' (the first report year) must be a whole number", where=f"{path}: version")
    default = _schedule({k: doc[k] for k in ("before", "after") if k in doc}, path)
    forms = {}
    for form, spec in (doc.get("forms") or {}).items():
        if form not in catalog.forms:
            raise CatalogError(f"unknown form '{form}' (known: {', '.join(sorted(catalog.forms))})",
                               where=f"{path}: forms.{form}")
        forms[str(form)] = _schedule(spec, f"{path}: forms.{form}")
    return ReminderRules(version, default, forms, path)


def load_rules(directories: Iterable[Path], catalog: Catalog) -> dict[int, ReminderRules]:
    """Every rule set by version; a later directory's file of the same name replaces an earlier one's."""
    paths = {path.name: path for root in directories for path in sorted(root.glob("*.yaml"))}
    found = {}
    for name in sorted(paths):
        parsed = parse_rules(read_yaml(paths[name]), str(paths[name]), catalog)
        found[parsed.version] = parsed
    return found


@cache
def default_rules() -> dict[int, ReminderRules]:
    return load_rules([package_directory(REMINDERS_KIND), *user_directories(REMINDERS_KIND)], default_catalog())


def rules_for(year: int, rules: Mapping[int, ReminderRules]) -> ReminderRules | None:
    usable = [v for v in sorted(rules) if v <= year]
    return rules[usable[-1]] if usable else None


# ---------------------------------------------------------------- what is due


def _periods(frequency: str, on: dt.date) -> list[str]:
    """The periods whose deadline can be near ``on``: the last two report years, or two years of months."""
    if frequency == "annual":
        return [str(on.year - back) for back in (2, 1, 0)]
    months = on.year * 12 + on.month - 1
    return [f"{m // 12}-{m % 12 + 1:02d}" for m in range(months - MONTHS_BACK, months)]


def due_on(on: dt.date, frequencies: Mapping[str, str], rules: Mapping[int, ReminderRules] | None = None,
           calendars: Mapping[int, Calendar] | None = None) -> list[Due]:
    """The reports (form, period) due a reminder on ``on``; ``frequencies``: form → annual/monthly, the forms
    looked at (those the calendar has a window for)."""
    found_rules = default_rules() if rules is None else rules
    found_calendars = default_calendars() if calendars is None else calendars
    due = []
    for form, frequency in sorted(frequencies.items()):
        for period in _periods(frequency, on):
            chosen = rules_for(int(period[:4]), found_rules)
            try:
                calendar = calendar_for(int(period[:4]), found_calendars)
            except CatalogError:
                continue  # a year before the first calendar: no deadline, no reminder
            if chosen is None or not any(f == form for f, _ in calendar.rules):
                continue
            deadline = window(form, period, calendars=found_calendars).deadline
            schedule, offset = chosen.schedule(form), (deadline - on).days
            if offset in schedule.before:
                due.append(Due(form, period, "before", offset, deadline))
            elif -offset in schedule.after:
                due.append(Due(form, period, "after", -offset, deadline))
    return due


# ---------------------------------------------------------------- the message


def _line_zh(item: Item) -> str:
    due = item.due
    when = f"距截止还有{due.days}天" if due.kind == "before" else f"已逾期{due.days}天"
    return (f"· {item.form_zh}（{due.period}）：{item.entity_name}（{item.entity_key}），"
            f"截止日期{due.deadline.isoformat()}，{when}，尚未报送。")


def _line_en(item: Item) -> str:
    due = item.due
    days = "day" if due.days == 1 else "days"
    when = f"due in {due.days} {days}" if due.kind == "before" else f"{due.days} {days} overdue"
    return (f"- {item.form_en} ({due.period}): {item.entity_name} ({item.entity_key}), deadline "
            f"{due.deadline.isoformat()}, {when}, not yet reported.")


def compose(items: Sequence[Item], link: str | None = None) -> Message:
    """One user's reminder of the day: every report it is due for, in Chinese and English."""
    overdue = any(i.due.kind == "after" for i in items)
    subject_zh = f"{'催报' if overdue else '报送提醒'}：{len(items)}项报表待报送"
    subject_en = f"{'Overdue reports' if overdue else 'Reporting reminder'}: {len(items)} " \
                 f"report{'s' if len(items) != 1 else ''} to send"
    where_zh = f"\n请登录平台填报：{link}" if link else "\n请登录平台“数据填报”页面报送。"
    where_en = f"\nPlease report at {link}" if link else "\nPlease report on the platform's Reporting page."
    shown, more = items[:LINES_SHOWN], len(items) - LINES_SHOWN
    lines_zh = [*map(_line_zh, shown), *([f"……另有{more}项"] if more > 0 else [])]
    lines_en = [*map(_line_en, shown), *([f"... and {more} more"] if more > 0 else [])]
    body_zh = "您好：\n以下报表尚未报送：\n" + "\n".join(lines_zh) + where_zh + "\n如已报送，请忽略本提醒。"
    body_en = "Hello,\nthe following reports have not been received:\n" + "\n".join(lines_en) + where_en + \
        "\nIf you have sent them already, please ignore this reminder."
    return Message(subject_zh, subject_en, body_zh, body_en)
