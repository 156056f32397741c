"""Ringing the Bosingak bell: citizens an organizer chose ring strokes themselves.

A chosen citizen standing at the bell asks the festival zone to ring (ZONE ``bell.ring``);
the zone checks where they stand and hands the request here, where the event on now must
list them as a ringer and the bell must have rested ``BELL_REST_S``. The stroke is then
scheduled ``STROKE_LEAD_S`` ahead and published to every instance of the grounds
(``bell.stroke`` with its server time), so every client sounds it at the same instant,
as with any synchronized moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from server.events import EVENT_ZONE, Schedule
from server.zone_store import IntentRefused
from world.intents import Persist
from world.zone_api import ServerEvent

__all__ = ["BELL_REST_S", "STROKE_LEAD_S", "Bell"]

# The bell rests this long between strokes, whoever rings.
BELL_REST_S = 2.0
# A stroke sounds this long after it is rung: time for it to reach every client first.
STROKE_LEAD_S = 1.0


class Bell:
    """Checks ringers and schedules strokes; see the module docstring."""

    def __init__(
        self,
        schedule: Schedule,
        notify: Callable[..., bool],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.schedule = schedule
        self.notify = notify
        self.clock = clock
        self._last = float("-inf")

    async def ring(self, intent: Persist) -> Mapping[str, Any]:
        """The ``bell.ring`` intent of the festival zone: the stroke's server time."""
        subject = intent.subject or ""
        event = await self.schedule.ringer_of(subject, intent.zone)
        if event is None:
            raise IntentRefused("only the citizens chosen for this event ring the bell")
        now = self.clock()
        if now - self._last < BELL_REST_S:
            raise IntentRefused("the bell is still sounding; ring again in a moment")
        self._last = now
        stroke = {
            "at": now + STROKE_LEAD_S,
            "by": str(intent.data.get("name", "")),
            "event": event["id"],
        }
        self.notify(intent.zone or EVENT_ZONE, ServerEvent("bell.stroke", stroke))
        return stroke
