"""HTTP API of the Metaverse 120 Center (docs/center120.md is its reference).

Citizens take numbers, follow, cancel, talk and rate; civil servants work the queues from
their console; supervisors read the figures. Every call but ``GET /api/center/info`` takes
``Authorization: Bearer <token>``; every change is committed before it is answered, and a
database outage answers 503 with "nothing was saved".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server.auth import Identity
from server.center_rules import TicketConflict, TicketError, TicketNotFound
from server.center_service import Center
from server.db.database import DatabaseUnavailable
from server.http import HttpError, Request, Response, Router
from server.idempotency import IdempotencyError
from server.permissions import PermissionDenied

__all__ = ["CenterApi"]


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise HttpError(400, "bad_request", "expected a JSON object")
    return body


class CenterApi:
    """Routes under ``/api/center``."""

    def __init__(self, identity: Callable[[Request], Awaitable[Identity]], center: Center) -> None:
        self.identity = identity
        self.center = center

    def add_routes(self, router: Router) -> None:
        """Register the routes."""
        routes: list[tuple[str, str, Callable[[Request], Awaitable[Response]]]] = [
            ("GET", "/api/center/info", self.info),
            ("POST", "/api/center/tickets", self.take),
            ("GET", "/api/center/tickets", self.ticket),
            ("GET", "/api/center/tickets/mine", self.mine),
            ("POST", "/api/center/tickets/cancel", self.cancel),
            ("POST", "/api/center/tickets/rate", self.rate),
            ("POST", "/api/center/tickets/message", self.message),
            ("POST", "/api/center/tickets/note", self.note),
            ("POST", "/api/center/tickets/transfer", self.transfer),
            ("POST", "/api/center/tickets/close", self.close),
            ("GET", "/api/center/console", self.console),
            ("POST", "/api/center/staff", self.staff),
            ("POST", "/api/center/call-next", self.call_next),
            ("GET", "/api/center/stats", self.stats),
        ]
        for method, path, handler in routes:
            router.add(method, path, handler)

    async def _act(self, work: Awaitable[Any]) -> Any:
        try:
            return await work
        except PermissionDenied as exc:
            raise HttpError(403, "forbidden", exc.reason) from None
        except TicketNotFound as exc:
            raise HttpError(404, "not_found", str(exc)) from None
        except TicketConflict as exc:
            raise HttpError(409, "conflict", str(exc)) from None
        except (TicketError, IdempotencyError) as exc:
            raise HttpError(400, "bad_request", str(exc)) from None
        except DatabaseUnavailable as exc:
            raise HttpError(503, "database_unavailable", f"{exc}; nothing was saved") from None

    async def info(self, request: Request) -> Response:
        """Categories, needs, staffed hours, desks and queues (public)."""
        return Response.json(await self._act(self.center.info()))

    async def take(self, request: Request) -> Response:
        """{category, description, needs?, key, callback?, contact?}: 201 and the ticket."""
        who = await self.identity(request)
        ticket = await self._act(self.center.take(who, _body(request)))
        return Response.json(ticket, status=201)

    async def ticket(self, request: Request) -> Response:
        """``?id=``: the ticket with its history."""
        who = await self.identity(request)
        raw = request.query.get("id", "")
        if not raw.isdigit():
            raise HttpError(400, "bad_request", "id: expected ?id=<ticket id>")
        return Response.json(await self._act(self.center.get(who, int(raw))))

    async def mine(self, request: Request) -> Response:
        """The caller's newest tickets."""
        who = await self.identity(request)
        return Response.json({"tickets": await self._act(self.center.mine(who))})

    async def cancel(self, request: Request) -> Response:
        """{id}: leave the queue."""
        who = await self.identity(request)
        return Response.json(await self._act(self.center.cancel(who, _body(request).get("id"))))

    async def rate(self, request: Request) -> Response:
        """{id, stars, comment?}."""
        who = await self.identity(request)
        body = _body(request)
        ticket = self.center.rate(who, body.get("id"), body.get("stars"), body.get("comment"))
        return Response.json(await self._act(ticket))

    async def message(self, request: Request) -> Response:
        """{id, text}: a line of the private consultation."""
        who = await self.identity(request)
        body = _body(request)
        event = await self._act(self.center.message(who, body.get("id"), body.get("text")))
        return Response.json(event, status=201)

    async def note(self, request: Request) -> Response:
        """{id, text}: an internal note (staff)."""
        who = await self.identity(request)
        body = _body(request)
        event = await self._act(self.center.note(who, body.get("id"), body.get("text")))
        return Response.json(event, status=201)

    async def transfer(self, request: Request) -> Response:
        """{id, category? | to_staff?, note?} (staff)."""
        who = await self.identity(request)
        return Response.json(await self._act(self.center.transfer(who, _body(request))))

    async def close(self, request: Request) -> Response:
        """{id, resolution} (staff)."""
        who = await self.identity(request)
        body = _body(request)
        ticket = self.center.close(who, body.get("id"), body.get("resolution"))
        return Response.json(await self._act(ticket))

    async def console(self, request: Request) -> Response:
        """The console's state (staff)."""
        who = await self.identity(request)
        return Response.json(await self._act(self.center.console(who)))

    async def staff(self, request: Request) -> Response:
        """{status?, skills?} (staff)."""
        who = await self.identity(request)
        body = _body(request)
        me = self.center.set_staff(who, body.get("status"), body.get("skills"))
        return Response.json(await self._act(me))

    async def call_next(self, request: Request) -> Response:
        """Call the oldest waiting ticket of my skills (staff)."""
        who = await self.identity(request)
        return Response.json({"ticket": await self._act(self.center.call_next(who))})

    async def stats(self, request: Request) -> Response:
        """Today's figures (admins)."""
        who = await self.identity(request)
        return Response.json(await self._act(self.center.stats(who)))
