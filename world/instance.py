"""One running instance of a zone: its world (avatars, interest, frames), its script and the
context the script acts through.

The context only records effects (messages, intents, moves between zones); the city carries
them out after the hooks return, so a hook never sees half of another hook's work, and
broadcasts go out at the end of the tick in the order they were made.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from world.avatars import AvatarDescription
from world.codec import encode_result
from world.codec_social import encode_zone_event
from world.intents import RECORD, USER_RECORD, Persist, Reply
from world.members import Member
from world.timers import ScheduledTimer, TimerQueue
from world.world import World
from world.zone_api import AvatarView, Placement, ServerEvent, Zone, ZoneMessage
from world.zone_layout import ZoneLayout

__all__ = ["BADGE_RECORD", "MAX_BADGE_CHARS", "Effects", "Instance", "Move"]

Vec3 = tuple[float, float, float]
# Name-tag badges are a word or an emoji or two, not a sentence.
MAX_BADGE_CHARS = 16
# The user record (of the zone that gave it) holding a name-tag badge.
BADGE_RECORD = "name_tag_badge"


@dataclass(frozen=True)
class Move:
    """An avatar to move to another zone (a portal, a script's transfer or a kick)."""

    avatar_id: int
    zone: str
    placement: Placement
    via: str
    notice: str = ""


@dataclass
class Effects:
    """What hooks asked for during one step, carried out by the city afterwards."""

    messages: list[tuple[int, bytes]] = field(default_factory=list)
    intents: list[Persist] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    badges: list[tuple[int, str | None]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _View:
    """``AvatarView`` over the instance's table: position and yaw are read when asked."""

    __slots__ = ("_instance", "id", "member", "name", "role")

    def __init__(
        self,
        instance: Instance,
        avatar_id: int,
        member: Member,
        description: AvatarDescription | None = None,
    ) -> None:
        self._instance = instance
        self.id = avatar_id
        self.member = member
        if description is None:
            description = instance.world.table.descriptions.get(avatar_id)
        self.name = description.name if description is not None else ""
        self.role = member.role

    @property
    def subject(self) -> str:
        return self.member.subject

    @property
    def locale(self) -> str:
        return self.member.locale

    @property
    def party(self) -> str | None:
        return self.member.party

    @property
    def position(self) -> Vec3:
        table = self._instance.world.table
        row = table.row_of(self.id)
        if row < 0:
            return (math.nan, math.nan, math.nan)
        x, y, z = (float(v) for v in table.position[row])
        return (x, y, z)

    @property
    def yaw(self) -> float:
        table = self._instance.world.table
        row = table.row_of(self.id)
        return float(table.yaw[row]) if row >= 0 else math.nan

    def records(self) -> Mapping[str, Any]:
        return dict(self.member.records.get(self._instance.zone, {}))

    def __repr__(self) -> str:
        return f"AvatarView(id={self.id}, name={self.name!r}, role={self.role!r})"


class Instance:
    """A zone instance: the world it simulates, its script, and the ``ZoneContext`` API."""

    def __init__(
        self,
        zone: str,
        number: int,
        world: World,
        script: Zone,
        records: dict[str, Any],
        effects: Effects,
        population: Callable[[], int] | None = None,
    ) -> None:
        self.zone = zone
        self._population = population
        self.instance = number
        self.world = world
        self.script = script
        self.members: dict[int, Member] = {}
        self.timers = TimerQueue()
        self.now = 0.0
        self.empty_since: float | None = None
        self._records = records
        self.effects = effects

    # -- run by the city --------------------------------------------------------------------

    def call(self, hook: str, *args: Any) -> Any:
        """Run a script hook; a failing hook is reported, and the tick goes on."""
        try:
            return getattr(self.script, hook)(self, *args)
        except Exception:
            self.effects.errors.append(
                f"zone {self.zone} instance {self.instance}: {hook} failed\n"
                + traceback.format_exc()
            )
            return _FAILED

    def run_timers(self) -> None:
        """Fire due timers, each like a hook."""
        for timer in self.timers.due(self.now):
            try:
                timer.callback()
            except Exception:
                self.effects.errors.append(
                    f"zone {self.zone} instance {self.instance}: a timer failed\n"
                    + traceback.format_exc()
                )

    def view(self, avatar_id: int) -> _View | None:
        """The view of one avatar here, or None."""
        member = self.members.get(avatar_id)
        return None if member is None else _View(self, avatar_id, member)

    def view_of(self, avatar_id: int, member: Member, description: AvatarDescription) -> _View:
        """A view of an avatar that is about to join (for ``on_join_attempt``); its position
        is not known here yet (NaN)."""
        return _View(self, avatar_id, member, description)

    # -- ZoneContext ------------------------------------------------------------------------

    @property
    def layout(self) -> ZoneLayout:
        return self.world.layout

    @property
    def records(self) -> Mapping[str, Any]:
        return self._records

    def avatars(self) -> Iterator[AvatarView]:
        for avatar_id, member in list(self.members.items()):
            yield _View(self, avatar_id, member)

    def avatar(self, avatar_id: int) -> AvatarView | None:
        return self.view(avatar_id)

    def count(self) -> int:
        return len(self.members)

    def population(self) -> int:
        return len(self.members) if self._population is None else self._population()

    def near(self, position: Vec3, radius: float) -> list[AvatarView]:
        table = self.world.table
        n = table.count
        if n == 0:
            return []
        pos = table.position[:n]
        d2 = (pos[:, 0] - position[0]) ** 2 + (pos[:, 2] - position[2]) ** 2
        # The zone's world holds every instance: this one's rows only.
        rows = np.flatnonzero((d2 <= radius * radius) & (table.instance[:n] == self.instance))
        ids = table.ids[rows].tolist()
        return [_View(self, i, self.members[i]) for i in ids if i in self.members]

    def send(self, avatar_id: int, type: str, data: Mapping[str, Any]) -> None:
        if avatar_id in self.members:
            self.effects.messages.append((avatar_id, encode_zone_event(self.zone, type, data)))

    def send_group(self, avatar_ids: Iterable[int], type: str, data: Mapping[str, Any]) -> None:
        frame = encode_zone_event(self.zone, type, data)
        members = self.members
        self.effects.messages.extend((a, frame) for a in avatar_ids if a in members)

    def broadcast(
        self, type: str, data: Mapping[str, Any], *, exclude: tuple[int, ...] = ()
    ) -> None:
        frame = encode_zone_event(self.zone, type, data)
        self.effects.messages.extend((a, frame) for a in self.members if a not in exclude)

    def reply(self, message: ZoneMessage | ServerEvent, detail: Mapping[str, Any]) -> None:
        # Server events reach every instance; only the requester's answers.
        if message.request_id is not None and message.avatar_id in self.members:
            self.effects.messages.append(
                (message.avatar_id, encode_result(message.request_id, True, dict(detail)))
            )

    def refuse(self, message: ZoneMessage | ServerEvent, reason: str) -> None:
        if message.request_id is not None and message.avatar_id in self.members:
            self.effects.messages.append(
                (message.avatar_id, encode_result(message.request_id, False, reason))
            )

    def after(self, seconds: float, callback: Callable[[], None]) -> ScheduledTimer:
        return self.timers.schedule(self.now, seconds, None, callback)

    def every(self, seconds: float, callback: Callable[[], None]) -> ScheduledTimer:
        return self.timers.schedule(self.now, seconds, seconds, callback)

    def persist(
        self, kind: str, data: Mapping[str, Any], *, message: ZoneMessage | None = None
    ) -> None:
        reply = None
        subject = None
        if message is not None:
            member = self.members.get(message.avatar_id)
            subject = member.subject if member is not None else None
            if message.request_id is not None:
                reply = Reply(message.avatar_id, message.request_id)
        self.effects.intents.append(Persist(kind, self.zone, dict(data), subject, reply))

    def save(self, key: str, value: Any) -> None:
        # Visible to every instance at once; the write itself happens after the step.
        if value is None:
            self._records.pop(key, None)
        else:
            self._records[key] = value
        self.effects.intents.append(Persist(RECORD, self.zone, {"key": key, "value": value}))

    def save_for(self, avatar_id: int, key: str, value: Any) -> None:
        member = self.members.get(avatar_id)
        if member is None:
            return
        own = member.records.setdefault(self.zone, {})
        if value is None:
            own.pop(key, None)
        else:
            own[key] = value
        self.effects.intents.append(
            Persist(USER_RECORD, self.zone, {"key": key, "value": value}, member.subject)
        )

    def kick(self, avatar_id: int, reason: str) -> None:
        if avatar_id in self.members:
            self.effects.moves.append(Move(avatar_id, "", Placement(), "kick", reason))

    def teleport(self, avatar_id: int, position: Vec3, yaw: float | None = None) -> None:
        correction = self.world.teleport(avatar_id, position, yaw)
        if correction is not None:
            self.effects.messages.append((avatar_id, correction))

    def transfer(self, avatar_id: int, zone: str, spot: str | None = None) -> None:
        if avatar_id in self.members:
            self.effects.moves.append(Move(avatar_id, zone, Placement(spot=spot), "transfer"))

    def set_badge(self, avatar_id: int, badge: str | None) -> None:
        if avatar_id not in self.members:
            return
        if badge is not None and len(badge) > MAX_BADGE_CHARS:
            raise ValueError(f"a badge is at most {MAX_BADGE_CHARS} characters")
        self.effects.badges.append((avatar_id, badge))
        member = self.members[avatar_id]
        if member.records.get(self.zone, {}).get(BADGE_RECORD) != badge:
            # Kept with the user, so the name tag shows it at every later sign-in.
            self.save_for(avatar_id, BADGE_RECORD, badge)


_FAILED = object()
"""Returned by ``Instance.call`` when the hook raised."""
