"""The 120 Center's figures: waiting tickets, wait and handling times, satisfaction, work
per civil servant. The supervisors' dashboard, ``GET /api/center/stats``, the console's
"your day" and ``/metrics`` all read them from here, so they always agree.

Wait time runs from taking the number to being called; handling time from being called to
closing. "Today" starts at midnight in the center's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import asyncpg

from server.center_rules import DEADLINE_S, MAX_STARS, MIN_STARS, STAFF_STATUSES
from server.db.database import Database

__all__ = ["DEFAULT_HANDLING_S", "ESTIMATE_WINDOW_S", "Figures"]

# The handling time assumed before the center has closed any ticket recently.
DEFAULT_HANDLING_S = 300.0
# Wait estimates use the handling times of tickets closed in this window.
ESTIMATE_WINDOW_S = 2 * 3600.0
_QUANTILES = (0.5, 0.9, 0.99)


def _stamp(when: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(when, dt.UTC)


def _percentiles(values: Sequence[float | None] | None, count: int) -> dict[str, Any]:
    names = ("p50", "p90", "p99")
    if not values or count == 0:
        return {**dict.fromkeys(names), "count": count}
    return {
        **{
            n: None if v is None else round(float(v), 1) for n, v in zip(names, values, strict=True)
        },
        "count": count,
    }


_WAIT = "extract(epoch FROM called_at - created_at)"
_HANDLING = "extract(epoch FROM closed_at - called_at)"


class Figures:
    """Reads the center's figures from PostgreSQL."""

    def __init__(self, db: Database, categories: Sequence[str]) -> None:
        """Figures for the queues ``categories``."""
        self.db = db
        self.categories = tuple(categories)

    async def stats(self, since: float) -> dict[str, Any]:
        """The supervisors' figures since ``since`` (Unix time)."""

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            start = _stamp(since)
            waiting = await self._waiting(conn)
            wait = await conn.fetchrow(
                f"SELECT percentile_cont($2::float8[]) WITHIN GROUP (ORDER BY {_WAIT}) AS q, "
                "count(*) AS n FROM tickets WHERE called_at >= $1",
                start,
                list(_QUANTILES),
            )
            handling = await conn.fetchrow(
                f"SELECT percentile_cont($2::float8[]) WITHIN GROUP (ORDER BY {_HANDLING}) "
                "AS q, count(*) AS n FROM tickets WHERE state = 'closed' AND closed_at >= $1 "
                "AND called_at IS NOT NULL",
                start,
                list(_QUANTILES),
            )
            stars = {
                int(r["rating"]): int(r["n"])
                for r in await conn.fetch(
                    "SELECT rating, count(*) AS n FROM tickets WHERE rating IS NOT NULL "
                    "AND closed_at >= $1 GROUP BY rating",
                    start,
                )
            }
            rated = sum(stars.values())
            counts = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE created_at >= $1) AS created, "
                "count(*) FILTER (WHERE state = 'closed' AND closed_at >= $1) AS closed, "
                "count(*) FILTER (WHERE state = 'cancelled' AND closed_at >= $1) AS cancelled "
                "FROM tickets WHERE created_at >= $1 OR closed_at >= $1",
                start,
            )
            staff = {s: 0 for s in STAFF_STATUSES}
            for r in await conn.fetch(
                "SELECT status, count(*) AS n FROM center_staff GROUP BY status"
            ):
                staff[r["status"]] = int(r["n"])
            return {
                "since": since,
                "waiting": {c: waiting[c][0] for c in self.categories},
                "callbacks_waiting": sum(v[1] for v in waiting.values()),
                "wait_s": _percentiles(wait["q"], int(wait["n"])),
                "handling_s": _percentiles(handling["q"], int(handling["n"])),
                "satisfaction": {
                    "mean": (
                        round(sum(k * v for k, v in stars.items()) / rated, 2) if rated else None
                    ),
                    "count": rated,
                    "stars": {str(k): stars.get(k, 0) for k in range(MIN_STARS, MAX_STARS + 1)},
                },
                "tickets": {k: int(counts[k]) for k in ("created", "closed", "cancelled")},
                "per_staff": await self._per_staff(conn, start, None),
                "staff": staff,
            }

        return await self.db.run(work, deadline_s=DEADLINE_S, transaction=False)

    async def day(self, subject: str, since: float) -> dict[str, Any]:
        """One civil servant's figures since ``since``: the console's "your day"."""

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            rows = await self._per_staff(conn, _stamp(since), subject)
            mine = rows[0] if rows else {}
            return {
                "called": mine.get("called", 0),
                "closed": mine.get("closed", 0),
                "transferred": mine.get("transferred", 0),
                "handling_p50_s": mine.get("handling_p50_s"),
                "rating_mean": mine.get("rating_mean"),
                "ratings": mine.get("ratings", 0),
            }

        return await self.db.run(work, deadline_s=DEADLINE_S, transaction=False)

    async def queues(self) -> dict[str, dict[str, Any]]:
        """Per category: waiting tickets, callbacks among them, and when the oldest was
        taken (``oldest_at``, Unix time, or None)."""

        async def work(conn: asyncpg.Connection) -> dict[str, dict[str, Any]]:
            waiting = await self._waiting(conn)
            return {
                c: {"waiting": n, "callbacks": calls, "oldest_at": oldest}
                for c, (n, calls, oldest) in waiting.items()
            }

        return await self.db.run(work, deadline_s=DEADLINE_S, transaction=False)

    async def handling_estimate(self, now: float) -> float:
        """The median handling time of tickets closed in the last ``ESTIMATE_WINDOW_S``."""
        rows = await self.db.fetch(
            f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY {_HANDLING}) AS p50 "
            "FROM tickets WHERE state = 'closed' AND closed_at >= $1 AND called_at IS NOT NULL",
            _stamp(now - ESTIMATE_WINDOW_S),
        )
        value = rows[0]["p50"] if rows else None
        return DEFAULT_HANDLING_S if value is None else max(1.0, float(value))

    async def _waiting(self, conn: asyncpg.Connection) -> dict[str, tuple[int, int, float | None]]:
        out: dict[str, tuple[int, int, float | None]] = {c: (0, 0, None) for c in self.categories}
        for r in await conn.fetch(
            "SELECT category, count(*) AS n, count(*) FILTER (WHERE callback) AS callbacks, "
            "min(created_at) AS oldest FROM tickets WHERE state = 'waiting' GROUP BY category"
        ):
            if r["category"] in out:
                out[r["category"]] = (int(r["n"]), int(r["callbacks"]), r["oldest"].timestamp())
        return out

    async def _per_staff(
        self, conn: asyncpg.Connection, start: dt.datetime, subject: str | None
    ) -> list[dict[str, Any]]:
        rows = await conn.fetch(
            "WITH acts AS (SELECT actor, count(*) FILTER (WHERE kind = 'called') AS called, "
            "count(*) FILTER (WHERE kind = 'closed') AS closed, "
            "count(*) FILTER (WHERE kind = 'transferred') AS transferred "
            "FROM ticket_events WHERE at >= $1 AND kind IN ('called', 'closed', 'transferred') "
            "AND ($2::text IS NULL OR actor = $2) GROUP BY actor), "
            f"served AS (SELECT assigned_to AS actor, percentile_cont(0.5) WITHIN GROUP "
            f"(ORDER BY {_HANDLING}) AS handling, avg(rating) AS rating, "
            "count(rating) AS ratings FROM tickets WHERE state = 'closed' AND closed_at >= $1 "
            "AND called_at IS NOT NULL AND ($2::text IS NULL OR assigned_to = $2) "
            "GROUP BY assigned_to) "
            "SELECT acts.*, coalesce(s.name, acts.actor) AS name, served.handling, "
            "served.rating, coalesce(served.ratings, 0) AS ratings FROM acts "
            "LEFT JOIN served USING (actor) LEFT JOIN center_staff AS s ON s.subject = acts.actor "
            "ORDER BY name",
            start,
            subject,
        )
        return [
            {
                "subject": r["actor"],
                "name": r["name"],
                "called": int(r["called"]),
                "closed": int(r["closed"]),
                "transferred": int(r["transferred"]),
                "handling_p50_s": None if r["handling"] is None else round(r["handling"], 1),
                "rating_mean": None if r["rating"] is None else round(float(r["rating"]), 2),
                "ratings": int(r["ratings"]),
            }
            for r in rows
        ]
