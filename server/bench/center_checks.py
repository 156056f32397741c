"""After a 120 Center load: read every ticket back, count lost and duplicated, sum it all up.

Every ticket is checked as a supervisor (``GET /api/center/tickets?id=``, with its history)
and every citizen's own list (``GET /api/center/tickets/mine``): a ticket not closed is
*lost*; a second ticket for one key, a ticket called or closed twice, or served by two civil
servants is *duplicated*. The findings and the tally become the run's figures (the JSON line
of ``plaza bench center``) and the human-readable lines printed before it.
"""

from __future__ import annotations

import asyncio
import os
import platform
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from server.bench.center_state import CenterRun, Citizen

__all__ = ["Phases", "describe", "summarize", "verify"]


@dataclass(frozen=True)
class Phases:
    """``time.perf_counter()`` at the start and at the end of each phase of a run."""

    started: float
    prepared: float
    """Set-up done: citizens signed in, civil servants available."""
    loaded: float
    """Load done (or stopped at the deadline); the checks start."""
    finished: float


async def verify(run: CenterRun) -> dict[str, int]:
    """Check every ticket as a supervisor and every citizen's own list; counts by finding."""
    limit = asyncio.Semaphore(min(run.plan.concurrency, 20))
    # Who served each ticket (a civil servant may serve one again after a lost answer).
    served_by: dict[int, set[str]] = {}
    for s in run.staff:
        for tid in s.served:
            served_by.setdefault(tid, set()).add(s.name)
    found: Counter[str] = Counter()
    owned: set[int] = set()

    async def check(c: Citizen) -> None:
        distinct = set(c.ids)
        found["duplicate_takes"] += max(0, len(distinct) - 1)
        owned.update(distinct)
        if c.ticket_id is None:
            found["take_failures"] += 1
            return
        async with limit:
            mine = await run.retrying(
                run.admin_http, "GET", "/api/center/tickets/mine", c.token, None
            )
            full = await run.retrying(
                run.admin_http,
                "GET",
                f"/api/center/tickets?id={c.ticket_id}",
                run.admin_token,
                None,
            )
        # A ticket in the citizen's list that no answer named was made by a retried key.
        listed = mine.body.get("tickets", []) if mine.ok and mine.body else []
        listed_ids = {int(t["id"]) for t in listed}
        found["duplicate_takes"] += max(0, len(listed_ids - distinct))
        mine_closed = any(
            int(t["id"]) == c.ticket_id and t.get("state") == "closed" for t in listed
        )
        if not full.ok or not isinstance(full.body, dict):
            found["lost"] += 1
            found["unreadable"] += 1
            return
        ticket = full.body
        kinds = Counter(e.get("kind") for e in ticket.get("events", []))
        # Closed means closed everywhere: the ticket, the citizen's list and the history.
        if ticket.get("state") != "closed" or not mine_closed or kinds["closed"] == 0:
            found["lost"] += 1
        else:
            found["closed"] += 1
        if kinds["called"] > 1 or len(served_by.get(c.ticket_id, ())) > 1:
            found["served_twice"] += 1
        if kinds["closed"] > 1:
            found["closed_twice"] += 1
        if kinds["created"] != 1:
            found["created_events_wrong"] += 1
        if kinds["message"] == 0:
            found["without_message"] += 1
        if ticket.get("rating") == c.stars and kinds["rated"] == 1:
            found["ratings_stored"] += 1

    await asyncio.gather(*(check(c) for c in run.citizens))
    # Served but named in no citizen's answer: a second ticket that no citizen knows of.
    found["unknown_served"] = len(set(served_by) - owned)
    return dict(found)


def _percentile_ms(samples: list[float], q: float) -> float | None:
    return round(float(np.percentile(samples, q)), 2) if samples else None


