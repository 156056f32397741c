"""The Metaverse 120 Center's numbered tickets, as the citizen lives them: taken, followed,
talked about, left, rated; never lost.

Anyone in the plaza, guests included, may take a number for a category (transport, tax...).
The ticket and its ``created`` event are committed before the number is handed out, and an
idempotency key makes a retried request return the same ticket instead of a second one.
Every step is an event in ``ticket_events`` (the full history); every read by staff is also
written to the audit trail, in the same transaction. The staff side (call next, notes,
transfers, closing) is ``server.center_casework``.

A ticket is visible to its citizen, to the staff member serving it and to admins (the
center's supervisors); internal notes are never shown to the citizen.

States: ``waiting`` -> ``called`` -> ``in_consultation`` (once either side has said
something) -> ``closed``, or ``cancelled`` when the citizen leaves the queue before the
consultation. A transfer puts a served ticket back in another category's queue at its
original place in time, or hands it to a colleague.
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
    MAX_CONTACT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_STARS,
    MIN_STARS,
    SERVED_STATES,
    SUPERVISORS,
    TAKERS,
    TicketConflict,
    TicketError,
    TicketNotFound,
    add_event,
    audit_target,
    check_category,
    check_needs,
    check_text,
    check_ticket_id,
    event_map,
    for_citizen,
    load_ticket,
    lock_ticket,
    optional_text,
    queue_position,
    require_serving,
    ticket_map,
    with_position,
)
from server.db.database import Database
from server.idempotency import check_key, once
from server.permissions import PermissionDenied, require_role

__all__ = ["MINE_SHOWN", "Tickets"]

# "My tickets" lists the newest this many.
MINE_SHOWN = 20


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
        callback: Any = False,
        contact: Any = None,
    ) -> dict[str, Any]:
        """Take a number in ``category``'s queue; committed (with its ``created`` event)
        before it returns.

        ``key`` is the client's idempotency key: a retry with the same key returns the same
        ticket, as it stands now, and creates nothing. ``callback`` marks a request left
        outside staffed hours and needs ``contact`` (a phone number or e-mail address).
        Returns the ticket, with its ``position`` in the queue.
        """
        require_role(who, TAKERS, "taking a number")
        idem_key = check_key(key)
        name = check_category(category, self.categories)
        text = check_text(description, "description", MAX_DESCRIPTION_CHARS)
        wanted = check_needs(needs)
        if not isinstance(callback, bool):
            raise TicketError("callback: expected true or false")
        reach = optional_text(contact, "contact", MAX_CONTACT_CHARS)
        if callback and reach is None:
            raise TicketError("contact: a callback needs a phone number or e-mail address")

        async def act(conn: asyncpg.Connection) -> dict[str, Any]:
            ticket_id: int = await conn.fetchval(
                "INSERT INTO tickets (subject, citizen_name, category, description, needs, "
                "callback, contact) VALUES ($1, $2, $3, $4, $5::text[], $6, $7) RETURNING id",
                who.subject,
                who.name,
                name,
                text,
                wanted,
                callback,
                reach,
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
                raise TicketNotFound(f"no ticket {first['id']}")
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
                raise TicketConflict(f"ticket {tid} is already cancelled")
            if state == "closed":
                raise TicketConflict(f"ticket {tid} is already closed")
            if state == "in_consultation":
                raise TicketConflict(f"ticket {tid} is in consultation; the staff will close it")
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
                raise TicketConflict(
                    f"ticket {tid} is {row['state']}; only a closed ticket is rated"
                )
            if row["rating"] is not None:
                raise TicketConflict(f"ticket {tid} is already rated")
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

    async def mine(self, who: Identity) -> list[dict[str, Any]]:
        """The citizen's newest tickets (at most ``MINE_SHOWN``), newest first, waiting ones
        with their place in the queue."""

        async def work(conn: asyncpg.Connection) -> list[dict[str, Any]]:
            rows = await conn.fetch(
                "SELECT * FROM tickets WHERE subject = $1 ORDER BY created_at DESC, id DESC "
                "LIMIT $2",
                who.subject,
                MINE_SHOWN,
            )
            return [await with_position(conn, ticket_map(r)) for r in rows]

        return await self.db.run(work, deadline_s=DEADLINE_S, transaction=False)

    async def message(
        self, who: Identity, ticket_id: int, text: Any
    ) -> tuple[dict[str, Any], dict[str, Any], bool]:
        """A line of the private consultation, from the ticket's citizen or the staff serving
        it (or a supervisor). The first line moves a called ticket to ``in_consultation``.
        Returns the event, the ticket, and whether this line began the consultation."""
        tid = check_ticket_id(ticket_id)
        body = check_text(text, "text", MAX_MESSAGE_CHARS)

        async def work(
            conn: asyncpg.Connection,
        ) -> tuple[dict[str, Any], dict[str, Any], bool]:
            row = await lock_ticket(conn, tid)
            citizen = row["subject"] == who.subject
            if not citizen:
                if who.role not in CENTER_STAFF:
                    raise PermissionDenied(f"ticket {tid} is not yours")
                require_serving(who, row, "message")
            if row["state"] not in SERVED_STATES:
                raise TicketConflict(
                    f"ticket {tid} is {row['state']}; messages are possible while it is "
                    "being served"
                )
            first = row["state"] == "called"
            updated = await conn.fetchrow(
                "UPDATE tickets SET state = 'in_consultation', updated_at = now() "
                "WHERE id = $1 RETURNING *",
                tid,
            )
            event = await add_event(
                conn, tid, who.subject, "message", {"text": body, "name": who.name}
            )
            if not citizen:
                await record_action(conn, who, "center.message", audit_target(tid))
            return event, ticket_map(updated), first

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def get(self, who: Identity, ticket_id: int, audit: bool = True) -> dict[str, Any]:
        """The ticket with its history (``events``, oldest first).

        Visible to its citizen (without internal notes), to the staff member it is
        assigned to and to admins; anyone else is refused with ``PermissionDenied``.
        Staff and admin reads are audited (``audit=False``: a read the caller has audited
        already, such as a console refreshing the same ticket).
        """
        tid = check_ticket_id(ticket_id)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await conn.fetchrow("SELECT * FROM tickets WHERE id = $1", tid)
            if row is None:
                raise TicketNotFound(f"no ticket {tid}")
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
                if audit:
                    await record_action(conn, who, "center.view_ticket", audit_target(tid))
            else:
                events = [for_citizen(e) for e in events if e["kind"] not in INTERNAL_KINDS]
            ticket = await with_position(conn, ticket_map(row))
            ticket["events"] = events
            return ticket

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def waiting(self) -> list[dict[str, Any]]:
        """Every waiting ticket, oldest first, each with its position in its queue (to
        rebuild the queues when the server starts)."""
        rows = await self.db.fetch(
            "SELECT *, row_number() OVER (PARTITION BY category ORDER BY created_at, id) "
            "AS place FROM tickets WHERE state = 'waiting' ORDER BY created_at, id"
        )
        return [ticket_map(r, int(r["place"])) for r in rows]
