"""The 120 Center's staffed hours, in the center's time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from server.center_hours import HoursError, StaffedHours

SEOUL = dt.timezone(dt.timedelta(hours=9))


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SEOUL).timestamp()


def test_office_hours_open_and_close_on_weekdays() -> None:
    hours = StaffedHours("mon-fri 09:00-18:00, sat 09:00-13:00", "Asia/Seoul")
    monday_morning = at(2026, 11, 23, 8, 59)
    assert not hours.is_open(monday_morning)
    assert hours.next_change(monday_morning) == at(2026, 11, 23, 9)
    assert hours.is_open(at(2026, 11, 23, 9))
    assert hours.next_change(at(2026, 11, 23, 12)) == at(2026, 11, 23, 18)
    assert not hours.is_open(at(2026, 11, 23, 18))
    assert hours.is_open(at(2026, 11, 28, 12, 59))  # Saturday
    assert not hours.is_open(at(2026, 11, 28, 13))
    # From Saturday afternoon the next opening is Monday 09:00.
    assert hours.next_change(at(2026, 11, 28, 14)) == at(2026, 11, 30, 9)
    assert hours.start_of_day(at(2026, 11, 23, 12)) == at(2026, 11, 23, 0)


def test_the_default_is_always_staffed() -> None:
    hours = StaffedHours()
    assert hours.describe(at(2026, 11, 22, 3)) == {
        "open": True,
        "schedule": "mon-sun 00:00-24:00",
        "timezone": "Asia/Seoul",
        "next_change": None,
    }


def test_a_range_of_days_may_wrap_the_week() -> None:
    hours = StaffedHours("fri-mon 10:00-11:00")
    assert hours.is_open(at(2026, 11, 22, 10, 30))  # Sunday
    assert not hours.is_open(at(2026, 11, 25, 10, 30))  # Wednesday


@pytest.mark.parametrize(
    ("schedule", "timezone", "reason"),
    [
        ("weekdays 9-6", "Asia/Seoul", "expected e.g. 'mon-fri 09:00-18:00'"),
        ("mon-fry 09:00-18:00", "Asia/Seoul", "unknown day 'fry'"),
        ("mon 18:00-09:00", "Asia/Seoul", "a time range within a day"),
        ("mon 09:00-24:01", "Asia/Seoul", "a time range within a day"),
        ("", "Asia/Seoul", "at least one rule"),
        ("mon 09:00-18:00", "Mars/Olympus", "time zone 'Mars/Olympus' is not known"),
    ],
)
def test_bad_hours_are_refused_with_the_reason(schedule: str, timezone: str, reason: str) -> None:
    with pytest.raises(HoursError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        StaffedHours(schedule, timezone)
