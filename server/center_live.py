"""The 120 Center kept live: the queue as everyone sees it, rebuilt from PostgreSQL.

After every change (and every ``RESYNC_S`` anyway, so changes made by another process show
up too) the board reads the waiting tickets, the desks and the staff from the database,
then:

* publishes ``center.state`` to every instance of the center zone (sticky, so an instance
  opening later has it at once): the public info map and who sits at which desk;
* tells each waiting citizen whose place or wait estimate moved (``center.ticket``);
* sets the ``plaza_center_*`` gauges.

Reading from the database instead of keeping a queue in memory is what makes a restart lose
no place: the queue *is* the table. Refreshes are coalesced to at most one per
``REFRESH_MIN_S``. Every ``RETENTION_EVERY_S`` it also purges old tickets' texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from server.center_figures import Figures
from server.center_hours import StaffedHours
from server.center_retention import purge_ended
from server.center_roster import Roster
from server.center_rules import ACCESSIBILITY_NEEDS, SERVED_STATES
from server.center_tickets import Tickets
from server.db.database import Database, DatabaseUnavailable
from server.metrics import Registry
from world.zone_api import ServerEvent

__all__ = [
    "CENTER_ZONE",
    "FIGURES_EVERY_S",
    "REFRESH_MIN_S",
    "RESYNC_S",
    "RETENTION_EVERY_S",
    "Board",
    "Tell",
]

log = logging.getLogger("plaza.center")

CENTER_ZONE = "center_120"
# Changes within this long are published together.
REFRESH_MIN_S = 0.5
# The board is read again at least this often, changes or not.
RESYNC_S = 5.0
# The supervisors' figures on /metrics are recomputed this often.
FIGURES_EVERY_S = 15.0
# Ended tickets past the retention period are purged this often.
RETENTION_EVERY_S = 3600.0
# The handling time behind wait estimates is recomputed this often.
HANDLING_EVERY_S = 30.0
# Wait estimates are rounded to this many seconds, so a citizen is not told of every tick.
WAIT_STEP_S = 30.0

Tell = Callable[[str, str, str, Any], bool]
Notify = Callable[..., bool]


def estimate(position: int, handling_s: float, serving: int) -> float | None:
    """The wait of the ``position``-th ticket when ``serving`` desks each take about
    ``handling_s`` per ticket; None when nobody serves its category."""
    if serving <= 0:
        return None
    return float(math.ceil(position / serving) * handling_s)


class Board:
    """Publishes the center's state and pushes queue places; see the module docstring."""

    def __init__(
        self,
        db: Database,
        tickets: Tickets,
        roster: Roster,
        figures: Figures,
        hours: StaffedHours,
        *,
        notify: Notify,
        tell: Tell,
        metrics: Registry,
        retention_days: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.tickets = tickets
        self.roster = roster
        self.figures = figures
        self.hours = hours
        self.notify = notify
        self.tell = tell
        self.retention_days = retention_days
        self.clock = clock
        self.handling_s = 0.0
        self._handling_until = 0.0
        self.serving: dict[str, int] = {}
        self._pushed: dict[int, tuple[int, float | None]] = {}
        self._published: dict[str, Any] | None = None
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._g_waiting = metrics.gauge(
            "plaza_center_waiting", "120 Center tickets waiting, per category", ("category",)
        )
        self._g_staff = metrics.gauge(
            "plaza_center_staff", "120 Center civil servants, per status", ("status",)
        )
        self._g_wait = metrics.gauge(
            "plaza_center_wait_seconds", "Today's wait before being called", ("quantile",)
        )
        self._g_handling = metrics.gauge(
            "plaza_center_handling_seconds", "Today's time from call to close", ("quantile",)
        )
        self._g_satisfaction = metrics.gauge(
            "plaza_center_satisfaction", "Today's mean rating (1-5 stars; 0 before any)"
        )
        self._g_tickets = metrics.gauge(
            "plaza_center_tickets_today", "Tickets today, by what happened", ("event",)
        )

    async def start(self) -> None:
        """Read the board once (the queues as the database holds them), then keep it live."""
        await self.refresh()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="plaza-center")

    async def stop(self) -> None:
        """Stop refreshing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def changed(self) -> None:
        """Something changed: refresh soon (coalesced)."""
        self._dirty.set()

    def wait_for(self, category: str, position: int | None) -> float | None:
        """The wait estimate of the ``position``-th ticket of ``category``."""
        if position is None:
            return None
        return estimate(position, self.handling_s, self.serving.get(category, 0))

    async def snapshot(self) -> dict[str, Any]:
        """The center as the database holds it now: ``{"info": ..., "desks": ...}`` (the
        public info map, and who sits at which desk serving whom)."""
        now = self.clock()
        if now >= self._handling_until:
            self.handling_s = await self.figures.handling_estimate(now)
            self._handling_until = now + HANDLING_EVERY_S
        staff = await self.roster.everyone()
        self.serving = {
            c: sum(1 for s in staff if s["status"] in ("available", "busy") and c in s["skills"])
            for c in self.figures.categories
        }
        queues = await self.figures.queues()
        for category, queue in queues.items():
            queue["wait_s"] = self.wait_for(category, queue["waiting"] + 1)
            self._g_waiting.set(queue["waiting"], category=category)
        for status in ("available", "busy", "on_break", "offline"):
            self._g_staff.set(sum(1 for s in staff if s["status"] == status), status=status)
        at_desk = {
            int(r["desk"]): r
            for r in await self.db.fetch(
                "SELECT id, subject, desk, assigned_to FROM tickets "
                "WHERE state = ANY($1::text[]) AND desk IS NOT NULL ORDER BY called_at",
                list(SERVED_STATES),
            )
        }
        sitting = {int(s["desk"]): s for s in staff if s["desk"] is not None}
        desks = []
        for desk in range(1, self.roster.desks + 1):
            person = sitting.get(desk)
            served = at_desk.get(desk)
            desks.append(
                {
                    "desk": desk,
                    "open": person is not None and person["status"] in ("available", "busy"),
                    "staff": None if person is None else person["subject"],
                    "staff_name": None if person is None else person["name"],
                    "citizen": None if served is None else served["subject"],
                    "ticket": None if served is None else int(served["id"]),
                }
            )
        info = {
            "categories": list(self.figures.categories),
            "needs": list(ACCESSIBILITY_NEEDS),
            "hours": self.hours.describe(now),
            "desks": [
                {"desk": d["desk"], "open": d["open"], "staff_name": d["staff_name"]} for d in desks
            ],
            "queues": queues,
        }
        return {"info": info, "desks": desks}

    async def publish(self) -> None:
        """Read the queues, desks and staff; publish them to the center zone if they
        changed (before a citizen is told of a call, so the zone knows the desk first)."""
        state = await self.snapshot()
        if state != self._published:
            self._published = state
            self.notify(CENTER_ZONE, ServerEvent("center.state", state), sticky=True)

    async def refresh(self) -> None:
        """Publish, then push to each waiting citizen whose place or estimate moved."""
        await self.publish()
        await self._push_places()

    async def _push_places(self) -> None:
        seen: set[int] = set()
        for ticket in await self.tickets.waiting():
            tid = ticket["id"]
            seen.add(tid)
            wait = self.wait_for(ticket["category"], ticket["position"])
            ticket["wait_s"] = wait
            shown = (ticket["position"], None if wait is None else _step(wait))
            if self._pushed.get(tid) != shown:
                self._pushed[tid] = shown
                self.tell(ticket["citizen"], CENTER_ZONE, "center.ticket", {"ticket": ticket})
        for tid in set(self._pushed) - seen:
            del self._pushed[tid]

    async def update_figures(self) -> None:
        """Set the /metrics gauges from today's figures."""
        stats = await self.figures.stats(self.hours.start_of_day(self.clock()))
        for name in ("p50", "p90", "p99"):
            self._g_wait.set(stats["wait_s"][name] or 0.0, quantile=name[1:])
            self._g_handling.set(stats["handling_s"][name] or 0.0, quantile=name[1:])
        self._g_satisfaction.set(stats["satisfaction"]["mean"] or 0.0)
        for event, count in stats["tickets"].items():
            self._g_tickets.set(count, event=event)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_figures = loop.time()
        next_purge = loop.time()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), RESYNC_S)
            self._dirty.clear()
            try:
                await self.refresh()
                if loop.time() >= next_figures:
                    next_figures = loop.time() + FIGURES_EVERY_S
                    await self.update_figures()
                if loop.time() >= next_purge:
                    next_purge = loop.time() + RETENTION_EVERY_S
                    purged = await purge_ended(self.db, self.retention_days, self.clock())
                    if purged:
                        log.info("purged the texts of %d ended tickets", purged)
            except DatabaseUnavailable as exc:
                log.warning("the 120 center's board waits for the database: %s", exc)
            except Exception:
                log.exception("refreshing the 120 center's board failed")
            await asyncio.sleep(REFRESH_MIN_S)


def _step(wait: float) -> float:
    return math.ceil(wait / WAIT_STEP_S) * WAIT_STEP_S
