"""The one asyncpg pool, with retries that ride out a PostgreSQL restart.

Everything that touches the database goes through ``Database``: ``run`` executes a unit of
work in a transaction and, when the failure is the connection's (the server restarted, the
network dropped, the server is starting up), waits with exponential backoff and tries again
until it lands or its deadline passes. Errors of the statement itself (a constraint, a
syntax error) are never retried: they would fail the same way again.

``available`` is False from the first connection failure until a unit of work succeeds
again; ``/readyz`` reports it, and a background probe brings it back even when nothing else
is being written.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

__all__ = [
    "BACKOFF_MAX_S",
    "BACKOFF_START_S",
    "CONNECT_TIMEOUT_S",
    "POOL_MAX_SIZE",
    "Database",
    "DatabaseUnavailable",
    "is_transient",
    "redact_url",
]

log = logging.getLogger("plaza.db")

T = TypeVar("T")

# A handful of connections serves one process: writes are batched, reads are few and short.
POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 8
# Long enough for a loaded server to answer, short enough that a dead host is reported soon.
CONNECT_TIMEOUT_S = 5.0
# Retries start fast (a restart takes about a second) and settle at a few seconds, so a long
# outage does not turn into a reconnect storm.
BACKOFF_START_S = 0.1
BACKOFF_MAX_S = 5.0
# While unavailable, the probe checks this often whether the server is back.
PROBE_INTERVAL_S = 1.0

_TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    # Shutting down, starting up, crashed: PostgreSQL is coming back, not refusing the work.
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)


def is_transient(exc: BaseException) -> bool:
    """True for failures of the connection rather than of the statement."""
    if isinstance(exc, asyncpg.InterfaceError):
        # Most interface errors are misuse (and would fail again); a closed connection is not.
        return "closed" in str(exc)
    return isinstance(exc, _TRANSIENT)


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


class DatabaseUnavailable(Exception):
    """PostgreSQL could not be reached (at start, or within a unit of work's deadline)."""


class Database:
    """The process's connection pool and the retry policy around it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: asyncpg.Pool | None = None
        self.available = False
        self._probe: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def safe_url(self) -> str:
        """The URL without its password."""
        return redact_url(self.url)

    async def open(self) -> None:
        """Create the pool; raises ``DatabaseUnavailable`` naming the URL if it cannot connect."""
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=POOL_MIN_SIZE,
                max_size=POOL_MAX_SIZE,
                timeout=CONNECT_TIMEOUT_S,
                command_timeout=30.0,
            )
        except Exception as exc:
            raise DatabaseUnavailable(
                f"cannot connect to PostgreSQL at {self.safe_url}: {_describe(exc)}"
            ) from None
        self.available = True

    async def close(self) -> None:
        """Stop the probe and close every connection (bounded wait)."""
        self._closing = True
        if self._probe is not None:
            self._probe.cancel()
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), 5.0)
            except Exception:
                self._pool.terminate()

    @property
    def pool(self) -> asyncpg.Pool:
        """The pool (after ``open``)."""
        if self._pool is None:
            raise RuntimeError("Database.open() has not been called")
        return self._pool

    async def run(
        self,
        work: Callable[[asyncpg.Connection], Awaitable[T]],
        *,
        deadline_s: float | None = None,
        transaction: bool = True,
    ) -> T:
        """Run ``work`` on a pooled connection, in a transaction, retrying connection failures.

        ``deadline_s`` bounds the total time (None: keep trying until closed). ``work`` may run
        more than once, so it must only touch the database; a commit happens at most once
        because a failed attempt's transaction is rolled back by the server.
        """
        start = time.monotonic()
        delay = BACKOFF_START_S
        while True:
            try:
                async with self.pool.acquire() as conn:
                    if transaction:
                        async with conn.transaction():
                            result = await work(conn)
                    else:
                        result = await work(conn)
                self._mark_up()
                return result
            except Exception as exc:
                if not is_transient(exc) or self._closing:
                    raise
                self._mark_down(exc)
                elapsed = time.monotonic() - start
                if deadline_s is not None and elapsed + delay > deadline_s:
                    raise DatabaseUnavailable(
                        f"PostgreSQL at {self.safe_url} unavailable: {_describe(exc)}"
                    ) from None
                # Jitter keeps many waiting writers from reconnecting in lockstep.
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, BACKOFF_MAX_S)

    async def fetch(self, query: str, *args: Any, deadline_s: float | None = 5.0) -> list[Any]:
        """Rows of one read-only query, retried like ``run``."""

        async def work(conn: asyncpg.Connection) -> list[Any]:
            rows: list[Any] = await conn.fetch(query, *args)
            return rows

        return await self.run(work, deadline_s=deadline_s, transaction=False)

    def _mark_up(self) -> None:
        if not self.available:
            log.warning("PostgreSQL at %s is reachable again", self.safe_url)
        self.available = True

    def _mark_down(self, exc: BaseException) -> None:
        if self.available:
            log.warning("PostgreSQL at %s unreachable: %s", self.safe_url, _describe(exc))
        self.available = False
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._probe_until_up())

    async def _probe_until_up(self) -> None:
        while not self.available and not self._closing:
            await asyncio.sleep(PROBE_INTERVAL_S)
            try:
                async with self.pool.acquire(timeout=CONNECT_TIMEOUT_S) as conn:
                    await conn.fetchval("SELECT 1")
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("database probe failed")
                continue
            self._mark_up()


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
