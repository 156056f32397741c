"""The realtime gateway: WebSocket upgrade, authentication, input intake and frame delivery.

Data flow (docs/architecture.md): the upgrade is authenticated before any world state is
sent; each received message is rate-limited, decoded by the sans-I/O codec and pushed into
the world's inbox; once per tick ``deliver`` hands the step's frames to each client's link.
A bad message gets an ERROR reply and costs the connection part of its abuse budget; an
exhausted budget closes it with 1008. Nothing a client sends reaches another client's
session except through the world step. Every callback here is synchronous: the transport
(``server.ws_transport``) calls it as bytes arrive, and nothing waits on a client.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.http11 import Request, Response

from server.auth import AuthError, Identity, TokenIssuer, token_from_request
from server.client_link import MAX_HELD_S, SEND_ABORT_BYTES, SEND_HIGH_WATER_BYTES, ClientLink
from server.metrics import Registry
from server.ratelimit import TokenBucket
from server.ws_transport import WebSocketConnection, WebSocketListener
from world.avatars import AvatarDescription
from world.codec import Move, Ping, Pose, ProtocolError, decode_client, encode_error, encode_pong
from world.inbox import JoinRequest
from world.protocol import SUBPROTOCOL, CloseCode, ErrorCode, Opcode
from world.world import StepResult, World

__all__ = [
    "ABUSE_BUDGET",
    "ABUSE_REFILL_PER_S",
    "INPUT_BURST",
    "INPUT_RATE_PER_S",
    "JOIN_TIMEOUT_S",
    "WS_PATH",
    "Gateway",
    "Session",
]

log = logging.getLogger("plaza.gateway")

WS_PATH = "/ws"
# A client sends MOVE and POSE at the tick rate (20 Hz) plus an occasional PING: 60/s leaves
# headroom for a 30 Hz client, and a burst of 120 absorbs a stall on a mobile network.
INPUT_RATE_PER_S = 60.0
INPUT_BURST = 120.0
# Each refused message (over the rate, malformed) spends one unit (a malformed one five); an
# honest client with a bug spends a few, a hostile one runs dry within seconds: 1008.
ABUSE_BUDGET = 50.0
ABUSE_REFILL_PER_S = 2.0
# Rate-limit errors are themselves limited, so a flood cannot make the server flood back.
RATE_ERROR_INTERVAL_S = 1.0
_RATE_LIMIT_REASON = f"more than {INPUT_RATE_PER_S:g} messages per second; message dropped"
# A join waits in the world's bounded queue; past this the server is too busy to admit.
JOIN_TIMEOUT_S = 10.0
_BUSY_REASON = "server busy; try again shortly"
_OPCODES = {Move: int(Opcode.MOVE), Pose: int(Opcode.POSE), Ping: int(Opcode.PING)}


@dataclass(eq=False)
class Session:
    """One authenticated connection and, once joined, its avatar."""

    connection: WebSocketConnection
    identity: Identity
    ticket: int
    avatar_id: int = 0
    held_since: float | None = None
    rate: TokenBucket = field(default_factory=lambda: TokenBucket(INPUT_RATE_PER_S, INPUT_BURST))
    abuse: TokenBucket = field(
        default_factory=lambda: TokenBucket(ABUSE_REFILL_PER_S, ABUSE_BUDGET)
    )
    last_rate_error: float = 0.0
    closing: bool = False
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    @property
    def link(self) -> ClientLink:
        """Where frames go: the transport seam, as the tick sees it."""
        return self.connection


class Gateway:
    """WebSocket endpoint feeding one ``World``'s inbox and delivering its frames."""

    def __init__(self, world: World, issuer: TokenIssuer, metrics: Registry) -> None:
        self.world = world
        self.issuer = issuer
        self.sessions: dict[int, Session] = {}
        self.accepting = True
        self._joining: dict[int, Session] = {}
        self._tickets = itertools.count(1)
        self._listener = WebSocketListener(self, [SUBPROTOCOL])
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
        self._inputs = {Move: 0, Pose: 0, Ping: 0}

    async def start(self, host: str, port: int) -> None:
        """Listen for WebSocket upgrades."""
        await self._listener.start(host, port)

    @property
    def port(self) -> int:
        """The bound port (kept after close, for URLs given out during shutdown)."""
        return self._listener.port

    async def close(self, code: CloseCode, reason: str) -> None:
        """Refuse new upgrades and close every connection with ``code`` (bounded wait)."""
        self.accepting = False
        self._listener.stop_accepting()
        for session in list(self.sessions.values()) + list(self._joining.values()):
            session.closing = True
            self._m_closed.inc(code=str(int(code)))
        await self._listener.close_all(int(code), reason)

    # -- upgrade ----------------------------------------------------------------------------

    def authorize(self, connection: WebSocketConnection, request: Request) -> Response | None:
        """Authenticate at the HTTP upgrade: no token or a bad one gets 401, no world state."""
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
        connection.context = identity
        return None

    def _refuse(self, connection: WebSocketConnection, status: HTTPStatus, reason: str) -> Response:
        self._m_refused.inc(reason=status.phrase.lower().replace(" ", "_"))
        response = connection.protocol.reject(status, reason + "\n")
        if status == HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Bearer realm="plaza"'
        return response

    def on_open(self, connection: WebSocketConnection) -> None:
        """Ask the world for an avatar; WELCOME follows in ``deliver``."""
        identity = connection.context
        assert isinstance(identity, Identity)
        session = Session(connection, identity, next(self._tickets))
        connection.context = session
        description = AvatarDescription(identity.name, {}, str(identity.role))
        if not self.world.inbox.request_join(JoinRequest(session.ticket, description)):
            self._close(session, CloseCode.TRY_AGAIN_LATER, _BUSY_REASON)
            return
        self._joining[session.ticket] = session
        loop = asyncio.get_running_loop()
        session.timers.append(loop.call_later(JOIN_TIMEOUT_S, self._join_timeout, session))
        # A session lives no longer than its token (at most ACCESS_TOKEN_TTL_S).
        session.timers.append(
            loop.call_later(
                max(0.0, identity.expires_at - time.time()),
                self._close,
                session,
                CloseCode.TOKEN_EXPIRED,
                "token expired; reconnect with a fresh token",
            )
        )

    def _join_timeout(self, session: Session) -> None:
        if self._joining.pop(session.ticket, None) is not None:
            self.world.inbox.cancel_join(session.ticket)
            self._close(session, CloseCode.TRY_AGAIN_LATER, _BUSY_REASON)

    def on_closed(self, connection: WebSocketConnection) -> None:
        """Free the avatar (or the queued join)."""
        session = connection.context
        if not isinstance(session, Session):
            return
        for timer in session.timers:
            timer.cancel()
        if self._joining.pop(session.ticket, None) is not None:
            self.world.inbox.cancel_join(session.ticket)
        if session.avatar_id:
            self.sessions.pop(session.avatar_id, None)
            self.world.inbox.request_leave(session.avatar_id)

    # -- input ------------------------------------------------------------------------------

    def on_message(self, connection: WebSocketConnection, data: bytes | str) -> None:
        """Rate-limit, decode and queue one client message."""
        session = connection.context
        if not isinstance(session, Session) or session.closing:
            return
        now = time.monotonic()
        if not session.rate.take(now):
            self._m_dropped.inc(reason="rate")
            if not session.abuse.take(now):
                self._close(session, CloseCode.POLICY_VIOLATION, "input flood")
            elif now - session.last_rate_error >= RATE_ERROR_INTERVAL_S:
                session.last_rate_error = now
                connection.send_now(encode_error(ErrorCode.RATE_LIMITED, _RATE_LIMIT_REASON))
            return
        try:
            message = decode_client(data)
        except ProtocolError as exc:
            self._m_dropped.inc(reason="protocol")
            connection.send_now(encode_error(exc.code, exc.reason, exc.opcode))
            if not session.abuse.take(now, cost=5.0):
                self._close(session, CloseCode.POLICY_VIOLATION, "repeated malformed messages")
            return
        kind = type(message)
        if kind is Ping:
            connection.send_now(encode_pong(message.client_time, time.time()))  # type: ignore[union-attr]
        elif not session.avatar_id:
            connection.send_now(
                encode_error(
                    ErrorCode.NOT_ALLOWED, "no avatar yet: wait for WELCOME", _OPCODES[kind]
                )
            )
            return
        elif kind is Move:
            self.world.inbox.push_move(session.avatar_id, message)  # type: ignore[arg-type]
        else:
            self.world.inbox.push_pose(session.avatar_id, message)  # type: ignore[arg-type]
        self._inputs[kind] += 1

    def _close(self, session: Session, code: CloseCode, reason: str) -> None:
        if session.closing:
            return
        session.closing = True
        self._m_closed.inc(code=str(int(code)))
        session.link.close(int(code), reason)

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
                self._close(session, CloseCode.SLOW_CONSUMER, "not reading frames; disconnected")

    def deliver(self, result: StepResult) -> None:
        """Hand a step's output to the connections; never awaits."""
        for ticket, avatar_id, welcome in result.joined:
            session = self._joining.pop(ticket, None)
            if session is None or session.closing or not session.link.open:
                # The connection went away while queued: free the avatar again.
                self.world.inbox.request_leave(avatar_id)
                continue
            session.avatar_id = avatar_id
            self.sessions[avatar_id] = session
            session.link.send_now(welcome)
        for ticket, reason in result.refused:
            session = self._joining.pop(ticket, None)
            if session is not None:
                self._close(session, CloseCode.TRY_AGAIN_LATER, reason)
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
        # Per-message counters are summed here, once per tick, instead of per message.
        for kind, count in self._inputs.items():
            if count:
                self._m_inputs.inc(count, kind=kind.__name__.lower())
                self._inputs[kind] = 0
