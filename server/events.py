"""The festival grounds' schedule: events on a stage, their gates, and who said they come.

An event has a title and a description in several languages, a start and an end, a
capacity and the performers on the bill. Organizers (and admins) create, change and cancel
events; two events never overlap on one stage, and nothing is scheduled in the past. Every
change is written with its audit row in one transaction. Citizens RSVP, and are told in the
city when an event they chose starts (``server.events_live``).
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
from server.permissions import require_role
from world.locale_text import TextError, check_texts
from world.roles import Role

__all__ = [
    "DEADLINE_S",
    "EVENT_ZONE",
    "MAIN_STAGE",
    "MAX_CAPACITY",
    "MAX_DESCRIPTION_CHARS",
    "MAX_EVENT_HOURS",
    "MAX_PERFORMERS",
    "MAX_TITLE_CHARS",
    "ORGANIZERS",
    "PAST_SLACK_S",
    "EventConflict",
    "EventError",
    "EventNotFound",
    "Schedule",
]

EVENT_ZONE = "festival"
MAIN_STAGE = "main"
ORGANIZERS = frozenset({Role.ORGANIZER, Role.ADMIN})
MAX_TITLE_CHARS = 120
MAX_DESCRIPTION_CHARS = 2000
MAX_CAPACITY = 1_000_000
MAX_PERFORMERS = 20
# Citizens chosen to ring the bell during one event.
MAX_RINGERS = 33
MAX_EVENT_HOURS = 24 * 7
# A start this little in the past is taken as "now" (a form filled in a minute ago).
PAST_SLACK_S = 60.0
DEADLINE_S = 10.0
_MAX_SUBJECT_CHARS = 200
# An event's gates govern the grounds from this long before it starts.
GATES_BEFORE_S = 3600.0


class EventError(ValueError):
    """A malformed request; the message names the field."""


class EventConflict(EventError):
    """A well-formed request the schedule cannot take now (an overlap, a cancelled event,
    a capacity below the crowd); the message says why."""


class EventNotFound(EventError):
    """No event has that id."""


def _when(value: dt.datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def event_map(row: asyncpg.Record, rsvps: int = 0, going: bool | None = None) -> dict[str, Any]:
    """An event row as the API returns it."""
    return {
        "id": int(row["id"]),
        "zone": row["zone"],
        "stage": row["stage"],
        "title": json.loads(row["title"]),
        "description": json.loads(row["description"]),
        "starts_at": _when(row["starts_at"]),
        "ends_at": _when(row["ends_at"]),
        "capacity": int(row["capacity"]),
        "performers": list(row["performers"]),
        "ringers": list(row["ringers"]),
        "gates": row["gates"],
        "cancelled": row["cancelled_at"] is not None,
        "started": row["announced_at"] is not None,
        "rsvps": rsvps,
        "going": going,
        "created_by": row["created_by"],
    }


def parse_time(value: Any, field: str) -> float:
    """Unix seconds, or an ISO 8601 time with its offset (``2026-12-31T23:50:00+09:00``)."""
    if isinstance(value, bool):
        raise EventError(f"{field}: expected Unix seconds or an ISO 8601 time with an offset")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.timestamp()
    raise EventError(f"{field}: expected Unix seconds or an ISO 8601 time with an offset")


class Schedule:
    """Events, gates and RSVPs in PostgreSQL."""

    def __init__(
        self,
        db: Database,
        crowd: Callable[[str], int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``crowd(zone)`` is how many avatars are in the zone now."""
        self.db = db
        self.crowd = crowd
        self.clock = clock

    # -- reading ---------------------------------------------------------------------------

    async def listing(self, who: Identity | None, past: bool = False) -> list[dict[str, Any]]:
        """Events not yet over (``past``: the 100 most recent over ones too), soonest first,
        with their RSVP counts and whether ``who`` is going."""

        async def work(conn: asyncpg.Connection) -> list[dict[str, Any]]:
            rows = await conn.fetch(
                "SELECT e.*, (SELECT count(*) FROM event_rsvps r WHERE r.event_id = e.id) AS n, "
                "EXISTS (SELECT 1 FROM event_rsvps r WHERE r.event_id = e.id "
                "AND r.subject = $1) AS mine FROM festival_events e "
                "WHERE cancelled_at IS NULL AND ($2 OR ends_at > now()) "
                "ORDER BY starts_at, id LIMIT 200",
                None if who is None else who.subject,
                past,
            )
            return [
                event_map(r, int(r["n"]), None if who is None else bool(r["mine"])) for r in rows
            ]

        return await self.db.run(work, deadline_s=DEADLINE_S, transaction=False)

    async def get(self, event_id: int, who: Identity | None = None) -> dict[str, Any]:
        """One event (cancelled ones too)."""

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await self._row(conn, event_id, lock=False)
            return await self._with_rsvps(conn, row, who)

        return await self.db.run(work, deadline_s=DEADLINE_S, transaction=False)

    # -- organizers ------------------------------------------------------------------------

    async def create(self, actor: Identity, body: Mapping[str, Any]) -> dict[str, Any]:
        """A new event on a stage (``zone`` and ``stage`` default to the festival grounds'
        main stage); gates closed until opened."""
        require_role(actor, ORGANIZERS, "scheduling an event")
        fields = self._fields(body, None)
        zone = self._name(body.get("zone", EVENT_ZONE), "zone")
        stage = self._name(body.get("stage", MAIN_STAGE), "stage")

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            await self._no_overlap(conn, zone, stage, fields["starts_at"], fields["ends_at"], 0)
            row = await conn.fetchrow(
                "INSERT INTO festival_events (zone, stage, title, description, starts_at, "
                "ends_at, capacity, performers, created_by, ringers) VALUES ($1, $2, $3::jsonb, "
                "$4::jsonb, $5, $6, $7, $8::text[], $9, $10::text[]) RETURNING *",
                zone,
                stage,
                json.dumps(fields["title"], ensure_ascii=False),
                json.dumps(fields["description"], ensure_ascii=False),
                fields["starts_at"],
                fields["ends_at"],
                fields["capacity"],
                fields["performers"],
                actor.subject,
                fields["ringers"],
            )
            await record_action(conn, actor, "event.create", f"event:{row['id']}", _audit(row))
            return event_map(row)

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def update(self, actor: Identity, body: Mapping[str, Any]) -> dict[str, Any]:
        """Change an event's texts, times, capacity or performers (``id`` and the fields to
        change). A live event's capacity may not go below the crowd in the grounds."""
        require_role(actor, ORGANIZERS, "changing an event")
        event_id = _id(body.get("id"))

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await self._row(conn, event_id, lock=True)
            if row["cancelled_at"] is not None:
                raise EventConflict(f"event {event_id} was cancelled")
            fields = self._fields(body, row)
            now = self.clock()
            live = row["starts_at"].timestamp() <= now < row["ends_at"].timestamp()
            crowd = self.crowd(row["zone"])
            if live and fields["capacity"] < crowd:
                raise EventConflict(
                    f"capacity {fields['capacity']} is below the {crowd} people in the grounds now"
                )
            await self._no_overlap(
                conn, row["zone"], row["stage"], fields["starts_at"], fields["ends_at"], event_id
            )
            updated = await conn.fetchrow(
                "UPDATE festival_events SET title = $2::jsonb, description = $3::jsonb, "
                "starts_at = $4, ends_at = $5, capacity = $6, performers = $7::text[], "
                "ringers = $8::text[], updated_at = now() WHERE id = $1 RETURNING *",
                event_id,
                json.dumps(fields["title"], ensure_ascii=False),
                json.dumps(fields["description"], ensure_ascii=False),
                fields["starts_at"],
                fields["ends_at"],
                fields["capacity"],
                fields["performers"],
                fields["ringers"],
            )
            await record_action(conn, actor, "event.update", f"event:{event_id}", _audit(updated))
            return await self._with_rsvps(conn, updated, None)

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def cancel(self, actor: Identity, event_id: Any) -> dict[str, Any]:
        """Cancel an event (it stays in the database, marked cancelled)."""
        require_role(actor, ORGANIZERS, "cancelling an event")
        eid = _id(event_id)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await self._row(conn, eid, lock=True)
            if row["cancelled_at"] is not None:
                raise EventConflict(f"event {eid} is already cancelled")
            updated = await conn.fetchrow(
                "UPDATE festival_events SET cancelled_at = now(), gates = 'closed', "
                "updated_at = now() WHERE id = $1 RETURNING *",
                eid,
            )
            await record_action(conn, actor, "event.cancel", f"event:{eid}")
            return await self._with_rsvps(conn, updated, None)

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def set_gates(self, actor: Identity, event_id: Any, open_: Any) -> dict[str, Any]:
        """Open or close an event's gates."""
        require_role(actor, ORGANIZERS, "opening or closing the gates")
        eid = _id(event_id)
        if not isinstance(open_, bool):
            raise EventError("open: expected true or false")

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await self._row(conn, eid, lock=True)
            if row["cancelled_at"] is not None:
                raise EventConflict(f"event {eid} was cancelled")
            gates = "open" if open_ else "closed"
            updated = await conn.fetchrow(
                "UPDATE festival_events SET gates = $2, updated_at = now() WHERE id = $1 "
                "RETURNING *",
                eid,
                gates,
            )
            await record_action(conn, actor, f"event.gates_{gates}", f"event:{eid}")
            return await self._with_rsvps(conn, updated, None)

        return await self.db.run(work, deadline_s=DEADLINE_S)

    # -- citizens --------------------------------------------------------------------------

    async def rsvp(self, who: Identity, event_id: Any, going: Any = True) -> dict[str, Any]:
        """Say you come (``going``: true) or not any more; returns the event with the count.
        Saying it twice counts once."""
        eid = _id(event_id)
        if not isinstance(going, bool):
            raise EventError("going: expected true or false")

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await self._row(conn, eid, lock=False)
            if row["cancelled_at"] is not None:
                raise EventConflict(f"event {eid} was cancelled")
            if row["ends_at"].timestamp() <= self.clock():
                raise EventConflict(f"event {eid} is over")
            if going:
                await conn.execute(
                    "INSERT INTO event_rsvps (event_id, subject) VALUES ($1, $2) "
                    "ON CONFLICT DO NOTHING",
                    eid,
                    who.subject,
                )
            else:
                await conn.execute(
                    "DELETE FROM event_rsvps WHERE event_id = $1 AND subject = $2",
                    eid,
                    who.subject,
                )
            return await self._with_rsvps(conn, row, who)

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def gates(self, zone: str) -> dict[str, Any]:
        """Who may come into ``zone`` now: the gates and capacity of the event on now (or
        starting within ``GATES_BEFORE_S``); open, without a capacity, when there is none."""
        rows = await self.db.fetch(
            "SELECT id, title, gates, capacity FROM festival_events WHERE zone = $1 "
            "AND cancelled_at IS NULL AND ends_at > now() "
            "AND starts_at <= now() + make_interval(secs => $2) ORDER BY starts_at LIMIT 1",
            zone,
            GATES_BEFORE_S,
            deadline_s=DEADLINE_S,
        )
        if not rows:
            return {"open": True, "capacity": None, "title": None, "event": None}
        row = rows[0]
        return {
            "open": row["gates"] == "open",
            "capacity": int(row["capacity"]),
            "title": json.loads(row["title"]),
            "event": int(row["id"]),
        }

    async def ringer_of(self, subject: str, zone: str) -> dict[str, Any] | None:
        """The event on now in ``zone`` that chose ``subject`` to ring the bell, or None."""
        rows = await self.db.fetch(
            "SELECT * FROM festival_events WHERE zone = $1 AND cancelled_at IS NULL "
            "AND starts_at <= now() AND ends_at > now() AND $2 = ANY(ringers) LIMIT 1",
            zone,
            subject,
            deadline_s=DEADLINE_S,
        )
        return event_map(rows[0]) if rows else None

    async def starting(self) -> list[tuple[dict[str, Any], list[str]]]:
        """Events that have just started, each once, with the subjects who RSVPed."""

        async def work(conn: asyncpg.Connection) -> list[tuple[dict[str, Any], list[str]]]:
            rows = await conn.fetch(
                "UPDATE festival_events SET announced_at = now() WHERE announced_at IS NULL "
                "AND cancelled_at IS NULL AND starts_at <= now() AND ends_at > now() "
                "RETURNING *"
            )
            out = []
            for row in rows:
                subjects = [
                    r["subject"]
                    for r in await conn.fetch(
                        "SELECT subject FROM event_rsvps WHERE event_id = $1", row["id"]
                    )
                ]
                out.append((event_map(row, len(subjects)), subjects))
            return out

        return await self.db.run(work, deadline_s=DEADLINE_S)

    # -- helpers ---------------------------------------------------------------------------

    async def _row(self, conn: asyncpg.Connection, event_id: int, lock: bool) -> asyncpg.Record:
        query = "SELECT * FROM festival_events WHERE id = $1" + (" FOR UPDATE" if lock else "")
        row = await conn.fetchrow(query, event_id)
        if row is None:
            raise EventNotFound(f"no event {event_id}")
        return row

    async def _with_rsvps(
        self, conn: asyncpg.Connection, row: asyncpg.Record, who: Identity | None
    ) -> dict[str, Any]:
        count = await conn.fetchval(
            "SELECT count(*) FROM event_rsvps WHERE event_id = $1", row["id"]
        )
        going = None
        if who is not None:
            going = bool(
                await conn.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM event_rsvps WHERE event_id = $1 "
                    "AND subject = $2)",
                    row["id"],
                    who.subject,
                )
            )
        return event_map(row, int(count), going)

    async def _no_overlap(
        self,
        conn: asyncpg.Connection,
        zone: str,
        stage: str,
        starts: dt.datetime,
        ends: dt.datetime,
        event_id: int,
    ) -> None:
        # One stage's schedule changes one at a time, in every process.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"stage:{zone}:{stage}")
        other = await conn.fetchrow(
            "SELECT id, title FROM festival_events WHERE zone = $1 AND stage = $2 "
            "AND cancelled_at IS NULL AND id <> $3 AND starts_at < $5 AND ends_at > $4 "
            "ORDER BY starts_at LIMIT 1",
            zone,
            stage,
            event_id,
            starts,
            ends,
        )
        if other is not None:
            title = json.loads(other["title"]).get("ko", "")
            raise EventConflict(f"the {stage} stage has event {other['id']} ({title}) at that time")

    def _fields(self, body: Mapping[str, Any], row: asyncpg.Record | None) -> dict[str, Any]:
        try:
            title = check_texts(
                body.get("title", None if row is None else json.loads(row["title"])),
                "title",
                MAX_TITLE_CHARS,
            )
            description = check_texts(
                body.get("description", None if row is None else json.loads(row["description"])),
                "description",
                MAX_DESCRIPTION_CHARS,
            )
        except TextError as exc:
            raise EventError(str(exc)) from None
        now = self.clock()
        old_start = None if row is None else row["starts_at"].timestamp()
        starts = parse_time(body.get("starts_at", old_start), "starts_at")
        ends = parse_time(
            body.get("ends_at", None if row is None else row["ends_at"].timestamp()), "ends_at"
        )
        if starts != old_start and starts < now - PAST_SLACK_S:
            raise EventError("starts_at: that is in the past; schedule events ahead")
        if ends <= starts:
            raise EventError("ends_at: must be after starts_at")
        if ends - starts > MAX_EVENT_HOURS * 3600:
            raise EventError(f"ends_at: an event lasts at most {MAX_EVENT_HOURS} hours")
        capacity = body.get("capacity", None if row is None else row["capacity"])
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise EventError(f"capacity: expected a whole number from 1 to {MAX_CAPACITY}")
        if not 1 <= capacity <= MAX_CAPACITY:
            raise EventError(f"capacity: {capacity}; expected 1 to {MAX_CAPACITY}")
        performers = _subjects(
            body.get("performers", [] if row is None else list(row["performers"])),
            "performers",
            MAX_PERFORMERS,
        )
        ringers = _subjects(
            body.get("ringers", [] if row is None else list(row["ringers"])),
            "ringers",
            MAX_RINGERS,
        )
        return {
            "title": title,
            "description": description,
            "starts_at": dt.datetime.fromtimestamp(starts, dt.UTC),
            "ends_at": dt.datetime.fromtimestamp(ends, dt.UTC),
            "capacity": capacity,
            "performers": performers,
            "ringers": ringers,
        }

    @staticmethod
    def _name(value: Any, field: str) -> str:
        if not isinstance(value, str) or not value or len(value) > 40:
            raise EventError(f"{field}: expected a name of 1 to 40 characters")
        return value


def _subjects(value: Any, field: str, limit: int) -> list[str]:
    if (
        not isinstance(value, list)
        or len(value) > limit
        or not all(isinstance(v, str) and 0 < len(v) <= _MAX_SUBJECT_CHARS for v in value)
    ):
        raise EventError(f"{field}: expected a list of at most {limit} user ids")
    return list(dict.fromkeys(value))


def _id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise EventError("id: expected an event id")
    return value


def _audit(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "title": json.loads(row["title"]),
        "starts_at": row["starts_at"].isoformat(),
        "ends_at": row["ends_at"].isoformat(),
        "capacity": int(row["capacity"]),
    }
