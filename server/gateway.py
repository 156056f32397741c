"""The realtime gateway: WebSocket upgrade, authentication, input intake and frame delivery.

Data flow (docs/architecture.md): the upgrade is authenticated before any world state is
sent; each received message is rate-limited, decoded by the sans-I/O codec and pushed into
the city (moves and poses to the avatar's instance, chat and zone requests to the tick);
once per tick ``deliver`` hands the step's messages and frames to each client's link.
A bad message gets an ERROR reply and costs the connection part of its abuse budget; an
exhausted budget closes it with 1008. Nothing a client sends reaches another client's
session except through the world step. Every callback here is synchronous: the transport
(``server.ws_transport``) calls it as bytes arrive, and nothing waits on a client.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from http import HTTPStatus
from typing import Any

from websockets.http11 import Request, Response

from server.admission import Admission, JoinPlan, token_plan
from server.auth import Identity, TokenVerifier
from server.client_link import MAX_HELD_S, SEND_ABORT_BYTES, SEND_HIGH_WATER_BYTES
from server.metrics import Registry
from server.moderation import Moderation, Sanction, SanctionList
from server.outreach import Outreach
from server.places import Place, PlaceWriter
from server.presence import Presence
from server.session_requests import SessionRequests
from server.sessions import (
    ABUSE_BUDGET,
    ABUSE_REFILL_PER_S,
    INPUT_BURST,
    INPUT_RATE_PER_S,
    Session,
    Upgrade,
)
from server.upgrade import WS_PATH, UpgradeGate
from server.ws_transport import WebSocketConnection, WebSocketListener
from world.city import City, CityStepResult
from world.codec import (
    Moderate,
    Move,
    Ping,
    Pose,
    ProtocolError,
    Renew,
    decode_client,
    encode_error,
    encode_pong,
    encode_token_expiring,
)
from world.codec_social import Block, Report, Say, ZoneRequest
from world.codec_stage import React
from world.inbox import JoinRequest, ResumeRequest
from world.intents import Persist
from world.members import Member
from world.protocol import SUBPROTOCOL, CloseCode, ErrorCode, Opcode

__all__ = [
    "ABUSE_BUDGET",
    "ABUSE_REFILL_PER_S",
    "INPUT_BURST",
    "INPUT_RATE_PER_S",
    "JOIN_TIMEOUT_S",
    "MAX_PENDING_REQUESTS",
    "TOKEN_RENEW_NOTICE_S",
    "WS_PATH",
    "Gateway",
    "Session",
]

log = logging.getLogger("plaza.gateway")

# Rate-limit errors are themselves limited, so a flood cannot make the server flood back.
RATE_ERROR_INTERVAL_S = 1.0
_RATE_LIMIT_REASON = f"more than {INPUT_RATE_PER_S:g} messages per second; message dropped"
# A join waits in the world's bounded queue; past this the server is too busy to admit.
JOIN_TIMEOUT_S = 10.0
_BUSY_REASON = "server busy; try again shortly"
# A client is told this long before its token expires, so it can send RENEW in time.
TOKEN_RENEW_NOTICE_S = 60.0
# Requests that wait on the database (moderation, renewals needing a key refresh) per
# connection at once; more are refused rather than queued.
MAX_PENDING_REQUESTS = 4
# Tasks the server starts for a session itself (not the client's requests) carry this name.
_INTERNAL_TASK = "plaza-session-internal"
# Closes after which the avatar leaves at once instead of waiting for a reconnect.
_LEAVE_NOW_CODES = frozenset({1000, 1002, 1003, 1007, 1008, 1009})
_OPCODES = {
    Move: int(Opcode.MOVE),
    Pose: int(Opcode.POSE),
    Ping: int(Opcode.PING),
    Renew: int(Opcode.RENEW),
    Moderate: int(Opcode.MODERATE),
    Say: int(Opcode.SAY),
    Block: int(Opcode.BLOCK),
    Report: int(Opcode.REPORT),
    ZoneRequest: int(Opcode.ZONE),
    React: int(Opcode.REACT),
}


class Gateway:
    """WebSocket endpoint feeding the ``City`` and delivering its messages and frames."""

    def __init__(
        self,
        city: City,
        verifier: TokenVerifier,
        metrics: Registry,
        *,
        sanctions: SanctionList | None = None,
        admission: Admission | None = None,
        moderation: Moderation | None = None,
        places: PlaceWriter | None = None,
    ) -> None:
        self.city = city
        self.verifier = verifier
        self.sanctions = sanctions or SanctionList()
        self.admission = admission
        self.moderation = moderation
        self.places = places
        # Carries out the world's persist intents (set when the database is open).
        self.submit_intents: Callable[[list[Persist]], None] | None = None
        # Told of every connection that signs a user in (a node tells the others, which
        # close that user's older connection: ``signed_in_elsewhere``).
        self.on_sign_in: Callable[[str], None] | None = None
        self.sessions: dict[int, Session] = {}
        self.presence: Presence[Session] = Presence(self._leave)
        # Pushes and moves on the server's behalf (the 120 Center, festivals, alerts).
        self.outreach = Outreach(city, self.presence, self.sessions)
        self.accepting = True
        self._joining: dict[int, Session] = {}
        # Resume tickets in flight: (user, avatar), so an avatar whose new connection died
        # before its WELCOME goes back to waiting instead of leaving.
        self._resumes: dict[int, tuple[str, int]] = {}
        self._tickets = itertools.count(1)
        self._listener = WebSocketListener(self, [SUBPROTOCOL])
        self.requests = SessionRequests(self)
        self.upgrades = UpgradeGate(self)
        m = metrics
        self._m_connections = m.gauge("plaza_connections", "Open WebSocket sessions with an avatar")
        self._m_connections.set_function(lambda: float(len(self.sessions)))
        self._m_detached = m.gauge("plaza_avatars_detached", "Avatars waiting for their user")
        self._m_detached.set_function(lambda: float(len(self.presence)))
        self.refused_upgrades = m.counter(
            "plaza_upgrades_refused_total", "WebSocket upgrades refused", ("reason",)
        )
        self._m_resumed = m.counter("plaza_resumes_total", "Avatars taken back by a new connection")
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
        self._inputs: dict[type, int] = dict.fromkeys(_OPCODES, 0)

    async def start(self, host: str, port: int, reuse_port: bool = False) -> None:
        """Listen for WebSocket upgrades (``reuse_port``: one of several nodes on the port)."""
        await self._listener.start(host, port, reuse_port)

    @property
    def port(self) -> int:
        """The bound port (kept after close, for URLs given out during shutdown)."""
        return self._listener.port

    async def close(self, code: CloseCode, reason: str) -> None:
        """Refuse new upgrades and close every connection with ``code`` (bounded wait).

        Every avatar's place is noted for the write-behind first, so the next sign-in after
        a restart starts where the user stood.
        """
        self.accepting = False
        self._listener.stop_accepting()
        for session in list(self.sessions.values()) + list(self._joining.values()):
            session.closing = True
            session.keep_avatar = False
            self._m_closed.inc(code=str(int(code)))
            if session.avatar_id:
                self._note_place(session.identity.subject, session.avatar_id)
        for subject, avatar_id in self.presence.detached().items():
            self.presence.take(subject)
            self._note_place(subject, avatar_id)
        await self._listener.close_all(int(code), reason)

    # -- upgrade ----------------------------------------------------------------------------

    def authorize(
        self, connection: WebSocketConnection, request: Request
    ) -> Response | Awaitable[Response | None] | None:
        """The upgrade's checks (``server.upgrade``); the transport calls this."""
        return self.upgrades.authorize(connection, request)

    def refusal(self, identity: Identity) -> tuple[HTTPStatus, str, str] | None:
        """Why ``identity`` would be refused at the upgrade now (``server.upgrade``)."""
        return self.upgrades.refusal(identity)

    def joining_count(self) -> int:
        """Connections waiting for their avatar (they count against the capacity)."""
        return len(self._joining)

    def on_open(self, connection: WebSocketConnection) -> None:
        """Take over the user's avatar if it is still here; otherwise ask for a new one.
        WELCOME follows in ``deliver``."""
        upgrade = connection.context
        assert isinstance(upgrade, Upgrade)
        identity = upgrade.identity
        session = Session(connection, identity, next(self._tickets), upgrade.party)
        connection.context = session
        subject = identity.subject
        self.arm_expiry(session)
        older = self.presence.live.get(subject)
        self.presence.live[subject] = session
        if self.on_sign_in is not None:
            self.on_sign_in(subject)
        if older is not None:
            avatar_id = self._hand_over(older)
        else:
            avatar_id = self.presence.take(subject) or 0
        if avatar_id:
            self._resume(session, avatar_id)
        elif self.admission is None:
            self._request_join(session, token_plan(identity))
        else:
            self.spawn(session, self._prepare_and_join(session), counted=False)

    def _hand_over(self, older: Session) -> int:
        """Close the older connection of a user; returns the avatar the newer one takes."""
        older.replaced = True
        avatar_id = older.avatar_id or older.resuming
        if older.avatar_id:
            self.sessions.pop(older.avatar_id, None)
        # A resume in flight stays listed: deliver() then sees it was replaced and leaves
        # the avatar to the newer connection.
        if not older.resuming and self._joining.pop(older.ticket, None) is not None:
            self.city.inbox.cancel_join(older.ticket)
        self.close_session(older, CloseCode.SESSION_REPLACED, "signed in on another connection")
        return avatar_id

    def _resume(self, session: Session, avatar_id: int) -> None:
        session.resuming = avatar_id
        self._resumes[session.ticket] = (session.identity.subject, avatar_id)
        self._joining[session.ticket] = session
        self.city.inbox.request_resume(ResumeRequest(session.ticket, avatar_id))

    async def _prepare_and_join(self, session: Session) -> None:
        assert self.admission is not None
        try:
            plan = await self.admission.prepare(session.identity)
        except Exception:
            log.exception("preparing the join of %s failed", session.identity.subject)
            plan = token_plan(session.identity)
        if not session.closing and session.link.open and not session.replaced:
            self._request_join(session, plan)

    def _request_join(self, session: Session, plan: JoinPlan) -> None:
        identity = session.identity
        member = Member(identity.subject, str(identity.role), plan.locale, session.party)
        if plan.data is not None:
            member.blocked, member.records = plan.data.blocked, plan.data.records
        mute = self.sanctions.find(identity.subject, "mute")
        if mute is not None:
            member.muted_until = math.inf if mute.expires_at is None else mute.expires_at
            member.mute_reason = mute.reason
        request = JoinRequest(session.ticket, plan.description, plan.place, plan.zone, member)
        if not self.city.inbox.request_join(request):
            self.close_session(session, CloseCode.TRY_AGAIN_LATER, _BUSY_REASON)
            return
        self._joining[session.ticket] = session
        loop = asyncio.get_running_loop()
        session.timers.append(loop.call_later(JOIN_TIMEOUT_S, self._join_timeout, session))

    def arm_expiry(self, session: Session) -> None:
        """Warn ``TOKEN_RENEW_NOTICE_S`` before the token expires; close when it does."""
        for timer in session.expiry:
            timer.cancel()
        loop = asyncio.get_running_loop()
        left = max(0.0, session.identity.expires_at - time.time())
        session.expiry = [
            loop.call_later(max(0.0, left - TOKEN_RENEW_NOTICE_S), self._warn_expiry, session),
            loop.call_later(
                left,
                self.close_session,
                session,
                CloseCode.TOKEN_EXPIRED,
                "token expired; reconnect with a fresh token",
            ),
        ]

    def _warn_expiry(self, session: Session) -> None:
        if session.closing:
            return
        if not session.avatar_id:
            # WELCOME is always the first message; the warning follows it.
            session.expiry_warning_due = True
            return
        session.link.send_now(encode_token_expiring(session.identity.expires_at))

    def _join_timeout(self, session: Session) -> None:
        if self._joining.pop(session.ticket, None) is not None:
            self.city.inbox.cancel_join(session.ticket)
            self.close_session(session, CloseCode.TRY_AGAIN_LATER, _BUSY_REASON)

    def on_closed(self, connection: WebSocketConnection) -> None:
        """Keep the avatar for a reconnect, hand it on, or free it."""
        session = connection.context
        if not isinstance(session, Session):
            return
        frames = connection.frames
        if not session.closing and frames is not None and frames.close_code in _LEAVE_NOW_CODES:
            # The client closed first with a goodbye (1000), or broke the protocol: nothing
            # to resume. A dropped network, a reload (1001), a slow or expired connection
            # keep the avatar for a while. When the server closed first, its own code decided
            # (close_session), whatever the client echoes.
            session.keep_avatar = False
        session.closing = True
        for timer in (*session.timers, *session.expiry):
            timer.cancel()
        for task in session.tasks:
            task.cancel()
        subject = session.identity.subject
        if self.presence.live.get(subject) is session:
            del self.presence.live[subject]
        if session.resuming and not session.avatar_id:
            return  # deliver() puts the avatar back to waiting when its WELCOME comes
        if self._joining.pop(session.ticket, None) is not None:
            self.city.inbox.cancel_join(session.ticket)
        if not session.avatar_id:
            return
        self.sessions.pop(session.avatar_id, None)
        if session.replaced:
            return
        if session.keep_avatar and self.accepting:
            self._note_place(subject, session.avatar_id)
            self.presence.detach(subject, session.avatar_id)
        else:
            self._leave(subject, session.avatar_id)

    def _leave(self, subject: str, avatar_id: int) -> None:
        self._note_place(subject, avatar_id)
        self.city.inbox.request_leave(avatar_id)

    def _note_place(self, subject: str, avatar_id: int) -> None:
        if self.places is None:
            return
        place = self.city.place_of(avatar_id)
        if place is not None:
            self.places.note(subject, Place(*place))

    def note_places(self) -> None:
        """Note where every connected avatar stands (called before each write-behind flush).

        One gather per instance; this runs on the event loop between ticks, so with
        thousands connected it must stay a few milliseconds.
        """
        if self.places is None or not self.sessions:
            return
        sessions = self.sessions
        note = self.places.note
        for avatar_id, zone, x, y, z, yaw in self.city.places():
            session = sessions.get(avatar_id)
            if session is not None:
                note(session.identity.subject, Place(zone, x, y, z, yaw))

    # -- moderation -------------------------------------------------------------------------

    def enforce(self, sanction: Sanction) -> None:
        """A sanction was issued or lifted: the user's live state follows the sanction list.
        A ban closes the connection and the avatar leaves; a mute silences the chat."""
        subject = sanction.subject
        if sanction.kind == "mute":
            mute = self.sanctions.find(subject, "mute")
            if mute is None:
                self.city.set_mute(subject, 0.0, "")
            else:
                until = math.inf if mute.expires_at is None else mute.expires_at
                self.city.set_mute(subject, until, mute.reason)
            return
        if sanction.kind != "ban" or self.sanctions.find(subject, "ban") is None:
            return
        session = self.presence.live.get(sanction.subject)
        if session is not None:
            session.keep_avatar = False
            self.close_session(session, CloseCode.BANNED, sanction.describe())
        avatar_id = self.presence.take(sanction.subject)
        if avatar_id:
            self._leave(sanction.subject, avatar_id)

    def signed_in_elsewhere(self, subject: str) -> None:
        """The user signed in on another node: as with a newer connection here, the older
        one is closed (4006) and its avatar, live or waiting to be resumed, leaves."""
        session = self.presence.live.get(subject)
        if session is not None:
            session.keep_avatar = False
            self.close_session(
                session, CloseCode.SESSION_REPLACED, "signed in on another connection"
            )
        avatar_id = self.presence.take(subject)
        if avatar_id:
            self._leave(subject, avatar_id)

    def subject_of(self, avatar_id: int) -> str | None:
        """The user behind an avatar (connected or waiting to be resumed)."""
        session = self.sessions.get(avatar_id)
        if session is not None:
            return session.identity.subject
        for subject, detached in self.presence.detached().items():
            if detached == avatar_id:
                return subject
        return None

    def spawn(
        self, session: Session, work: Coroutine[Any, Any, None], *, counted: bool = True
    ) -> None:
        """Run ``work`` for a session (cancelled when it closes); the client's own requests
        (``counted``) at most ``MAX_PENDING_REQUESTS`` at once."""
        pending = sum(1 for task in session.tasks if task.get_name() != _INTERNAL_TASK)
        if counted and pending >= MAX_PENDING_REQUESTS:
            work.close()
            session.link.send_now(
                encode_error(
                    ErrorCode.RATE_LIMITED,
                    f"more than {MAX_PENDING_REQUESTS} requests waiting; wait for their results",
                )
            )
            return
        name = None if counted else _INTERNAL_TASK
        task = asyncio.get_running_loop().create_task(work, name=name)
        session.tasks.add(task)
        task.add_done_callback(session.tasks.discard)

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
                self.close_session(session, CloseCode.POLICY_VIOLATION, "input flood")
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
                self.close_session(
                    session, CloseCode.POLICY_VIOLATION, "repeated malformed messages"
                )
            return
        kind = type(message)
        if kind is Ping:
            connection.send_now(encode_pong(message.client_time, time.time()))  # type: ignore[union-attr]
        elif kind is Renew:
            self.requests.renew(session, message)  # type: ignore[arg-type]
        elif not session.avatar_id:
            connection.send_now(
                encode_error(
                    ErrorCode.NOT_ALLOWED, "no avatar yet: wait for WELCOME", _OPCODES[kind]
                )
            )
            return
        elif kind is Move:
            self.city.push_move(session.avatar_id, message)  # type: ignore[arg-type]
        elif kind is Pose:
            self.city.push_pose(session.avatar_id, message)  # type: ignore[arg-type]
        elif kind is Moderate:
            self.requests.moderate(session, message)  # type: ignore[arg-type]
        elif not self.city.post(session.avatar_id, message):
            self._m_dropped.inc(reason="busy")
            connection.send_now(
                encode_error(ErrorCode.INBOX_FULL, "server busy; try again", _OPCODES[kind])
            )
            return
        self._inputs[kind] += 1

    def close_session(self, session: Session, code: CloseCode, reason: str) -> None:
        """Close a session's connection with ``code`` (once)."""
        if session.closing:
            return
        session.closing = True
        if code in _LEAVE_NOW_CODES:
            session.keep_avatar = False
        self._m_closed.inc(code=str(int(code)))
        session.link.close(int(code), reason)

    # -- once per tick ----------------------------------------------------------------------

    def hold_busy(self, now: float) -> None:
        """Before a step: hold the frames of clients whose send buffer is still full."""
        city = self.city
        for avatar_id, session in self.sessions.items():
            buffered = session.link.buffered()
            if buffered <= SEND_HIGH_WATER_BYTES:
                session.held_since = None
                continue
            city.hold(avatar_id)
            self._m_held.inc()
            if session.held_since is None:
                session.held_since = now
            elif now - session.held_since > MAX_HELD_S or buffered > SEND_ABORT_BYTES:
                self.close_session(
                    session, CloseCode.SLOW_CONSUMER, "not reading frames; disconnected"
                )

    def send_to(self, avatar_id: int, data: bytes) -> bool:
        """Send one message to the avatar's connection now, if it is connected."""
        session = self.sessions.get(avatar_id)
        return session is not None and session.link.send_now(data)

    def deliver(self, result: CityStepResult) -> None:
        """Hand a step's output to the connections; never awaits."""
        for ticket, avatar_id, welcome in result.joined:
            session = self._joining.pop(ticket, None)
            resume = self._resumes.pop(ticket, None)
            if session is None or session.closing or not session.link.open:
                if session is not None and session.replaced:
                    continue  # the newer connection is taking this avatar
                keep = session is None or session.keep_avatar
                if resume is not None and self.accepting and keep:
                    # The reconnecting client went away again: the avatar waits once more.
                    self.presence.detach(resume[0], avatar_id)
                else:
                    # The connection went away while queued: free the avatar again.
                    self.city.inbox.request_leave(avatar_id)
                continue
            session.avatar_id = avatar_id
            session.resuming = 0
            self.sessions[avatar_id] = session
            session.link.send_now(welcome)
            if session.expiry_warning_due:
                session.expiry_warning_due = False
                self._warn_expiry(session)
            if resume is not None:
                self._m_resumed.inc()
        for ticket, reason in result.refused:
            session = self._joining.pop(ticket, None)
            resume = self._resumes.pop(ticket, None)
            if session is None:
                continue
            if resume is not None:
                # The avatar left before the resume reached the world: join afresh.
                session.resuming = 0
                self._request_join(session, token_plan(session.identity))
                continue
            self.close_session(session, CloseCode.TRY_AGAIN_LATER, reason)
        sessions = self.sessions
        sent = 0
        for avatar_id, data in result.messages:
            session = sessions.get(avatar_id)
            if session is not None and session.link.send_now(data):
                sent += len(data)
        frames = 0
        for instance_frames in result.frames:
            for avatar_id, frame in instance_frames:
                session = sessions.get(avatar_id)
                if session is not None and session.link.send_now(frame):
                    frames += 1
                    sent += len(frame)
        if result.intents and self.submit_intents is not None:
            self.submit_intents(result.intents)
        for error in result.errors:
            log.error("%s", error)
        self._m_frames.inc(frames)
        self._m_bytes.inc(sent)
        # Per-message counters are summed here, once per tick, instead of per message.
        for kind, count in self._inputs.items():
            if count:
                self._m_inputs.inc(count, kind=kind.__name__.lower())
                self._inputs[kind] = 0
