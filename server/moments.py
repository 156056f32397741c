"""Synchronized moments: cues every attendee's client fires at the same server time.

An organizer schedules a moment of an event (the Bosingak bell's 33 strokes at 00:00:00
KST, fireworks, a light show cue, a countdown's end) at a server time. The server holds the
schedule, so a moment fires whether or not the organizer is still connected, and publishes
it to the festival zone well ahead; each client turns the server time into its own clock
with the protocol's clock sync (PING/PONG) and fires it then. A repeated moment (the bell)
fires ``count`` times, ``every_s`` apart.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg

from server.audit import record_action
from server.auth import Identity
from server.db.database import Database
from server.events import (
    DEADLINE_S,
    MAX_TITLE_CHARS,
    ORGANIZERS,
    EventConflict,
    EventError,
    EventNotFound,
    parse_time,
)
from server.permissions import require_role
from world.locale_text import TextError, check_texts

__all__ = [
    "MAX_AHEAD_DAYS",
    "MAX_EVERY_S",
    "MAX_REPEATS",
    "MIN_LEAD_S",
    "MOMENT_KINDS",
    "SHOWN_AFTER_S",
    "Moments",
]

MOMENT_KINDS = ("bell", "fireworks", "lights", "countdown", "cue")
# A moment must be scheduled at least this far ahead, so every client hears of it in time.
MIN_LEAD_S = 2.0
MAX_AHEAD_DAYS = 31
MAX_REPEATS = 108
MAX_EVERY_S = 600.0
# A moment stays in the published list this long after its last repeat fired.
SHOWN_AFTER_S = 10.0


def moment_map(row: asyncpg.Record) -> dict[str, Any]:
    """A moment row as the API and the zone event give it."""
    return {
        "id": int(row["id"]),
        "event": int(row["event_id"]),
        "kind": row["kind"],
        "at": row["at"].timestamp(),
        "label": json.loads(row["label"]),
        "count": int(row["count"]),
        "every_s": float(row["every_s"]),
        "cancelled": row["cancelled_at"] is not None,
    }


class Moments:
    """The moments of events, in PostgreSQL."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def schedule(self, actor: Identity, body: Mapping[str, Any]) -> dict[str, Any]:
        """{event, kind, at, label?, count?, every_s?}: committed and audited."""
        require_role(actor, ORGANIZERS, "scheduling a moment")
        event_id = body.get("event")
        if isinstance(event_id, bool) or not isinstance(event_id, int) or event_id < 1:
            raise EventError("event: expected an event id")
        kind = body.get("kind")
        if kind not in MOMENT_KINDS:
            raise EventError(f"kind: expected one of {', '.join(MOMENT_KINDS)}")
        at = parse_time(body.get("at"), "at")
        now = self.clock()
        if at < now + MIN_LEAD_S:
            raise EventError(
                f"at: that is {'in the past' if at < now else 'too soon'}; schedule a moment "
                f"at least {MIN_LEAD_S:g} s ahead so every client hears of it in time"
            )
        if at > now + MAX_AHEAD_DAYS * 86400:
            raise EventError(f"at: at most {MAX_AHEAD_DAYS} days ahead")
        label: dict[str, str] = {}
        if body.get("label") is not None:
            try:
                label = check_texts(body.get("label"), "label", MAX_TITLE_CHARS)
            except TextError as exc:
                raise EventError(str(exc)) from None
        count = body.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_REPEATS:
            raise EventError(f"count: expected a whole number from 1 to {MAX_REPEATS}")
        every = body.get("every_s", 0.0)
        if isinstance(every, bool) or not isinstance(every, int | float):
            raise EventError(f"every_s: expected seconds from 0 to {MAX_EVERY_S:g}")
        if not 0 <= every <= MAX_EVERY_S or (count > 1 and every <= 0):
            raise EventError(
                f"every_s: expected seconds from 0 to {MAX_EVERY_S:g}, above 0 when repeated"
            )

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            event = await conn.fetchrow(
                "SELECT id, cancelled_at FROM festival_events WHERE id = $1", event_id
            )
            if event is None:
                raise EventNotFound(f"no event {event_id}")
            if event["cancelled_at"] is not None:
                raise EventConflict(f"event {event_id} was cancelled")
            row = await conn.fetchrow(
                "INSERT INTO event_moments (event_id, kind, at, label, count, every_s, "
                "created_by) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) RETURNING *",
                event_id,
                kind,
                dt.datetime.fromtimestamp(at, dt.UTC),
                json.dumps(label, ensure_ascii=False),
                count,
                float(every),
                actor.subject,
            )
            moment = moment_map(row)
            await record_action(conn, actor, "event.moment", f"event:{event_id}", moment)
            return moment

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def cancel(self, actor: Identity, moment_id: Any) -> dict[str, Any]:
        """Call a moment off before it fires."""
        require_role(actor, ORGANIZERS, "cancelling a moment")
        if isinstance(moment_id, bool) or not isinstance(moment_id, int) or moment_id < 1:
            raise EventError("id: expected a moment id")

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await conn.fetchrow(
                "UPDATE event_moments SET cancelled_at = now() WHERE id = $1 "
                "AND cancelled_at IS NULL RETURNING *",
                moment_id,
            )
            if row is None:
                raise EventNotFound(f"no moment {moment_id} to cancel")
            await record_action(
                conn, actor, "event.moment_cancel", f"event:{row['event_id']}", {"id": moment_id}
            )
            return moment_map(row)

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def upcoming(self) -> list[dict[str, Any]]:
        """Moments still to fire (or that fired in the last ``SHOWN_AFTER_S``), soonest
        first."""
        rows = await self.db.fetch(
            "SELECT * FROM event_moments WHERE cancelled_at IS NULL "
            "AND at + make_interval(secs => every_s * (count - 1) + $1) > now() "
            "ORDER BY at, id LIMIT 100",
            SHOWN_AFTER_S,
            deadline_s=DEADLINE_S,
        )
        return [moment_map(r) for r in rows]
