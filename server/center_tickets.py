"""The Metaverse 120 Center's numbered tickets: taken, called, served, closed, never lost.

Anyone in the plaza, guests included, may take a number for a category (transport, tax...).
The ticket and its ``created`` event are committed before the number is handed out, and an
idempotency key makes a retried request return the same ticket instead of a second one.
Staff call the oldest waiting ticket of their categories; the row is taken with
``FOR UPDATE SKIP LOCKED`` so two desks calling at the same moment never get the same
citizen. Every step is an event in ``ticket_events`` (the full history), and every read or
change by staff is also written to the audit trail, in the same transaction.

A ticket is visible to its citizen, to the staff member serving it and to admins (the
center's supervisors); internal notes are never shown to the citizen.

States: ``waiting`` -> ``called`` -> ``closed`` (``in_consultation`` is reserved for a
consultation in progress), or ``cancelled`` when the citizen leaves the queue. A transfer
puts a called ticket back in another category's queue at its original place in time, or
hands it to a colleague.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from server.audit import record_action
from server.auth import Identity
from server.center_rules import (
    CATEGORIES,
    CENTER_STAFF,
    DEADLINE_S,
    IDEMPOTENT_ACTION,
    INTERNAL_KINDS,
    MAX_CATEGORY_CHARS,
    MAX_COMMENT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_DESK,
    MAX_NOTE_CHARS,
    MAX_RESOLUTION_CHARS,
    MAX_STAFF_SUBJECT_CHARS,
    MAX_STARS,
    MIN_STARS,
    SERVED_STATES,
    SUPERVISORS,
    TAKERS,
    TicketError,
    add_event,
    audit_target,
    check_needs,
    check_text,
    check_ticket_id,
    event_map,
    for_citizen,
    load_ticket,
    lock_ticket,
    optional_text,
    queue_position,
    require_open,
    require_serving,
    ticket_map,
    with_position,
)
from server.db.database import Database
from server.idempotency import check_key, once
from server.permissions import PermissionDenied, require_role

__all__ = ["Tickets"]


class Tickets:
    """Taking, calling, serving and closing the 120 center's tickets, durably."""

    def __init__(self, db: Database, categories: Sequence[str] = CATEGORIES) -> None:
        """Serve the queues ``categories`` (non-empty, distinct short names) from ``db``."""
        names = tuple(categories)
        if not names:
            raise ValueError("at least one ticket category is needed")
        for name in names:
            if not isinstance(name, str) or not name or len(name) > MAX_CATEGORY_CHARS:
                raise ValueError(
                    f"ticket category {name!r}: expected 1..{MAX_CATEGORY_CHARS} characters"
                )
        if len(set(names)) != len(names):
            raise ValueError("ticket categories must be distinct")
        self.db = db
        self.categories = names

    # -- citizens ----------------------------------------------------------------------------

    async def take_number(
        self,
        who: Identity,
        category: Any,
        description: Any,
        needs: Any,
        key: Any,
        callback: bool = False,
    ) -> dict[str, Any]:
        """Take a number in ``category``'s queue; committed (with its ``created`` event)
        before it returns.

        ``key`` is the client's idempotency key: a retry with the same key returns the same
        ticket, as it stands now, and creates nothing. ``callback`` marks a request left
        outside staffed hours. Returns the ticket, with its ``position`` in the queue.
        """
        require_role(who, TAKERS, "taking a number")
        idem_key = check_key(key)
        name = self._category(category)
        text = check_text(description, "description", MAX_DESCRIPTION_CHARS)
        wanted = check_needs(needs)
        if not isinstance(callback, bool):
            raise TicketError("callback: expected true or false")

        async def act(conn: asyncpg.Connection) -> dict[str, Any]:
            ticket_id: int = await conn.fetchval(
                "INSERT INTO tickets (subject, citizen_name, category, description, needs, "
                "callback) VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING id",
                who.subject,
                who.name,
                name,
                text,
                wanted,
                callback,
            )
            await add_event(
                conn,
                ticket_id,
                who.subject,
                "created",
                {"category": name, "needs": wanted, "callback": callback},
            )
            return {"id": ticket_id}

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            first, _ = await once(conn, who.subject, idem_key, IDEMPOTENT_ACTION, act)
            ticket = await load_ticket(conn, int(first["id"]))
            if ticket is None:  # pragma: no cover - tickets are never deleted
                raise TicketError(f"no ticket {first['id']}")
            return await with_position(conn, ticket)

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def position(self, ticket_id: int) -> int | None:
        """The ticket's 1-based place in its category's queue (oldest first), or None when
        it is not waiting (or does not exist)."""
        tid = check_ticket_id(ticket_id)

        async def work(conn: asyncpg.Connection) -> int | None:
            return await queue_position(conn, tid)

        return await self.db.run(work, deadline_s=DEADLINE_S, transaction=False)

    async def cancel(self, who: Identity, ticket_id: int) -> dict[str, Any]:
        """The citizen leaves the queue (or an admin cancels for them), before the
        consultation starts."""
        tid = check_ticket_id(ticket_id)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await lock_ticket(conn, tid)
            supervisor = who.role in SUPERVISORS
            if row["subject"] != who.subject and not supervisor:
                raise PermissionDenied(f"ticket {tid} is not yours to cancel")
            state = row["state"]
            if state == "cancelled":
                raise TicketError(f"ticket {tid} is already cancelled")
            if state == "closed":
                raise TicketError(f"ticket {tid} is already closed")
            if state == "in_consultation":
                raise TicketError(f"ticket {tid} is in consultation; the staff will close it")
            updated = await conn.fetchrow(
                "UPDATE tickets SET state = 'cancelled', closed_at = now(), updated_at = now() "
                "WHERE id = $1 RETURNING *",
                tid,
            )
            await add_event(conn, tid, who.subject, "cancelled", {"was": state})
            if row["subject"] != who.subject:
                await record_action(conn, who, "center.cancel", audit_target(tid), {"was": state})
            return ticket_map(updated)

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def rate(
        self, who: Identity, ticket_id: int, stars: Any, comment: Any = None
    ) -> dict[str, Any]:
        """The citizen's rating of a closed ticket: ``stars`` from 1 to 5, once."""
        tid = check_ticket_id(ticket_id)
        if isinstance(stars, bool) or not isinstance(stars, int):
            raise TicketError(f"stars: expected a whole number from {MIN_STARS} to {MAX_STARS}")
        if not MIN_STARS <= stars <= MAX_STARS:
            raise TicketError(f"stars: {stars}; expected {MIN_STARS} to {MAX_STARS}")
        note = optional_text(comment, "comment", MAX_COMMENT_CHARS)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await lock_ticket(conn, tid)
            if row["subject"] != who.subject:
                raise PermissionDenied(f"only the citizen who took ticket {tid} may rate it")
            if row["state"] != "closed":
                raise TicketError(f"ticket {tid} is {row['state']}; only a closed ticket is rated")
            if row["rating"] is not None:
                raise TicketError(f"ticket {tid} is already rated")
            updated = await conn.fetchrow(
                "UPDATE tickets SET rating = $2, rating_comment = $3, updated_at = now() "
                "WHERE id = $1 RETURNING *",
                tid,
                stars,
                note,
            )
            await add_event(conn, tid, who.subject, "rated", {"stars": stars, "comment": note})
            return ticket_map(updated)

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def get(self, who: Identity, ticket_id: int) -> dict[str, Any]:
        """The ticket with its history (``events``, oldest first).

        Visible to its citizen (without internal notes), to the staff member it is
        assigned to and to admins; anyone else is refused with ``PermissionDenied``.
        Staff and admin reads are audited.
        """
        tid = check_ticket_id(ticket_id)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await conn.fetchrow("SELECT * FROM tickets WHERE id = $1", tid)
            if row is None:
                raise TicketError(f"no ticket {tid}")
            citizen = row["subject"] == who.subject
            serving = who.role in CENTER_STAFF and row["assigned_to"] == who.subject
            supervisor = who.role in SUPERVISORS
            if not (citizen or serving or supervisor):
                raise PermissionDenied(
                    f"ticket {tid} is visible only to its citizen, the staff serving it "
                    "and supervisors"
                )
            rows = await conn.fetch(
                "SELECT * FROM ticket_events WHERE ticket_id = $1 ORDER BY id", tid
            )
            events = [event_map(r) for r in rows]
            staff_view = serving or supervisor
            if staff_view:
                await record_action(conn, who, "center.view_ticket", audit_target(tid))
            else:
                events = [for_citizen(e) for e in events if e["kind"] not in INTERNAL_KINDS]
            ticket = await with_position(conn, ticket_map(row))
            ticket["events"] = events
            return ticket

        return await self.db.run(work, deadline_s=DEADLINE_S)

    # -- staff -------------------------------------------------------------------------------

    async def call_next(
        self, staff: Identity, categories: Sequence[str], desk: int | None = None
    ) -> dict[str, Any] | None:
        """Call the oldest waiting ticket of ``categories`` to ``staff`` (at ``desk``);
        None when those queues are empty.

        The row is taken with ``FOR UPDATE SKIP LOCKED``: staff calling at the same moment
        each get a different ticket, and none waits for another's transaction.
        """
        require_role(staff, CENTER_STAFF, "calling the next ticket")
        if isinstance(categories, str) or not categories:
            raise TicketError("categories: expected a non-empty list of categories")
        names = sorted({self._category(c) for c in categories})
        if desk is not None and (
            isinstance(desk, bool) or not isinstance(desk, int) or not 1 <= desk <= MAX_DESK
        ):
            raise TicketError(f"desk: expected a number from 1 to {MAX_DESK}")

        async def work(conn: asyncpg.Connection) -> dict[str, Any] | None:
            tid = await conn.fetchval(
                "SELECT id FROM tickets WHERE state = 'waiting' AND category = ANY($1::text[]) "
                "ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
                names,
            )
            if tid is None:
                return None
            row = await conn.fetchrow(
                "UPDATE tickets SET state = 'called', assigned_to = $2, desk = $3, "
                "called_at = now(), updated_at = now() WHERE id = $1 RETURNING *",
                tid,
                staff.subject,
                desk,
            )
            await add_event(conn, tid, staff.subject, "called", {"desk": desk})
            await record_action(
                conn, staff, "center.call_next", audit_target(tid), {"category": row["category"]}
            )
            return ticket_map(row)

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def add_note(self, staff: Identity, ticket_id: int, text: Any) -> dict[str, Any]:
        """An internal note on the ticket (never shown to the citizen); returns the event."""
        require_role(staff, CENTER_STAFF, "adding a ticket note")
        tid = check_ticket_id(ticket_id)
        body = check_text(text, "note", MAX_NOTE_CHARS)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await lock_ticket(conn, tid)
            require_serving(staff, row, "add a note to")
            event = await add_event(conn, tid, staff.subject, "note", {"text": body})
            await conn.execute("UPDATE tickets SET updated_at = now() WHERE id = $1", tid)
            await record_action(conn, staff, "center.note", audit_target(tid))
            return event

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def transfer(
        self,
        staff: Identity,
        ticket_id: int,
        category: str | None = None,
        to_staff: str | None = None,
        note: Any = None,
    ) -> dict[str, Any]:
        """Hand a called ticket on: back to waiting in ``category``'s queue (at its original
        place in time), or to the colleague ``to_staff`` (a subject). Exactly one of the two.
        ``note`` (internal) says why."""
        require_role(staff, CENTER_STAFF, "transferring a ticket")
        tid = check_ticket_id(ticket_id)
        if (category is None) == (to_staff is None):
            raise TicketError("transfer: give exactly one of category or to_staff")
        target_category = None if category is None else self._category(category)
        colleague = None
        if to_staff is not None:
            colleague = check_text(to_staff, "to_staff", MAX_STAFF_SUBJECT_CHARS)
        why = optional_text(note, "note", MAX_NOTE_CHARS)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await lock_ticket(conn, tid)
            require_serving(staff, row, "transfer")
            require_open(row, tid)
            if row["state"] not in SERVED_STATES:
                raise TicketError(f"ticket {tid} is {row['state']}; call it before transferring")
            detail: dict[str, Any] = {"from_category": row["category"], "note": why}
            if target_category is not None:
                updated = await conn.fetchrow(
                    "UPDATE tickets SET state = 'waiting', category = $2, assigned_to = NULL, "
                    "desk = NULL, called_at = NULL, updated_at = now() WHERE id = $1 RETURNING *",
                    tid,
                    target_category,
                )
                detail["to_category"] = target_category
            else:
                if colleague == row["assigned_to"]:
                    raise TicketError(f"ticket {tid} is already assigned to {colleague}")
                updated = await conn.fetchrow(
                    "UPDATE tickets SET assigned_to = $2, desk = NULL, updated_at = now() "
                    "WHERE id = $1 RETURNING *",
                    tid,
                    colleague,
                )
                detail.update(from_staff=row["assigned_to"], to_staff=colleague)
            await add_event(conn, tid, staff.subject, "transferred", detail)
            await record_action(conn, staff, "center.transfer", audit_target(tid), detail)
            return await with_position(conn, ticket_map(updated))

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def close(self, staff: Identity, ticket_id: int, resolution: Any) -> dict[str, Any]:
        """Close a called ticket with its ``resolution`` (which the citizen sees)."""
        require_role(staff, CENTER_STAFF, "closing a ticket")
        tid = check_ticket_id(ticket_id)
        text = check_text(resolution, "resolution", MAX_RESOLUTION_CHARS)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await lock_ticket(conn, tid)
            require_serving(staff, row, "close")
            require_open(row, tid)
            if row["state"] == "waiting":
                raise TicketError(f"ticket {tid} is waiting; call it before closing it")
            updated = await conn.fetchrow(
                "UPDATE tickets SET state = 'closed', resolution = $2, closed_at = now(), "
                "updated_at = now() WHERE id = $1 RETURNING *",
                tid,
                text,
            )
            await add_event(conn, tid, staff.subject, "closed", {"resolution": text})
            await record_action(conn, staff, "center.close", audit_target(tid))
            return ticket_map(updated)

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def waiting(self) -> list[dict[str, Any]]:
        """Every waiting ticket, oldest first, each with its position in its queue (to
        rebuild the queues when the server starts)."""
        rows = await self.db.fetch(
            "SELECT *, row_number() OVER (PARTITION BY category ORDER BY created_at, id) "
            "AS place FROM tickets WHERE state = 'waiting' ORDER BY created_at, id"
        )
        return [ticket_map(r, int(r["place"])) for r in rows]

    # -- helpers -----------------------------------------------------------------------------

    def _category(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.categories:
            raise TicketError(
                f"unknown category {value!r}; expected one of {', '.join(self.categories)}"
            )
        return value
