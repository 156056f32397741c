"""A minimal asyncio HTTP/1.1 server with exact-path routing and no framework.

It exists for Plaza's small side endpoints (e.g. health, metrics, admin JSON), so it keeps
the protocol surface narrow: origin-form targets, Content-Length bodies only, and a
hard limit or timeout on everything a client controls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote

__all__ = [
    "BODY_TIMEOUT_S",
    "HEADER_TIMEOUT_S",
    "KEEPALIVE_TIMEOUT_S",
    "LINGER_TIMEOUT_S",
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_HEADER_COUNT",
    "MAX_REQUEST_LINE_BYTES",
    "SHUTDOWN_GRACE_S",
    "WRITE_TIMEOUT_S",
    "Handler",
    "HttpError",
    "HttpServer",
    "Request",
    "Response",
    "Router",
]

# Longer request lines are almost always scanners or abuse; real routes are short.
MAX_REQUEST_LINE_BYTES = 8192
# Caps per-connection memory before we know whether the request is even routable.
MAX_HEADER_BYTES = 16384
# Header-count floods make header parsing and dict growth the attacker's lever.
MAX_HEADER_COUNT = 64
# Our endpoints take small JSON documents; anything bigger is a mistake or an attack.
MAX_BODY_BYTES = 65536
# Bounds slow-loris clients that dribble the request head to pin a connection.
HEADER_TIMEOUT_S = 10.0
# Same defence for the body, once the head promised a Content-Length.
BODY_TIMEOUT_S = 10.0
# Idle keep-alive sockets cost a file descriptor each; reclaim them eventually.
KEEPALIVE_TIMEOUT_S = 30.0
# A client that stops reading must not pin a connection (and close()) forever.
WRITE_TIMEOUT_S = 10.0
# Lets in-flight requests finish on close() without letting a stuck handler block it.
SHUTDOWN_GRACE_S = 5.0
# After an error we close without reading the rest of the request; unread input makes
# the kernel send RST, which can destroy our error response, so drain it briefly first.
LINGER_TIMEOUT_S = 2.0

logger = logging.getLogger("plaza.http")

_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_REQUEST_LINE_RE = re.compile(rb"(" + _TOKEN + rb") ([\x21-\x7e]+) HTTP/([0-9])\.([0-9])\r?\n")
# Field values may hold HTAB and obs-text but no other control characters (RFC 9110 5.5).
_HEADER_LINE_RE = re.compile(rb"(" + _TOKEN + rb"):[ \t]*([^\x00-\x08\x0a-\x1f\x7f]*?)[ \t]*\r?\n")
_HEADER_NAME_RE = re.compile(_TOKEN.decode("ascii"))
# The server owns framing; letting handlers set these would desynchronise the stream.
_MANAGED_HEADERS = frozenset({"content-length", "connection", "transfer-encoding", "date"})
# RFC 9110 15.3.5 / 15.4.5: these statuses never carry content.
_BODILESS_STATUSES = frozenset({204, 304})


class HttpError(Exception):
    """An error a handler raises to answer with ``Response.error(status, code, reason)``."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        """Store the HTTP status, a stable machine-readable code and a human reason."""
        super().__init__(f"{status} {code}: {reason}")
        self.status = status
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Request:
    """A fully read HTTP request, as handed to a handler."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    peer: str

    def json(self) -> Any:
        """Parse the body as JSON, raising ``HttpError(400, "bad_json", ...)`` if invalid."""
        try:
            return json.loads(self.body)
        # RecursionError: deeply nested arrays exhaust the decoder's stack; still a bad body.
        except (ValueError, RecursionError) as exc:
            raise HttpError(400, "bad_json", f"request body is not valid JSON: {exc}") from None


