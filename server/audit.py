"""The audit trail: every privileged action, written in the same transaction as the action.

A ban and its audit row commit together or not at all, so the trail can never miss an
action that happened nor record one that did not. The table refuses updates and deletes
(migration 0001), so the trail is append-only whoever connects.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from server.auth import Identity

__all__ = ["record_action"]


async def record_action(
    conn: asyncpg.Connection,
    actor: Identity,
    action: str,
    target: str | None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one row (call inside the action's transaction); returns its id."""
    row_id: int = await conn.fetchval(
        "INSERT INTO audit_log (actor, actor_role, action, target, detail) "
        "VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id",
        actor.subject,
        str(actor.role),
        action,
        target,
        json.dumps(detail or {}, ensure_ascii=False),
    )
    return row_id
