"""The 120 Center under load, in-process: the bench's citizens and civil servants against a real
server and PostgreSQL, at a small scale. Every ticket taken is closed exactly once, by one
civil servant, and rated; retried idempotency keys make no second ticket. The database is
read directly as well, not only through the API the bots used."""

from __future__ import annotations

from typing import Any

import asyncpg

from server.bench.center_run import LoadPlan, run_center_load

TICKETS = 120
STAFF = 6


async def test_center_load_loses_nothing_and_serves_nothing_twice(plaza: Any) -> None:
    plan = LoadPlan(
        tickets=TICKETS,
        staff=STAFF,
        concurrency=20,
        retry_every=5,
        double_every=7,
        timeout_s=300.0,
    )
    figures = await run_center_load(plaza.http_url, plaza.mint, plan)

    assert not figures["timed_out"], figures
    assert figures["lost"] == 0, figures
    assert figures["duplicated"] == 0, figures
    assert figures["take_failures"] == 0, figures
    assert figures["taken"] == TICKETS and figures["closed"] == TICKETS, figures
    assert figures["ratings_stored"] == TICKETS, figures
    assert figures["retried_keys"] == TICKETS // 5 and figures["double_sends"] > 0
    assert figures["ok"], figures

    conn = await asyncpg.connect(plaza.database_url)
    try:
        tickets = await conn.fetch("SELECT * FROM tickets")
        events = await conn.fetch(
            "SELECT ticket_id, kind, actor, count(*) AS n FROM ticket_events "
            "GROUP BY ticket_id, kind, actor"
        )
    finally:
        await conn.close()

    # One ticket per citizen: the retries and double sends made none extra.
    assert len(tickets) == TICKETS
    assert len({t["subject"] for t in tickets}) == TICKETS
    assert all(t["state"] == "closed" and t["closed_at"] is not None for t in tickets)
    assert all(t["resolution"] for t in tickets)
    assert all(1 <= t["rating"] <= 5 for t in tickets)
    assert {t["assigned_to"] for t in tickets} <= {f"local:bench-staff-{j}" for j in range(STAFF)}

    per_ticket: dict[int, dict[str, int]] = {t["id"]: {} for t in tickets}
    callers: dict[int, set[str]] = {t["id"]: set() for t in tickets}
    for row in events:
        kinds = per_ticket[row["ticket_id"]]
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + row["n"]
        if row["kind"] == "called":
            callers[row["ticket_id"]].add(row["actor"])
    for tid, kinds in per_ticket.items():
        # Taken once, called once, closed once, rated once; the civil servant spoke first.
        assert kinds.get("created") == 1, (tid, kinds)
        assert kinds.get("called") == 1, (tid, kinds)
        assert kinds.get("closed") == 1, (tid, kinds)
        assert kinds.get("rated") == 1, (tid, kinds)
        assert kinds.get("message", 0) >= 1, (tid, kinds)
        assert "cancelled" not in kinds and "transferred" not in kinds, (tid, kinds)
        assert len(callers[tid]) == 1, (tid, callers[tid])