@dataclass
class Response:
    """An HTTP response; the server adds framing headers when it is sent."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, obj: Any, status: int = 200) -> Response:
        """Serialise ``obj`` as compact UTF-8 JSON."""
        # allow_nan=False: NaN/Infinity are not JSON and break browsers' JSON.parse.
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return cls(status, text.encode("utf-8"), "application/json")

    @classmethod
    def text(
        cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8"
    ) -> Response:
        """Build a UTF-8 text response."""
        return cls(status, text.encode("utf-8"), content_type)

    @classmethod
    def error(cls, status: int, code: str, reason: str) -> Response:
        """Build the JSON error body ``{"error": code, "reason": reason}``."""
        return cls.json({"error": code, "reason": reason}, status)


Handler = Callable[[Request], Awaitable[Response]]


class Router:
    """Maps (method, exact path) to handlers."""

    def __init__(self) -> None:
        """Create an empty routing table."""
        self._routes: dict[str, dict[str, Handler]] = {}
        self._fallback: Handler | None = None

    def set_fallback(self, handler: Handler) -> None:
        """Answer GET and HEAD requests for paths with no route (static files)."""
        self._fallback = handler

    def add(self, method: str, path: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` on exactly ``path`` (no patterns)."""
        method = method.upper()
        if not path.startswith("/"):
            raise ValueError(f"route path must start with '/': {path!r}")
        methods = self._routes.setdefault(path, {})
        if method in methods:
            raise ValueError(f"route already registered: {method} {path}")
        methods[method] = handler

    def route(self, method: str, path: str) -> Handler | Response:
        """Return the handler, or a ready 404/405 error response."""
        methods = self._routes.get(path)
        if methods is None:
            if self._fallback is not None and method in ("GET", "HEAD"):
                return self._fallback
            return Response.error(404, "not_found", f"no route for {path}")
        handler = methods.get(method)
        if handler is None and method == "HEAD":
            # HEAD is GET without the body (RFC 9110 9.3.2); the server drops the body.
            handler = methods.get("GET")
        if handler is not None:
            return handler
        allowed = set(methods)
        if "GET" in allowed:
            allowed.add("HEAD")
        response = Response.error(405, "method_not_allowed", f"{method} is not allowed on {path}")
        response.headers["Allow"] = ", ".join(sorted(allowed))
        return response


