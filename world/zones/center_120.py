"""The Metaverse 120 Dasan Call Center: take a number, wait, be served 1:1 at a desk.

The tickets live in the server (``server.center_*``, PostgreSQL), which publishes the center's
state to every instance as the sticky event ``center.state``: the public ``info`` map (queues,
hours, desks with the staff's display names) and, per desk, who serves there and which
citizen it has called (token subjects). This zone

* shows the ``info`` map to everyone in the room (``center.info``), never the subjects;
* seats each civil servant behind their desk when the desk is assigned to them, or when
  they walk in while it is;
* turns the citizens' requests (``center.take``, ``center.mine``, ``center.cancel``,
  ``center.rate``, ``center.say``) into persist intents that the server commits before it
  answers, and moves a called citizen to their desk (``center.go``).

The server pushes ``center.ticket`` and ``center.message`` to the citizen and the civil
servant themselves, wherever they are; the zone does not see those.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from world.zone_api import AvatarView, ServerEvent, Zone, ZoneContext, ZoneMessage

__all__ = ["REQUEST_FIELDS", "STATE_TOPIC", "Center120", "Desk"]

STATE_TOPIC = "center.state"
"""The sticky event the server publishes whenever a ticket, a desk or the hours change."""

REQUEST_FIELDS: Mapping[str, tuple[str, ...]] = {
    "center.take": ("category", "description", "needs", "key", "callback", "contact"),
    "center.mine": (),
    "center.cancel": ("id",),
    "center.rate": ("id", "stars", "comment"),
    "center.say": ("id", "text"),
}
"""Each request the zone hands to the server, with the fields it passes through. The server
checks them; the zone only keeps a client from sending fields of its own choosing (such as
``role``)."""

# What of a desk the room may see: the staff's display name, not their subject.
_PUBLIC_DESK_FIELDS = ("desk", "open", "staff_name")
NOT_CALLED = "no desk has called your ticket yet"


@dataclass(frozen=True)
class Desk:
    """One desk of ``center.state``: whether it is open, who serves there (a subject) and
    which citizen (a subject) and ticket it has called."""

    desk: int
    open: bool
    staff: str | None
    staff_name: str | None
    citizen: str | None
    ticket: int | None

    @classmethod
    def parse(cls, raw: Any) -> Desk | None:
        """A desk from the event's data, or None when the entry is malformed."""
        if not isinstance(raw, Mapping):
            return None
        number = raw.get("desk")
        if isinstance(number, bool) or not isinstance(number, int):
            return None
        ticket = raw.get("ticket")
        return cls(
            desk=number,
            open=raw.get("open") is True,
            staff=_text(raw.get("staff")),
            staff_name=_text(raw.get("staff_name")),
            citizen=_text(raw.get("citizen")),
            ticket=ticket if isinstance(ticket, int) and not isinstance(ticket, bool) else None,
        )


class Center120(Zone):
    """Help desks staffed by civil servants (docs/center120.md)."""

    capacity = 200

    def on_create(self, ctx: ZoneContext) -> None:
        """No state until the server's first ``center.state`` (sticky: it comes right after
        this hook in a new instance)."""
        self.info: dict[str, Any] | None = None
        self.desks: tuple[Desk, ...] = ()
        # desk number -> staff subject, for the open desks of the last state: a desk is
        # "newly assigned" when its entry changes, and only then is anyone moved.
        self.assigned: dict[int, str] = {}

    def on_join(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        """Show the newcomer the center; seat a civil servant whose desk is open."""
        if self.info is not None:
            ctx.send(avatar.id, "center.info", self.info)
        for desk, staff in self.assigned.items():
            if staff == avatar.subject:
                self._seat(ctx, avatar, desk)
                break

    def on_event(self, ctx: ZoneContext, event: ServerEvent) -> None:
        """Keep the center's latest state, show it to the room and seat newly assigned
        staff. Outcomes of the requests (topics ``center.take`` ...) need nothing here: the
        server answers the requester and pushes the ticket itself."""
        if event.topic != STATE_TOPIC:
            return
        desks = tuple(d for d in map(Desk.parse, _list(event.data.get("desks"))) if d is not None)
        info = event.data.get("info")
        public = _public_info(info if isinstance(info, Mapping) else {}, desks)
        self.desks = desks
        if public != self.info:
            # The state also changes when only a desk's citizen does, which the room does
            # not see: send only what changed for it.
            self.info = public
            ctx.broadcast("center.info", public)
        assigned = {d.desk: d.staff for d in desks if d.open and d.staff is not None}
        newly = {n: staff for n, staff in assigned.items() if self.assigned.get(n) != staff}
        self.assigned = assigned
        if newly:
            by_subject = {avatar.subject: avatar for avatar in ctx.avatars()}
            for desk, staff in sorted(newly.items()):
                avatar = by_subject.get(staff)
                if avatar is not None:
                    self._seat(ctx, avatar, desk)

    def on_message(self, ctx: ZoneContext, message: ZoneMessage) -> None:
        """The citizens' requests: ``center.go`` here, the others through the server."""
        avatar = ctx.avatar(message.avatar_id)
        if avatar is None:
            return
        if message.type == "center.go":
            self._go_to_desk(ctx, message, avatar)
            return
        fields = REQUEST_FIELDS.get(message.type)
        if fields is None:
            super().on_message(ctx, message)
            return
        data = {name: message.data[name] for name in fields if name in message.data}
        # Who asks comes from the token, never from the client: written last, over anything.
        data.update(name=avatar.name, role=avatar.role, locale=avatar.locale)
        ctx.persist(message.type, data, message=message)

    def _go_to_desk(self, ctx: ZoneContext, message: ZoneMessage, avatar: AvatarView) -> None:
        desk = next((d for d in self.desks if d.citizen == avatar.subject), None)
        if desk is None:
            ctx.refuse(message, NOT_CALLED)
            return
        spot = ctx.layout.spot(f"desk_{desk.desk}") if ctx.layout is not None else None
        if spot is None:
            ctx.refuse(message, f"desk {desk.desk} cannot be reached in this room")
            return
        ctx.teleport(avatar.id, spot.position, spot.yaw)
        ctx.reply(message, {"desk": desk.desk})

    def _seat(self, ctx: ZoneContext, avatar: AvatarView, desk: int) -> None:
        spot = ctx.layout.spot(f"desk_{desk}_staff") if ctx.layout is not None else None
        if spot is not None:
            ctx.teleport(avatar.id, spot.position, spot.yaw)


def _public_info(info: Mapping[str, Any], desks: Iterable[Desk]) -> dict[str, Any]:
    """The info map as the room sees it. Its desks keep only the public fields, so that a
    subject can never reach the room even if the server's map carried one."""
    public = dict(info)
    raw = info.get("desks")
    if isinstance(raw, list):
        entries: list[Any] = raw
    else:
        entries = [{"desk": d.desk, "open": d.open, "staff_name": d.staff_name} for d in desks]
    public["desks"] = [
        {name: entry.get(name) for name in _PUBLIC_DESK_FIELDS}
        for entry in entries
        if isinstance(entry, Mapping)
    ]
    return public


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
