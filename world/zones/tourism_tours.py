"""Guided tours of the Tourism District: a guide leads a group and narrates to it.

A user with the ``guide`` role starts a tour with a title; anyone else in the instance may
join it. Members hear the guide's narration wherever they are in the zone and may jump to the
guide's side. The tour ends when the guide ends it or leaves the zone.

Each handler returns what the request's RESULT carries: a map for a reply, or a string, the
reason for refusing. The zone turns that into ``ctx.reply`` / ``ctx.refuse``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from world.zone_api import AvatarView, ZoneContext

__all__ = [
    "GOTO_RADIUS_M",
    "GUIDE_ROLE",
    "MAX_NARRATION_CHARS",
    "MAX_TOUR_MEMBERS",
    "MAX_TOUR_TITLE_CHARS",
    "GuidedTours",
    "Outcome",
    "Tour",
]

Outcome = Mapping[str, Any] | str
"""A handler's answer: the reply's detail, or the reason for refusing."""

GUIDE_ROLE = "guide"
"""Only users with this role lead tours."""
MAX_TOUR_MEMBERS = 50
"""Most members of one tour besides its guide: a group one voice can lead."""
MAX_TOUR_TITLE_CHARS = 80
"""Longest tour title."""
MAX_NARRATION_CHARS = 300
"""Longest narration line (as long as a chat line)."""
GOTO_RADIUS_M = 1.5
"""Members who jump to the guide land this far from them (within arm's reach of 2 m)."""

# Members landing by the guide spread round them at the golden angle, so they do not stack.
_GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))
# Titles are one line; narration may have line breaks.
_TITLE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")

NOT_LEADING = "you are not leading a tour"
NOT_ON_TOUR = "you are not on a tour"


@dataclass
class Tour:
    """One running tour: its guide (an avatar id), title and members (in joining order)."""

    guide: int
    name: str
    title: str
    members: dict[int, None] = field(default_factory=dict)

    def listing(self) -> dict[str, Any]:
        """How the tour is listed to newcomers."""
        return {
            "guide": self.guide,
            "name": self.name,
            "title": self.title,
            "members": len(self.members),
        }


