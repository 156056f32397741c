"""Erasing the texts of ended 120 Center tickets after the retention period.

A closed or cancelled ticket keeps its description, contact, resolution, rating comment,
messages and notes for ``retention_days``; then they are erased in one transaction per batch
and a ``purged`` event records when. Category, times, states and star ratings stay, so the
figures of past days still add up.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from server.center_rules import DEADLINE_S
from server.db.database import Database

__all__ = ["DEFAULT_RETENTION_DAYS", "PURGE_BATCH", "purge_ended"]

# How long ended tickets keep their texts unless configured otherwise.
DEFAULT_RETENTION_DAYS = 90.0

# Tickets purged per transaction, so a first sweep over years of tickets never holds long
# locks.
PURGE_BATCH = 500
# Event kinds whose details hold free text.
_TEXT_KINDS = ("created", "message", "note", "transferred", "closed", "rated")


async def purge_ended(db: Database, retention_days: float, now: float) -> int:
    """Purge every ticket that ended more than ``retention_days`` before ``now``; returns
    how many were purged."""
    cutoff = dt.datetime.fromtimestamp(now - retention_days * 86400.0, dt.UTC)
    total = 0
    while True:

        async def work(conn: asyncpg.Connection) -> int:
            ids = [
                int(r["id"])
                for r in await conn.fetch(
                    "SELECT id FROM tickets WHERE purged_at IS NULL AND closed_at IS NOT NULL "
                    "AND closed_at < $1 ORDER BY closed_at LIMIT $2 FOR UPDATE SKIP LOCKED",
                    cutoff,
                    PURGE_BATCH,
                )
            ]
            if not ids:
                return 0
            await conn.execute(
                "UPDATE tickets SET description = '', contact = NULL, resolution = NULL, "
                "rating_comment = NULL, purged_at = now() WHERE id = ANY($1::bigint[])",
                ids,
            )
            await conn.execute(
                "UPDATE ticket_events SET detail = '{}'::jsonb "
                "WHERE ticket_id = ANY($1::bigint[]) AND kind = ANY($2::text[])",
                ids,
                list(_TEXT_KINDS),
            )
            await conn.execute(
                "INSERT INTO ticket_events (ticket_id, actor, kind, detail) "
                "SELECT id, 'retention', 'purged', jsonb_build_object('days', $2::float8) "
                "FROM unnest($1::bigint[]) AS id",
                ids,
                retention_days,
            )
            return len(ids)

        done = await db.run(work, deadline_s=DEADLINE_S)
        total += done
        if done < PURGE_BATCH:
            return total
