"""The 120 Center's staffed hours: when citizens queue for a desk, and when they leave a
callback request instead.

Hours are written as comma-separated rules of days and a time range in the center's time
zone, e.g. ``mon-fri 09:00-18:00, sat 09:00-13:00``; ``24:00`` ends a range at midnight.
The default, ``mon-sun 00:00-24:00``, is always staffed (Seoul's 120 answers day and night).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["ALWAYS", "DEFAULT_TIMEZONE", "HoursError", "StaffedHours"]

ALWAYS = "mon-sun 00:00-24:00"
DEFAULT_TIMEZONE = "Asia/Seoul"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RULE = re.compile(r"^([a-z]{3})(?:-([a-z]{3}))?\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
# How far ahead the next opening or closing is looked for (a week covers every rule).
_LOOKAHEAD_DAYS = 8


class HoursError(ValueError):
    """The hours or the time zone cannot be read; the message says which part."""


@dataclass(frozen=True)
class _Rule:
    days: frozenset[int]
    start_min: int
    end_min: int


def _parse_rule(text: str) -> _Rule:
    match = _RULE.match(text.strip().lower())
    if match is None:
        raise HoursError(f"staffed hours {text.strip()!r}: expected e.g. 'mon-fri 09:00-18:00'")
    first, last, h1, m1, h2, m2 = match.groups()
    for day in (first, last):
        if day is not None and day not in _DAYS:
            raise HoursError(f"staffed hours {text.strip()!r}: unknown day {day!r}")
    a = _DAYS.index(first)
    b = _DAYS.index(last) if last else a
    days = frozenset(range(a, b + 1)) if a <= b else frozenset([*range(a, 7), *range(0, b + 1)])
    start, end = int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)
    if int(m1) > 59 or int(m2) > 59 or start >= 24 * 60 or end > 24 * 60 or end <= start:
        raise HoursError(f"staffed hours {text.strip()!r}: expected a time range within a day")
    return _Rule(days, start, end)


class StaffedHours:
    """When the center is staffed, in its time zone."""

    def __init__(self, schedule: str = ALWAYS, timezone: str = DEFAULT_TIMEZONE) -> None:
        """Read ``schedule`` (rules as in the module docstring) in ``timezone``."""
        if not schedule.strip():
            raise HoursError("staffed hours: expected at least one rule")
        self.rules = tuple(_parse_rule(part) for part in schedule.split(","))
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise HoursError(f"time zone {timezone!r} is not known") from None
        self.schedule = ", ".join(part.strip().lower() for part in schedule.split(","))
        self.timezone = timezone

    def is_open(self, now: float) -> bool:
        """Whether the center is staffed at Unix time ``now``."""
        local = dt.datetime.fromtimestamp(now, self.zone)
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        return any(day in r.days and r.start_min <= minute < r.end_min for r in self.rules)

    def next_change(self, now: float) -> float | None:
        """When the center next opens (if closed) or closes (if open); None if never."""
        is_open = self.is_open(now)
        edges = sorted(self._edges(now))
        for edge in edges:
            if edge > now and self.is_open(edge) != is_open:
                return edge
        return None

    def start_of_day(self, now: float) -> float:
        """Local midnight of ``now``'s day: where "today's" figures begin."""
        local = dt.datetime.fromtimestamp(now, self.zone)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    def describe(self, now: float) -> dict[str, object]:
        """The ``hours`` map of the center's info."""
        return {
            "open": self.is_open(now),
            "schedule": self.schedule,
            "timezone": self.timezone,
            "next_change": self.next_change(now),
        }

    def _edges(self, now: float) -> list[float]:
        today = dt.datetime.fromtimestamp(now, self.zone).date()
        out: list[float] = []
        for offset in range(_LOOKAHEAD_DAYS):
            day = today + dt.timedelta(days=offset)
            midnight = dt.datetime.combine(day, dt.time(), self.zone)
            for rule in self.rules:
                if day.weekday() in rule.days:
                    for minute in (rule.start_min, rule.end_min):
                        edge = midnight + dt.timedelta(minutes=minute)
                        # Wall-clock minutes through a DST change: normalise via UTC.
                        out.append(edge.astimezone(dt.UTC).timestamp())
        return out