class GuidedTours:
    """Every tour of one instance."""

    def __init__(self) -> None:
        self.tours: dict[int, Tour] = {}
        # Member avatar id -> the guide whose tour it is on (one tour at a time).
        self.member_of: dict[int, int] = {}

    def listing(self) -> list[dict[str, Any]]:
        """The running tours, for a newcomer."""
        return [tour.listing() for tour in self.tours.values()]

    def start(self, ctx: ZoneContext, avatar: AvatarView, data: Mapping[str, Any]) -> Outcome:
        """``tour.start {title}``: a guide opens a tour, announced to the whole instance."""
        if avatar.role != GUIDE_ROLE:
            return "only guides can start a tour"
        if avatar.id in self.tours:
            return "you are already leading a tour; end it first"
        title = _text(data.get("title"), MAX_TOUR_TITLE_CHARS, _TITLE_CONTROL)
        if title is None:
            return f"title must be 1 to {MAX_TOUR_TITLE_CHARS} characters on one line"
        self._leave(ctx, avatar.id)
        self.tours[avatar.id] = Tour(avatar.id, avatar.name, title)
        ctx.broadcast("tour.started", {"guide": avatar.id, "name": avatar.name, "title": title})
        return {"tour": avatar.id}

    def join(self, ctx: ZoneContext, avatar: AvatarView, data: Mapping[str, Any]) -> Outcome:
        """``tour.join {guide}``: join the tour led by the avatar ``guide``."""
        guide = data.get("guide")
        if not isinstance(guide, int) or isinstance(guide, bool):
            return "guide must be the avatar id of a guide leading a tour"
        tour = self.tours.get(guide)
        if tour is None:
            return "there is no tour led by that avatar"
        if avatar.id in self.tours:
            return "you are leading a tour yourself"
        if self.member_of.get(avatar.id) == guide:
            return "already on this tour"
        if len(tour.members) >= MAX_TOUR_MEMBERS:
            return "the tour is full"
        self._leave(ctx, avatar.id)
        tour.members[avatar.id] = None
        self.member_of[avatar.id] = guide
        ctx.send(
            guide,
            "tour.joined",
            {
                "guide": guide,
                "avatar": avatar.id,
                "name": avatar.name,
                "members": len(tour.members),
            },
        )
        return {"tour": guide, "name": tour.name, "title": tour.title, "members": len(tour.members)}

    def leave(self, ctx: ZoneContext, avatar: AvatarView, data: Mapping[str, Any]) -> Outcome:
        """``tour.leave``: a member leaves the tour it is on."""
        if avatar.id in self.tours:
            return "you lead this tour; end it with tour.end"
        guide = self._leave(ctx, avatar.id)
        if guide is None:
            return NOT_ON_TOUR
        return {"tour": guide}

    def narrate(self, ctx: ZoneContext, avatar: AvatarView, data: Mapping[str, Any]) -> Outcome:
        """``tour.narrate {text}``: the guide speaks to every member, wherever they are."""
        tour = self.tours.get(avatar.id)
        if tour is None:
            return NOT_LEADING
        text = _text(data.get("text"), MAX_NARRATION_CHARS, _TEXT_CONTROL)
        if text is None:
            return f"text must be 1 to {MAX_NARRATION_CHARS} characters"
        line = {"guide": avatar.id, "name": avatar.name, "text": text}
        for avatar_id in (tour.guide, *tour.members):
            ctx.send(avatar_id, "tour.narration", line)
        return {"members": len(tour.members)}

    def goto(self, ctx: ZoneContext, avatar: AvatarView, data: Mapping[str, Any]) -> Outcome:
        """``tour.goto``: a member jumps to the guide's side."""
        if avatar.id in self.tours:
            return "you are the guide"
        guide_id = self.member_of.get(avatar.id)
        guide = None if guide_id is None else ctx.avatar(guide_id)
        if guide_id is None or guide is None:
            return NOT_ON_TOUR
        slot = list(self.tours[guide_id].members).index(avatar.id)
        angle = slot * _GOLDEN_ANGLE
        gx, gy, gz = guide.position
        if not all(math.isfinite(v) for v in (gx, gy, gz)):
            return "the guide cannot be found just now; try again"
        x, z = gx + GOTO_RADIUS_M * math.sin(angle), gz + GOTO_RADIUS_M * math.cos(angle)
        # Face the guide: yaw 0 faces +z, pi/2 faces +x.
        ctx.teleport(avatar.id, (x, gy, z), math.atan2(gx - x, gz - z))
        return {"tour": guide_id, "position": [round(x, 2), round(gy, 2), round(z, 2)]}

    def end(self, ctx: ZoneContext, avatar: AvatarView, data: Mapping[str, Any]) -> Outcome:
        """``tour.end``: the guide closes the tour."""
        if avatar.id not in self.tours:
            return NOT_LEADING
        self._close(ctx, avatar.id, "ended")
        return {"tour": avatar.id}

    def depart(self, ctx: ZoneContext, avatar_id: int) -> None:
        """An avatar left the instance: a guide's tour ends; a member leaves its tour."""
        if avatar_id in self.tours:
            self._close(ctx, avatar_id, "the guide left")
        else:
            self._leave(ctx, avatar_id)

    def _leave(self, ctx: ZoneContext, avatar_id: int) -> int | None:
        """Take a member off its tour (telling the guide); the guide's id, or None."""
        guide = self.member_of.pop(avatar_id, None)
        if guide is None:
            return None
        tour = self.tours[guide]
        tour.members.pop(avatar_id, None)
        ctx.send(
            guide, "tour.left", {"guide": guide, "avatar": avatar_id, "members": len(tour.members)}
        )
        return guide

    def _close(self, ctx: ZoneContext, guide: int, reason: str) -> None:
        tour = self.tours.pop(guide)
        for member in tour.members:
            self.member_of.pop(member, None)
        # To everyone, like tour.started, so every client's list of tours stays right.
        ctx.broadcast("tour.ended", {"guide": guide, "title": tour.title, "reason": reason})


def _text(value: Any, limit: int, control: re.Pattern[str]) -> str | None:
    """``value`` trimmed, if it is a string of 1..``limit`` characters without control
    characters; otherwise None."""
    if not isinstance(value, str):
        return None
    text: str = value.strip()
    if not 1 <= len(text) <= limit or control.search(text):
        return None
    return text
