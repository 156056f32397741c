"""The WebSocket upgrade's checks: path, token, party code, ban, capacity.

Every refusal is an HTTP status with a one-line reason in the body, logged and counted; no
world state is sent before the upgrade is accepted. The same checks (but the token's) answer
``GET /api/auth/check`` through ``refusal``, because browsers cannot read the body of a
refused WebSocket upgrade.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from websockets.http11 import Request, Response

from server.auth import AuthError, Identity, UnknownKeyError, token_from_request
from server.sessions import PARTY_CODE, Upgrade
from server.ws_transport import WebSocketConnection

if TYPE_CHECKING:
    from server.gateway import Gateway

__all__ = ["WS_PATH", "UpgradeGate"]

log = logging.getLogger("plaza.gateway")

WS_PATH = "/ws"


class UpgradeGate:
    """Decides each upgrade for a gateway."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def authorize(
        self, connection: WebSocketConnection, request: Request
    ) -> Response | Awaitable[Response | None] | None:
        """Authenticate at the HTTP upgrade: no token or a bad one gets 401, a banned user
        403, and no world state is sent. A token signed by a key not seen yet waits for one
        key refresh (the identity provider rotated its keys)."""
        if not self.gateway.accepting:
            return self._refuse(connection, HTTPStatus.SERVICE_UNAVAILABLE, "server shutting down")
        parts = urlsplit(request.path)
        if parts.path != WS_PATH:
            return self._refuse(connection, HTTPStatus.NOT_FOUND, f"no WebSocket at {parts.path}")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        token = token_from_request(headers, query)
        if token is None:
            return self._refuse(connection, HTTPStatus.UNAUTHORIZED, "missing token")
        party = query.get("party")
        if party is not None and not PARTY_CODE.fullmatch(party):
            return self._refuse(
                connection,
                HTTPStatus.BAD_REQUEST,
                "party must be 1 to 32 characters A-Z, a-z, 0-9, _ or -",
            )
        try:
            identity = self.gateway.verifier.verify(token)
        except UnknownKeyError:
            return self._authorize_after_refresh(connection, token, party)
        except AuthError as exc:
            return self._refuse(connection, HTTPStatus.UNAUTHORIZED, exc.reason)
        return self._admit(connection, Upgrade(identity, party))

    async def _authorize_after_refresh(
        self, connection: WebSocketConnection, token: str, party: str | None
    ) -> Response | None:
        await self.gateway.verifier.refresh_keys()
        try:
            identity = self.gateway.verifier.verify(token)
        except AuthError as exc:
            return self._refuse(connection, HTTPStatus.UNAUTHORIZED, exc.reason)
        return self._admit(connection, Upgrade(identity, party))

    def refusal(self, identity: Identity) -> tuple[HTTPStatus, str, str] | None:
        """Why ``identity`` would be refused at the upgrade now: (status, code, reason), or
        None. Also answered over HTTP (``GET /api/auth/check``), because browsers cannot
        read the body of a refused WebSocket upgrade."""
        if not self.gateway.accepting:
            return HTTPStatus.SERVICE_UNAVAILABLE, "shutting_down", "server shutting down"
        ban = self.gateway.sanctions.find(identity.subject, "ban")
        if ban is not None:
            return HTTPStatus.FORBIDDEN, "banned", ban.describe()
        resuming = identity.subject in self.gateway.presence.live or self.gateway.presence.waiting(
            identity.subject
        )
        if (
            not resuming
            and self.gateway.city.count + self.gateway.joining_count() >= self.gateway.city.capacity
        ):
            return HTTPStatus.SERVICE_UNAVAILABLE, "full", "the world is full; try again shortly"
        return None

    def _admit(self, connection: WebSocketConnection, upgrade: Upgrade) -> Response | None:
        refused = self.refusal(upgrade.identity)
        if refused is not None:
            status, _, reason = refused
            return self._refuse(connection, status, reason)
        connection.context = upgrade
        return None

    def _refuse(self, connection: WebSocketConnection, status: HTTPStatus, reason: str) -> Response:
        self.gateway.refused_upgrades.inc(reason=status.phrase.lower().replace(" ", "_"))
        log.info("upgrade refused with %d: %s", int(status), reason)
        response = connection.protocol.reject(status, reason + "\n")
        if status == HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Bearer realm="plaza"'
        return response
