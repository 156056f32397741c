"""Seoul Plaza: the entrance every citizen enters first, with portals to every service and
the notice board.

The notices themselves live in the server (``server.notices``), which publishes the current
board as a sticky ``notices`` event; this zone shows it to everyone in their own language
and lets staff post from the plaza.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from world.locale_text import pick
from world.zone_api import AvatarView, ServerEvent, Zone, ZoneContext, ZoneMessage

__all__ = ["NOTICE_POSTERS", "SeoulPlaza"]

NOTICE_POSTERS = frozenset({"staff", "organizer", "moderator", "admin"})


def localize(notice: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """A notice as one reader sees it: title and body in their language when translated."""
    title, used = pick(notice["title"], locale)
    body, _ = pick(notice["body"], used)
    return {
        "id": notice["id"],
        "title": title,
        "body": body,
        "locale": used,
        "posted_at": notice["posted_at"],
        "expires_at": notice.get("expires_at"),
    }


class SeoulPlaza(Zone):
    """The entrance. Large instances: the plaza is where crowds meet, and each client sees
    only its nearest avatars anyway."""

    capacity = 2000
    open_at = 0.8

    def on_create(self, ctx: ZoneContext) -> None:
        self.notices: list[Mapping[str, Any]] = []

    def on_join(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        self._show(ctx, [avatar])

    def on_event(self, ctx: ZoneContext, event: ServerEvent) -> None:
        if event.topic == "notices":
            self.notices = list(event.data.get("notices", []))
            self._show(ctx, ctx.avatars())

    def on_message(self, ctx: ZoneContext, message: ZoneMessage) -> None:
        avatar = ctx.avatar(message.avatar_id)
        if avatar is None:
            return
        if message.type == "notices":
            ctx.reply(message, {"notices": [localize(n, avatar.locale) for n in self.notices]})
        elif message.type == "notice.post":
            if avatar.role not in NOTICE_POSTERS:
                ctx.refuse(message, "posting a notice needs the staff role")
                return
            data = message.data
            ctx.persist(
                "notice.post",
                {
                    "title": data.get("title"),
                    "body": data.get("body"),
                    "hours": data.get("hours"),
                    "name": avatar.name,
                    "role": avatar.role,
                },
                message=message,
            )
        else:
            super().on_message(ctx, message)

    def _show(self, ctx: ZoneContext, avatars: Iterable[AvatarView]) -> None:
        # One encoding per language rather than one per avatar.
        by_locale: dict[str, list[int]] = defaultdict(list)
        for avatar in avatars:
            by_locale[avatar.locale].append(avatar.id)
        for locale, ids in by_locale.items():
            board = [localize(n, locale) for n in self.notices]
            ctx.send_group(ids, "notices", {"notices": board})
