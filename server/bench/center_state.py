"""What one 120 Center load run is asked to do, and the state its bots share while it runs.

``LoadPlan`` is the caller's order; ``CenterRun`` holds everything the set-up, the citizen
and civil-servant bots and the checks at the end read and write: the HTTP clients, the
citizens and civil servants with what happened to each, the tally of timings and errors, and
the events by which the bots tell each other that all numbers are taken, that the civil
servants went home, or that a ticket was closed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from server.bench.center_http import Answer, HttpClient, Mint, request_with_retries

__all__ = ["CenterRun", "Citizen", "LoadPlan", "Staff", "Tally"]


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
class Citizen:
    """One citizen bot: who it is, the number it asks for, and what it got."""

    index: int
    name: str
    category: str
    key: str
    """Idempotency key of its number: every send of the request carries the same one."""
    stars: int
    """The rating it will give, so the check can find it stored."""
    token: str = ""
    ids: list[int] = field(default_factory=list)
    """Ticket ids named by the answers; more than one distinct id is a duplicate."""
    ticket_id: int | None = None
    failure: str | None = None
    seen_closed: bool = False
    rated: bool = False


@dataclass
class Staff:
    """One civil-servant bot and the tickets it served (again, after a lost answer)."""

    name: str
    token: str
    served: list[int] = field(default_factory=list)


@dataclass
class Tally:
    """Timings and errors gathered during the load."""

    take_ms: list[float] = field(default_factory=list)
    call_next_ms: list[float] = field(default_factory=list)
    close_ms: list[float] = field(default_factory=list)
    call_next_empty: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    first_take: float | None = None
    last_take: float | None = None


class CenterRun:
    """The shared state of one run against the server at ``http_url``."""

    def __init__(self, http_url: str, mint: Mint, plan: LoadPlan) -> None:
        """Open no connection yet: clients connect on their first request."""
        self.http_url = http_url.rstrip("/")
        self.mint = mint
        self.plan = plan
        # One pool each, so citizens crowding the server cannot starve the civil servants
        # who empty the queues, nor the supervisor's checks.
        self.citizens_http = HttpClient(self.http_url, plan.concurrency)
        self.staff_http = HttpClient(self.http_url, max(plan.staff, 1))
        self.admin_http = HttpClient(self.http_url, min(plan.concurrency, 20))
        # In every idempotency key and resolution, so runs against one server never collide.
        self.run_id = uuid.uuid4().hex[:8]
        self.tally = Tally()
        self.categories: list[str] = []
        self.citizens: list[Citizen] = []
        self.staff: list[Staff] = []
        self.admin_token = ""
        self.takes_left = plan.tickets
        # Set when every citizen has had its answer: an empty queue then means done.
        self.takes_done = asyncio.Event()
        # Set when every civil servant went home: citizens stop waiting for a close.
        self.staff_done = asyncio.Event()
        self._closed: dict[int, asyncio.Event] = {}

    def closed_event(self, ticket_id: int) -> asyncio.Event:
        """Set when a civil servant closed ``ticket_id`` (the WebSocket would tell a citizen)."""
        event = self._closed.get(ticket_id)
        if event is None:
            event = self._closed[ticket_id] = asyncio.Event()
        return event

    async def retrying(
        self, client: HttpClient, method: str, path: str, token: str | None, body: Any
    ) -> Answer:
        """``request_with_retries`` counting its failed attempts in this run's tally."""
        return await request_with_retries(client, method, path, token, body, self.tally.errors)

    async def aclose(self) -> None:
        """Close every client's idle connections."""
        for client in (self.citizens_http, self.staff_http, self.admin_http):
            await client.close()
