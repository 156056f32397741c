"""Ringing the Bosingak bell: citizens an organizer chose ring strokes themselves.

A chosen citizen standing at the bell asks the festival zone to ring (ZONE ``bell.ring``);
the zone checks where they stand and hands the request here, where the event on now must
list them as a ringer and the bell must have rested ``BELL_REST_S``: the event's last
stroke is kept in its row (``last_stroke_at``) and taken in one conditional update, so the
bell rests whichever node each ringer is on (several nodes serve one city). The stroke is then
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

    async def ring(self, intent: Persist) -> Mapping[str, Any]:
        """The ``bell.ring`` intent of the festival zone: the stroke's server time."""
        subject = intent.subject or ""
        event = await self.schedule.ringer_of(subject, intent.zone)
        if event is None:
            raise IntentRefused("only the citizens chosen for this event ring the bell")
        rung = await self.schedule.db.fetch(
            "UPDATE festival_events SET last_stroke_at = clock_timestamp() WHERE id = $1 "
            "AND (last_stroke_at IS NULL "
            "OR last_stroke_at <= clock_timestamp() - make_interval(secs => $2)) RETURNING id",
            event["id"],
            BELL_REST_S,
        )
        if not rung:
            raise IntentRefused("the bell is still sounding; ring again in a moment")
        now = self.clock()
        stroke = {
            "at": now + STROKE_LEAD_S,
            "by": str(intent.data.get("name", "")),
            "event": event["id"],
        }
        self.notify(intent.zone or EVENT_ZONE, ServerEvent("bell.stroke", stroke))
        return stroke
