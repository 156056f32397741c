"""An asyncio client for Plaza: sign in, connect, send poses, mirror the visible avatars.

    session = await sign_in_guest("http://127.0.0.1:8080", "민지", "ko")
    async with PlazaClient(session.ws_url, session.token) as client:
        await client.move(1.0, 0.0, 2.0)
        await client.wait_for(lambda c: len(c.mirror.slots) > 0)

The client keeps a ``WorldMirror`` from the WORLD frames, records corrections, errors and
request results, keeps the latest STAGE (performers on a festival stage out of view) with
running totals of the reactions it counted, and estimates the server clock offset from
PING/PONG. Given a
``token_source``, it renews its token when the server says it is about to expire; after a
dropped connection, ``reconnect`` takes the same avatar back (within the server's grace
period).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from plaza_client.mirror import WorldMirror
from world.codec import (
    Correction,
    ErrorMessage,
    Moderate,
    Move,
    Ping,
    Pong,
    Pose,
    Renew,
    Result,
    TokenExpiring,
    Welcome,
    WorldFrame,
    decode_server,
    encode_client,
)
from world.codec_alert import Alert
from world.codec_social import (
    Block,
    ChatMessage,
    EnterZone,
    Report,
    Say,
    ZoneEvent,
    ZoneRequest,
)
from world.codec_stage import React, Stage
from world.protocol import SUBPROTOCOL, ReactionKind

__all__ = ["GuestSession", "PlazaClient", "SignInError", "refresh_token", "sign_in_guest"]


class SignInError(RuntimeError):
    """The server refused a sign-in; ``status`` and ``reason`` say why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"sign-in refused ({status}): {reason}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class GuestSession:
    """A guest token and where to use it."""

    token: str
    ws_url: str
    subject: str
    name: str
    expires_at: float


