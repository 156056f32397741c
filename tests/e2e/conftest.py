"""Fixtures for end-to-end tests: a real Plaza server in-process on ephemeral loopback ports.

Everything here talks to the server over real sockets (HTTP via urllib in a worker thread,
WebSockets via the ``websockets`` client and the Python SDK); nothing is mocked. Test modules
cannot import from this file (pytest runs with ``--import-mode=importlib``), so the helpers
are reached through the ``plaza`` / ``plaza_factory`` fixtures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import pathlib
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest
from plaza_client.client import GuestSession, PlazaClient, sign_in_guest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.app import PlazaServer
from server.bench.browser import CHROMIUM, CHROMIUM_ARGS
from server.config import ServerConfig
from world.avatars import AvatarTable
from world.codec import (
    ClientMessage,
    ErrorMessage,
    Result,
    Welcome,
    WorldFrame,
    decode_server,
    encode_client,
)
from world.protocol import SUBPROTOCOL
from world.roles import Role

# Upper bound for any single network wait in these tests.
IO_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class HttpResult:
    """Status, headers (lower-cased names) and body of one HTTP exchange."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def _http(
    method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
) -> HttpResult:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResult(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        return HttpResult(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


async def http_request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = IO_TIMEOUT_S,
) -> HttpResult:
    """One HTTP request over a real socket, run in a thread so the server keeps ticking."""
    return await asyncio.wait_for(
        asyncio.to_thread(_http, method, url, body, headers or {}, timeout), timeout + 1.0
    )


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text exposition to ``{'name{labels}': value}``."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        samples[key] = float(value)
    return samples


@dataclass
class FrameLog:
    """Every WORLD frame a ``PlazaClient`` applied, in order (client-side instrumentation)."""

    frames: list[WorldFrame] = field(default_factory=list)

    @property
    def ticks(self) -> list[int]:
        return [f.tick for f in self.frames]


def record_frames(
    client: PlazaClient, on_frame: Callable[[WorldFrame], None] | None = None
) -> FrameLog:
    """Wrap the client's mirror so every applied WORLD frame is kept (and optionally inspected
    right after it was applied, with the mirror in its post-frame state)."""
    log = FrameLog()
    apply = client.mirror.apply

    def recording_apply(frame: WorldFrame) -> None:
        apply(frame)
        log.frames.append(frame)
        if on_frame is not None:
            on_frame(frame)

    client.mirror.apply = recording_apply  # type: ignore[method-assign]
    return log


@dataclass
class Plaza:
    """A started server plus helpers to reach it the way real clients do."""

    server: PlazaServer
    data_dir: pathlib.Path
    database_url: str
    # Read once at start: the server cannot report its ports any more once it has stopped.
    http_url: str = ""
    ws_url: str = ""
    ws_port: int = 0
    _clients: list[PlazaClient] = field(default_factory=list)
    _raw: list[ClientConnection] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http_url = f"http://127.0.0.1:{self.server.http.port}"
        self.ws_url = self.server.ws_url
        self.ws_port = self.server.gateway.port

    def table_of(self, avatar_id: int) -> AvatarTable:
        """The avatar table of the zone instance ``avatar_id`` is in."""
        return self.server.city.where[avatar_id].world.table

    async def get(self, path: str) -> HttpResult:
        return await http_request("GET", self.http_url + path)

    async def post(
        self, path: str, body: bytes, content_type: str = "application/json"
    ) -> HttpResult:
        return await http_request(
            "POST", self.http_url + path, body, {"Content-Type": content_type}
        )

    async def api(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        key: str | None = None,
    ) -> HttpResult:
        """One call of the JSON API, with a Bearer ``token`` and an Idempotency-Key when
        given."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        data = b"" if body is None else json.dumps(body).encode()
        return await http_request(method, self.http_url + path, data, headers)

    async def place_in(self, subject: str, zone: str) -> None:
        """Save a last place at ``zone``'s first spawn point: the user's next sign-in
        starts there."""
        spawn = self.server.city.layout(zone).spawns[0].position
        conn = await asyncpg.connect(self.database_url)
        try:
            await conn.execute(
                "INSERT INTO last_places (subject, zone, x, y, z, yaw) "
                "VALUES ($1, $2, $3, $4, $5, 0)",
                subject,
                zone,
                *spawn,
            )
        finally:
            await conn.close()

    async def metrics(self) -> dict[str, float]:
        result = await self.get("/metrics")
        assert result.status == 200, result
        return parse_metrics(result.text)

    async def wait_metric(
        self, predicate: Callable[[dict[str, float]], bool], timeout: float = IO_TIMEOUT_S
    ) -> dict[str, float]:
        """Poll /metrics until ``predicate`` holds; returns that sample set."""
        async with asyncio.timeout(timeout):
            while True:
                samples = await self.metrics()
                if predicate(samples):
                    return samples
                await asyncio.sleep(0.05)

    async def guest(self, name: str, locale: str = "ko") -> GuestSession:
        return await sign_in_guest(self.http_url, name, locale, timeout=IO_TIMEOUT_S)

    def mint(self, name: str, role: Role = Role.CITIZEN) -> str:
        return self.server.issuer.mint(subject=f"local:{name}", name=name, role=role)

    async def client(self, name: str = "guest", token: str | None = None) -> PlazaClient:
        """A connected SDK client (WELCOME received); closed at teardown."""
        if token is None:
            token = (await self.guest(name)).token
        client = PlazaClient(self.ws_url, token)
        await client.connect(timeout=IO_TIMEOUT_S)
        self._clients.append(client)
        return client

    async def raw(
        self,
        token: str | None,
        *,
        path: str = "/ws",
        subprotocols: list[str] | None = None,
        **kwargs: Any,
    ) -> ClientConnection:
        """A plain ``websockets`` connection (token in the query); closed at teardown."""
        url = f"ws://127.0.0.1:{self.ws_port}{path}"
        if token is not None:
            url += f"?token={token}"
        kwargs.setdefault("open_timeout", IO_TIMEOUT_S)
        kwargs.setdefault("compression", None)
        kwargs.setdefault("ping_interval", None)
        connection = await connect(
            url,
            subprotocols=[SUBPROTOCOL] if subprotocols is None else subprotocols,  # type: ignore[misc]
            **kwargs,
        )
        self._raw.append(connection)
        return connection

    async def aclose(self) -> None:
        for client in self._clients:
            if client.connection is not None:
                with contextlib.suppress(Exception):
                    client.connection.transport.resume_reading()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 5.0)
        for connection in self._raw:
            with contextlib.suppress(Exception):
                connection.transport.abort()
        await asyncio.wait_for(self.server.stop(), 15.0)

    record_frames = staticmethod(record_frames)
    parse_metrics = staticmethod(parse_metrics)


PlazaFactory = Callable[..., Awaitable[Plaza]]


@pytest.fixture
def e2e() -> SimpleNamespace:
    """The module-level helpers, for tests that run without an in-process server."""
    return SimpleNamespace(
        IO_TIMEOUT_S=IO_TIMEOUT_S,
        http_request=http_request,
        parse_metrics=parse_metrics,
        record_frames=record_frames,
    )


@pytest.fixture
async def plaza_factory(tmp_path: pathlib.Path, postgres: Any) -> AsyncIterator[PlazaFactory]:
    """Start servers on ephemeral ports (after a test's monkeypatching); all stopped at teardown.

    Each server gets a fresh database on the suite's PostgreSQL unless ``database_url`` is
    given (a restart test passes the first server's URL to the second).
    """
    started: list[Plaza] = []
    databases: list[str] = []

    async def start(
        data_dir: pathlib.Path | None = None, database_url: str | None = None, **config: Any
    ) -> Plaza:
        data_dir = data_dir or tmp_path / f"data{len(started)}"
        if database_url is None:
            name, database_url = await asyncio.to_thread(postgres.create)
            databases.append(name)
        server = PlazaServer(
            ServerConfig(
                host="127.0.0.1",
                http_port=0,
                ws_port=0,
                data_dir=data_dir,
                database_url=database_url,
                **config,
            )
        )
        await asyncio.wait_for(server.start(), IO_TIMEOUT_S)
        plaza = Plaza(server, data_dir, database_url)
        started.append(plaza)
        return plaza

    yield start
    for plaza in reversed(started):
        await plaza.aclose()
    for name in databases:
        await asyncio.to_thread(postgres.drop, name)


@pytest.fixture
async def plaza(plaza_factory: PlazaFactory) -> Plaza:
    """A running server with the default configuration (20 Hz, Seoul Plaza layout)."""
    return await plaza_factory()


# -- a real browser ---------------------------------------------------------------------------

WEB_ROOT = pathlib.Path(__file__).resolve().parents[2] / "clients" / "web"


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Debian's chromium driven by playwright (each ``new_context()`` is a fresh profile)."""
    from playwright.async_api import async_playwright

    if not (WEB_ROOT / "dist" / "index.html").is_file():
        pytest.fail("the web client is not built: run `make web` (make test does)")
    if not pathlib.Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (make test does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def iwer_script() -> str:
    """The WebXR emulator bundle, to install with ``context.add_init_script`` before the
    page's own scripts run."""
    path = WEB_ROOT / "dist-testing" / "iwer.js"
    if not path.is_file():
        pytest.fail("the WebXR emulator bundle is missing: run `make web`")
    return path.read_text(encoding="utf-8")


# -- raw connections that keep every server message ------------------------------------------


class Wire:
    """A plain WebSocket connection that keeps every server message it receives, in order."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.messages: list[Any] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for data in self.connection:
                assert isinstance(data, bytes)
                self.messages.append(decode_server(data))
                async with self._changed:
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            async with self._changed:
                self._changed.notify_all()

    @property
    def closed(self) -> bool:
        return self._reader.done()

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    @property
    def close_reason(self) -> str:
        return self.connection.close_reason or ""

    @property
    def frames(self) -> int:
        return sum(isinstance(m, WorldFrame) for m in self.messages)

    def mark(self) -> int:
        """Position in the message log; ``expect(since=...)`` looks only after it."""
        return len(self.messages)

    def _find(self, predicate: Callable[[Any], bool], since: int) -> Any:
        for message in self.messages[since:]:
            if predicate(message):
                return message
        return None

    async def expect(
        self, predicate: Callable[[Any], bool], since: int = 0, timeout: float = IO_TIMEOUT_S
    ) -> Any:
        """The first message from ``since`` on that satisfies ``predicate`` (waits for it)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(
                lambda: self._find(predicate, since) is not None or self.closed
            )
        found = self._find(predicate, since)
        if found is None:
            raise ConnectionError(f"closed ({self.close_code} {self.close_reason}) while waiting")
        return found

    async def welcome(self) -> dict[str, Any]:
        message = await self.expect(lambda m: isinstance(m, Welcome))
        info: dict[str, Any] = message.info
        return info

    async def result(
        self, request_id: str, since: int = 0, timeout: float = IO_TIMEOUT_S
    ) -> Result:
        result: Result = await self.expect(
            lambda m: isinstance(m, Result) and m.request_id == request_id, since, timeout
        )
        return result

    async def error(self, since: int = 0) -> ErrorMessage:
        error: ErrorMessage = await self.expect(lambda m: isinstance(m, ErrorMessage), since)
        return error

    async def send(self, message: ClientMessage) -> None:
        await self.connection.send(encode_client(message))

    async def wait_closed(self, timeout: float = IO_TIMEOUT_S) -> None:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)

    async def stop(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader


@pytest.fixture
async def wire(plaza: Plaza) -> AsyncIterator[Callable[[str], Awaitable[Wire]]]:
    """Open a ``Wire`` for a token (WELCOME already received); readers stopped at teardown."""
    opened: list[Wire] = []

    async def open_wire(token: str) -> Wire:
        w = Wire(await plaza.raw(token))
        opened.append(w)
        await w.welcome()
        return w

    yield open_wire
    for w in opened:
        await w.stop()


@pytest.fixture
async def wire_on() -> AsyncIterator[Callable[[ClientConnection], Wire]]:
    """Wrap an open connection in a ``Wire`` (no waiting); readers stopped at teardown."""
    opened: list[Wire] = []

    def wrap(connection: ClientConnection) -> Wire:
        w = Wire(connection)
        opened.append(w)
        return w

    yield wrap
    for w in opened:
        await w.stop()
