"""HTTP API of the festival schedule (docs/events.md): events, gates and RSVPs.

``GET /api/events`` is public (with a token it also says whether you are going); changes
take ``Authorization: Bearer <token>``: organizers and admins schedule, anyone signed in
RSVPs. Every change is committed (and audited) before it is answered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server.auth import Identity
from server.db.database import DatabaseUnavailable
from server.events import EventConflict, EventError, EventNotFound, Schedule
from server.events_live import EventBoard
from server.http import HttpError, Request, Response, Router
from server.moments import Moments
from server.permissions import PermissionDenied

__all__ = ["EventsApi"]


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise HttpError(400, "bad_request", "expected a JSON object")
    return body


class EventsApi:
    """Routes under ``/api/events``."""

    def __init__(
        self,
        identity: Callable[[Request], Awaitable[Identity]],
        schedule: Schedule,
        moments: Moments,
        board: EventBoard,
    ) -> None:
        self.identity = identity
        self.schedule = schedule
        self.moments = moments
        self.board = board

    def add_routes(self, router: Router) -> None:
        """Register the routes."""
        router.add("GET", "/api/events", self.listing)
        router.add("POST", "/api/events", self.create)
        router.add("POST", "/api/events/update", self.update)
        router.add("POST", "/api/events/cancel", self.cancel)
        router.add("POST", "/api/events/gates", self.gates)
        router.add("POST", "/api/events/rsvp", self.rsvp)
        router.add("GET", "/api/events/moments", self.list_moments)
        router.add("POST", "/api/events/moments", self.schedule_moment)
        router.add("POST", "/api/events/moments/cancel", self.cancel_moment)

    async def _act(self, work: Awaitable[Any], changes: bool = False) -> Any:
        try:
            result = await work
        except PermissionDenied as exc:
            raise HttpError(403, "forbidden", exc.reason) from None
        except EventNotFound as exc:
            raise HttpError(404, "not_found", str(exc)) from None
        except EventConflict as exc:
            raise HttpError(409, "conflict", str(exc)) from None
        except EventError as exc:
            raise HttpError(400, "bad_request", str(exc)) from None
        except DatabaseUnavailable as exc:
            raise HttpError(503, "database_unavailable", f"{exc}; nothing was saved") from None
        if changes:
            self.board.changed()
        return result

    async def _maybe_identity(self, request: Request) -> Identity | None:
        # Reading is public; a token, when given, must be good (401 otherwise).
        if "authorization" not in request.headers:
            return None
        return await self.identity(request)

    async def listing(self, request: Request) -> Response:
        """Upcoming and live events (``?past=1`` adds ended ones; ``?id=`` for one)."""
        who = await self._maybe_identity(request)
        raw_id = request.query.get("id")
        if raw_id is not None:
            if not raw_id.isdigit():
                raise HttpError(400, "bad_request", "id: expected ?id=<event id>")
            return Response.json(await self._act(self.schedule.get(int(raw_id), who)))
        past = request.query.get("past") in ("1", "true")
        return Response.json({"events": await self._act(self.schedule.listing(who, past))})

    async def create(self, request: Request) -> Response:
        """{title, description, starts_at, ends_at, capacity, performers?, stage?} (organizers)."""
        who = await self.identity(request)
        event = await self._act(self.schedule.create(who, _body(request)), changes=True)
        return Response.json(event, status=201)

    async def update(self, request: Request) -> Response:
        """{id, and the fields to change} (organizers)."""
        who = await self.identity(request)
        return Response.json(
            await self._act(self.schedule.update(who, _body(request)), changes=True)
        )

    async def cancel(self, request: Request) -> Response:
        """{id} (organizers)."""
        who = await self.identity(request)
        event_id = _body(request).get("id")
        return Response.json(await self._act(self.schedule.cancel(who, event_id), changes=True))

    async def gates(self, request: Request) -> Response:
        """{id, open} (organizers)."""
        who = await self.identity(request)
        body = _body(request)
        work = self.schedule.set_gates(who, body.get("id"), body.get("open"))
        return Response.json(await self._act(work, changes=True))

    async def rsvp(self, request: Request) -> Response:
        """{id, going?} (anyone signed in; ``going`` defaults to true)."""
        who = await self.identity(request)
        body = _body(request)
        work = self.schedule.rsvp(who, body.get("id"), body.get("going", True))
        return Response.json(await self._act(work, changes=True))

    async def list_moments(self, request: Request) -> Response:
        """Moments still to fire, soonest first."""
        return Response.json({"moments": await self._act(self.moments.upcoming())})

    async def schedule_moment(self, request: Request) -> Response:
        """{event, kind, at, label?, count?, every_s?} (organizers)."""
        who = await self.identity(request)
        moment = await self._act(self.moments.schedule(who, _body(request)), changes=True)
        return Response.json(moment, status=201)

    async def cancel_moment(self, request: Request) -> Response:
        """{id} (organizers)."""
        who = await self.identity(request)
        work = self.moments.cancel(who, _body(request).get("id"))
        return Response.json(await self._act(work, changes=True))
