"""The festival schedule kept live: the zone shows it, and those who RSVPed hear the start.

After every change, and every ``ANNOUNCE_EVERY_S``, the schedule is published to the event
zone as the sticky ``events`` event and the upcoming synchronized moments as the sticky
``moments`` event (so every instance, including ones opening later, has them), and each
event that has just started is announced once: ``event.started`` to each user who RSVPed,
wherever they are in the city, and to the zone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from server.db.database import DatabaseUnavailable
from server.events import EVENT_ZONE, Schedule
from server.moments import Moments
from world.zone_api import ServerEvent

__all__ = ["ANNOUNCE_EVERY_S", "EventBoard"]

log = logging.getLogger("plaza.events")

# How often started events are looked for (and the schedule republished).
ANNOUNCE_EVERY_S = 1.0

Tell = Callable[[str, str, str, Any], bool]


class EventBoard:
    """Publishes the schedule and announces starts; see the module docstring."""

    def __init__(
        self,
        schedule: Schedule,
        moments: Moments,
        notify: Callable[..., bool],
        tell: Tell,
        announce: Callable[..., bool] | None = None,
    ) -> None:
        self.schedule = schedule
        self.moments = moments
        self.notify = notify
        # A start is announced once (by the node that marks it announced) to every node;
        # the schedule, gates and moments each node publishes to its own city.
        self.announce_start = announce or notify
        self.tell = tell
        self._published: list[dict[str, Any]] | None = None
        self._moments: list[dict[str, Any]] | None = None
        self._gates: dict[str, Any] | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self) -> None:
        """Publish once, then keep watching."""
        await self.publish()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="plaza-events")

    async def stop(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def changed(self) -> None:
        """The schedule changed: publish it now."""
        self._changed.set()

    async def publish(self) -> None:
        """Tell the event zone's instances the schedule and the moments, if they changed."""
        events = await self.schedule.listing(None)
        if events != self._published:
            self._published = events
            self.notify(EVENT_ZONE, ServerEvent("events", {"events": events}), sticky=True)
        gates = await self.schedule.gates(EVENT_ZONE)
        if gates != self._gates:
            self._gates = gates
            self.notify(EVENT_ZONE, ServerEvent("gates", gates), sticky=True)
        moments = await self.moments.upcoming()
        if moments != self._moments:
            self._moments = moments
            self.notify(EVENT_ZONE, ServerEvent("moments", {"moments": moments}), sticky=True)

    async def announce(self) -> int:
        """Announce the events that have just started; returns how many."""
        started = await self.schedule.starting()
        for event, subjects in started:
            for subject in subjects:
                self.tell(subject, event["zone"], "event.started", {"event": event})
            self.announce_start(event["zone"], ServerEvent("event.started", {"event": event}))
        return len(started)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), ANNOUNCE_EVERY_S)
            self._changed.clear()
            try:
                if await self.announce():
                    self._published = None
                await self.publish()
            except DatabaseUnavailable as exc:
                log.warning("the festival schedule waits for the database: %s", exc)
            except Exception:
                log.exception("publishing the festival schedule failed")
