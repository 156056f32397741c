"""Seoul Plaza's notice board: notices posted by staff, kept in PostgreSQL.

A notice commits (with its audit row) before anyone is told it exists. After every change the
board publishes the current notices to the ``seoul_plaza`` zone as a sticky ``notices`` event,
so every instance, including ones that open later, shows the same board. Posting works from
the plaza itself (a ZONE message, carried out as the ``notice.post`` intent) and over HTTP.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import asyncpg

from server.audit import record_action
from server.auth import Identity
from server.db.database import Database
from server.permissions import require_role
from server.zone_store import IntentRefused
from world.intents import Persist
from world.locale_text import TextError, check_texts
from world.roles import Role
from world.zone_api import ServerEvent

__all__ = [
    "MAX_NOTICE_BODY_CHARS",
    "MAX_NOTICE_HOURS",
    "MAX_NOTICE_TITLE_CHARS",
    "NOTICE_POSTERS",
    "NOTICE_ZONE",
    "SHOWN_NOTICES",
    "NoticeBoard",
]

NOTICE_ZONE = "seoul_plaza"
NOTICE_POSTERS = frozenset({Role.STAFF, Role.ORGANIZER, Role.MODERATOR, Role.ADMIN})
MAX_NOTICE_TITLE_CHARS = 100
MAX_NOTICE_BODY_CHARS = 1000
# A notice may be posted to expire; at most a year ahead (none: until removed).
MAX_NOTICE_HOURS = 24 * 366
# The board shows the newest notices; older ones stay in the database.
SHOWN_NOTICES = 20
DEADLINE_S = 10.0

Notify = Callable[..., bool]


def _notice(row: asyncpg.Record) -> dict[str, Any]:
    expires = row["expires_at"]
    return {
        "id": int(row["id"]),
        "title": json.loads(row["title"]),
        "body": json.loads(row["body"]),
        "posted_by": row["posted_by"],
        "posted_at": row["posted_at"].timestamp(),
        "expires_at": None if expires is None else expires.timestamp(),
    }


def check_notice(
    title: Any, body: Any, hours: Any
) -> tuple[dict[str, str], dict[str, str], int | None]:
    """Validated (title, body, hours); raises ``TextError`` naming the field."""
    texts = (
        check_texts(title, "title", MAX_NOTICE_TITLE_CHARS),
        check_texts(body, "body", MAX_NOTICE_BODY_CHARS),
    )
    if hours is not None and (
        isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_NOTICE_HOURS
    ):
        raise TextError(f"hours: expected a whole number of hours, 1..{MAX_NOTICE_HOURS}")
    return texts[0], texts[1], hours


class NoticeBoard:
    """The notices, their changes, and publishing them to the plaza."""

    def __init__(self, db: Database, notify: Notify) -> None:
        self.db = db
        self.notify = notify

    async def current(self) -> list[dict[str, Any]]:
        """The notices on the board now, newest first."""
        rows = await self.db.fetch(
            "SELECT * FROM notices WHERE removed_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > now()) ORDER BY posted_at DESC LIMIT $1",
            SHOWN_NOTICES,
        )
        return [_notice(r) for r in rows]

    async def publish(self) -> None:
        """Tell every instance of the plaza what the board shows now."""
        notices = await self.current()
        self.notify(NOTICE_ZONE, ServerEvent("notices", {"notices": notices}), sticky=True)

    async def post(
        self, actor: Identity, title: Any, body: Any, hours: Any = None
    ) -> dict[str, Any]:
        """Post a notice (staff, organizers, moderators, admins); committed and audited
        before it returns, then published."""
        require_role(actor, NOTICE_POSTERS, "posting a notice")
        title, body, hours = check_notice(title, body, hours)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            return await self._insert(conn, actor, title, body, hours)

        notice = await self.db.run(work, deadline_s=DEADLINE_S)
        await self.publish()
        return notice

    async def remove(self, actor: Identity, notice_id: int) -> bool:
        """Take a notice down; True if it was up."""
        require_role(actor, NOTICE_POSTERS, "removing a notice")

        async def work(conn: asyncpg.Connection) -> bool:
            row = await conn.fetchrow(
                "UPDATE notices SET removed_at = now(), removed_by = $2 "
                "WHERE id = $1 AND removed_at IS NULL RETURNING id",
                notice_id,
                actor.subject,
            )
            if row is None:
                return False
            await record_action(conn, actor, "remove_notice", str(notice_id))
            return True

        removed = await self.db.run(work, deadline_s=DEADLINE_S)
        if removed:
            await self.publish()
        return bool(removed)

    async def handle_post(self, conn: asyncpg.Connection, intent: Persist) -> dict[str, Any]:
        """The ``notice.post`` intent: a post made in the plaza (the zone checked the role)."""
        data = intent.data
        actor = Identity(intent.subject or "", data["name"], Role(data["role"]), "ko", 0.0)
        if actor.role not in NOTICE_POSTERS:
            raise IntentRefused("posting a notice needs the staff role")
        try:
            title, body, hours = check_notice(
                data.get("title"), data.get("body"), data.get("hours")
            )
        except TextError as exc:
            raise IntentRefused(str(exc)) from None
        return await self._insert(conn, actor, title, body, hours)

    async def _insert(
        self,
        conn: asyncpg.Connection,
        actor: Identity,
        title: dict[str, str],
        body: dict[str, str],
        hours: int | None,
    ) -> dict[str, Any]:
        expires = None if hours is None else dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
        row = await conn.fetchrow(
            "INSERT INTO notices (title, body, posted_by, expires_at) "
            "VALUES ($1::jsonb, $2::jsonb, $3, $4) RETURNING *",
            json.dumps(title, ensure_ascii=False),
            json.dumps(body, ensure_ascii=False),
            actor.subject,
            expires,
        )
        await record_action(conn, actor, "post_notice", str(row["id"]), {"title": title})
        return _notice(row)
