"""The 120 Center bench's way of talking to the server: a small HTTP/1.1 JSON client.

The bots of ``plaza bench center`` speak only the server's HTTP API (docs/center120.md), as
the ticket page and the console do. Thousands of requests run at once, so the client is a
keep-alive connection pool over asyncio streams rather than a thread per request. Also here:
the retry every client should do (same body, same idempotency key, backing off) and the
``Mint`` callable through which the bench gets staff and supervisor tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from world.roles import Role

__all__ = [
    "REQUEST_TIMEOUT_S",
    "RETRYABLE",
    "Answer",
    "HttpClient",
    "HttpFailure",
    "Mint",
    "error_label",
    "request_with_retries",
    "retry_pause_s",
]

Mint = Callable[[str, Role], str]
"""Mints an access token for a local account: ``mint(name, role)``."""

REQUEST_TIMEOUT_S = 30.0
"""Bound on one request, connecting included."""
RETRYABLE = frozenset({502, 503, 504})
"""Statuses that say "not now" rather than "no": the same request may be sent again."""

# A connection idle longer than this is dropped rather than reused: the server closes idle
# keep-alive connections after 30 s, and a POST must never be written to one it is closing.
_IDLE_REUSE_S = 5.0
_ATTEMPTS = 6


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


def error_label(answer: Answer) -> str:
    """``"<status> <error code>"`` of a refusal, the key under which errors are counted."""
    code = answer.body.get("error") if isinstance(answer.body, dict) else None
    return f"{answer.status} {code or ''}".strip()


def retry_pause_s(attempt: int) -> float:
    """Pause before retry ``attempt`` (1, 2, ...): doubling from 0.2 s, at most 2 s."""
    return min(0.1 * 2.0**attempt, 2.0)


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
                # A half-used connection is never put back: its next answer could be this one's.
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
    """Status, whether the connection may be reused, and body of one HTTP/1.x response."""
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


async def request_with_retries(
    client: HttpClient,
    method: str,
    path: str,
    token: str | None,
    body: Any,
    errors: Counter[str],
) -> Answer:
    """A request retried (same body) on a transport failure or 502/503/504.

    Every failed attempt is counted in ``errors``. Returns the first answer that is not
    retryable, or the last one when every attempt was; raises ``HttpFailure`` when no attempt
    got an answer. Only for requests whose repetition does no harm: reads, a number taken
    with an idempotency key, a rating the server refuses the second time.
    """
    answer: Answer | None = None
    for attempt in range(_ATTEMPTS):
        if attempt:
            await asyncio.sleep(retry_pause_s(attempt))
        try:
            answer = await client.request(method, path, token, body)
        except HttpFailure:
            errors[f"{path}: no answer"] += 1
            continue
        if answer.status not in RETRYABLE:
            return answer
        errors[f"{path}: {error_label(answer)}"] += 1
    if answer is None:
        raise HttpFailure(f"{method} {path}: no answer after {_ATTEMPTS} attempts")
    return answer
