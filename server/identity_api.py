"""HTTP API for people: sign-in, token refresh, profiles, moderation and the audit trail.

Every route but guest sign-in takes ``Authorization: Bearer <token>``. Privileged routes
check the role and say which role they need. Requests that must never be lost or doubled
(a sanction, lifting one) take an ``Idempotency-Key`` header: the record commits before the
answer, and a retry with the same key returns the first answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from server.auth import AuthError, Identity, TokenIssuer, TokenVerifier, UnknownKeyError
from server.db.database import Database, DatabaseUnavailable
from server.http import HttpError, Request, Response, Router
from server.idempotency import IdempotencyError
from server.moderation import Moderation, SanctionError
from server.permissions import MODERATORS, PermissionDenied, require_role
from server.profiles import ProfileError, ProfileStore

__all__ = ["AUDIT_PAGE_ROWS", "IdentityApi"]

# One page of the audit trail; older rows are reached with ?before=<id>.
AUDIT_PAGE_ROWS = 100


class IdentityApi:
    """Routes under /api for identity, profiles and moderation."""

    def __init__(
        self,
        verifier: TokenVerifier,
        issuer: TokenIssuer | None,
        db: Database,
        profiles: ProfileStore,
        moderation: Moderation,
        refusal: Callable[[Identity], tuple[int, str, str] | None] = lambda who: None,
    ) -> None:
        """``refusal``: why the WebSocket upgrade would refuse someone now (the gateway's)."""
        self.refusal = refusal
        self.verifier = verifier
        self.issuer = issuer
        self.db = db
        self.profiles = profiles
        self.moderation = moderation

    def add_routes(self, router: Router) -> None:
        """Register the routes."""
        router.add("POST", "/api/auth/refresh", self.refresh)
        router.add("GET", "/api/auth/check", self.check)
        router.add("GET", "/api/profile", self.get_profile)
        router.add("PUT", "/api/profile", self.put_profile)
        router.add("GET", "/api/moderation/sanctions", self.list_sanctions)
        router.add("POST", "/api/moderation/sanctions", self.create_sanction)
        router.add("POST", "/api/moderation/lift", self.lift_sanction)
        router.add("GET", "/api/audit", self.audit)

    async def identity(self, request: Request) -> Identity:
        """The caller, from the bearer token; 401 with the reason otherwise."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HttpError(401, "unauthorized", "missing bearer token")
        token = token.strip()
        try:
            try:
                return self.verifier.verify(token)
            except UnknownKeyError:
                await self.verifier.refresh_keys()
                return self.verifier.verify(token)
        except AuthError as exc:
            raise HttpError(401, "unauthorized", exc.reason) from None

    async def refresh(self, request: Request) -> Response:
        """A fresh token for the holder of a valid one (built-in issuer only)."""
        if self.issuer is None:
            raise HttpError(404, "not_found", "tokens are refreshed with the identity provider")
        who = await self.identity(request)
        if who.subject.startswith("oidc:"):
            raise HttpError(
                400, "bad_request", "tokens from the identity provider are refreshed there"
            )
        token = self.issuer.mint(
            subject=who.subject, name=who.name, role=who.role, locale=who.locale
        )
        renewed = self.issuer.verify(token)
        return Response.json({"token": token, "expires_at": renewed.expires_at})

    async def check(self, request: Request) -> Response:
        """Would the WebSocket upgrade accept this token now? Browsers cannot read why an
        upgrade was refused, so a client asks here: 200, or the same refusal (401 with the
        token's problem, 403 banned, 503 full or shutting down) with a reason."""
        who = await self.identity(request)
        refused = self.refusal(who)
        if refused is not None:
            status, code, reason = refused
            raise HttpError(int(status), code, reason)
        return Response.json(
            {
                "ok": True,
                "subject": who.subject,
                "role": str(who.role),
                "expires_at": who.expires_at,
            }
        )

    async def get_profile(self, request: Request) -> Response:
        """The caller's profile (made on first use)."""
        who = await self.identity(request)
        try:
            profile = await self.profiles.sign_in(who, deadline_s=5.0)
        except DatabaseUnavailable as exc:
            raise HttpError(503, "database_unavailable", str(exc)) from None
        return Response.json(profile.to_wire())

    async def put_profile(self, request: Request) -> Response:
        """Change fields of the caller's profile: display_name, locale, appearance, and the
        accessibility preferences."""
        who = await self.identity(request)
        try:
            profile = await self.profiles.update(who, request.json())
        except ProfileError as exc:
            raise HttpError(400, "bad_request", str(exc)) from None
        except DatabaseUnavailable as exc:
            raise HttpError(503, "database_unavailable", str(exc)) from None
        return Response.json(profile.to_wire())

    async def list_sanctions(self, request: Request) -> Response:
        """Bans and mutes in force (moderators and admins)."""
        who = await self.identity(request)
        self._require(who, "listing sanctions")
        rows = await self._fetch(
            "SELECT id, subject, kind, reason, created_by, created_at, expires_at "
            "FROM sanctions WHERE lifted_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > now()) ORDER BY id"
        )
        return Response.json({"sanctions": [_jsonable(r) for r in rows]})

    async def create_sanction(self, request: Request) -> Response:
        """Ban or mute a user: {"kind", "subject", "reason", "minutes"?} + Idempotency-Key."""
        who = await self.identity(request)
        body = request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "bad_request", "expected a JSON object")
        try:
            sanction, made = await self.moderation.sanction(
                who,
                kind=body.get("kind", "ban"),
                subject=body.get("subject", ""),
                reason=body.get("reason", ""),
                minutes=body.get("minutes"),
                key=request.headers.get("idempotency-key", ""),
            )
        except PermissionDenied as exc:
            raise HttpError(403, "forbidden", exc.reason) from None
        except (SanctionError, IdempotencyError) as exc:
            raise HttpError(400, "bad_request", str(exc)) from None
        except DatabaseUnavailable as exc:
            raise HttpError(503, "database_unavailable", f"{exc}; nothing was applied") from None
        return Response.json(sanction.to_wire(), status=201 if made else 200)

    async def lift_sanction(self, request: Request) -> Response:
        """Lift a sanction: {"id"} + Idempotency-Key."""
        who = await self.identity(request)
        body = request.json()
        sanction_id = body.get("id") if isinstance(body, dict) else None
        if isinstance(sanction_id, bool) or not isinstance(sanction_id, int):
            raise HttpError(400, "bad_request", 'expected {"id": <sanction id>}')
        try:
            lifted = await self.moderation.lift(
                who, sanction_id, request.headers.get("idempotency-key", "")
            )
        except PermissionDenied as exc:
            raise HttpError(403, "forbidden", exc.reason) from None
        except (SanctionError, IdempotencyError) as exc:
            raise HttpError(400, "bad_request", str(exc)) from None
        except DatabaseUnavailable as exc:
            raise HttpError(503, "database_unavailable", f"{exc}; nothing was applied") from None
        return Response.json({"id": sanction_id, "lifted": lifted})

    async def audit(self, request: Request) -> Response:
        """The audit trail, newest first (admins; moderators see it too)."""
        who = await self.identity(request)
        self._require(who, "reading the audit trail")
        before = request.query.get("before")
        if before is not None and not before.isdigit():
            raise HttpError(400, "bad_request", "before must be an audit row id")
        target = request.query.get("target")
        rows = await self._fetch(
            "SELECT id, at, actor, actor_role, action, target, detail FROM audit_log "
            "WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR target = $2) "
            f"ORDER BY id DESC LIMIT {AUDIT_PAGE_ROWS}",
            None if before is None else int(before),
            target,
        )
        return Response.json({"entries": [_jsonable(r) for r in rows]})

    def _require(self, who: Identity, action: str) -> None:
        try:
            require_role(who, MODERATORS, action)
        except PermissionDenied as exc:
            raise HttpError(403, "forbidden", exc.reason) from None

    async def _fetch(self, query: str, *args: Any) -> list[Any]:
        try:
            return await self.db.fetch(query, *args)
        except DatabaseUnavailable as exc:
            raise HttpError(503, "database_unavailable", str(exc)) from None


def _jsonable(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in dict(row).items():
        if hasattr(value, "timestamp"):
            value = value.timestamp()
        elif key == "detail" and isinstance(value, str):
            value = json.loads(value)
        out[key] = value
    return out