def _post_json(
    url: str, body: dict[str, Any], timeout: float, token: str | None = None
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result
    except urllib.error.HTTPError as exc:
        try:
            reason = json.loads(exc.read()).get("reason", exc.reason)
        except (ValueError, AttributeError):
            reason = str(exc.reason)
        raise SignInError(exc.code, reason) from None


async def sign_in_guest(
    http_url: str, name: str, locale: str = "ko", timeout: float = 10.0
) -> GuestSession:
    """``POST /api/auth/guest``: a guest token for ``name``."""
    body = await asyncio.to_thread(
        _post_json,
        http_url.rstrip("/") + "/api/auth/guest",
        {"name": name, "locale": locale},
        timeout,
    )
    return GuestSession(
        body["token"], body["ws_url"], body["subject"], body["name"], body["expires_at"]
    )


async def refresh_token(http_url: str, token: str, timeout: float = 10.0) -> str:
    """``POST /api/auth/refresh``: a fresh token for the holder of a valid built-in one."""
    body = await asyncio.to_thread(
        _post_json, http_url.rstrip("/") + "/api/auth/refresh", {}, timeout, token
    )
    return str(body["token"])


@dataclass
class _Clock:
    offset: float = 0.0  # server time minus local time, seconds
    rtt: float = float("inf")


@dataclass
class PlazaClient:
    """One connection to the world and the client's view of it."""

    ws_url: str
    token: str
    connection: ClientConnection | None = None
    welcome: dict[str, Any] = field(default_factory=dict)
    mirror: WorldMirror = field(default_factory=WorldMirror)
    corrections: list[Correction] = field(default_factory=list)
    errors: list[ErrorMessage] = field(default_factory=list)
    frames: int = 0
    bytes_received: int = 0
    clock: _Clock = field(default_factory=_Clock)
    close_code: int | None = None
    close_reason: str = ""
    results: list[Result] = field(default_factory=list)
    # Chat lines received (CHAT maps), zone events, and the zones entered after WELCOME.
    chat: list[dict[str, Any]] = field(default_factory=list)
    zone_events: list[ZoneEvent] = field(default_factory=list)
    zones_entered: list[dict[str, Any]] = field(default_factory=list)
    # The latest STAGE of the zone the avatar is in (None before the first), how many came,
    # and the reactions (cheer, clap, heart) they counted in this instance and in the zone.
    stage: Stage | None = None
    # Emergency alerts received (ALERT maps, in this user's language).
    alerts: list[dict[str, Any]] = field(default_factory=list)
    stages: int = 0
    reactions_here: list[int] = field(default_factory=lambda: [0] * len(ReactionKind))
    reactions_zone: list[int] = field(default_factory=lambda: [0] * len(ReactionKind))
    # Friends connecting with the same party code share a zone instance.
    party: str | None = None
    # When set, called for a fresh token when the server warns that this one expires.
    token_source: Callable[[], Awaitable[str]] | None = None
    token_expires_at: float | None = None
    _seq: int = 0
    _pose_seq: int = 0
    _changed: asyncio.Condition | None = None
    _reader: asyncio.Task[None] | None = None
    _pongs: dict[float, asyncio.Future[Pong]] = field(default_factory=dict)
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def avatar_id(self) -> int:
        """This client's public avatar id (from WELCOME)."""
        return int(self.welcome["avatar_id"])

    async def connect(self, timeout: float = 10.0) -> dict[str, Any]:
        """Open the WebSocket (token in the query) and wait for WELCOME."""
        sep = "&" if "?" in self.ws_url else "?"
        party = f"&party={self.party}" if self.party else ""
        self.connection = await connect(
            f"{self.ws_url}{sep}token={self.token}{party}",
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            max_size=None,
            compression=None,
            open_timeout=timeout,
        )
        self._changed = asyncio.Condition()
        data = await asyncio.wait_for(self.connection.recv(), timeout)
        if not isinstance(data, bytes):
            raise RuntimeError("expected a binary WELCOME, got a text message")
        first = decode_server(data)
        if not isinstance(first, Welcome):
            raise RuntimeError(f"expected WELCOME, got {first!r}")
        self.welcome = first.info
        self.mirror = WorldMirror(origin=np.asarray(first.info["zone"]["origin"], dtype=np.float64))
        self._seq = 0
        self._pose_seq = 0
        self.close_code = None
        self.close_reason = ""
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self.welcome

    async def __aenter__(self) -> PlazaClient:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection and stop reading."""
        if self.connection is not None:
            await self.connection.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def reconnect(self, timeout: float = 10.0) -> dict[str, Any]:
        """Connect again with the current token; the server hands back the same avatar if
        it is still waiting (WELCOME has ``resumed``), and the view starts afresh."""
        if self.connection is not None:
            self.connection.transport.abort()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        return await self.connect(timeout)

    async def renew(self, token: str, timeout: float = 10.0) -> Result:
        """Send RENEW with a fresh token; returns the server's RESULT (raises on an ERROR)."""
        errors = len(self.errors)
        results = len(self.results)
        await self.send_raw(encode_client(Renew(token)))
        await self.wait_for(
            lambda c: (
                len(c.errors) > errors or any(r.request_id == "renew" for r in c.results[results:])
            ),
            timeout,
        )
        for result in self.results[results:]:
            if result.request_id == "renew":
                self.token = token
                return result
        raise RuntimeError(f"renewal refused: {self.errors[-1].reason}")

    async def moderate(
        self,
        action: str,
        *,
        avatar: int | None = None,
        subject: str | None = None,
        reason: str = "",
        minutes: int | None = None,
        sanction: int | None = None,
        request_id: str | None = None,
        timeout: float = 30.0,
    ) -> Result:
        """Send MODERATE and wait for its RESULT (moderators and admins)."""
        request_id = request_id or uuid.uuid4().hex
        message = Moderate(request_id, action, avatar, subject, reason, minutes, sanction)
        await self.send_raw(encode_client(message))
        await self.wait_for(lambda c: c.result(request_id) is not None, timeout)
        result = self.result(request_id)
        assert result is not None
        return result

    @property
    def zone(self) -> str:
        """The zone the avatar is in now."""
        info = self.zones_entered[-1] if self.zones_entered else self.welcome
        return str(info["zone"]["name"])

    async def request(self, data: bytes, request_id: str, timeout: float = 10.0) -> Result:
        """Send a request and wait for the RESULT with ``request_id``."""
        await self.send_raw(data)
        await self.wait_for(lambda c: c.result(request_id) is not None, timeout)
        result = self.result(request_id)
        assert result is not None
        return result

    async def say(
        self, text: str, channel: str = "near", to: int | None = None, request_id: str | None = None
    ) -> str:
        """Send a chat line; returns its request id (the echo or a RESULT carries it)."""
        request_id = request_id or uuid.uuid4().hex
        await self.send_raw(encode_client(Say(request_id, channel, text, to)))
        return request_id

    async def block(self, avatar: int, blocked: bool = True, timeout: float = 10.0) -> Result:
        """Stop (or resume) seeing an avatar's user's chat; RESULT once it is saved."""
        request_id = uuid.uuid4().hex
        return await self.request(
            encode_client(Block(request_id, avatar, blocked)), request_id, timeout
        )

    async def report(self, avatar: int, reason: str, timeout: float = 10.0) -> Result:
        """Report an avatar's user to the moderators; RESULT once it is stored."""
        request_id = uuid.uuid4().hex
        return await self.request(
            encode_client(Report(request_id, avatar, reason)), request_id, timeout
        )

    async def zone_request(
        self, type: str, data: dict[str, Any] | None = None, timeout: float = 10.0
    ) -> Result:
        """Send a ZONE message that wants an answer, and wait for its RESULT."""
        request_id = uuid.uuid4().hex
        message = ZoneRequest(request_id, type, data or {})
        return await self.request(encode_client(message), request_id, timeout)

    async def zone_message(self, type: str, data: dict[str, Any] | None = None) -> None:
        """Send a ZONE message that wants no answer."""
        await self.send_raw(encode_client(ZoneRequest(None, type, data or {})))

    async def react(self, kind: int = ReactionKind.CHEER) -> None:
        """Cheer (0), clap (1) or send a heart (2); counted by the server into STAGE, in
        zones that take reactions (at most 4 a second, a burst of 8)."""
        await self.send_raw(encode_client(React(int(kind))))

    def result(self, request_id: str) -> Result | None:
        """The newest RESULT for ``request_id``, if any arrived."""
        for result in reversed(self.results):
            if result.request_id == request_id:
                return result
        return None

    async def send_raw(self, data: bytes | str) -> None:
        """Send arbitrary bytes (tests use this to send bad input)."""
        assert self.connection is not None
        await self.connection.send(data)

    async def move(
        self, x: float, y: float, z: float, yaw: float = 0.0, anim: int = 0, flags: int = 0
    ) -> int:
        """Send a MOVE with the next sequence number; returns that number."""
        self._seq += 1
        await self.send_raw(encode_client(Move(self._seq, x, y, z, yaw, anim, flags)))
        return self._seq

    async def pose(
        self, head: tuple[float, ...], left: tuple[float, ...], right: tuple[float, ...]
    ) -> int:
        """Send a POSE (VR head and hands relative to the avatar root)."""
        self._pose_seq += 1
        await self.send_raw(encode_client(Pose(self._pose_seq, head, left, right)))
        return self._pose_seq

    async def sync_clock(self, samples: int = 5, timeout: float = 5.0) -> float:
        """Estimate the server clock offset from PING/PONG, keeping the lowest-RTT sample."""
        loop = asyncio.get_running_loop()
        for _ in range(samples):
            sent = time.time()
            future: asyncio.Future[Pong] = loop.create_future()
            self._pongs[sent] = future
            await self.send_raw(encode_client(Ping(sent)))
            pong = await asyncio.wait_for(future, timeout)
            received = time.time()
            rtt = received - sent
            if rtt < self.clock.rtt:
                self.clock = _Clock(pong.server_time - (sent + received) / 2, rtt)
        return self.clock.offset

    def server_now(self) -> float:
        """Local time corrected by the estimated clock offset."""
        return time.time() + self.clock.offset

    async def wait_for(
        self, predicate: Callable[[PlazaClient], bool], timeout: float = 10.0
    ) -> None:
        """Wait until ``predicate(self)`` holds after some received message."""
        assert self._changed is not None

        async def wait() -> None:
            assert self._changed is not None
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self) or self.closed)
            if not predicate(self):
                raise ConnectionError(f"connection closed ({self.close_code} {self.close_reason})")

        await asyncio.wait_for(wait(), timeout)

    @property
    def closed(self) -> bool:
        """True once the connection has closed."""
        return self.close_code is not None

    async def _renew_from_source(self) -> None:
        assert self.token_source is not None
        token = await self.token_source()
        self.token = token
        await self.send_raw(encode_client(Renew(token)))

    async def _read(self) -> None:
        assert self.connection is not None and self._changed is not None
        try:
            async for data in self.connection:
                assert isinstance(data, bytes)
                self.bytes_received += len(data)
                message = decode_server(data)
                if isinstance(message, WorldFrame):
                    self.mirror.apply(message)
                    self.frames += 1
                elif isinstance(message, Correction):
                    self.corrections.append(message)
                elif isinstance(message, ErrorMessage):
                    self.errors.append(message)
                elif isinstance(message, Pong):
                    future = self._pongs.pop(message.client_time, None)
                    if future is not None and not future.done():
                        future.set_result(message)
                elif isinstance(message, Result):
                    self.results.append(message)
                elif isinstance(message, ChatMessage):
                    self.chat.append(message.info)
                elif isinstance(message, ZoneEvent):
                    self.zone_events.append(message)
                elif isinstance(message, Alert):
                    self.alerts.append(message.info)
                elif isinstance(message, Stage):
                    self.stage = message
                    self.stages += 1
                    for kind in range(len(ReactionKind)):
                        self.reactions_here[kind] += message.here[kind]
                        self.reactions_zone[kind] += message.zone[kind]
                elif isinstance(message, EnterZone):
                    # A new zone: its own origin, a fresh view, and inputs above the floor.
                    info = message.info
                    self.zones_entered.append(info)
                    self.stage = None
                    self.mirror = WorldMirror(
                        origin=np.asarray(info["zone"]["origin"], dtype=np.float64)
                    )
                    floor = int(info.get("seq_floor", 0))
                    self._seq = max(self._seq, floor)
                    self._pose_seq = max(self._pose_seq, floor)
                elif isinstance(message, TokenExpiring):
                    self.token_expires_at = message.expires_at
                    if self.token_source is not None:
                        task = asyncio.get_running_loop().create_task(self._renew_from_source())
                        self._background.add(task)
                        task.add_done_callback(self._background.discard)
                async with self._changed:
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            # The code and reason the server sent (1006 when the socket dropped without one).
            code = self.connection.close_code
            self.close_code = code if code is not None else 1006
            self.close_reason = self.connection.close_reason or ""
            async with self._changed:
                self._changed.notify_all()
