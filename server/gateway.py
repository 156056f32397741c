"""The realtime gateway: WebSocket upgrade, authentication, input intake and frame delivery.

Data flow (docs/architecture.md): the upgrade is authenticated before any world state is
sent; each received frame is rate-limited, decoded by the sans-I/O codec and pushed into the
world's inbox; once per tick ``deliver`` hands the step's frames to each client's link.
A bad message gets an ERROR reply and costs the connection part of its abuse budget; an
exhausted budget closes it with 1008. Nothing a client sends reaches another client's
session except through the world step.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import weakref
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from server.auth import AuthError, Identity, TokenIssuer, token_from_request
from server.client_link import (
    MAX_HELD_S,
    SEND_ABORT_BYTES,
    SEND_HIGH_WATER_BYTES,
    WebSocketLink,
)
from server.metrics import Registry
from server.ratelimit import TokenBucket
from world.avatars import AvatarDescription
from world.codec import Move, Ping, Pose, ProtocolError, decode_client, encode_error, encode_pong
from world.inbox import JoinRequest
from world.protocol import MAX_CLIENT_FRAME_BYTES, SUBPROTOCOL, CloseCode, ErrorCode
from world.world import StepResult, World

__all__ = [
    "ABUSE_BUDGET",
    "ABUSE_REFILL_PER_S",
    "INPUT_BURST",
    "INPUT_RATE_PER_S",
    "JOIN_TIMEOUT_S",
    "WS_PATH",
    "Gateway",
]

log = logging.getLogger("plaza.gateway")

WS_PATH = "/ws"
# A client sends MOVE and POSE at the tick rate (20 Hz) plus an occasional PING: 60/s leaves
# headroom for a 30 Hz client, and a burst of 120 absorbs a stall on a mobile network.
INPUT_RATE_PER_S = 60.0
INPUT_BURST = 120.0
# Each refused message (over the rate, malformed) spends one unit; an honest client with a
# bug spends a few, a hostile one runs dry within seconds and is closed with 1008.
ABUSE_BUDGET = 50.0
ABUSE_REFILL_PER_S = 2.0
# Rate-limit errors are themselves limited, so a flood cannot make the server flood back.
RATE_ERROR_INTERVAL_S = 1.0
_RATE_LIMIT_REASON = f"more than {INPUT_RATE_PER_S:g} messages per second; message dropped"
# A join waits in the world's bounded queue; past this the server is too busy to admit.
JOIN_TIMEOUT_S = 10.0
# How long a closing handshake may take before the socket is dropped.
CLOSE_TIMEOUT_S = 2.0


@dataclass(eq=False)
class Session:
    """One authenticated connection and, once joined, its avatar."""

    connection: ServerConnection
    identity: Identity
    link: WebSocketLink
    avatar_id: int = 0
    held_since: float | None = None
    rate: TokenBucket = field(default_factory=lambda: TokenBucket(INPUT_RATE_PER_S, INPUT_BURST))
    abuse: TokenBucket = field(
        default_factory=lambda: TokenBucket(ABUSE_REFILL_PER_S, ABUSE_BUDGET)
    )
    last_rate_error: float = 0.0
    closing: bool = False


class Gateway:
    """WebSocket server feeding one ``World``'s inbox and delivering its frames."""

    def __init__(self, world: World, issuer: TokenIssuer, metrics: Registry) -> None:
        self.world = world
        self.issuer = issuer
        self.sessions: dict[int, Session] = {}
        self.accepting = True
        self._joining: dict[int, tuple[Session, asyncio.Future[int]]] = {}
        # Weak keys: a handshake refused after authentication (e.g. no subprotocol) never
        # reaches the handler, and its entry must not outlive the connection.
        self._identities: weakref.WeakKeyDictionary[ServerConnection, Identity] = (
            weakref.WeakKeyDictionary()
        )
        self._port = 0
        self._tickets = itertools.count(1)
        self._server: Server | None = None
        m = metrics
        self._m_connections = m.gauge("plaza_connections", "Open WebSocket sessions with an avatar")
        self._m_connections.set_function(lambda: float(len(self.sessions)))
        self._m_refused = m.counter(
            "plaza_upgrades_refused_total", "WebSocket upgrades refused", ("reason",)
        )
        self._m_inputs = m.counter("plaza_inputs_total", "Client messages accepted", ("kind",))
        self._m_dropped = m.counter(
            "plaza_inputs_dropped_total", "Client messages refused", ("reason",)
        )
        self._m_closed = m.counter(
            "plaza_closes_total", "Connections closed by the server", ("code",)
        )
        self._m_frames = m.counter("plaza_frames_sent_total", "WORLD frames written")
        self._m_bytes = m.counter("plaza_bytes_sent_total", "Bytes of frames and messages written")
        self._m_held = m.counter("plaza_frames_held_total", "Frames skipped for a busy connection")

    async def start(self, host: str, port: int) -> None:
        """Listen for WebSocket upgrades."""
        self._server = await serve(
            self._handle,
            host,
            port,
            process_request=self._process_request,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            max_size=MAX_CLIENT_FRAME_BYTES,
            # Frames bypass websockets' send() (see client_link); aligning its write limit
            # with the hold threshold keeps its own sends (close, pong) consistent with ours.
            write_limit=SEND_HIGH_WATER_BYTES,
            compression=None,
            close_timeout=CLOSE_TIMEOUT_S,
            ping_interval=20,
            ping_timeout=20,
        )

        self._port = int(next(iter(self._server.sockets)).getsockname()[1])

    @property
    def port(self) -> int:
        """The bound port (kept after close, for URLs given out during shutdown)."""
        return self._port

    async def close(self, code: CloseCode, reason: str) -> None:
        """Refuse new upgrades and close every connection with ``code``."""
        self.accepting = False
        if self._server is None:
            return
        self._server.close(close_connections=False)
        connections = list(self._server.connections)
        await asyncio.gather(
            *(c.close(int(code), reason) for c in connections), return_exceptions=True
        )
        await self._server.wait_closed()

    # -- upgrade --------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Authenticate at the HTTP upgrade: no token or a bad one gets 401 and no world state."""
        if not self.accepting:
            return self._refuse(connection, HTTPStatus.SERVICE_UNAVAILABLE, "server shutting down")
        parts = urlsplit(request.path)
        if parts.path != WS_PATH:
            return self._refuse(connection, HTTPStatus.NOT_FOUND, f"no WebSocket at {parts.path}")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        token = token_from_request(headers, query)
        if token is None:
            return self._refuse(connection, HTTPStatus.UNAUTHORIZED, "missing token")
        try:
            identity = self.issuer.verify(token)
        except AuthError as exc:
            return self._refuse(connection, HTTPStatus.UNAUTHORIZED, exc.reason)
        if self.world.table.count + len(self._joining) >= self.world.table.capacity:
            return self._refuse(
                connection, HTTPStatus.SERVICE_UNAVAILABLE, "the world is full; try again shortly"
            )
        self._identities[connection] = identity
        return None

    def _refuse(self, connection: ServerConnection, status: HTTPStatus, reason: str) -> Response:
        self._m_refused.inc(reason=status.phrase.lower().replace(" ", "_"))
        response = connection.respond(status, reason + "\n")
        if status == HTTPStatus.UNAUTHORIZED:
            response.headers = Headers(response.headers)
            response.headers["WWW-Authenticate"] = 'Bearer realm="plaza"'
        return response

    # -- one connection -------------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        identity = self._identities.pop(connection, None)
        if identity is None:
            return
        session = Session(connection, identity, WebSocketLink(connection))
        ticket = next(self._tickets)
        joined: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        description = AvatarDescription(identity.name, {}, str(identity.role))
        if not self.world.inbox.request_join(JoinRequest(ticket, description)):
            await self._close(session, CloseCode.TRY_AGAIN_LATER, "server busy; try again shortly")
            return
        self._joining[ticket] = (session, joined)
        try:
            session.avatar_id = await asyncio.wait_for(joined, JOIN_TIMEOUT_S)
        except TimeoutError:
            self.world.inbox.cancel_join(ticket)
            await self._close(session, CloseCode.TRY_AGAIN_LATER, "server busy; try again shortly")
            return
        except RefusedJoin as refused:
            await self._close(session, CloseCode.TRY_AGAIN_LATER, str(refused))
            return
        finally:
            self._joining.pop(ticket, None)
        # A session lives no longer than its token (at most ACCESS_TOKEN_TTL_S).
        expiry = asyncio.get_running_loop().call_later(
            max(0.0, identity.expires_at - time.time()),
            self._schedule_close,
            session,
            CloseCode.TOKEN_EXPIRED,
            "token expired; reconnect with a fresh token",
        )
        try:
            await self._receive(session)
        finally:
            expiry.cancel()
            self.sessions.pop(session.avatar_id, None)
            self.world.inbox.request_leave(session.avatar_id)

    async def _receive(self, session: Session) -> None:
        inbox = self.world.inbox
        avatar_id = session.avatar_id
        link = session.link
        with contextlib.suppress(ConnectionClosed):
            async for data in session.connection:
                now = time.monotonic()
                if not session.rate.take(now):
                    self._m_dropped.inc(reason="rate")
                    if not session.abuse.take(now):
                        await self._close(session, CloseCode.POLICY_VIOLATION, "input flood")
                        return
                    if now - session.last_rate_error >= RATE_ERROR_INTERVAL_S:
                        session.last_rate_error = now
                        link.send_now(
                            encode_error(
                                ErrorCode.RATE_LIMITED,
                                _RATE_LIMIT_REASON,
                            )
                        )
                    continue
                try:
                    message = decode_client(data)
                except ProtocolError as exc:
                    self._m_dropped.inc(reason="protocol")
                    link.send_now(encode_error(exc.code, exc.reason, exc.opcode))
                    if not session.abuse.take(now, cost=5.0):
                        await self._close(
                            session, CloseCode.POLICY_VIOLATION, "repeated malformed messages"
                        )
                        return
                    continue
                kind = type(message)
                if kind is Move:
                    inbox.push_move(avatar_id, message)  # type: ignore[arg-type]
                elif kind is Pose:
                    inbox.push_pose(avatar_id, message)  # type: ignore[arg-type]
                elif kind is Ping:
                    link.send_now(encode_pong(message.client_time, time.time()))  # type: ignore[union-attr]
                self._m_inputs.inc(kind=kind.__name__.lower())

    async def _close(self, session: Session, code: CloseCode, reason: str) -> None:
        if session.closing:
            return
        session.closing = True
        self._m_closed.inc(code=str(int(code)))
        try:
            # websockets' close() first waits for the send buffer to drain, which a client
            # that stopped reading never lets happen: bound it, then drop the socket.
            await asyncio.wait_for(session.connection.close(int(code), reason), CLOSE_TIMEOUT_S)
        except TimeoutError:
            session.link.abort()
        except Exception:
            log.debug("close failed", exc_info=True)
            session.link.abort()

    # -- once per tick ----------------------------------------------------------------------

    def hold_busy(self, now: float) -> None:
        """Before a step: hold the frames of clients whose send buffer is still full."""
        inbox = self.world.inbox
        for avatar_id, session in self.sessions.items():
            buffered = session.link.buffered()
            if buffered <= SEND_HIGH_WATER_BYTES:
                session.held_since = None
                continue
            inbox.hold(avatar_id)
            self._m_held.inc()
            if session.held_since is None:
                session.held_since = now
            elif now - session.held_since > MAX_HELD_S or buffered > SEND_ABORT_BYTES:
                self._schedule_close(
                    session, CloseCode.SLOW_CONSUMER, "not reading frames; disconnected"
                )

    def deliver(self, result: StepResult) -> None:
        """Hand a step's output to the connections; never awaits."""
        for ticket, avatar_id, welcome in result.joined:
            entry = self._joining.get(ticket)
            if entry is None or entry[1].done() or not entry[0].link.open:
                # The connection went away while queued: free the avatar again, and wake the
                # handler so it does not wait out the join timeout.
                self.world.inbox.request_leave(avatar_id)
                if entry is not None and not entry[1].done():
                    entry[1].set_exception(RefusedJoin("connection closed before joining"))
                continue
            session, future = entry
            session.avatar_id = avatar_id
            self.sessions[avatar_id] = session
            session.link.send_now(welcome)
            future.set_result(avatar_id)
        for ticket, reason in result.refused:
            entry = self._joining.get(ticket)
            if entry is not None and not entry[1].done():
                entry[1].set_exception(RefusedJoin(reason))
        sessions = self.sessions
        sent = 0
        for avatar_id, data in result.messages:
            session = sessions.get(avatar_id)
            if session is not None and session.link.send_now(data):
                sent += len(data)
        frames = 0
        for avatar_id, frame in result.frames:
            session = sessions.get(avatar_id)
            if session is not None and session.link.send_now(frame):
                frames += 1
                sent += len(frame)
        self._m_frames.inc(frames)
        self._m_bytes.inc(sent)

    def _schedule_close(self, session: Session, code: CloseCode, reason: str) -> None:
        if session.closing:
            return
        task = asyncio.get_running_loop().create_task(self._close(session, code, reason))
        task.add_done_callback(_log_task_error)


class RefusedJoin(Exception):
    """The world refused a join attempt; the message is the reason."""


def _log_task_error(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background close failed", exc_info=task.exception())
