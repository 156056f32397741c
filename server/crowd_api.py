"""Crowd control from the organizer console: announcements to the grounds, chat slow mode,
and kicking someone out of a zone. Each action is audited; mutes and bans are the
moderation API's (``/api/moderation/sanctions``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from server.audit import record_action
from server.auth import Identity
from server.db.database import Database, DatabaseUnavailable
from server.events import EVENT_ZONE
from server.http import HttpError, Request, Response, Router
from server.permissions import PermissionDenied, require_role
from world.locale_text import TextError, check_texts
from world.roles import Role
from world.zone_api import ServerEvent

__all__ = ["MAX_ANNOUNCEMENT_CHARS", "MAX_SLOW_MODE_S", "CrowdApi"]

CROWD_KEEPERS = frozenset({Role.ORGANIZER, Role.MODERATOR, Role.ADMIN})
MAX_ANNOUNCEMENT_CHARS = 500
MAX_SLOW_MODE_S = 600
MAX_KICK_REASON_CHARS = 200
DEADLINE_S = 10.0


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise HttpError(400, "bad_request", "expected a JSON object")
    return body


class CrowdApi:
    """``/api/events/announce``, ``/api/events/slow-mode`` and ``/api/moderation/kick``."""

    def __init__(
        self,
        identity: Callable[[Request], Awaitable[Identity]],
        db: Database,
        *,
        notify: Callable[..., bool],
        crowd: Callable[[str], int],
        slow_mode: Callable[[str, float], None],
        kick: Callable[[str, str, str], bool],
        zones: Callable[[], set[str]],
    ) -> None:
        self.identity = identity
        self.db = db
        self.notify = notify
        self.crowd = crowd
        self.slow_mode = slow_mode
        self.kick_out = kick
        self.zones = zones

    def add_routes(self, router: Router) -> None:
        """Register the routes."""
        router.add("POST", "/api/events/announce", self.announce)
        router.add("POST", "/api/events/slow-mode", self.set_slow_mode)
        router.add("POST", "/api/moderation/kick", self.kick)

    async def _keeper(self, request: Request, action: str) -> Identity:
        who = await self.identity(request)
        try:
            require_role(who, CROWD_KEEPERS, action)
        except PermissionDenied as exc:
            raise HttpError(403, "forbidden", exc.reason) from None
        return who

    def _zone(self, body: dict[str, Any]) -> str:
        zone = body.get("zone", EVENT_ZONE)
        if zone not in self.zones():
            raise HttpError(400, "bad_request", f"zone: no zone {zone!r}")
        return str(zone)

    async def _audit(self, who: Identity, action: str, target: str, detail: dict[str, Any]) -> None:
        async def work(conn: asyncpg.Connection) -> None:
            await record_action(conn, who, action, target, detail)

        try:
            await self.db.run(work, deadline_s=DEADLINE_S)
        except DatabaseUnavailable as exc:
            raise HttpError(503, "database_unavailable", f"{exc}; nothing was done") from None

    async def announce(self, request: Request) -> Response:
        """{text: {locale: text}, zone?}: everyone in the zone's instances gets it in their
        language (ZONE_EVENT ``announcement``); 201 ``{"reached": n}``."""
        who = await self._keeper(request, "an announcement")
        body = _body(request)
        zone = self._zone(body)
        try:
            text = check_texts(body.get("text"), "text", MAX_ANNOUNCEMENT_CHARS)
        except TextError as exc:
            raise HttpError(400, "bad_request", str(exc)) from None
        await self._audit(who, "event.announce", f"zone:{zone}", {"text": text})
        self.notify(zone, ServerEvent("announcement", {"text": text, "from": who.name}))
        return Response.json({"zone": zone, "reached": self.crowd(zone)}, status=201)

    async def set_slow_mode(self, request: Request) -> Response:
        """{seconds, zone?}: at most one chat line every ``seconds`` per person there (0:
        off); staff roles are not slowed. Until changed or the server restarts."""
        who = await self._keeper(request, "slow mode")
        body = _body(request)
        zone = self._zone(body)
        seconds = body.get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds <= MAX_SLOW_MODE_S
        ):
            raise HttpError(400, "bad_request", f"seconds: expected 0 to {MAX_SLOW_MODE_S}")
        await self._audit(who, "chat.slow_mode", f"zone:{zone}", {"seconds": seconds})
        self.slow_mode(zone, float(seconds))
        return Response.json({"zone": zone, "seconds": seconds})

    async def kick(self, request: Request) -> Response:
        """{subject, reason, zone?}: move the user's avatar out of the zone to the
        entrance, telling them why; ``{"kicked": false}`` when they are not there."""
        who = await self._keeper(request, "a kick")
        body = _body(request)
        zone = self._zone(body)
        subject, reason = body.get("subject"), body.get("reason")
        if not isinstance(subject, str) or not subject or len(subject) > 200:
            raise HttpError(400, "bad_request", "subject: expected a user id")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_KICK_REASON_CHARS:
            raise HttpError(
                400, "bad_request", f"reason: expected 1 to {MAX_KICK_REASON_CHARS} characters"
            )
        if subject == who.subject:
            raise HttpError(400, "bad_request", "you cannot kick yourself")
        await self._audit(who, "kick", subject, {"zone": zone, "reason": reason.strip()})
        return Response.json({"kicked": self.kick_out(subject, zone, reason.strip())})
