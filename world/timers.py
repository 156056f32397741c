"""Timers for zone scripts: ``after`` and ``every``, fired from the tick, never from a thread.

Time is the server time handed to each step, so timers are as deterministic as the step:
a test advances ``now`` and the due callbacks run in order of their due time.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

__all__ = ["MAX_TIMERS", "ScheduledTimer", "TimerQueue"]

# A zone that creates timers in a loop would otherwise grow without bound.
MAX_TIMERS = 10_000


class ScheduledTimer:
    """A callback due at ``due``; repeats every ``interval`` seconds when set."""

    __slots__ = ("callback", "cancelled", "due", "interval")

    def __init__(self, due: float, interval: float | None, callback: Callable[[], None]) -> None:
        self.due = due
        self.interval = interval
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Stop it; a cancelled timer never fires again."""
        self.cancelled = True


class TimerQueue:
    """Pending timers of one zone instance, ordered by due time."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, ScheduledTimer]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def schedule(
        self, now: float, delay: float, interval: float | None, callback: Callable[[], None]
    ) -> ScheduledTimer:
        """Add a timer; raises ``ValueError`` for a negative or non-finite delay or when the
        queue holds ``MAX_TIMERS`` already."""
        if not delay >= 0.0 or delay == float("inf"):
            raise ValueError(f"timer delay must be a finite number of seconds >= 0, got {delay}")
        if interval is not None and not interval > 0.0:
            raise ValueError(f"timer interval must be positive, got {interval}")
        if len(self._heap) >= MAX_TIMERS:
            raise ValueError(f"more than {MAX_TIMERS} timers in one instance")
        timer = ScheduledTimer(now + delay, interval, callback)
        heapq.heappush(self._heap, (timer.due, next(self._order), timer))
        return timer

    def due(self, now: float) -> list[ScheduledTimer]:
        """Remove and return the timers due at ``now`` (repeating ones are put back)."""
        fired: list[ScheduledTimer] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, timer = heapq.heappop(heap)
            if timer.cancelled:
                continue
            fired.append(timer)
            if timer.interval is not None:
                # Catch up by whole intervals after a stall instead of firing a burst.
                while timer.due <= now:
                    timer.due += timer.interval
                heapq.heappush(heap, (timer.due, next(self._order), timer))
        return fired
