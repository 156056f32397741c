"""The 120 Center's civil servants: their status at the console, their skills, their desks.

A civil servant who is not offline holds a desk in the 3D center (the lowest free one), so
the desk shows open with their name and their avatar can sit behind it. Desks are handed out
under a transaction-scoped advisory lock, and a unique index keeps two people off one desk
even so. Changes are audited.
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
    STAFF_STATUSES,
    TicketError,
    check_category,
)
from server.db.database import Database
from server.permissions import require_role

__all__ = ["Roster", "staff_map"]

# Serialises desk hand-outs across processes sharing the database ('120' in ASCII).
_DESK_LOCK = 0x313230


def staff_map(row: asyncpg.Record) -> dict[str, Any]:
    """A civil servant's row as the API returns it."""
    return {
        "subject": row["subject"],
        "name": row["name"],
        "status": row["status"],
        "skills": list(row["skills"]),
        "desk": row["desk"],
    }


class Roster:
    """Who staffs the center, and how."""

    def __init__(self, db: Database, categories: Sequence[str], desks: int) -> None:
        """Staff serving ``categories`` at ``desks`` desks (numbered from 1)."""
        self.db = db
        self.categories = tuple(categories)
        self.desks = desks

    async def me(self, staff: Identity) -> dict[str, Any]:
        """The caller's row, created (offline, every category as skill) on first sight."""
        require_role(staff, CENTER_STAFF, "opening the center's console")

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            return staff_map(await self._ensure(conn, staff))

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def update(
        self, staff: Identity, status: Any = None, skills: Any = None
    ) -> dict[str, Any]:
        """Set the caller's ``status`` and/or ``skills``; a status other than offline takes
        a desk if one is free, offline gives it back."""
        require_role(staff, CENTER_STAFF, "changing a console status")
        if status is not None and status not in STAFF_STATUSES:
            raise TicketError(f"status: {status!r}; expected one of {', '.join(STAFF_STATUSES)}")
        wanted = None if skills is None else self._skills(skills)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await self._ensure(conn, staff)
            return staff_map(await self._apply(conn, staff, row, status, wanted))

        return await self.db.run(work, deadline_s=DEADLINE_S)

    async def settle(self, staff: Identity, status: str) -> None:
        """The console's own status change after a call (busy) or the last close or
        transfer (available). Only between those two: a civil servant on break or offline
        is left as they are, and the desk stays as it is (the call or close is audited)."""
        await self.db.fetch(
            "UPDATE center_staff SET status = $2, updated_at = now() WHERE subject = $1 "
            "AND status IN ('available', 'busy') AND status <> $2",
            staff.subject,
            status,
            deadline_s=DEADLINE_S,
        )

    async def everyone(self) -> list[dict[str, Any]]:
        """Every civil servant the center knows, by name."""
        rows = await self.db.fetch("SELECT * FROM center_staff ORDER BY name, subject")
        return [staff_map(r) for r in rows]

    async def _ensure(self, conn: asyncpg.Connection, staff: Identity) -> asyncpg.Record:
        row = await conn.fetchrow(
            "INSERT INTO center_staff (subject, name, skills) VALUES ($1, $2, $3::text[]) "
            "ON CONFLICT (subject) DO UPDATE SET name = EXCLUDED.name RETURNING *",
            staff.subject,
            staff.name,
            list(self.categories),
        )
        assert row is not None
        return row

    async def _apply(
        self,
        conn: asyncpg.Connection,
        staff: Identity,
        row: asyncpg.Record,
        status: str | None,
        skills: list[str] | None,
    ) -> asyncpg.Record:
        new_status = row["status"] if status is None else status
        desk = row["desk"]
        if new_status == "offline":
            desk = None
        elif desk is None:
            desk = await self._free_desk(conn)
        updated = await conn.fetchrow(
            "UPDATE center_staff SET status = $2, skills = $3::text[], desk = $4, "
            "updated_at = now() WHERE subject = $1 RETURNING *",
            staff.subject,
            new_status,
            list(row["skills"]) if skills is None else skills,
            desk,
        )
        await record_action(
            conn,
            staff,
            "center.staff",
            f"staff:{staff.subject}",
            {"status": new_status, "skills": list(updated["skills"]), "desk": desk},
        )
        return updated

    async def _free_desk(self, conn: asyncpg.Connection) -> int | None:
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _DESK_LOCK)
        taken = {
            int(r["desk"])
            for r in await conn.fetch("SELECT desk FROM center_staff WHERE desk IS NOT NULL")
        }
        # More staff than desks: the rest work from the console alone.
        return next((d for d in range(1, self.desks + 1) if d not in taken), None)

    def _skills(self, value: Any) -> list[str]:
        if isinstance(value, str) or not isinstance(value, list) or not value:
            raise TicketError("skills: expected a non-empty list of categories")
        names = {check_category(v, self.categories) for v in value}
        return [c for c in self.categories if c in names]
