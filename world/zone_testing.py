"""A fake ``ZoneContext`` for testing zone scripts without a city, a server or a clock.

    ctx = FakeContext("lantern_garden", layout)
    zone = LanternGarden()
    zone.on_create(ctx)
    mina = ctx.add_avatar(1, "mina", role="citizen")
    zone.on_join(ctx, mina)
    zone.on_message(ctx, ctx.message(1, "lantern.hang", {"wish": "peace"}, request_id="r1"))
    assert ctx.replies == [("r1", True, {"count": 1})]

Everything a hook does is recorded in plain lists (``sent``, ``broadcasts``, ``replies``,
``saved``, ``saved_for``, ``persisted``, ``kicked``, ``teleported``, ``transferred``,
``badges``); ``advance`` moves time on and fires due timers, as the tick would.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from world.timers import ScheduledTimer, TimerQueue
from world.zone_api import AvatarView, ServerEvent, ZoneMessage
from world.zone_layout import ZoneLayout

__all__ = ["FakeAvatar", "FakeContext"]

Vec3 = tuple[float, float, float]


@dataclass
class FakeAvatar:
    """An avatar a test places and moves by hand."""

    id: int
    name: str
    role: str = "citizen"
    locale: str = "ko"
    party: str | None = None
    position: Vec3 = (0.0, 0.0, 0.0)
    yaw: float = 0.0
    subject: str = ""
    saved: dict[str, Any] = field(default_factory=dict)

    def records(self) -> Mapping[str, Any]:
        """This user's records of the zone under test."""
        return dict(self.saved)


class FakeContext:
    """Implements ``ZoneContext`` by recording; see the module docstring."""

    def __init__(
        self,
        zone: str,
        layout: ZoneLayout | None = None,
        *,
        instance: int = 1,
        now: float = 0.0,
        records: dict[str, Any] | None = None,
    ) -> None:
        self.zone = zone
        self.instance = instance
        self.now = now
        self.layout = layout
        self.records: dict[str, Any] = dict(records or {})
        self.members: dict[int, FakeAvatar] = {}
        # Avatars a test puts in the zone's other instances (``population``).
        self.elsewhere = 0
        self.timers = TimerQueue()
        self.sent: list[tuple[int, str, dict[str, Any]]] = []
        self.broadcasts: list[tuple[str, dict[str, Any], tuple[int, ...]]] = []
        self.replies: list[tuple[str | None, bool, Any]] = []
        self.saved: list[tuple[str, Any]] = []
        self.saved_for: list[tuple[int, str, Any]] = []
        self.persisted: list[tuple[str, dict[str, Any], str | None]] = []
        self.kicked: list[tuple[int, str]] = []
        self.teleported: list[tuple[int, Vec3, float | None]] = []
        self.transferred: list[tuple[int, str, str | None]] = []
        self.badges: list[tuple[int, str | None]] = []

    # -- test helpers -----------------------------------------------------------------------

    def add_avatar(self, avatar_id: int, name: str, **fields: Any) -> FakeAvatar:
        """Put an avatar in the instance (call the zone's ``on_join`` yourself)."""
        fields.setdefault("subject", f"user:{name}")
        avatar = FakeAvatar(avatar_id, name, **fields)
        self.members[avatar_id] = avatar
        return avatar

    def remove_avatar(self, avatar_id: int) -> FakeAvatar:
        """Take an avatar out (call the zone's ``on_leave`` yourself)."""
        return self.members.pop(avatar_id)

    def message(
        self,
        avatar_id: int,
        type: str,
        data: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> ZoneMessage:
        """A ZONE message as the city would hand it to ``on_message``."""
        return ZoneMessage(avatar_id, type, dict(data or {}), request_id)

    def advance(self, seconds: float) -> int:
        """Move time on and fire the timers that came due; returns how many fired."""
        self.now += seconds
        fired = self.timers.due(self.now)
        for timer in fired:
            timer.callback()
        return len(fired)

    def events(self, type: str) -> list[dict[str, Any]]:
        """The data of every ``send`` and ``broadcast`` of ``type``, in order."""
        sent = [data for _, kind, data in self.sent if kind == type]
        return sent + [data for kind, data, _ in self.broadcasts if kind == type]

    # -- ZoneContext ------------------------------------------------------------------------

    def avatars(self) -> Iterator[AvatarView]:
        yield from list(self.members.values())

    def avatar(self, avatar_id: int) -> AvatarView | None:
        return self.members.get(avatar_id)

    def count(self) -> int:
        return len(self.members)

    def population(self) -> int:
        # Avatars in the zone's other instances, as a test sets them.
        return len(self.members) + self.elsewhere

    def near(self, position: Vec3, radius: float) -> list[AvatarView]:
        return [
            a
            for a in self.members.values()
            if math.hypot(a.position[0] - position[0], a.position[2] - position[2]) <= radius
        ]

    def send(self, avatar_id: int, type: str, data: Mapping[str, Any]) -> None:
        if avatar_id in self.members:
            self.sent.append((avatar_id, type, dict(data)))

    def send_group(self, avatar_ids: Iterable[int], type: str, data: Mapping[str, Any]) -> None:
        for avatar_id in avatar_ids:
            self.send(avatar_id, type, data)

    def broadcast(
        self, type: str, data: Mapping[str, Any], *, exclude: tuple[int, ...] = ()
    ) -> None:
        self.broadcasts.append((type, dict(data), exclude))

    def reply(self, message: ZoneMessage | ServerEvent, detail: Mapping[str, Any]) -> None:
        self.replies.append((message.request_id, True, dict(detail)))

    def refuse(self, message: ZoneMessage | ServerEvent, reason: str) -> None:
        self.replies.append((message.request_id, False, reason))

    def after(self, seconds: float, callback: Callable[[], None]) -> ScheduledTimer:
        return self.timers.schedule(self.now, seconds, None, callback)

    def every(self, seconds: float, callback: Callable[[], None]) -> ScheduledTimer:
        return self.timers.schedule(self.now, seconds, seconds, callback)

    def persist(
        self, kind: str, data: Mapping[str, Any], *, message: ZoneMessage | None = None
    ) -> None:
        subject = None
        if message is not None and message.avatar_id in self.members:
            subject = self.members[message.avatar_id].subject
        self.persisted.append((kind, dict(data), subject))

    def save(self, key: str, value: Any) -> None:
        if value is None:
            self.records.pop(key, None)
        else:
            self.records[key] = value
        self.saved.append((key, value))

    def save_for(self, avatar_id: int, key: str, value: Any) -> None:
        avatar = self.members.get(avatar_id)
        if avatar is None:
            return
        if value is None:
            avatar.saved.pop(key, None)
        else:
            avatar.saved[key] = value
        self.saved_for.append((avatar_id, key, value))

    def kick(self, avatar_id: int, reason: str) -> None:
        self.kicked.append((avatar_id, reason))

    def teleport(self, avatar_id: int, position: Vec3, yaw: float | None = None) -> None:
        avatar = self.members.get(avatar_id)
        if avatar is not None:
            avatar.position = position
            if yaw is not None:
                avatar.yaw = yaw
            self.teleported.append((avatar_id, position, yaw))

    def transfer(self, avatar_id: int, zone: str, spot: str | None = None) -> None:
        self.transferred.append((avatar_id, zone, spot))

    def set_badge(self, avatar_id: int, badge: str | None) -> None:
        self.badges.append((avatar_id, badge))
