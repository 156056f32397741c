"""A connection's requests answered with a RESULT: token renewal and moderation.

Both may wait (on the database, on a key refresh), so they run as tasks owned by the
session (cancelled when it closes, at most ``MAX_PENDING_REQUESTS`` at once); the role
check is synchronous and comes first, so a refused request costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from server.auth import AuthError, Identity, UnknownKeyError
from server.db.database import DatabaseUnavailable
from server.idempotency import IdempotencyError
from server.moderation import SanctionError
from server.permissions import MODERATORS, PermissionDenied
from world.codec import RENEW_REQUEST_ID, Moderate, Renew, encode_error, encode_result
from world.protocol import CloseCode, ErrorCode, Opcode

if TYPE_CHECKING:
    from server.gateway import Gateway, Session

__all__ = ["SessionRequests"]


class SessionRequests:
    """Handles RENEW and MODERATE for the gateway's sessions."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def moderate(self, session: Session, message: Moderate) -> None:
        """A MODERATE: refused at once unless the role allows it, else run and answered
        with a RESULT."""
        op = int(Opcode.MODERATE)
        if session.identity.role not in MODERATORS:
            session.link.send_now(
                encode_error(
                    ErrorCode.NOT_ALLOWED,
                    f"{message.action} needs the moderator or admin role; "
                    f"you are {session.identity.role}",
                    op,
                )
            )
            return
        if self.gateway.moderation is None:
            session.link.send_now(
                encode_result(message.request_id, False, "moderation is not available here")
            )
            return
        self.gateway.spawn(session, self._moderate(session, message))

    async def _moderate(self, session: Session, message: Moderate) -> None:
        assert self.gateway.moderation is not None
        detail: object
        try:
            if message.action == "lift":
                assert message.sanction is not None
                lifted = await self.gateway.moderation.lift(
                    session.identity, message.sanction, message.request_id
                )
                ok, detail = True, {"lifted": lifted}
            else:
                subject = message.subject
                if message.avatar is not None:
                    subject = self.gateway.subject_of(message.avatar)
                if subject is None:
                    # A resend after a lost RESULT: the banned avatar has left since, but
                    # the first answer is on record under the request id.
                    earlier = await self.gateway.moderation.earlier_sanction(
                        session.identity, message.request_id, message.action
                    )
                    if earlier is None:
                        raise SanctionError(f"no avatar {message.avatar} here")
                    session.link.send_now(
                        encode_result(message.request_id, True, earlier.to_wire())
                    )
                    return
                sanction, _ = await self.gateway.moderation.sanction(
                    session.identity,
                    kind=message.action,
                    subject=subject,
                    reason=message.reason,
                    minutes=message.minutes,
                    key=message.request_id,
                )
                ok, detail = True, sanction.to_wire()
        except (PermissionDenied, SanctionError, IdempotencyError, DatabaseUnavailable) as exc:
            reason = exc.reason if isinstance(exc, PermissionDenied) else str(exc)
            if isinstance(exc, DatabaseUnavailable):
                reason = "the database is unavailable; nothing was applied, retry with the same id"
            ok, detail = False, reason
        session.link.send_now(encode_result(message.request_id, ok, detail))

    # -- token renewal ----------------------------------------------------------------------

    def renew(self, session: Session, message: Renew) -> None:
        """A RENEW: verify the new token (refreshing keys once if needed) and re-arm the
        session's expiry."""
        try:
            identity = self.gateway.verifier.verify(message.token)
        except UnknownKeyError:
            self.gateway.spawn(session, self._renew_after_refresh(session, message.token))
            return
        except AuthError as exc:
            self._renew_refused(session, exc.reason)
            return
        self._renewed(session, identity)

    async def _renew_after_refresh(self, session: Session, token: str) -> None:
        await self.gateway.verifier.refresh_keys()
        try:
            identity = self.gateway.verifier.verify(token)
        except AuthError as exc:
            self._renew_refused(session, exc.reason)
            return
        self._renewed(session, identity)

    def _renew_refused(self, session: Session, reason: str) -> None:
        session.link.send_now(encode_error(ErrorCode.BAD_FIELD, reason, int(Opcode.RENEW)))

    def _renewed(self, session: Session, identity: Identity) -> None:
        if identity.subject != session.identity.subject:
            session.link.send_now(
                encode_error(
                    ErrorCode.NOT_ALLOWED, "the token is for another user", int(Opcode.RENEW)
                )
            )
            return
        ban = self.gateway.sanctions.find(identity.subject, "ban")
        if ban is not None:
            session.keep_avatar = False
            self.gateway.close_session(session, CloseCode.BANNED, ban.describe())
            return
        session.identity = identity
        self.gateway.arm_expiry(session)
        session.link.send_now(
            encode_result(RENEW_REQUEST_ID, True, {"expires_at": identity.expires_at})
        )
