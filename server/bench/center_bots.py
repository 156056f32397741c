"""The bots of the 120 Center load: citizens who take a number, civil servants who serve them.

Everything goes through the HTTP API of docs/center120.md, as the ticket page and the
console do:

- A citizen takes one number (``POST /api/center/tickets``) with an idempotency key. Some
  send the same request again after the answer (a retry) and some twice at once (a double
  click); every answer must name the same ticket. A request that fails in transit or with 503
  is retried with the same key, as a client should. When its ticket is closed the citizen is
  told (the WebSocket's ``center.ticket`` event would tell a real one), reads the ticket and
  rates it.
- A civil servant loops: call next, write a line to the citizen, close with a resolution,
  until every number is taken and the queues are empty. After a call whose answer was lost it
  asks the console what it is serving, so no called ticket is left hanging.

The set-up and the run are in ``center_run``; the checks at the end in ``center_checks``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any

from server.bench.center_http import (
    RETRYABLE,
    Answer,
    HttpFailure,
    error_label,
    retry_pause_s,
)
from server.bench.center_state import CenterRun, Citizen, Staff

__all__ = ["citizen", "civil_servant"]

_STAFF_ATTEMPTS = 6
_EMPTY_QUEUE_PAUSE_S = 0.1
# A civil servant whose calls fail this many times in a row goes home (counted as errors).
_STAFF_GIVES_UP = 50

_DESCRIPTIONS = {
    "transport": "교통카드 환불은 어디서 하나요?",
    "tax": "지방세 납부 기한을 알고 싶습니다.",
    "welfare": "기초연금 신청 자격이 궁금합니다.",
    "housing": "청년 월세 지원을 받을 수 있나요?",
    "other": "분실물 신고는 어떻게 하나요?",
}

# -- citizens --------------------------------------------------------------------------------


async def citizen(run: CenterRun, c: Citizen, limit: asyncio.Semaphore) -> None:
    """Take a number, wait until it is closed (or the civil servants went home), rate it.

    ``limit`` bounds the citizens' requests in flight; it is not held while waiting.
    """
    try:
        async with limit:
            await _take(run, c)
    finally:
        # Counted even when the take failed, so the civil servants learn when to stop.
        run.takes_left -= 1
        if run.takes_left == 0:
            run.takes_done.set()
    if c.ticket_id is None:
        return
    closed = asyncio.ensure_future(run.closed_event(c.ticket_id).wait())
    staff_gone = asyncio.ensure_future(run.staff_done.wait())
    try:
        await asyncio.wait({closed, staff_gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        closed.cancel()
        staff_gone.cancel()
    if not run.closed_event(c.ticket_id).is_set():
        return
    async with limit:
        await _read_and_rate(run, c, c.ticket_id)


async def _take(run: CenterRun, c: Citizen) -> None:
    """Take the number: once, twice at once, or again after the answer, always one key."""
    body = {
        "category": c.category,
        "description": _DESCRIPTIONS.get(c.category, "문의드립니다.") + f" ({c.index})",
        "needs": ["large_text"] if c.index % 7 == 0 else [],
        "key": c.key,
    }
    double = run.plan.double_every > 0 and c.index % run.plan.double_every == 1
    retry = run.plan.retry_every > 0 and c.index % run.plan.retry_every == 0
    sends = 2 if double else 1
    t0 = time.perf_counter()
    if run.tally.first_take is None:
        run.tally.first_take = t0
    answers: list[Answer | BaseException] = list(
        await asyncio.gather(
            *(_take_once(run, c, body) for _ in range(sends)), return_exceptions=True
        )
    )
    run.tally.take_ms.append((time.perf_counter() - t0) * 1e3)
    if retry:
        try:
            answers.append(await _take_once(run, c, body))
        except HttpFailure as exc:
            answers.append(exc)
    # Every id named is kept: the checks count a second distinct one as a duplicate.
    for answer in answers:
        if isinstance(answer, BaseException):
            c.failure = f"{type(answer).__name__}: {answer}"
        elif not answer.ok or not isinstance(answer.body, dict) or "id" not in answer.body:
            c.failure = f"take number answered {answer.status}: {answer.body}"
        else:
            c.ids.append(int(answer.body["id"]))
    run.tally.last_take = time.perf_counter()
    if c.ids:
        c.ticket_id = c.ids[0]


async def _take_once(run: CenterRun, c: Citizen, body: dict[str, Any]) -> Answer:
    return await run.retrying(run.citizens_http, "POST", "/api/center/tickets", c.token, body)


async def _read_and_rate(run: CenterRun, c: Citizen, ticket_id: int) -> None:
    """Read the closed ticket as its citizen, then rate it."""
    try:
        answer = await run.retrying(
            run.citizens_http, "GET", f"/api/center/tickets?id={ticket_id}", c.token, None
        )
        if not answer.ok:
            run.tally.errors[f"citizen read: {error_label(answer)}"] += 1
            return
        c.seen_closed = answer.body.get("state") == "closed"
        rated = await run.retrying(
            run.citizens_http,
            "POST",
            "/api/center/tickets/rate",
            c.token,
            {"id": ticket_id, "stars": c.stars, "comment": f"bench rating {c.index}"},
        )
        # (Were the first answer lost, a retry would find it rated already: 409. The
        # check at the end reads what was stored either way.)
        c.rated = rated.ok
        if not rated.ok:
            run.tally.errors[f"rate: {error_label(rated)}"] += 1
    except HttpFailure as exc:
        run.tally.errors[f"citizen: {exc}"] += 1


# -- civil servants --------------------------------------------------------------------------


async def civil_servant(run: CenterRun, s: Staff) -> None:
    """Call next, write, close, until all numbers are taken and the queues are empty.

    Sets itself offline at the end. Gives up after ``_STAFF_GIVES_UP`` failures in a row.
    """
    # Seeded by name: the pauses differ between civil servants but not between runs.
    pause = random.Random(s.name)
    failures = 0
    while failures < _STAFF_GIVES_UP:
        # Read before calling: an empty queue only means done if every number was already
        # taken when the call went out.
        done_before = run.takes_done.is_set()
        t0 = time.perf_counter()
        try:
            answer = await run.staff_http.request("POST", "/api/center/call-next", s.token, {})
        except HttpFailure as exc:
            failures += 1
            run.tally.errors[f"call-next: {exc}"] += 1
            await _recover(run, s)
            continue
        run.tally.call_next_ms.append((time.perf_counter() - t0) * 1e3)
        if not answer.ok:
            failures += 1
            run.tally.errors[f"call-next: {error_label(answer)}"] += 1
            await asyncio.sleep(_EMPTY_QUEUE_PAUSE_S)
            await _recover(run, s)
            continue
        failures = 0
        ticket = answer.body.get("ticket") if isinstance(answer.body, dict) else None
        if ticket is None:
            run.tally.call_next_empty += 1
            if done_before:
                break
            await asyncio.sleep(_EMPTY_QUEUE_PAUSE_S * (0.5 + pause.random()))
            continue
        await _serve(run, s, int(ticket["id"]))
    with contextlib.suppress(HttpFailure):
        await run.staff_http.request("POST", "/api/center/staff", s.token, {"status": "offline"})


async def _serve(run: CenterRun, s: Staff, ticket_id: int) -> None:
    """Write to the citizen of a called ticket, close it, and tell the citizen."""
    s.served.append(ticket_id)
    said = await _staff_retrying(
        run,
        s,
        "/api/center/tickets/message",
        {
            "id": ticket_id,
            "text": f"안녕하세요, {s.name}입니다. 번호 {ticket_id} 도와드리겠습니다.",
        },
    )
    if said is not None and not said.ok:
        run.tally.errors[f"message: {error_label(said)}"] += 1
    t0 = time.perf_counter()
    closed = await _staff_retrying(
        run,
        s,
        "/api/center/tickets/close",
        {"id": ticket_id, "resolution": f"안내해 드렸습니다 (bench {run.run_id})."},
    )
    run.tally.close_ms.append((time.perf_counter() - t0) * 1e3)
    if closed is None or not closed.ok:
        label = "no answer" if closed is None else error_label(closed)
        run.tally.errors[f"close: {label}"] += 1
    # Told either way: the citizen reads the ticket and the check at the end says whether
    # it was closed.
    run.closed_event(ticket_id).set()


async def _staff_retrying(run: CenterRun, s: Staff, path: str, body: Any) -> Answer | None:
    """A civil servant's POST retried on failure; None when no attempt got a final answer.

    Unlike the citizens' retries this never raises: a civil servant carries on serving, and
    the checks at the end find what was not done.
    """
    for attempt in range(_STAFF_ATTEMPTS):
        if attempt:
            await asyncio.sleep(retry_pause_s(attempt))
        try:
            answer = await run.staff_http.request("POST", path, s.token, body)
        except HttpFailure as exc:
            run.tally.errors[f"{path}: {exc}"] += 1
            continue
        if answer.status not in RETRYABLE:
            return answer
        run.tally.errors[f"{path}: {error_label(answer)}"] += 1
    return None


async def _recover(run: CenterRun, s: Staff) -> None:
    """After a call whose answer was lost: serve whatever the console says is ours."""
    try:
        answer = await run.staff_http.request("GET", "/api/center/console", s.token)
    except HttpFailure as exc:
        run.tally.errors[f"console: {exc}"] += 1
        await asyncio.sleep(_EMPTY_QUEUE_PAUSE_S)
        return
    serving = answer.body.get("serving", []) if isinstance(answer.body, dict) else []
    for ticket in serving:
        if ticket.get("state") in ("called", "in_consultation"):
            await _serve(run, s, int(ticket["id"]))