def summarize(
    run: CenterRun, found: dict[str, int], phases: Phases, timed_out: bool
) -> dict[str, Any]:
    """The figures of a run: counts, rates, latencies, phases, and ``ok``.

    ``lost`` and ``duplicated`` are zero and ``ok`` true when every ticket taken was closed
    exactly once, by one civil servant, and no retried key made a second ticket.
    """
    plan, tally = run.plan, run.tally
    taken = sum(1 for c in run.citizens if c.ticket_id is not None)
    take_window = (
        (tally.last_take - tally.first_take)
        if tally.first_take is not None and tally.last_take is not None
        else 0.0
    )
    duplicated = (
        found.get("duplicate_takes", 0)
        + found.get("served_twice", 0)
        + found.get("closed_twice", 0)
        + found.get("unknown_served", 0)
    )
    lost = found.get("lost", 0)
    rated = sum(1 for c in run.citizens if c.rated)
    # The keys' order is the JSON line's: keep it stable for whoever reads the line.
    figures: dict[str, Any] = {
        "bench": "center",
        "tickets": plan.tickets,
        "staff": plan.staff,
        "concurrency": plan.concurrency,
        "categories": len(run.categories),
        "taken": taken,
        "closed": found.get("closed", 0),
        "rated": rated,
        "ratings_stored": found.get("ratings_stored", 0),
        "retried_keys": sum(
            1 for c in run.citizens if plan.retry_every and c.index % plan.retry_every == 0
        ),
        "double_sends": sum(
            1 for c in run.citizens if plan.double_every and c.index % plan.double_every == 1
        ),
        "lost": lost,
        "duplicated": duplicated,
        "duplicate_takes": found.get("duplicate_takes", 0),
        "served_twice": found.get("served_twice", 0),
        "closed_twice": found.get("closed_twice", 0),
        "unknown_served": found.get("unknown_served", 0),
        "take_failures": found.get("take_failures", 0),
        "without_message": found.get("without_message", 0),
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors.most_common(8)),
        "timed_out": timed_out,
        "tickets_per_s": round(taken / take_window, 1) if take_window > 0 else None,
        "served_per_s": round(found.get("closed", 0) / (phases.loaded - phases.prepared), 1),
        "take_p50_ms": _percentile_ms(tally.take_ms, 50),
        "take_p99_ms": _percentile_ms(tally.take_ms, 99),
        "call_next_p50_ms": _percentile_ms(tally.call_next_ms, 50),
        "call_next_p99_ms": _percentile_ms(tally.call_next_ms, 99),
        "call_next_calls": len(tally.call_next_ms),
        "call_next_empty": tally.call_next_empty,
        "close_p50_ms": _percentile_ms(tally.close_ms, 50),
        "close_p99_ms": _percentile_ms(tally.close_ms, 99),
        "setup_s": round(phases.prepared - phases.started, 2),
        "load_s": round(phases.loaded - phases.prepared, 2),
        "verify_s": round(phases.finished - phases.loaded, 2),
        "total_s": round(phases.finished - phases.started, 2),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "python": platform.python_version(),
    }
    figures["ok"] = (
        not timed_out
        and lost == 0
        and duplicated == 0
        and figures["take_failures"] == 0
        and figures["closed"] == plan.tickets
        and figures["ratings_stored"] == plan.tickets
    )
    return figures


def describe(figures: dict[str, Any]) -> list[str]:
    """Human-readable lines for the figures of ``run_center_load``."""
    return [
        f"120 center bench: {figures['tickets']} citizens, {figures['staff']} civil servants, "
        f"{figures['concurrency']} requests in flight at most, {figures['categories']} queues",
        f"  taken {figures['taken']} at {figures['tickets_per_s']} tickets/s; take number "
        f"p50 {figures['take_p50_ms']} ms, p99 {figures['take_p99_ms']} ms "
        f"({figures['retried_keys']} retried keys, {figures['double_sends']} double sends)",
        f"  call next p50 {figures['call_next_p50_ms']} ms, p99 {figures['call_next_p99_ms']} ms "
        f"({figures['call_next_calls']} calls, {figures['call_next_empty']} on an empty queue); "
        f"close p50 {figures['close_p50_ms']} ms, p99 {figures['close_p99_ms']} ms",
        f"  closed {figures['closed']}, rated {figures['rated']} "
        f"({figures['ratings_stored']} ratings stored), {figures['served_per_s']} served/s",
        f"  total {figures['total_s']} s (set-up {figures['setup_s']} s, "
        f"load {figures['load_s']} s, checks {figures['verify_s']} s); "
        f"{figures['errors']} request errors" + (" (timed out)" if figures["timed_out"] else ""),
        f"  lost {figures['lost']}, duplicated {figures['duplicated']} "
        f"(second tickets for one key {figures['duplicate_takes']}, served twice "
        f"{figures['served_twice']}, closed twice {figures['closed_twice']}, unknown "
        f"{figures['unknown_served']}); take failures {figures['take_failures']}: "
        + ("OK" if figures["ok"] else "FAILED"),
    ]
