"""Polls in the mayor's office: created by staff, one vote per citizen, live tallies.

A vote is a row keyed by (poll, user): a second vote from the same user changes nothing and
is answered "you have already voted". Tallies are counted in PostgreSQL and published to the
``city_hall`` zone as a sticky ``polls`` event, at most every ``PUBLISH_INTERVAL_S`` while
votes stream in, so a thousand votes a second cost the room a few updates, not a thousand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

from server.audit import record_action
from server.auth import Identity
from server.db.database import Database
from server.permissions import require_role
from server.zone_store import IntentRefused
from world.intents import Persist
from world.locale_text import TextError, check_texts
from world.roles import Role
from world.zone_api import ServerEvent

__all__ = [
    "MAX_POLL_OPTIONS",
    "MAX_POLL_TEXT_CHARS",
    "POLL_ZONE",
    "PUBLISH_INTERVAL_S",
    "PollError",
    "Polls",
]

log = logging.getLogger("plaza.polls")

POLL_ZONE = "city_hall"
MAX_POLL_OPTIONS = 8
MAX_POLL_TEXT_CHARS = 200
MAX_POLL_HOURS = 24 * 90
POLL_CREATORS = frozenset({Role.STAFF, Role.ORGANIZER, Role.ADMIN})
VOTERS = frozenset(r for r in Role if r is not Role.GUEST)
# Tallies reach the room at most this often while votes stream in.
PUBLISH_INTERVAL_S = 0.5
SHOWN_POLLS = 10
DEADLINE_S = 10.0

Notify = Callable[..., bool]


class PollError(ValueError):
    """A poll request is malformed or not allowed now; the message says why."""


def _check_poll(
    question: Any, options: Any, hours: Any
) -> tuple[dict[str, str], list[dict[str, str]], int | None]:
    try:
        checked_question = check_texts(question, "question", MAX_POLL_TEXT_CHARS)
        if not isinstance(options, list) or not 2 <= len(options) <= MAX_POLL_OPTIONS:
            raise PollError(f"options: expected a list of 2 to {MAX_POLL_OPTIONS} texts")
        checked = [
            check_texts(o, f"options[{i}]", MAX_POLL_TEXT_CHARS) for i, o in enumerate(options)
        ]
    except TextError as exc:
        raise PollError(str(exc)) from None
    if hours is not None and (
        isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_POLL_HOURS
    ):
        raise PollError(f"hours: expected a whole number of hours, 1..{MAX_POLL_HOURS}")
    return checked_question, checked, hours


class Polls:
    """Creating polls, voting, and publishing the tallies."""

    def __init__(self, db: Database, notify: Notify) -> None:
        self.db = db
        self.notify = notify
        self._publishing: asyncio.Task[None] | None = None
        self._again = False

    async def open_polls(self) -> list[dict[str, Any]]:
        """Open polls, newest first, each with its tally per option."""
        rows = await self.db.fetch(
            "SELECT p.*, COALESCE(("
            "  SELECT jsonb_object_agg(option, n) FROM ("
            "    SELECT option, count(*) AS n FROM poll_votes WHERE poll_id = p.id GROUP BY option"
            "  ) t), '{}'::jsonb) AS tally "
            "FROM polls p WHERE p.closed_at IS NULL "
            "AND (p.closes_at IS NULL OR p.closes_at > now()) "
            "ORDER BY p.created_at DESC LIMIT $1",
            SHOWN_POLLS,
        )
        out = []
        for row in rows:
            options = json.loads(row["options"])
            tally = {int(k): int(v) for k, v in json.loads(row["tally"]).items()}
            closes = row["closes_at"]
            out.append(
                {
                    "id": int(row["id"]),
                    "question": json.loads(row["question"]),
                    "options": options,
                    "tally": [tally.get(i, 0) for i in range(len(options))],
                    "votes": sum(tally.values()),
                    "closes_at": None if closes is None else closes.timestamp(),
                }
            )
        return out

    async def publish(self) -> None:
        """Publish the tallies now (the first call) or soon (calls while one is pending)."""
        if self._publishing is not None and not self._publishing.done():
            self._again = True
            return
        self._publishing = asyncio.get_running_loop().create_task(self._publish_paced())

    async def _publish_paced(self) -> None:
        while True:
            self._again = False
            try:
                polls = await self.open_polls()
                self.notify(POLL_ZONE, ServerEvent("polls", {"polls": polls}), sticky=True)
            except Exception:
                log.exception("publishing the polls failed")
            await asyncio.sleep(PUBLISH_INTERVAL_S)
            if not self._again:
                return

    async def create(
        self, actor: Identity, question: Any, options: Any, hours: Any = None
    ) -> dict[str, Any]:
        """A new poll (staff, organizers, admins), audited."""
        require_role(actor, POLL_CREATORS, "creating a poll")
        checked_question, checked_options, hours = _check_poll(question, options, hours)
        closes = None if hours is None else dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)

        async def work(conn: asyncpg.Connection) -> int:
            poll_id: int = await conn.fetchval(
                "INSERT INTO polls (question, options, created_by, closes_at) "
                "VALUES ($1::jsonb, $2::jsonb, $3, $4) RETURNING id",
                json.dumps(checked_question, ensure_ascii=False),
                json.dumps(checked_options, ensure_ascii=False),
                actor.subject,
                closes,
            )
            await record_action(
                conn, actor, "create_poll", str(poll_id), {"question": checked_question}
            )
            return poll_id

        poll_id = await self.db.run(work, deadline_s=DEADLINE_S)
        await self.publish()
        return {"id": poll_id, "question": checked_question, "options": checked_options}

    async def close(self, actor: Identity, poll_id: int) -> bool:
        """Close a poll; its tally stays."""
        require_role(actor, POLL_CREATORS, "closing a poll")

        async def work(conn: asyncpg.Connection) -> bool:
            row = await conn.fetchrow(
                "UPDATE polls SET closed_at = now() WHERE id = $1 AND closed_at IS NULL "
                "RETURNING id",
                poll_id,
            )
            if row is not None:
                await record_action(conn, actor, "close_poll", str(poll_id))
            return row is not None

        closed = bool(await self.db.run(work, deadline_s=DEADLINE_S))
        await self.publish()
        return closed

    async def vote(self, who: Identity, poll_id: Any, option: Any) -> dict[str, Any]:
        """One vote per citizen; a second one is refused and changes nothing."""
        require_role(who, VOTERS, "voting")

        async def work(conn: asyncpg.Connection) -> dict[str, Any]:
            return await self._vote(conn, who.subject, poll_id, option)

        result = await self.db.run(work, deadline_s=DEADLINE_S)
        await self.publish()
        return result

    async def handle_vote(self, conn: asyncpg.Connection, intent: Persist) -> dict[str, Any]:
        """The ``poll.vote`` intent, from the City Hall zone."""
        if intent.data.get("role") not in {str(r) for r in VOTERS}:
            raise IntentRefused("sign in as a citizen to vote")
        try:
            return await self._vote(
                conn, intent.subject or "", intent.data.get("poll"), intent.data.get("option")
            )
        except PollError as exc:
            raise IntentRefused(str(exc)) from None

    async def _vote(
        self, conn: asyncpg.Connection, subject: str, poll_id: Any, option: Any
    ) -> dict[str, Any]:
        if isinstance(poll_id, bool) or not isinstance(poll_id, int):
            raise PollError("poll: expected a poll id")
        if isinstance(option, bool) or not isinstance(option, int):
            raise PollError("option: expected the number of an option, from 0")
        poll = await conn.fetchrow(
            "SELECT options, closed_at, closes_at FROM polls WHERE id = $1", poll_id
        )
        if poll is None:
            raise PollError(f"no poll {poll_id}")
        if poll["closed_at"] is not None or (
            poll["closes_at"] is not None and poll["closes_at"] <= dt.datetime.now(dt.UTC)
        ):
            raise PollError("this poll is closed")
        if not 0 <= option < len(json.loads(poll["options"])):
            raise PollError("option: no such option in this poll")
        inserted = await conn.fetchval(
            "INSERT INTO poll_votes (poll_id, subject, option) VALUES ($1, $2, $3) "
            "ON CONFLICT (poll_id, subject) DO NOTHING RETURNING option",
            poll_id,
            subject,
            option,
        )
        if inserted is None:
            raise PollError("you have already voted in this poll")
        return {"poll": poll_id, "option": option}
