"""HTTP API of the notice board and the mayor's office (proposals and polls).

The same records the plaza and City Hall show in 3D: a notice posted here appears on the
board in every plaza instance, a proposal answered here is answered in City Hall. Reads are
public; changes take ``Authorization: Bearer <token>`` and say which role they need.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server.auth import Identity
from server.db.database import DatabaseUnavailable
from server.http import HttpError, Request, Response, Router
from server.notices import NoticeBoard
from server.permissions import PermissionDenied
from server.polls import PollError, Polls
from server.proposals import PROPOSAL_STATES, ProposalError, Proposals
from world.locale_text import TextError

__all__ = ["CivicApi"]


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise HttpError(400, "bad_request", "expected a JSON object")
    return body


def _id(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise HttpError(400, "bad_request", f'expected {{"id": <{what} id>}}')
    return value


class CivicApi:
    """Routes for notices, proposals and polls."""

    def __init__(
        self,
        identity: Callable[[Request], Awaitable[Identity]],
        notices: NoticeBoard,
        proposals: Proposals,
        polls: Polls,
    ) -> None:
        self.identity = identity
        self.notices = notices
        self.proposals = proposals
        self.polls = polls

    def add_routes(self, router: Router) -> None:
        """Register the routes."""
        router.add("GET", "/api/notices", self.list_notices)
        router.add("POST", "/api/notices", self.post_notice)
        router.add("POST", "/api/notices/remove", self.remove_notice)
        router.add("GET", "/api/proposals", self.list_proposals)
        router.add("POST", "/api/proposals", self.submit_proposal)
        router.add("POST", "/api/proposals/review", self.review_proposal)
        router.add("GET", "/api/polls", self.list_polls)
        router.add("POST", "/api/polls", self.create_poll)
        router.add("POST", "/api/polls/vote", self.vote)
        router.add("POST", "/api/polls/close", self.close_poll)

    async def _act(self, work: Awaitable[Any]) -> Any:
        try:
            return await work
        except PermissionDenied as exc:
            raise HttpError(403, "forbidden", exc.reason) from None
        except (TextError, ProposalError, PollError) as exc:
            raise HttpError(400, "bad_request", str(exc)) from None
        except DatabaseUnavailable as exc:
            raise HttpError(503, "database_unavailable", f"{exc}; nothing was saved") from None

    async def list_notices(self, request: Request) -> Response:
        """The notices on the board, newest first (every language; clients pick)."""
        return Response.json({"notices": await self._act(self.notices.current())})

    async def post_notice(self, request: Request) -> Response:
        """{"title": {locale: text}, "body": {locale: text}, "hours"?} (staff roles)."""
        who = await self.identity(request)
        body = _body(request)
        notice = await self._act(
            self.notices.post(who, body.get("title"), body.get("body"), body.get("hours"))
        )
        return Response.json(notice, status=201)

    async def remove_notice(self, request: Request) -> Response:
        """{"id"} (staff roles)."""
        who = await self.identity(request)
        notice_id = _id(_body(request).get("id"), "notice")
        removed = await self._act(self.notices.remove(who, notice_id))
        return Response.json({"removed": removed})

    async def list_proposals(self, request: Request) -> Response:
        """Recent proposals (``?state=``; ``?id=`` for one)."""
        raw_id = request.query.get("id")
        if raw_id is not None:
            if not raw_id.isdigit():
                raise HttpError(400, "bad_request", "id must be a proposal id")
            proposal = await self._act(self.proposals.get(int(raw_id)))
            if proposal is None:
                raise HttpError(404, "not_found", f"no proposal {raw_id}")
            return Response.json(proposal)
        state = request.query.get("state")
        if state is not None and state not in PROPOSAL_STATES:
            raise HttpError(
                400, "bad_request", f"state must be one of {', '.join(PROPOSAL_STATES)}"
            )
        return Response.json({"proposals": await self._act(self.proposals.recent(state, 100))})

    async def submit_proposal(self, request: Request) -> Response:
        """{"title", "body"} (citizens)."""
        who = await self.identity(request)
        body = _body(request)
        proposal = await self._act(self.proposals.submit(who, body.get("title"), body.get("body")))
        return Response.json(proposal, status=201)

    async def review_proposal(self, request: Request) -> Response:
        """{"id", "state", "answer"?} (staff, admins)."""
        who = await self.identity(request)
        body = _body(request)
        proposal_id = _id(body.get("id"), "proposal")
        proposal = await self._act(
            self.proposals.review(who, proposal_id, body.get("state"), body.get("answer"))
        )
        return Response.json(proposal)

    async def list_polls(self, request: Request) -> Response:
        """Open polls with their tallies."""
        return Response.json({"polls": await self._act(self.polls.open_polls())})

    async def create_poll(self, request: Request) -> Response:
        """{"question": {locale: text}, "options": [{locale: text}, ...], "hours"?} (staff,
        organizers, admins)."""
        who = await self.identity(request)
        body = _body(request)
        poll = await self._act(
            self.polls.create(who, body.get("question"), body.get("options"), body.get("hours"))
        )
        return Response.json(poll, status=201)

    async def vote(self, request: Request) -> Response:
        """{"poll", "option"} (citizens; once per poll)."""
        who = await self.identity(request)
        body = _body(request)
        result = await self._act(self.polls.vote(who, body.get("poll"), body.get("option")))
        return Response.json(result, status=201)

    async def close_poll(self, request: Request) -> Response:
        """{"id"} (staff roles)."""
        who = await self.identity(request)
        poll_id = _id(_body(request).get("id"), "poll")
        return Response.json({"closed": await self._act(self.polls.close(who, poll_id))})