class HttpServer:
    """Serves a ``Router`` over HTTP/1.1 with keep-alive."""

    def __init__(
        self, router: Router, host: str = "127.0.0.1", port: int = 8080, reuse_port: bool = False
    ) -> None:
        """Configure the server; nothing is bound until ``start()``. ``reuse_port``: the
        nodes of one machine bind the same port and the kernel spreads connections."""
        self._router = router
        self._host = host
        self._requested_port = port
        self._reuse_port = reuse_port
        self._server: asyncio.Server | None = None
        self._closing = False
        self._connections: set[asyncio.Task[None]] = set()
        # Connections waiting for their next request can be dropped at once on close().
        self._idle: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Bind and start accepting connections (port 0 picks a free port)."""
        if self._server is not None:
            raise RuntimeError("server already started")
        self._server = await asyncio.start_server(
            self._on_connection,
            self._host,
            self._requested_port,
            # Makes readuntil() refuse over-long lines instead of buffering them.
            limit=MAX_HEADER_BYTES,
            reuse_port=self._reuse_port or None,
        )

    @property
    def port(self) -> int:
        """The bound port (of the first socket, if the host resolved to several)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop accepting, close open connections and wait for them to finish.

        Idle keep-alive connections are dropped immediately; requests in flight get
        up to ``SHUTDOWN_GRACE_S`` to complete (with ``Connection: close``).
        """
        if self._server is None or self._closing:
            return
        self._closing = True
        self._server.close()
        for task in self._idle:
            task.cancel()
        if self._connections:
            _, pending = await asyncio.wait(set(self._connections), timeout=SHUTDOWN_GRACE_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._server.wait_closed()

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer, _format_peer(writer.get_extra_info("peername")))
            writer.close()
        except asyncio.CancelledError:
            writer.transport.abort()
            raise
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            # The peer vanished or stopped reading; nothing useful can be sent.
            writer.transport.abort()
        except Exception:
            logger.exception("connection failed")
            writer.transport.abort()
        finally:
            self._connections.discard(task)
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        idle_timeout = HEADER_TIMEOUT_S
        while not self._closing:
            self._idle.add(task)
            try:
                first = await _wait_for_request(reader, idle_timeout)
            finally:
                self._idle.discard(task)
            if not first:
                # EOF or idle timeout before any byte: nothing to answer.
                return
            try:
                request, keep_alive, http10 = await _read_request(reader, writer, first, peer)
            except HttpError as exc:
                # The stream position is unknown after a protocol error: answer and close.
                error = Response.error(exc.status, exc.code, exc.reason)
                await _send(writer, error, keep_alive=False, head=False, http10=False)
                await _linger(reader, writer)
                return
            response = await self._dispatch(request)
            keep_alive = keep_alive and not self._closing
            head = request.method == "HEAD"
            await _send(writer, response, keep_alive=keep_alive, head=head, http10=http10)
            if not keep_alive:
                return
            idle_timeout = KEEPALIVE_TIMEOUT_S

    async def _dispatch(self, request: Request) -> Response:
        route = self._router.route(request.method, request.path)
        if isinstance(route, Response):
            return route
        try:
            response = await route(request)
            if not isinstance(response, Response):
                raise TypeError(f"handler returned {type(response).__name__}, not Response")
            return response
        except HttpError as exc:
            return Response.error(exc.status, exc.code, exc.reason)
        except Exception:
            logger.exception(
                "handler failed: %s %s from %s", request.method, request.path, request.peer
            )
            return Response.error(500, "internal", "internal server error")


async def _wait_for_request(reader: asyncio.StreamReader, timeout: float) -> bytes:
    """Wait for the first byte of a request; b"" on EOF or idle timeout."""
    # Idle waiting gets its own (longer) timeout so that HEADER_TIMEOUT_S only starts
    # once a client has actually begun a request.
    try:
        async with asyncio.timeout(timeout):
            return await reader.read(1)
    except TimeoutError:
        return b""


async def _read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, first: bytes, peer: str
) -> tuple[Request, bool, bool]:
    """Read the rest of a request; returns (request, keep_alive, is_http10)."""
    try:
        async with asyncio.timeout(HEADER_TIMEOUT_S):
            method, target, minor, headers = await _read_head(reader, first)
    except TimeoutError:
        raise HttpError(408, "timeout", "timed out reading the request head") from None

    http10 = minor == 0
    if not http10 and "host" not in headers:
        raise HttpError(400, "bad_request", "HTTP/1.1 requests must carry a Host header")
    if "transfer-encoding" in headers:
        raise HttpError(
            501, "unsupported_transfer_encoding", "only Content-Length bodies are supported"
        )

    length = _parse_content_length(headers.get("content-length"))
    if length > MAX_BODY_BYTES:
        raise HttpError(413, "body_too_large", f"body exceeds {MAX_BODY_BYTES} bytes")
    body = b""
    if length:
        if not http10 and headers.get("expect", "").lower() == "100-continue":
            # Clients such as curl wait for this before uploading; we already know we accept.
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            async with asyncio.timeout(BODY_TIMEOUT_S):
                await writer.drain()
                body = await reader.readexactly(length)
        except TimeoutError:
            raise HttpError(408, "timeout", "timed out reading the request body") from None

    tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    keep_alive = "keep-alive" in tokens if http10 else "close" not in tokens

    raw_path, _, raw_query = target.partition("?")
    query = {k: v[0] for k, v in parse_qs(raw_query).items()}
    request = Request(method, unquote(raw_path), query, headers, body, peer)
    return request, keep_alive, http10


async def _read_head(
    reader: asyncio.StreamReader, first: bytes
) -> tuple[str, str, int, dict[str, str]]:
    """Read and parse the request line and header fields."""
    line = first
    if first != b"\n":
        line += await _read_line(reader, 414, "uri_too_long", "request line too long")
    if line in (b"\r\n", b"\n"):
        # RFC 9112 2.2: tolerate a stray empty line left over from a previous request.
        line = await _read_line(reader, 414, "uri_too_long", "request line too long")
    if len(line) > MAX_REQUEST_LINE_BYTES:
        raise HttpError(414, "uri_too_long", "request line too long")
    match = _REQUEST_LINE_RE.fullmatch(line)
    if match is None:
        raise HttpError(400, "bad_request", "malformed request line")
    method_b, target_b, major, minor = match.groups()
    if major != b"1":
        raise HttpError(505, "http_version_not_supported", "only HTTP/1.x is supported")
    target = target_b.decode("ascii")
    if not target.startswith("/"):
        raise HttpError(400, "bad_request", "request target must be an absolute path")

    headers: dict[str, str] = {}
    total = 0
    count = 0
    while True:
        line = await _read_line(reader, 431, "headers_too_large", "header line too long")
        if line in (b"\r\n", b"\n"):
            break
        total += len(line)
        count += 1
        if total > MAX_HEADER_BYTES or count > MAX_HEADER_COUNT:
            raise HttpError(431, "headers_too_large", "request header section too large")
        field_match = _HEADER_LINE_RE.fullmatch(line)
        if field_match is None:
            raise HttpError(400, "bad_request", "malformed header field")
        name = field_match[1].decode("ascii").lower()
        value = field_match[2].decode("latin-1")
        # RFC 9110 5.3: repeated fields are equivalent to one comma-joined field.
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    if "," in headers.get("host", ""):
        raise HttpError(400, "bad_request", "multiple Host headers")
    return method_b.decode("ascii").upper(), target, int(minor), headers


async def _read_line(reader: asyncio.StreamReader, status: int, code: str, reason: str) -> bytes:
    """Read one LF-terminated line, mapping the stream's limit overrun to an HttpError."""
    try:
        return await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise HttpError(status, code, reason) from None


