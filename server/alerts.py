"""Emergency alerts: one message from an admin to every connected client, in every zone, at
once, above everything else.

The alert is written (with its audit row) first, then sent on every live connection in the
reader's language (else English, else Korean) as an ALERT message, which clients show over
everything and read out (an assertive live region). ``GET /api/alerts`` lists the alerts of
the last ``ACTIVE_MINUTES`` for clients that connect later.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg

from server.audit import record_action
from server.auth import Identity
from server.db.database import Database
from server.permissions import require_role
from world.locale_text import TextError, check_texts, pick
from world.roles import Role

__all__ = [
    "ACTIVE_MINUTES",
    "ALERT_SENDERS",
    "MAX_ALERT_BODY_CHARS",
    "MAX_ALERT_TITLE_CHARS",
    "MAX_IMAGE_CHARS",
    "AlertError",
    "Alerts",
    "localize",
]

ALERT_SENDERS = frozenset({Role.ADMIN})
MAX_ALERT_TITLE_CHARS = 100
MAX_ALERT_BODY_CHARS = 1000
MAX_IMAGE_CHARS = 500
# Alerts this recent are listed for clients that connect after they were sent.
ACTIVE_MINUTES = 30
DEADLINE_S = 10.0

# Sends an alert (as stored: texts by locale) to every live connection, each in its reader's
# language (``localize``); returns how many connections it reached.
Deliver = Callable[[Mapping[str, Any]], int]


class AlertError(ValueError):
    """A malformed alert; the message names the field."""


def _alert(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": int(row["id"]),
        "title": json.loads(row["title"]),
        "body": json.loads(row["body"]),
        "image": row["image"],
        "sent_by": row["sent_by"],
        "sent_at": row["sent_at"].timestamp(),
        "reached": int(row["reached"]),
    }


def localize(alert: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """The alert as one reader gets it: title and body in their language."""
    title, used = pick(alert["title"], locale)
    body, _ = pick(alert["body"], used)
    return {
        "id": alert["id"],
        "title": title,
        "body": body,
        "image": alert["image"],
        "locale": used,
        "sent_at": alert["sent_at"],
    }


def check_image(value: Any) -> str | None:
    """An image served by Plaza (``/path.png``) or an https URL, or None."""
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or len(value) > MAX_IMAGE_CHARS
        or not (value.startswith("/") or value.startswith("https://"))
        or any(c.isspace() for c in value)
    ):
        raise AlertError(
            f"image: expected a path served here (/...) or an https:// URL, at most "
            f"{MAX_IMAGE_CHARS} characters"
        )
    return value


class Alerts:
    """Sends and lists emergency alerts."""

    def __init__(self, db: Database, deliver: Deliver) -> None:
        self.db = db
        self.deliver = deliver

    async def send(self, actor: Identity, body: Mapping[str, Any]) -> dict[str, Any]:
        """{title, body, image?} (admins): stored, then sent to everyone connected."""
        require_role(actor, ALERT_SENDERS, "sending an emergency alert")
        try:
            title = check_texts(body.get("title"), "title", MAX_ALERT_TITLE_CHARS)
            text = check_texts(body.get("body"), "body", MAX_ALERT_BODY_CHARS)
        except TextError as exc:
            raise AlertError(str(exc)) from None
        image = check_image(body.get("image"))

        async def store(conn: asyncpg.Connection) -> dict[str, Any]:
            row = await conn.fetchrow(
                "INSERT INTO alerts (title, body, image, sent_by) "
                "VALUES ($1::jsonb, $2::jsonb, $3, $4) RETURNING *",
                json.dumps(title, ensure_ascii=False),
                json.dumps(text, ensure_ascii=False),
                image,
                actor.subject,
            )
            await record_action(conn, actor, "alert.send", f"alert:{row['id']}", {"title": title})
            return _alert(row)

        alert = await self.db.run(store, deadline_s=DEADLINE_S)
        alert["reached"] = self.deliver(alert)
        await self.db.fetch(
            "UPDATE alerts SET reached = $2 WHERE id = $1",
            alert["id"],
            alert["reached"],
            deadline_s=DEADLINE_S,
        )
        return alert

    async def recent(self) -> list[dict[str, Any]]:
        """Alerts of the last ``ACTIVE_MINUTES``, newest first."""
        rows = await self.db.fetch(
            "SELECT * FROM alerts WHERE sent_at > now() - make_interval(mins => $1) "
            "ORDER BY sent_at DESC, id DESC",
            ACTIVE_MINUTES,
            deadline_s=DEADLINE_S,
        )
        return [_alert(r) for r in rows]
