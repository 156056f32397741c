"""Citizens' proposals to the mayor's office, and the city's official answers.

A citizen submits a proposal (a few a day at most) from the City Hall zone, the 2D page or
HTTP; it is committed before the citizen is told. Staff move it through the states
``submitted`` -> ``under_review`` -> ``answered`` or ``rejected``, with the official answer,
which everyone sees. After each change the recent proposals are published to the
``city_hall`` zone as a sticky ``proposals`` event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from server.audit import record_action
from server.auth import Identity
from server.db.database import Database
from server.permissions import require_role
from server.zone_store import IntentRefused
from world.intents import Persist
from world.roles import Role
from world.zone_api import ServerEvent

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_PROPOSALS_PER_DAY",
    "MAX_PROPOSAL_BODY_CHARS",
    "MAX_PROPOSAL_TITLE_CHARS",
    "PROPOSAL_STATES",
    "PROPOSAL_ZONE",
    "ProposalError",
    "Proposals",
]

PROPOSAL_ZONE = "city_hall"
PROPOSAL_STATES = ("submitted", "under_review", "answered", "rejected")
MAX_PROPOSAL_TITLE_CHARS = 100
MAX_PROPOSAL_BODY_CHARS = 2000
MAX_ANSWER_CHARS = 2000
# A citizen's voice, not a flood: three proposals in any 24 hours.
MAX_PROPOSALS_PER_DAY = 3
# Guests sign in without an account; proposals need a citizen (or staff) identity.
PROPOSERS = frozenset(r for r in Role if r is not Role.GUEST)
REVIEWERS = frozenset({Role.STAFF, Role.ADMIN})
SHOWN_PROPOSALS = 20
PAGE_ROWS = 100
DEADLINE_S = 10.0

Notify = Callable[..., bool]


class ProposalError(ValueError):
    """A proposal request is malformed or not allowed now; the message says why."""


def _proposal(row: asyncpg.Record) -> dict[str, Any]:
    answered = row["answered_at"]
    return {
        "id": int(row["id"]),
        "author": row["author_name"],
        "title": row["title"],
        "body": row["body"],
        "state": row["state"],
        "answer": row["answer"],
        "answered_at": None if answered is None else answered.timestamp(),
        "created_at": row["created_at"].timestamp(),
    }


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProposalError(f"{field}: expected a non-empty string")
    text = value.strip()
    if len(text) > limit:
        raise ProposalError(f"{field}: {len(text)} characters; at most {limit}")
    return text


class Proposals:
    """Submitting, listing and answering proposals."""

    def __init__(self, db: Database, notify: Notify) -> None:
        self.db = db
        self.notify = notify

    async def recent(
        self, state: str | None = None, limit: int = SHOWN_PROPOSALS
    ) -> list[dict[str, Any]]:
        """The newest proposals (of one state, if given)."""
        if state is not None and state not in PROPOSAL_STATES:
            raise ProposalError(f"state must be one of {', '.join(PROPOSAL_STATES)}")
        rows = await self.db.fetch(
            "SELECT * FROM proposals WHERE ($1::text IS NULL OR state = $1) "
            "ORDER BY created_at DESC LIMIT $2",
            state,
            limit,
        )
        return [_proposal(r) for r in rows]

    async def get(self, proposal_id: int) -> dict[str, Any] | None:
        """One proposal, or None."""
        rows = await self.db.fetch("SELECT * FROM proposals WHERE id = $1", proposal_id)
        return _proposal(rows[0]) if rows else None

    async def publish(self) -> None:
        """Tell every City Hall instance what the proposals wall shows now."""
        proposals = await self.recent()
        self.notify(PROPOSAL_ZONE, ServerEvent("proposals", {"proposals": proposals}), sticky=True)

    async def submit(self, who: Identity, title: Any, body: Any) -> dict[str, Any]:
        """A citizen's proposal, committed before it returns, then published."""
        require_role(who, PROPOSERS, "submitting a proposal")
        title_text = _text(title, "title", MAX_PROPOSAL_TITLE_CHARS)
        body_text = _text(body, "body", MAX_PROPOSAL_BODY_CHARS)

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            return await self._insert(conn, who.subject, who.name, title_text, body_text)

        proposal = await self.db.run(work, deadline_s=DEADLINE_S)
        await self.publish()
        return proposal

    async def review(
        self, actor: Identity, proposal_id: int, state: Any, answer: Any
    ) -> dict[str, Any]:
        """Move a proposal on (staff, admins): ``answered`` and ``rejected`` need the answer
        the citizen and everyone else will read."""
        require_role(actor, REVIEWERS, "answering a proposal")
        if state not in PROPOSAL_STATES or state == "submitted":
            raise ProposalError("state must be under_review, answered or rejected")
        text = None
        if state in ("answered", "rejected"):
            text = _text(answer, "answer", MAX_ANSWER_CHARS)

        async def work(conn: asyncpg.Connection) -> dict[str, Any] | None:
            row = await conn.fetchrow(
                "UPDATE proposals SET state = $2, answer = COALESCE($3, answer), "
                "answered_by = CASE WHEN $3::text IS NULL THEN answered_by ELSE $4 END, "
                "answered_at = CASE WHEN $3::text IS NULL THEN answered_at ELSE now() END, "
                "updated_at = now() WHERE id = $1 RETURNING *",
                proposal_id,
                state,
                text,
                actor.subject,
            )
            if row is None:
                return None
            await record_action(conn, actor, "review_proposal", str(proposal_id), {"state": state})
            return _proposal(row)

        proposal = await self.db.run(work, deadline_s=DEADLINE_S)
        if proposal is None:
            raise ProposalError(f"no proposal {proposal_id}")
        await self.publish()
        return proposal

    async def handle_submit(self, conn: asyncpg.Connection, intent: Persist) -> dict[str, Any]:
        """The ``proposal.submit`` intent, from the City Hall zone."""
        data = intent.data
        if data.get("role") not in {str(r) for r in PROPOSERS}:
            raise IntentRefused("sign in as a citizen to submit proposals")
        try:
            title = _text(data.get("title"), "title", MAX_PROPOSAL_TITLE_CHARS)
            body = _text(data.get("body"), "body", MAX_PROPOSAL_BODY_CHARS)
        except ProposalError as exc:
            raise IntentRefused(str(exc)) from None
        try:
            return await self._insert(conn, intent.subject or "", data["name"], title, body)
        except ProposalError as exc:
            raise IntentRefused(str(exc)) from None

    async def _insert(
        self, conn: asyncpg.Connection, subject: str, name: str, title: str, body: str
    ) -> dict[str, Any]:
        # Serialise one user's submissions so two at once cannot both pass the daily limit.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('proposal:' || $1))", subject)
        today = await conn.fetchval(
            "SELECT count(*) FROM proposals WHERE subject = $1 "
            "AND created_at > now() - interval '24 hours'",
            subject,
        )
        if today >= MAX_PROPOSALS_PER_DAY:
            raise ProposalError(
                f"at most {MAX_PROPOSALS_PER_DAY} proposals a day; thank you, try again tomorrow"
            )
        row = await conn.fetchrow(
            "INSERT INTO proposals (subject, author_name, title, body) "
            "VALUES ($1, $2, $3, $4) RETURNING *",
            subject,
            name,
            title,
            body,
        )
        return _proposal(row)
