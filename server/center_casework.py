"""What a civil servant does with the 120 Center's tickets: call the next one, note, transfer
and close.

"Call next" takes the oldest waiting ticket of the caller's categories with
``FOR UPDATE SKIP LOCKED``, so staff calling at the same moment each get a different citizen
and none waits for another's transaction. Each step is an event in the ticket's history and a
row in the audit trail, written in the same transaction as the change. Only the staff member
serving a ticket, or a supervisor, may act on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from server.audit import record_action
from server.auth import Identity
from server.center_rules import (
    CENTER_STAFF,
    DEADLINE_S,
    MAX_DESK,
    MAX_NOTE_CHARS,
    MAX_RESOLUTION_CHARS,
    MAX_STAFF_SUBJECT_CHARS,
    SERVED_STATES,
    TicketConflict,
    TicketError,
    add_event,
    audit_target,
    check_category,
    check_text,
    check_ticket_id,
    lock_ticket,
    optional_text,
    require_open,
    require_serving,
    ticket_map,
    with_position,
)
from server.db.database import Database
from server.permissions import require_role

__all__ = ["Casework"]


class Casework:
    """The staff side of the tickets: calling, notes, transfers, closing."""

    def __init__(self, db: Database, categories: Sequence[str]) -> None:
        """Work the queues ``categories`` in ``db``."""
        self.db = db
        self.categories = tuple(categories)

    async def call_next(
        self, staff: Identity, categories: Sequence[str], desk: int | None = None
    ) -> dict[str, Any] | None:
        """Call the oldest waiting ticket of ``categories`` to ``staff`` (at ``desk``);
        None when those queues are empty."""
        require_role(staff, CENTER_STAFF, "calling the next ticket")
        if isinstance(categories, str) or not categories:
            raise TicketError("categories: expected a non-empty list of categories")
        names = sorted({check_category(c, self.categories) for c in categories})
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
                "UPDATE tickets SET state = 'called', assigned_to = $2, staff_name = $3, "
                "desk = $4, called_at = now(), updated_at = now() WHERE id = $1 RETURNING *",
                tid,
                staff.subject,
                staff.name,
                desk,
            )
            await add_event(conn, tid, staff.subject, "called", {"desk": desk, "name": staff.name})
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
            if row["purged_at"] is not None:
                raise TicketConflict(f"ticket {tid} was purged; nothing more is written to it")
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
        place in time), or to the colleague ``to_staff`` (a subject known to the center).
        Exactly one of the two. ``note`` (internal) says why."""
        require_role(staff, CENTER_STAFF, "transferring a ticket")
        tid = check_ticket_id(ticket_id)
        if (category is None) == (to_staff is None):
            raise TicketError("transfer: give exactly one of category or to_staff")
        target_category = None if category is None else check_category(category, self.categories)
        colleague = None
        if to_staff is not None:
            colleague = check_text(to_staff, "to_staff", MAX_STAFF_SUBJECT_CHARS)
        why = optional_text(note, "note", MAX_NOTE_CHARS)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await lock_ticket(conn, tid)
            require_serving(staff, row, "transfer")
            require_open(row, tid)
            if row["state"] not in SERVED_STATES:
                raise TicketConflict(f"ticket {tid} is {row['state']}; call it before transferring")
            detail: dict[str, Any] = {"from_category": row["category"], "note": why}
            if target_category is not None:
                updated = await conn.fetchrow(
                    "UPDATE tickets SET state = 'waiting', category = $2, assigned_to = NULL, "
                    "staff_name = NULL, desk = NULL, called_at = NULL, updated_at = now() "
                    "WHERE id = $1 RETURNING *",
                    tid,
                    target_category,
                )
                detail["to_category"] = target_category
            else:
                if colleague == row["assigned_to"]:
                    raise TicketConflict(f"ticket {tid} is already assigned to {colleague}")
                name = await conn.fetchval(
                    "SELECT name FROM center_staff WHERE subject = $1", colleague
                )
                if name is None:
                    raise TicketError(f"to_staff: no civil servant {colleague!r} at the center")
                updated = await conn.fetchrow(
                    "UPDATE tickets SET assigned_to = $2, staff_name = $3, desk = "
                    "(SELECT desk FROM center_staff WHERE subject = $2), updated_at = now() "
                    "WHERE id = $1 RETURNING *",
                    tid,
                    colleague,
                    name,
                )
                detail.update(from_staff=row["assigned_to"], to_staff=colleague, to_name=name)
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
                raise TicketConflict(f"ticket {tid} is waiting; call it before closing it")
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

    async def serving(self, staff: Identity) -> list[int]:
        """The ids of the tickets ``staff`` is serving now, oldest call first."""
        rows = await self.db.fetch(
            "SELECT id FROM tickets WHERE assigned_to = $1 AND state = ANY($2::text[]) "
            "ORDER BY called_at, id",
            staff.subject,
            list(SERVED_STATES),
        )
        return [int(r["id"]) for r in rows]
