"""Report periods: "2021" for annual forms, "2022-03" for monthly ones, "2022W27" (ISO week) for weekly ones.

A weekly period is seven characters like the others, so it fits every period column of the store."""

from __future__ import annotations

import datetime as dt
import re

from hizone.intake.errors import IntakeError

_ANNUAL = re.compile(r"^\s*(\d{4})\s*年?\s*$")
_MONTHLY = re.compile(r"^\s*(\d{4})\s*(?:[-/.年]\s*)(\d{1,2})\s*月?\s*$")
_WEEK = re.compile(r"^\s*(\d{4})\s*(?:-?\s*W|年\s*第?)\s*(\d{1,2})\s*周?\s*$", re.IGNORECASE)
_DAY = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")


def _weekly(text: str) -> str | None:
    """"2022W27", "2022-W27", "2022年第27周", or a date ("2022-07-03": its ISO week)."""
    match = _WEEK.match(text)
    if match:
        year, week = int(match.group(1)), int(match.group(2))
        if not 1 <= week <= dt.date(year, 12, 28).isocalendar().week:
            return None
        return f"{year}W{week:02d}"
    day = _DAY.match(text)
    if not day:
        return None
    try:
        iso = dt.date(int(day.group(1)), int(day.group(2)), int(day.group(3))).isocalendar()
    except ValueError:
        return None
    return f"{iso.year}W{iso.week:02d}"


def week_start(period: str) -> dt.date:
    """The Monday of a weekly period."""
    return dt.date.fromisocalendar(int(period[:4]), int(period[5:]), 1)


def normalise_period(text: str, frequency: str) -> str | None:
    """The canonical period, or None if ``text`` is not one ("2022年3月" → "2022-03")."""
    if frequency == "annual":
        match = _ANNUAL.match(text)
        return match.group(1) if match else None
    if frequency == "weekly":
        return _weekly(text)
    match = _MONTHLY.match(text)
    return f"{match.group(1)}-{int(match.group(2)):02d}" if match else None


def check_period(text: str, frequency: str, today: dt.date, where: str = "period") -> str:
    """The canonical period; an IntakeError if malformed, the month is out of range, or it is in the future."""
    period = normalise_period(text, frequency)
    shape = {"annual": "YYYY", "weekly": "YYYYWnn or a date"}.get(frequency, "YYYY-MM")
    if period is None:
        raise IntakeError(f"'{text}' is not a {frequency} period ({shape})", where=where)
    year = int(period[:4])
    if year < 1988:
        raise IntakeError(f"{period} is before the programme began (1988)", where=where)
    if frequency == "weekly":
        if week_start(period) > today:
            raise IntakeError(f"{period} is in the future (today is {today.isoformat()})", where=where)
    elif frequency == "monthly":
        month = int(period[5:])
        if not 1 <= month <= 12:
            raise IntakeError(f"month {month} is not between 1 and 12", where=where)
        if (year, month) > (today.year, today.month):
            raise IntakeError(f"{period} is in the future (today is {today.isoformat()})", where=where)
    elif year > today.year:
        raise IntakeError(f"{period} is in the future (today is {today.isoformat()})", where=where)
    return period


def period_year(period: str) -> int:
    return int(period[:4])


def same_period_last_year(period: str) -> str:
    return f"{int(period[:4]) - 1}{period[4:]}"


def period_end(period: str) -> dt.date:
    """The last day of the period."""
    year = int(period[:4])
    if len(period) == 4:
        return dt.date(year, 12, 31)
    if period[4] == "W":
        return week_start(period) + dt.timedelta(days=6)
    month = int(period[5:])
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)
