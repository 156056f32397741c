"""Bans and mutes: durable records first, then the live effect.

A sanction commits (with its audit row and idempotency key, in one transaction) before the
moderator is told it is done. Then the in-memory ``SanctionList`` learns of it, so the
upgrade check stays synchronous, and the gateway closes the banned user's live connections
at once. At start the list is loaded from the database; expired sanctions simply stop
matching.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from server.audit import record_action
from server.auth import Identity
from server.db.database import Database
from server.idempotency import check_key, once
from server.permissions import MODERATORS, require_role
from world.roles import Role

# Who mutes and bans over HTTP: moderators and admins, and organizers running an event from
# their console (every sanction is audited with its author).
SANCTIONERS = MODERATORS | {Role.ORGANIZER}

__all__ = [
    "DURABLE_DEADLINE_S",
    "KINDS",
    "MAX_REASON_CHARS",
    "MAX_SANCTION_MINUTES",
    "Moderation",
    "Sanction",
    "SanctionError",
    "SanctionList",
]

log = logging.getLogger("plaza.moderation")

KINDS = ("ban", "mute")
MAX_REASON_CHARS = 500
# Ten years: "until lifted" is said with no duration, not with a huge one.
MAX_SANCTION_MINUTES = 10 * 365 * 24 * 60
# Ids are PostgreSQL bigserial values.
MAX_SANCTION_ID = 2**63 - 1
# A moderator waits this long for the record to commit through a database outage; after it
# the request fails (nothing applied) and the client retries with the same key.
DURABLE_DEADLINE_S = 20.0


class SanctionError(ValueError):
    """A sanction request is malformed; the message says what to fix."""


@dataclass(frozen=True)
class Sanction:
    """One ban or mute."""

    id: int
    subject: str
    kind: str
    reason: str
    created_by: str
    expires_at: float | None

    def in_force(self, now: float) -> bool:
        """True until it expires (a lifted sanction is removed from the list instead)."""
        return self.expires_at is None or now < self.expires_at

    def to_wire(self) -> dict[str, Any]:
        """As JSON/msgpack for the API and the moderator's reply."""
        return {
            "id": self.id,
            "subject": self.subject,
            "kind": self.kind,
            "reason": self.reason,
            "created_by": self.created_by,
            "expires_at": self.expires_at,
        }

    def describe(self) -> str:
        """The sentence a sanctioned user is shown."""
        until = (
            "until lifted"
            if self.expires_at is None
            else "until "
            + dt.datetime.fromtimestamp(self.expires_at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        )
        verb = "banned" if self.kind == "ban" else "muted"
        return f"{verb} {until}: {self.reason}"


class SanctionList:
    """Sanctions in force, by subject, held in memory so checks never await."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Sanction] = {}

    def add(self, sanction: Sanction) -> None:
        """Record a sanction (the latest of a kind per subject wins)."""
        self._items[(sanction.subject, sanction.kind)] = sanction

    def remove(self, sanction_id: int) -> Sanction | None:
        """Forget a lifted sanction; returns it if it was held."""
        for key, sanction in list(self._items.items()):
            if sanction.id == sanction_id:
                del self._items[key]
                return sanction
        return None

    def find(self, subject: str, kind: str, now: float | None = None) -> Sanction | None:
        """The sanction of ``kind`` in force on ``subject``, if any."""
        sanction = self._items.get((subject, kind))
        if sanction is None:
            return None
        if not sanction.in_force(time.time() if now is None else now):
            del self._items[(subject, kind)]
            return None
        return sanction

    async def load(self, db: Database) -> int:
        """Load every sanction in force; returns how many."""
        rows = await db.fetch(
            "SELECT id, subject, kind, reason, created_by, expires_at FROM sanctions "
            "WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now()) "
            "ORDER BY created_at"
        )
        self._items.clear()
        for row in rows:
            self.add(_sanction(row))
        return len(rows)


def _sanction(row: asyncpg.Record) -> Sanction:
    expires = row["expires_at"]
    return Sanction(
        id=row["id"],
        subject=row["subject"],
        kind=row["kind"],
        reason=row["reason"],
        created_by=row["created_by"],
        expires_at=None if expires is None else expires.timestamp(),
    )


def _check_request(kind: object, subject: object, reason: object, minutes: object) -> None:
    if kind not in KINDS:
        raise SanctionError(f"kind must be one of {', '.join(KINDS)}")
    if not isinstance(subject, str) or not subject or len(subject) > 200:
        raise SanctionError("subject must be a user id (a non-empty string)")
    if not isinstance(reason, str) or not reason.strip():
        raise SanctionError("a reason is required")
    if len(reason) > MAX_REASON_CHARS:
        raise SanctionError(f"reason longer than {MAX_REASON_CHARS} characters")
    if minutes is not None and (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not 1 <= minutes <= MAX_SANCTION_MINUTES
    ):
        raise SanctionError(
            f"minutes must be a whole number within 1..{MAX_SANCTION_MINUTES}, or omitted for "
            "until lifted"
        )


class Moderation:
    """Issues and lifts sanctions for moderators and admins."""

    def __init__(
        self,
        db: Database,
        sanctions: SanctionList,
        on_sanction: Callable[[Sanction], None] = lambda s: None,
    ) -> None:
        self.db = db
        self.sanctions = sanctions
        self._on_sanction = on_sanction

    async def sanction(
        self,
        actor: Identity,
        *,
        kind: str,
        subject: str,
        reason: str,
        minutes: int | None,
        key: str,
    ) -> tuple[Sanction, bool]:
        """Ban or mute ``subject``; returns the sanction and whether it was made now.

        Raises ``PermissionDenied``, ``SanctionError``, ``IdempotencyError`` or
        ``DatabaseUnavailable`` (nothing was applied: retry with the same key).
        """
        require_role(actor, SANCTIONERS, f"a {kind}" if kind in KINDS else "a sanction")
        _check_request(kind, subject, reason, minutes)
        key = check_key(key)
        if subject == actor.subject:
            raise SanctionError(f"you cannot {kind} yourself")
        reason = reason.strip()

        async def act(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await conn.fetchrow(
                "INSERT INTO sanctions (subject, kind, reason, created_by, expires_at) "
                "VALUES ($1, $2, $3, $4, CASE WHEN $5::int IS NULL THEN NULL "
                "ELSE now() + make_interval(mins => $5::int) END) "
                "RETURNING id, subject, kind, reason, created_by, expires_at",
                subject,
                kind,
                reason,
                actor.subject,
                minutes,
            )
            sanction = _sanction(row)
            await record_action(
                conn, actor, kind, subject, {"reason": reason, "minutes": minutes, "id": row["id"]}
            )
            return sanction.to_wire()

        async def work(conn: asyncpg.Connection) -> tuple[dict[str, Any], bool]:
            # The key is bound to what it asked for: reused for another target, it is refused.
            return await once(conn, actor.subject, key, f"{kind} {subject}", act)

        result, made = await self.db.run(work, deadline_s=DURABLE_DEADLINE_S)
        sanction = Sanction(**result)
        # A replay answers as the first time did and changes nothing: the sanction may have
        # been lifted since. (After a crash, the start-up load puts it in force.)
        if made and sanction.in_force(time.time()):
            self.sanctions.add(sanction)
            self._on_sanction(sanction)
        if made:
            log.info("%s %s %s: %s", actor.subject, kind, subject, reason)
        return sanction, made

    async def earlier_sanction(self, actor: Identity, key: str, kind: str) -> Sanction | None:
        """The sanction an earlier request of ``actor`` with ``key`` made, if any."""
        rows = await self.db.fetch(
            "SELECT action, result FROM idempotency_keys WHERE actor = $1 AND key = $2",
            actor.subject,
            key,
            deadline_s=DURABLE_DEADLINE_S,
        )
        if not rows or not rows[0]["action"].startswith(f"{kind} "):
            return None
        return Sanction(**json.loads(rows[0]["result"]))

    async def lift(self, actor: Identity, sanction_id: int, key: str) -> bool:
        """Lift a sanction; returns True if it was in force. Audited like the sanction."""
        require_role(actor, SANCTIONERS, "lifting a sanction")
        key = check_key(key)
        if not 1 <= sanction_id <= MAX_SANCTION_ID:
            raise SanctionError(f"no sanction {sanction_id}")

        async def act(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await conn.fetchrow(
                "UPDATE sanctions SET lifted_at = now(), lifted_by = $2 "
                "WHERE id = $1 AND lifted_at IS NULL RETURNING subject, kind",
                sanction_id,
                actor.subject,
            )
            if row is None:
                return {"lifted": False}
            await record_action(
                conn, actor, f"lift_{row['kind']}", row["subject"], {"id": sanction_id}
            )
            return {"lifted": True}

        async def work(conn: asyncpg.Connection) -> tuple[dict[str, Any], bool]:
            return await once(conn, actor.subject, key, f"lift {sanction_id}", act)

        result, made = await self.db.run(work, deadline_s=DURABLE_DEADLINE_S)
        if made:
            lifted = self.sanctions.remove(sanction_id)
            if lifted is not None:
                # Live sessions follow the list: a lifted mute lets the user speak again.
                self._on_sanction(lifted)
        return bool(result["lifted"])
