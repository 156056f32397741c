"""The 120 Center under load, start to end: set up, let the bots loose, check, sum up.

Shared by ``plaza bench center`` (against a ``plaza serve`` subprocess) and the end-to-end
test (against a server in the test's own process). N citizens sign in as guests and each
takes one number, spread over the categories, at most ``concurrency`` requests in flight;
S civil servants set themselves available with every category as skill and serve the queues
(the bots are in ``center_bots``). Then every ticket is read back (``center_checks``).

Bounded in count and time: each request has a timeout and the whole run a deadline, after
which it stops and reports what it found.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from server.bench.center_bots import citizen, civil_servant
from server.bench.center_checks import Phases, summarize, verify
from server.bench.center_http import Mint
from server.bench.center_state import CenterRun, Citizen, LoadPlan, Staff
from world.roles import Role

__all__ = ["LoadPlan", "run_center_load"]

# The checks read every ticket once more after the deadline; they get their own bound.
_VERIFY_TIMEOUT_S = 180.0


async def _prepare(run: CenterRun) -> None:
    """Learn the categories, sign the citizens in and put the civil servants on duty."""
    info = await run.admin_http.request("GET", "/api/center/info")
    if not info.ok or not isinstance(info.body, dict):
        raise RuntimeError(f"GET /api/center/info answered {info.status}: {info.body}")
    run.categories = list(info.body["categories"])
    hours = info.body.get("hours") or {}
    if hours.get("open") is False:
        raise RuntimeError(f"the center is closed now ({hours}); numbers would be refused")
    run.admin_token = run.mint("bench-supervisor", Role.ADMIN)
    # Seeded: the same plan gives the same citizens, categories and ratings every run.
    rng = random.Random(run.plan.seed)
    run.citizens = [
        Citizen(
            index=i,
            name=f"citizen {i}",
            category=run.categories[i % len(run.categories)],
            key=f"bench-{run.run_id}-{i:06d}",
            stars=rng.randint(1, 5),
        )
        for i in range(run.plan.tickets)
    ]
    run.staff = [
        Staff(name, run.mint(name, Role.STAFF))
        for name in (f"bench-staff-{j}" for j in range(run.plan.staff))
    ]
    limit = asyncio.Semaphore(run.plan.concurrency)

    async def sign_in(c: Citizen) -> None:
        async with limit:
            answer = await run.retrying(
                run.citizens_http,
                "POST",
                "/api/auth/guest",
                None,
                {"name": c.name, "locale": "ko"},
            )
        if not answer.ok:
            raise RuntimeError(f"guest sign-in answered {answer.status}: {answer.body}")
        c.token = str(answer.body["token"])

    await asyncio.gather(*(sign_in(c) for c in run.citizens))
    for member in run.staff:
        answer = await run.retrying(
            run.staff_http,
            "POST",
            "/api/center/staff",
            member.token,
            {"status": "available", "skills": run.categories},
        )
        if not answer.ok:
            raise RuntimeError(f"POST /api/center/staff answered {answer.status}: {answer.body}")


async def _load(run: CenterRun) -> None:
    """Run every citizen and civil servant at once until all are done."""
    limit = asyncio.Semaphore(run.plan.concurrency)
    servants = [asyncio.create_task(civil_servant(run, s)) for s in run.staff]
    citizens = [asyncio.create_task(citizen(run, c, limit)) for c in run.citizens]
    if not run.citizens:
        run.takes_done.set()
    try:
        # The civil servants stop once every number is taken and the queues are empty; a
        # citizen still waiting for a close after that waits no longer.
        await asyncio.gather(*servants)
        run.staff_done.set()
        await asyncio.gather(*citizens)
    finally:
        # At the deadline (or on an error) no bot may outlive the run.
        for task in (*servants, *citizens):
            task.cancel()
        await asyncio.gather(*servants, *citizens, return_exceptions=True)


async def run_center_load(http_url: str, mint: Mint, plan: LoadPlan) -> dict[str, Any]:
    """Run the load against the server at ``http_url`` and check it; returns the figures.

    ``mint`` makes the civil servants' (role staff) and the supervisor's (role admin) tokens.
    The figures' ``lost`` and ``duplicated`` are zero and ``ok`` true when every ticket taken
    was closed exactly once, by one civil servant, and no retried key made a second ticket.
    """
    if plan.tickets < 1 or plan.staff < 1 or plan.concurrency < 1:
        raise ValueError("tickets, staff and concurrency must be at least 1")
    run = CenterRun(http_url, mint, plan)
    started = time.perf_counter()
    timed_out = False
    try:
        await asyncio.wait_for(_prepare(run), plan.timeout_s)
        prepared = time.perf_counter()
        try:
            await asyncio.wait_for(_load(run), max(1.0, plan.timeout_s - (prepared - started)))
        except TimeoutError:
            # Not an error of the run: the checks below report what was left undone.
            timed_out = True
        loaded = time.perf_counter()
        found = await asyncio.wait_for(verify(run), _VERIFY_TIMEOUT_S)
    finally:
        await run.aclose()
    phases = Phases(started, prepared, loaded, time.perf_counter())
    return summarize(run, found, phases, timed_out)
