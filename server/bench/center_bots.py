"""The 120 Center under load: citizens take numbers while civil servants serve them, over HTTP.

Shared by ``plaza bench center`` (against a ``plaza serve`` subprocess) and the end-to-end
test (against a server in the test's own process). Everything goes through the HTTP API of
docs/center120.md, as the ticket page and the console do:

- N citizens sign in as guests and each takes one number (``POST /api/center/tickets``) with
  an idempotency key, spread over the categories, at most ``concurrency`` requests in flight.
  Some send the same request again after the answer (a retry) and some twice at once (a
  double click); every answer must name the same ticket. A request that fails in transit or
  with 503 is retried with the same key, as a client should.
- S civil servants set themselves available with every category as skill and loop: call
  next, write a line to the citizen, close with a resolution. When a ticket is closed its
  citizen is told (the WebSocket's ``center.ticket`` event would tell a real one), reads the
  ticket and rates it.
- At the end every ticket is checked as a supervisor (``GET /api/center/tickets?id=``, with
  its history) and every citizen's own list (``GET /api/center/tickets/mine``): a ticket not
  closed is *lost*; a second ticket for one key, a ticket called or closed twice, or served
  by two civil servants is *duplicated*.

Bounded in count and time: each request has a timeout and the whole run a deadline, after
which it stops and reports what it found.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import random
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from world.roles import Role

__all__ = [
    "Answer",
    "HttpClient",
    "HttpFailure",
    "LoadPlan",
    "Mint",
    "describe",
    "run_center_load",
]

Mint = Callable[[str, Role], str]
"""Mints an access token for a local account: ``mint(name, role)``."""

REQUEST_TIMEOUT_S = 30.0
# A connection idle longer than this is dropped rather than reused: the server closes idle
# keep-alive connections after 30 s, and a POST must never be written to one it is closing.
_IDLE_REUSE_S = 5.0
_TAKE_ATTEMPTS = 6
_STAFF_ATTEMPTS = 6
_EMPTY_QUEUE_PAUSE_S = 0.1
_VERIFY_TIMEOUT_S = 180.0
# A civil servant whose calls fail this many times in a row goes home (counted as errors).
_STAFF_GIVES_UP = 50
_RETRYABLE = frozenset({502, 503, 504})

_DESCRIPTIONS = {
    "transport": "교통카드 환불은 어디서 하나요?",
    "tax": "지방세 납부 기한을 알고 싶습니다.",
    "welfare": "기초연금 신청 자격이 궁금합니다.",
    "housing": "청년 월세 지원을 받을 수 있나요?",
    "other": "분실물 신고는 어떻게 하나요?",
}


class HttpFailure(Exception):
    """A request got no complete answer (connection refused or reset, timeout)."""


@dataclass(frozen=True)
class Answer:
    """Status and decoded JSON body (None when empty or not JSON) of one exchange."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        """A 2xx status."""
        return 200 <= self.status < 300


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    last_used: float


class HttpClient:
    """A small keep-alive HTTP/1.1 JSON client over asyncio streams (no thread per request).

    At most ``limit`` connections are open at once; a request waits for one. Only what the
    Plaza server speaks is understood: Content-Length bodies.
    """

    def __init__(self, base_url: str, limit: int) -> None:
        """Talk to ``base_url`` (``http://host:port``) over at most ``limit`` connections."""
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"expected http://host:port, got {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self._slots = asyncio.Semaphore(max(1, limit))
        self._idle: list[_Connection] = []

    async def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        timeout: float = REQUEST_TIMEOUT_S,
    ) -> Answer:
        """One request; raises ``HttpFailure`` when no complete answer came back."""
        payload = b"" if body is None else json.dumps(body).encode()
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Accept: application/json",
            f"Content-Length: {len(payload)}",
        ]
        if body is not None:
            head.append("Content-Type: application/json")
        if token is not None:
            head.append(f"Authorization: Bearer {token}")
        message = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        async with self._slots:
            connection = self._reusable()
            try:
                async with asyncio.timeout(timeout):
                    if connection is None:
                        reader, writer = await asyncio.open_connection(self.host, self.port)
                        connection = _Connection(reader, writer, time.monotonic())
                    connection.writer.write(message)
                    await connection.writer.drain()
                    status, keep_alive, data = await _read_response(connection.reader)
            except (OSError, EOFError, TimeoutError, ValueError) as exc:
                if connection is not None:
                    connection.writer.close()
                raise HttpFailure(f"{method} {path}: {type(exc).__name__}: {exc}") from None
            if keep_alive:
                connection.last_used = time.monotonic()
                self._idle.append(connection)
            else:
                connection.writer.close()
        try:
            decoded = json.loads(data) if data else None
        except ValueError:
            decoded = None
        return Answer(status, decoded)

    def _reusable(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if now - connection.last_used < _IDLE_REUSE_S and not connection.reader.at_eof():
                return connection
            connection.writer.close()
        return None

    async def close(self) -> None:
        """Close every idle connection."""
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.writer.close()
            with contextlib.suppress(Exception):
                await connection.writer.wait_closed()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    status_line = await reader.readuntil(b"\n")
    parts = status_line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.x status line: {status_line[:60]!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    while True:
        line = await reader.readuntil(b"\n")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    data = await reader.readexactly(length) if length else b""
    keep_alive = headers.get("connection", "").lower() != "close"
    return status, keep_alive, data


@dataclass(frozen=True)
class LoadPlan:
    """What one run does."""

    tickets: int
    """Citizens, each taking one number."""
    staff: int
    """Civil servants serving the queues."""
    concurrency: int = 50
    """Citizens' requests in flight at most."""
    retry_every: int = 10
    """Every n-th citizen sends its request again, same key, after the answer (0: none)."""
    double_every: int = 25
    """Every n-th citizen sends its request twice at once, same key (0: none)."""
    timeout_s: float = 600.0
    """Deadline of the whole load (verification has its own bound after it)."""
    seed: int = 1


@dataclass
class _Citizen:
    index: int
    name: str
    category: str
    key: str
    stars: int
    token: str = ""
    ids: list[int] = field(default_factory=list)
    ticket_id: int | None = None
    failure: str | None = None
    seen_closed: bool = False
    rated: bool = False


@dataclass
class _Staff:
    name: str
    token: str
    served: list[int] = field(default_factory=list)


@dataclass
class _Tally:
    take_ms: list[float] = field(default_factory=list)
    call_next_ms: list[float] = field(default_factory=list)
    close_ms: list[float] = field(default_factory=list)
    call_next_empty: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    first_take: float | None = None
    last_take: float | None = None


def _percentile_ms(samples: list[float], q: float) -> float | None:
    return round(float(np.percentile(samples, q)), 2) if samples else None


def _error_label(answer: Answer) -> str:
    code = answer.body.get("error") if isinstance(answer.body, dict) else None
    return f"{answer.status} {code or ''}".strip()


class _CenterLoad:
    def __init__(self, http_url: str, mint: Mint, plan: LoadPlan) -> None:
        self.http_url = http_url.rstrip("/")
        self.mint = mint
        self.plan = plan
        self.citizens_http = HttpClient(self.http_url, plan.concurrency)
        self.staff_http = HttpClient(self.http_url, max(plan.staff, 1))
        self.admin_http = HttpClient(self.http_url, min(plan.concurrency, 20))
        self.run_id = uuid.uuid4().hex[:8]
        self.tally = _Tally()
        self.categories: list[str] = []
        self.citizens: list[_Citizen] = []
        self.staff: list[_Staff] = []
        self.admin_token = ""
        self.takes_left = plan.tickets
        self.takes_done = asyncio.Event()
        self.staff_done = asyncio.Event()
        self._closed: dict[int, asyncio.Event] = {}

    def closed_event(self, ticket_id: int) -> asyncio.Event:
        event = self._closed.get(ticket_id)
        if event is None:
            event = self._closed[ticket_id] = asyncio.Event()
        return event

    async def aclose(self) -> None:
        for client in (self.citizens_http, self.staff_http, self.admin_http):
            await client.close()

    # -- set-up ------------------------------------------------------------------------------

    async def prepare(self) -> None:
        info = await self.admin_http.request("GET", "/api/center/info")
        if not info.ok or not isinstance(info.body, dict):
            raise RuntimeError(f"GET /api/center/info answered {info.status}: {info.body}")
        self.categories = list(info.body["categories"])
        hours = info.body.get("hours") or {}
        if hours.get("open") is False:
            raise RuntimeError(f"the center is closed now ({hours}); numbers would be refused")
        self.admin_token = self.mint("bench-supervisor", Role.ADMIN)
        rng = random.Random(self.plan.seed)
        self.citizens = [
            _Citizen(
                index=i,
                name=f"citizen {i}",
                category=self.categories[i % len(self.categories)],
                key=f"bench-{self.run_id}-{i:06d}",
                stars=rng.randint(1, 5),
            )
            for i in range(self.plan.tickets)
        ]
        self.staff = [
            _Staff(name, self.mint(name, Role.STAFF))
            for name in (f"bench-staff-{j}" for j in range(self.plan.staff))
        ]
        limit = asyncio.Semaphore(self.plan.concurrency)

        async def sign_in(citizen: _Citizen) -> None:
            async with limit:
                answer = await self._retrying(
                    self.citizens_http,
                    "POST",
                    "/api/auth/guest",
                    None,
                    {"name": citizen.name, "locale": "ko"},
                )
            if not answer.ok:
                raise RuntimeError(f"guest sign-in answered {answer.status}: {answer.body}")
            citizen.token = str(answer.body["token"])

        await asyncio.gather(*(sign_in(c) for c in self.citizens))
        for member in self.staff:
            answer = await self._retrying(
                self.staff_http,
                "POST",
                "/api/center/staff",
                member.token,
                {"status": "available", "skills": self.categories},
            )
            if not answer.ok:
                raise RuntimeError(
                    f"POST /api/center/staff answered {answer.status}: {answer.body}"
                )

    async def _retrying(
        self, client: HttpClient, method: str, path: str, token: str | None, body: Any
    ) -> Answer:
        """A request retried (same body) on a transport failure or 502/503/504."""
        answer: Answer | None = None
        for attempt in range(_TAKE_ATTEMPTS):
            if attempt:
                await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
            try:
                answer = await client.request(method, path, token, body)
            except HttpFailure:
                self.tally.errors[f"{path}: no answer"] += 1
                continue
            if answer.status not in _RETRYABLE:
                return answer
            self.tally.errors[f"{path}: {_error_label(answer)}"] += 1
        if answer is None:
            raise HttpFailure(f"{method} {path}: no answer after {_TAKE_ATTEMPTS} attempts")
        return answer

    # -- citizens ----------------------------------------------------------------------------

    async def citizen(self, c: _Citizen, limit: asyncio.Semaphore) -> None:
        try:
            async with limit:
                await self.take(c)
        finally:
            self.takes_left -= 1
            if self.takes_left == 0:
                self.takes_done.set()
        if c.ticket_id is None:
            return
        closed = asyncio.ensure_future(self.closed_event(c.ticket_id).wait())
        staff_gone = asyncio.ensure_future(self.staff_done.wait())
        try:
            await asyncio.wait({closed, staff_gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
            staff_gone.cancel()
        if not self.closed_event(c.ticket_id).is_set():
            return
        async with limit:
            await self.read_and_rate(c, c.ticket_id)

    async def take(self, c: _Citizen) -> None:
        body = {
            "category": c.category,
            "description": _DESCRIPTIONS.get(c.category, "문의드립니다.") + f" ({c.index})",
            "needs": ["large_text"] if c.index % 7 == 0 else [],
            "key": c.key,
        }
        double = self.plan.double_every > 0 and c.index % self.plan.double_every == 1
        retry = self.plan.retry_every > 0 and c.index % self.plan.retry_every == 0
        sends = 2 if double else 1
        t0 = time.perf_counter()
        if self.tally.first_take is None:
            self.tally.first_take = t0
        answers: list[Answer | BaseException] = list(
            await asyncio.gather(
                *(self._take_once(c, body) for _ in range(sends)), return_exceptions=True
            )
        )
        self.tally.take_ms.append((time.perf_counter() - t0) * 1e3)
        if retry:
            try:
                answers.append(await self._take_once(c, body))
            except HttpFailure as exc:
                answers.append(exc)
        for answer in answers:
            if isinstance(answer, BaseException):
                c.failure = f"{type(answer).__name__}: {answer}"
            elif not answer.ok or not isinstance(answer.body, dict) or "id" not in answer.body:
                c.failure = f"take number answered {answer.status}: {answer.body}"
            else:
                c.ids.append(int(answer.body["id"]))
        self.tally.last_take = time.perf_counter()
        if c.ids:
            c.ticket_id = c.ids[0]

    async def _take_once(self, c: _Citizen, body: dict[str, Any]) -> Answer:
        return await self._retrying(
            self.citizens_http, "POST", "/api/center/tickets", c.token, body
        )

    async def read_and_rate(self, c: _Citizen, ticket_id: int) -> None:
        try:
            answer = await self._retrying(
                self.citizens_http, "GET", f"/api/center/tickets?id={ticket_id}", c.token, None
            )
            if not answer.ok:
                self.tally.errors[f"citizen read: {_error_label(answer)}"] += 1
                return
            c.seen_closed = answer.body.get("state") == "closed"
            rated = await self._retrying(
                self.citizens_http,
                "POST",
                "/api/center/tickets/rate",
                c.token,
                {"id": ticket_id, "stars": c.stars, "comment": f"bench rating {c.index}"},
            )
            # (Were the first answer lost, a retry would find it rated already: 409. The
            # check at the end reads what was stored either way.)
            c.rated = rated.ok
            if not rated.ok:
                self.tally.errors[f"rate: {_error_label(rated)}"] += 1
        except HttpFailure as exc:
            self.tally.errors[f"citizen: {exc}"] += 1

    # -- civil servants ----------------------------------------------------------------------

    async def civil_servant(self, s: _Staff) -> None:
        pause = random.Random(s.name)
        failures = 0
        while failures < _STAFF_GIVES_UP:
            done_before = self.takes_done.is_set()
            t0 = time.perf_counter()
            try:
                answer = await self.staff_http.request("POST", "/api/center/call-next", s.token, {})
            except HttpFailure as exc:
                failures += 1
                self.tally.errors[f"call-next: {exc}"] += 1
                await self.recover(s)
                continue
            self.tally.call_next_ms.append((time.perf_counter() - t0) * 1e3)
            if not answer.ok:
                failures += 1
                self.tally.errors[f"call-next: {_error_label(answer)}"] += 1
                await asyncio.sleep(_EMPTY_QUEUE_PAUSE_S)
                await self.recover(s)
                continue
            failures = 0
            ticket = answer.body.get("ticket") if isinstance(answer.body, dict) else None
            if ticket is None:
                self.tally.call_next_empty += 1
                if done_before:
                    break
                await asyncio.sleep(_EMPTY_QUEUE_PAUSE_S * (0.5 + pause.random()))
                continue
            await self.serve(s, int(ticket["id"]))
        with contextlib.suppress(HttpFailure):
            await self.staff_http.request(
                "POST", "/api/center/staff", s.token, {"status": "offline"}
            )

    async def serve(self, s: _Staff, ticket_id: int) -> None:
        s.served.append(ticket_id)
        said = await self._staff_retrying(
            s,
            "/api/center/tickets/message",
            {
                "id": ticket_id,
                "text": f"안녕하세요, {s.name}입니다. 번호 {ticket_id} 도와드리겠습니다.",
            },
        )
        if said is not None and not said.ok:
            self.tally.errors[f"message: {_error_label(said)}"] += 1
        t0 = time.perf_counter()
        closed = await self._staff_retrying(
            s,
            "/api/center/tickets/close",
            {"id": ticket_id, "resolution": f"안내해 드렸습니다 (bench {self.run_id})."},
        )
        self.tally.close_ms.append((time.perf_counter() - t0) * 1e3)
        if closed is None or not closed.ok:
            label = "no answer" if closed is None else _error_label(closed)
            self.tally.errors[f"close: {label}"] += 1
        # Told either way: the citizen reads the ticket and the check at the end says whether
        # it was closed.
        self.closed_event(ticket_id).set()

    async def _staff_retrying(self, s: _Staff, path: str, body: Any) -> Answer | None:
        for attempt in range(_STAFF_ATTEMPTS):
            if attempt:
                await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
            try:
                answer = await self.staff_http.request("POST", path, s.token, body)
            except HttpFailure as exc:
                self.tally.errors[f"{path}: {exc}"] += 1
                continue
            if answer.status not in _RETRYABLE:
                return answer
            self.tally.errors[f"{path}: {_error_label(answer)}"] += 1
        return None

    async def recover(self, s: _Staff) -> None:
        """After a call whose answer was lost: serve whatever the console says is ours."""
        try:
            answer = await self.staff_http.request("GET", "/api/center/console", s.token)
        except HttpFailure as exc:
            self.tally.errors[f"console: {exc}"] += 1
            await asyncio.sleep(_EMPTY_QUEUE_PAUSE_S)
            return
        serving = answer.body.get("serving", []) if isinstance(answer.body, dict) else []
        for ticket in serving:
            if ticket.get("state") in ("called", "in_consultation"):
                await self.serve(s, int(ticket["id"]))

    # -- the run -----------------------------------------------------------------------------

    async def load(self) -> None:
        limit = asyncio.Semaphore(self.plan.concurrency)
        servants = [asyncio.create_task(self.civil_servant(s)) for s in self.staff]
        citizens = [asyncio.create_task(self.citizen(c, limit)) for c in self.citizens]
        if not self.citizens:
            self.takes_done.set()
        try:
            await asyncio.gather(*servants)
            self.staff_done.set()
            await asyncio.gather(*citizens)
        finally:
            for task in (*servants, *citizens):
                task.cancel()
            await asyncio.gather(*servants, *citizens, return_exceptions=True)

    async def verify(self) -> dict[str, Any]:
        """Check every ticket as a supervisor and every citizen's own list."""
        limit = asyncio.Semaphore(min(self.plan.concurrency, 20))
        # Who served each ticket (a civil servant may serve one again after a lost answer).
        served_by: dict[int, set[str]] = {}
        for s in self.staff:
            for tid in s.served:
                served_by.setdefault(tid, set()).add(s.name)
        found: Counter[str] = Counter()
        owned: set[int] = set()

        async def check(c: _Citizen) -> None:
            distinct = set(c.ids)
            found["duplicate_takes"] += max(0, len(distinct) - 1)
            owned.update(distinct)
            if c.ticket_id is None:
                found["take_failures"] += 1
                return
            async with limit:
                mine = await self._retrying(
                    self.admin_http, "GET", "/api/center/tickets/mine", c.token, None
                )
                full = await self._retrying(
                    self.admin_http,
                    "GET",
                    f"/api/center/tickets?id={c.ticket_id}",
                    self.admin_token,
                    None,
                )
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

        await asyncio.gather(*(check(c) for c in self.citizens))
        found["unknown_served"] = len(set(served_by) - owned)
        return dict(found)


async def run_center_load(http_url: str, mint: Mint, plan: LoadPlan) -> dict[str, Any]:
    """Run the load against the server at ``http_url`` and check it; returns the figures.

    ``mint`` makes the civil servants' (role staff) and the supervisor's (role admin) tokens.
    The figures' ``lost`` and ``duplicated`` are zero and ``ok`` true when every ticket taken
    was closed exactly once, by one civil servant, and no retried key made a second ticket.
    """
    if plan.tickets < 1 or plan.staff < 1 or plan.concurrency < 1:
        raise ValueError("tickets, staff and concurrency must be at least 1")
    load = _CenterLoad(http_url, mint, plan)
    started = time.perf_counter()
    timed_out = False
    try:
        await asyncio.wait_for(load.prepare(), plan.timeout_s)
        prepared = time.perf_counter()
        try:
            await asyncio.wait_for(load.load(), max(1.0, plan.timeout_s - (prepared - started)))
        except TimeoutError:
            timed_out = True
        loaded = time.perf_counter()
        found = await asyncio.wait_for(load.verify(), _VERIFY_TIMEOUT_S)
    finally:
        await load.aclose()
    finished = time.perf_counter()
    tally = load.tally
    taken = sum(1 for c in load.citizens if c.ticket_id is not None)
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
    rated = sum(1 for c in load.citizens if c.rated)
    figures: dict[str, Any] = {
        "bench": "center",
        "tickets": plan.tickets,
        "staff": plan.staff,
        "concurrency": plan.concurrency,
        "categories": len(load.categories),
        "taken": taken,
        "closed": found.get("closed", 0),
        "rated": rated,
        "ratings_stored": found.get("ratings_stored", 0),
        "retried_keys": sum(
            1 for c in load.citizens if plan.retry_every and c.index % plan.retry_every == 0
        ),
        "double_sends": sum(
            1 for c in load.citizens if plan.double_every and c.index % plan.double_every == 1
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
        "served_per_s": round(found.get("closed", 0) / (loaded - prepared), 1),
        "take_p50_ms": _percentile_ms(tally.take_ms, 50),
        "take_p99_ms": _percentile_ms(tally.take_ms, 99),
        "call_next_p50_ms": _percentile_ms(tally.call_next_ms, 50),
        "call_next_p99_ms": _percentile_ms(tally.call_next_ms, 99),
        "call_next_calls": len(tally.call_next_ms),
        "call_next_empty": tally.call_next_empty,
        "close_p50_ms": _percentile_ms(tally.close_ms, 50),
        "close_p99_ms": _percentile_ms(tally.close_ms, 99),
        "setup_s": round(prepared - started, 2),
        "load_s": round(loaded - prepared, 2),
        "verify_s": round(finished - loaded, 2),
        "total_s": round(finished - started, 2),
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
