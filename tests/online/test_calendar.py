"""The reporting calendar: windows from the YAML, timeliness by hand-computed dates, and bad calendar files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hizone.catalog import default_catalog
from hizone.errors import CatalogError
from hizone.online.calendar import Status, Timeliness, Window, load_calendars, timeliness, window

CST = dt.timezone(dt.timedelta(hours=8))


def test_the_torch_windows() -> None:
    assert window("enterprise_annual", "2023") == Window("enterprise_annual", "2023", "annual",
                                                         dt.date(2024, 3, 1), dt.date(2024, 4, 30))
    # 快报 of 2023: opens in December of the report year, closes at the end of January after it.
    express = window("enterprise_annual", "2023", "express")
    assert (express.opens, express.deadline) == (dt.date(2023, 12, 1), dt.date(2024, 1, 31))
    # December's monthly report: a window in the next year.
    december = window("zone_monthly", "2023-12")
    assert (december.opens, december.deadline) == (dt.date(2024, 1, 1), dt.date(2024, 1, 10))
    assert window("zone_monthly", "2024-02").deadline == dt.date(2024, 3, 10)


def test_timeliness_on_the_deadline_day_and_after() -> None:
    win = window("enterprise_annual", "2023")  # 2024-03-01 .. 2024-04-30
    on_deadline = dt.datetime(2024, 4, 30, 23, 30, tzinfo=CST)  # 15:30 UTC
    assert timeliness(win, on_deadline, dt.date(2024, 6, 1)) == Timeliness(Status.ON_TIME, 0)
    # 16:30 UTC on the 30th is 00:30 on 1 May in Beijing: one day late.
    assert timeliness(win, dt.datetime(2024, 4, 30, 16, 30, tzinfo=dt.UTC), dt.date(2024, 6, 1)) == \
        Timeliness(Status.LATE, 1)
    # Naive times are UTC (as SQLite gives them back): 10 May 09:00 UTC is 10 days late.
    assert timeliness(win, dt.datetime(2024, 5, 10, 9), dt.date(2024, 6, 1)) == Timeliness(Status.LATE, 10)
    # Sent before the window opened still counts as on time.
    assert timeliness(win, dt.datetime(2024, 2, 1, tzinfo=dt.UTC), dt.date(2024, 6, 1)).status is Status.ON_TIME


def test_timeliness_without_a_submission() -> None:
    win = window("enterprise_annual", "2023")
    assert timeliness(win, None, dt.date(2024, 2, 28)) == Timeliness(Status.NOT_OPEN, 2)  # 2024 is a leap year
    assert timeliness(win, None, dt.date(2024, 3, 1)) == Timeliness(Status.OPEN, 60)  # 30 + 30 days to 30 April
    assert timeliness(win, None, dt.date(2024, 4, 30)) == Timeliness(Status.OPEN, 0)
    assert timeliness(win, None, dt.date(2024, 5, 1)) == Timeliness(Status.MISSING, 1)
    # Over the year end: December 2023's monthly form, deadline 10 January 2024.
    december = window("zone_monthly", "2023-12")
    assert timeliness(december, None, dt.date(2023, 12, 31)) == Timeliness(Status.NOT_OPEN, 1)
    assert timeliness(december, None, dt.date(2024, 1, 17)) == Timeliness(Status.MISSING, 7)


def _calendar(tmp_path: Path, body: str, name: str = "torch-2019.yaml") -> Path:
    (tmp_path / name).write_text(body, encoding="utf-8")
    return tmp_path


def test_last_day_of_february_in_leap_and_common_years(tmp_path: Path) -> None:
    root = _calendar(tmp_path, "version: 2019\nwindows:\n"
                               "  enterprise_annual: {annual: {opens: Y+1-02-01, deadline: Y+1-02-last}}\n"
                               "  zone_monthly: {monthly: {opens: M+1-01, deadline: M+1-last}}\n")
    calendars = load_calendars([root], default_catalog())
    assert window("enterprise_annual", "2023", calendars=calendars).deadline == dt.date(2024, 2, 29)
    assert window("enterprise_annual", "2022", calendars=calendars).deadline == dt.date(2023, 2, 28)
    assert window("zone_monthly", "2024-01", calendars=calendars).deadline == dt.date(2024, 2, 29)
    assert window("zone_monthly", "2023-11", calendars=calendars).deadline == dt.date(2023, 12, 31)


def test_a_later_version_applies_from_its_year(tmp_path: Path) -> None:
    _calendar(tmp_path, "version: 2019\nwindows:\n  zone_monthly: {monthly: {opens: M+1-01, deadline: M+1-10}}\n")
    _calendar(tmp_path, "version: 2024\nwindows:\n  zone_monthly: {monthly: {opens: M+1-01, deadline: M+1-15}}\n",
              "torch-2024.yaml")
    calendars = load_calendars([tmp_path], default_catalog())
    assert window("zone_monthly", "2023-12", calendars=calendars).deadline == dt.date(2024, 1, 10)
    assert window("zone_monthly", "2024-01", calendars=calendars).deadline == dt.date(2024, 2, 15)
    with pytest.raises(CatalogError, match="no reporting calendar for 2018"):
        window("zone_monthly", "2018-05", calendars=calendars)
    with pytest.raises(CatalogError, match="form 'enterprise_annual' has no window"):
        window("enterprise_annual", "2023", calendars=calendars)


@pytest.mark.parametrize(("windows", "where", "reason"), [
    ("enterprise_annual: {annual: {opens: Y+1-04-30, deadline: Y+1-03-01}}",
     "windows.enterprise_annual.annual.deadline", "the deadline Y+1-03-01 is before the opening Y+1-04-30"),
    ("no_such_form: {annual: {opens: Y+1-03-01, deadline: Y+1-04-30}}",
     "windows.no_such_form", "unknown form 'no_such_form'"),
    ("enterprise_annual: {annual: {opens: Y+1-02-30, deadline: Y+1-04-30}}",
     "windows.enterprise_annual.annual.opens", "day 30 is not in every such month"),
    ("zone_monthly: {monthly: {opens: Y+1-03-01, deadline: M+1-10}}",
     "windows.zone_monthly.monthly.opens", "expected a monthly date like 'M+1-10'"),
    ("zone_monthly: {express: {opens: M+1-01, deadline: M+1-10}}",
     "windows.zone_monthly", "expected a 'monthly' window"),
    ("enterprise_annual: {annual: {opens: Y+1-03-01, deadline: Y+1-04-30}, weekly: {opens: Y-01-01, "
     "deadline: Y-01-02}}", "windows.enterprise_annual.weekly", "kind 'weekly' is not one of a annual form"),
])
def test_a_bad_calendar_names_file_and_field(tmp_path: Path, windows: str, where: str, reason: str) -> None:
    root = _calendar(tmp_path, f"version: 2019\nwindows:\n  {windows}\n")
    with pytest.raises(CatalogError) as caught:
        load_calendars([root], default_catalog())
    assert caught.value.where == f"{root / 'torch-2019.yaml'}: {where}"
    assert reason in caught.value.reason


@pytest.mark.parametrize("period", ["2023-13", "2023-00", "23", "2023-1"])
def test_a_malformed_period_is_refused(period: str) -> None:
    with pytest.raises(CatalogError, match=f"'{period}' is not a period"):
        window("zone_monthly", period)
