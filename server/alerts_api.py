"""HTTP API of emergency alerts: admins send, anyone reads the recent ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server.alerts import AlertError, Alerts
from server.auth import Identity
from server.db.database import DatabaseUnavailable
from server.http import HttpError, Request, Response, Router
from server.permissions import PermissionDenied

__all__ = ["AlertsApi"]


class AlertsApi:
    """``POST /api/alerts`` and ``GET /api/alerts``."""

    def __init__(self, identity: Callable[[Request], Awaitable[Identity]], alerts: Alerts) -> None:
        self.identity = identity
        self.alerts = alerts

    def add_routes(self, router: Router) -> None:
        """Register the routes."""
        router.add("GET", "/api/alerts", self.recent)
        router.add("POST", "/api/alerts", self.send)

    async def _act(self, work: Awaitable[Any]) -> Any:
        try:
            return await work
        except PermissionDenied as exc:
            raise HttpError(403, "forbidden", exc.reason) from None
        except AlertError as exc:
            raise HttpError(400, "bad_request", str(exc)) from None
        except DatabaseUnavailable as exc:
            raise HttpError(
                503, "database_unavailable", f"{exc}; the alert was not sent; try again"
            ) from None

    async def recent(self, request: Request) -> Response:
        """The alerts of the last 30 minutes (every language), newest first."""
        return Response.json({"alerts": await self._act(self.alerts.recent())})

    async def send(self, request: Request) -> Response:
        """{title: {locale: text}, body: {locale: text}, image?} (admins): 201 with the alert
        and ``reached``, the connections it was sent on."""
        who = await self.identity(request)
        body = request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "bad_request", "expected a JSON object")
        return Response.json(await self._act(self.alerts.send(who, body)), status=201)