def _parse_content_length(value: str | None) -> int:
    """Parse Content-Length strictly (RFC 9110 8.6); identical repeats are allowed."""
    if value is None:
        return 0
    values = {v.strip() for v in value.split(",")}
    if len(values) != 1:
        raise HttpError(400, "bad_request", "conflicting Content-Length values")
    (text,) = values
    # int() would also accept "+5", " 5" and "1_0", which other parsers read differently.
    if not text.isascii() or not text.isdigit():
        raise HttpError(400, "bad_request", "invalid Content-Length")
    # Longer digit strings exceed any body limit; don't feed attacker-sized input to int().
    if len(text) > 18:
        raise HttpError(413, "body_too_large", f"body exceeds {MAX_BODY_BYTES} bytes")
    return int(text)


async def _send(
    writer: asyncio.StreamWriter, response: Response, *, keep_alive: bool, head: bool, http10: bool
) -> None:
    """Serialise and write a response, bounded by WRITE_TIMEOUT_S."""
    try:
        data = _encode(response, keep_alive=keep_alive, head=head, http10=http10)
    except ValueError:
        logger.exception("handler produced an invalid response (status %r)", response.status)
        fallback = Response.error(500, "internal", "internal server error")
        data = _encode(fallback, keep_alive=keep_alive, head=head, http10=http10)
    writer.write(data)
    async with asyncio.timeout(WRITE_TIMEOUT_S):
        await writer.drain()


def _encode(response: Response, *, keep_alive: bool, head: bool, http10: bool) -> bytes:
    """Serialise a response head (and body unless ``head``); ValueError if invalid."""
    status = response.status
    if not 200 <= status <= 599:
        raise ValueError(f"invalid final status code: {status!r}")
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    body = b"" if status in _BODILESS_STATUSES else response.body

    lines = [f"HTTP/1.1 {status} {phrase}", f"Date: {formatdate(usegmt=True)}"]
    custom = {name.lower() for name in response.headers}
    if status not in _BODILESS_STATUSES:
        if "content-type" not in custom:
            lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Content-Length: {len(body)}")
    if "cache-control" not in custom:
        # Responses here are live state (health, metrics, admin); never let caches keep them.
        lines.append("Cache-Control: no-store")
    for name, value in response.headers.items():
        if name.lower() in _MANAGED_HEADERS:
            raise ValueError(f"header {name!r} is set by the server")
        if not _HEADER_NAME_RE.fullmatch(name):
            raise ValueError(f"invalid header name: {name!r}")
        lines.append(f"{name}: {value}")
    if not keep_alive:
        lines.append("Connection: close")
    elif http10:
        lines.append("Connection: keep-alive")
    for line in lines:
        # Header injection guard: a CR/LF in a value would let it forge headers or bodies.
        if "\r" in line or "\n" in line or "\0" in line:
            raise ValueError(f"control character in response header: {line!r}")
    # latin-1 is HTTP's historical field encoding; non-latin-1 text raises ValueError.
    encoded = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return encoded if head else encoded + body


async def _linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Half-close and discard pending input briefly so the error response survives."""
    with contextlib.suppress(Exception):
        if writer.can_write_eof():
            writer.write_eof()
        async with asyncio.timeout(LINGER_TIMEOUT_S):
            while await reader.read(65536):
                pass


def _format_peer(peername: Any) -> str:
    """Format a socket peer address as ``host:port`` (IPv6 hosts bracketed)."""
    if isinstance(peername, tuple) and len(peername) >= 2:
        host, port = peername[0], peername[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(peername)
