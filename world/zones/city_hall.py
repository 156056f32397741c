"""Seoul City Hall and the mayor's office: citizens' proposals and polls.

The records live in the server (``server.proposals``, ``server.polls``), which publishes the
recent proposals and the open polls with their tallies as sticky events; this zone shows them
to everyone in the room, pushes each new tally, and turns citizens' requests into intents
(``proposal.submit``, ``poll.vote``) the server commits before answering.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from world.locale_text import pick
from world.zone_api import AvatarView, ServerEvent, Zone, ZoneContext, ZoneMessage

__all__ = ["CityHall"]


def localize_poll(poll: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """A poll as one reader sees it: question and options in their language."""
    question, used = pick(poll["question"], locale)
    return {
        "id": poll["id"],
        "question": question,
        "options": [pick(option, used)[0] for option in poll["options"]],
        "tally": list(poll["tally"]),
        "votes": poll["votes"],
        "closes_at": poll.get("closes_at"),
        "locale": used,
    }


class CityHall(Zone):
    """The mayor's office."""

    capacity = 200

    def on_create(self, ctx: ZoneContext) -> None:
        self.proposals: list[Mapping[str, Any]] = []
        self.polls: list[Mapping[str, Any]] = []

    def on_join(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        ctx.send(avatar.id, "proposals", {"proposals": self.proposals})
        self._show_polls(ctx, [avatar])

    def on_event(self, ctx: ZoneContext, event: ServerEvent) -> None:
        if event.topic == "proposals":
            self.proposals = list(event.data.get("proposals", []))
            ctx.broadcast("proposals", {"proposals": self.proposals})
        elif event.topic == "polls":
            self.polls = list(event.data.get("polls", []))
            self._show_polls(ctx, ctx.avatars())

    def on_message(self, ctx: ZoneContext, message: ZoneMessage) -> None:
        avatar = ctx.avatar(message.avatar_id)
        if avatar is None:
            return
        data = message.data
        if message.type == "proposals":
            ctx.reply(message, {"proposals": self.proposals})
        elif message.type == "polls":
            ctx.reply(message, {"polls": [localize_poll(p, avatar.locale) for p in self.polls]})
        elif message.type == "proposal.submit":
            if avatar.role == "guest":
                ctx.refuse(message, "sign in as a citizen to submit proposals")
                return
            payload = {"title": data.get("title"), "body": data.get("body")}
            ctx.persist("proposal.submit", {**payload, **_who(avatar)}, message=message)
        elif message.type == "poll.vote":
            if avatar.role == "guest":
                ctx.refuse(message, "sign in as a citizen to vote")
                return
            payload = {"poll": data.get("poll"), "option": data.get("option")}
            ctx.persist("poll.vote", {**payload, **_who(avatar)}, message=message)
        else:
            super().on_message(ctx, message)

    def _show_polls(self, ctx: ZoneContext, avatars: Iterable[AvatarView]) -> None:
        by_locale: dict[str, list[int]] = defaultdict(list)
        for avatar in avatars:
            by_locale[avatar.locale].append(avatar.id)
        for locale, ids in by_locale.items():
            polls = [localize_poll(p, locale) for p in self.polls]
            ctx.send_group(ids, "polls", {"polls": polls})


def _who(avatar: AvatarView) -> dict[str, Any]:
    return {"name": avatar.name, "role": avatar.role}
