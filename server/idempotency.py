"""Idempotency keys: a retried request returns the first result instead of acting twice.

A client makes a key (a UUID, say) for each must-not-be-lost request and sends it again
with every retry. The first attempt stores ``(actor, key) -> result`` in the same
transaction as the action; a retry finds the row and returns the stored result without
acting. Keys are scoped to the actor, so one user cannot replay (or block) another's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

__all__ = ["MAX_KEY_CHARS", "IdempotencyError", "check_key", "once"]

# A UUID is 36 characters; room for a client's own prefix, not for a payload.
MAX_KEY_CHARS = 100
_KEY = re.compile(r"^[A-Za-z0-9._:-]+$")


class IdempotencyError(ValueError):
    """The key is malformed, or was used before for a different action."""


def check_key(key: object) -> str:
    """The key if it is acceptable; raises ``IdempotencyError`` saying why not."""
    if not isinstance(key, str) or not key:
        raise IdempotencyError("an idempotency key (a non-empty string) is required")
    if len(key) > MAX_KEY_CHARS:
        raise IdempotencyError(f"idempotency key longer than {MAX_KEY_CHARS} characters")
    if not _KEY.match(key):
        raise IdempotencyError("idempotency key may hold only letters, digits and . _ : -")
    return key


async def once(
    conn: asyncpg.Connection,
    actor: str,
    key: str,
    action: str,
    act: Callable[[asyncpg.Connection], Awaitable[dict[str, Any]]],
) -> tuple[dict[str, Any], bool]:
    """Run ``act`` unless ``(actor, key)`` was seen; returns (result, True if it ran now).

    Call inside a transaction. Concurrent first attempts with the same key serialise on the
    primary key: the second waits for the first to commit, then returns its result.
    """
    inserted = await conn.fetchval(
        "INSERT INTO idempotency_keys (actor, key, action, result) VALUES ($1, $2, $3, 'null') "
        "ON CONFLICT (actor, key) DO NOTHING RETURNING true",
        actor,
        key,
        action,
    )
    if not inserted:
        row = await conn.fetchrow(
            "SELECT action, result FROM idempotency_keys WHERE actor = $1 AND key = $2",
            actor,
            key,
        )
        if row["action"] != action:
            raise IdempotencyError(
                f"idempotency key already used for another request ({row['action']})"
            )
        stored: dict[str, Any] = json.loads(row["result"])
        return stored, False
    result = await act(conn)
    await conn.execute(
        "UPDATE idempotency_keys SET result = $3::jsonb WHERE actor = $1 AND key = $2",
        actor,
        key,
        json.dumps(result, ensure_ascii=False),
    )
    return result, True
