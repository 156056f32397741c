"""The Festival Grounds: a stage and an audience larger than one instance."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from world.locale_text import pick
from world.roles import Role
from world.zone_api import AvatarView, ServerEvent, Zone, ZoneContext, ZoneMessage

__all__ = ["Festival"]


class Festival(Zone):
    """Crowds are spread evenly over instances so each feels full, yet they are one
    audience: performers and interpreters standing on the stage (the layout's spot
    ``stage``) are shown in every instance, their ``near`` lines reach everyone as channel
    ``stage``, and cheers, claps and hearts are counted for the whole crowd (``world.stage``,
    ``world.reactions``; docs/protocol.md, REACT and STAGE).

    The gates and the capacity of the event on now come from the server (the sticky
    ``gates``): while they are closed, or the crowd over all instances has reached the
    capacity, newcomers are refused with the reason (the event's crew and staff always get
    in). The server publishes the schedule (``events``) and the synchronized moments
    (``moments``) as sticky events; the zone shows both to everyone in the grounds, on
    entering and on every change, and passes on ``event.started``. Clients fire each moment
    at its server time with the protocol's clock sync (docs/events.md)."""

    capacity = 500
    placement = "even"
    # The layout spot whose area is the stage broadcast into every instance.
    stage_spot: ClassVar[str | None] = "stage"
    # REACT is taken here (and refused in zones without this).
    reactions: ClassVar[bool] = True

    def on_create(self, ctx: ZoneContext) -> None:
        """Nothing to show until the server's first ``events`` and ``moments``; the gates
        are open until the server says otherwise (no event: an open park)."""
        self.shown: dict[str, Mapping[str, Any]] = {}
        self.gates: Mapping[str, Any] = {"open": True, "capacity": None, "title": None}

    def on_join_attempt(self, ctx: ZoneContext, avatar: AvatarView) -> str | None:
        """Closed gates and a full crowd keep newcomers out, saying why."""
        if avatar.role in CREW:
            return None
        title = self.gates.get("title")
        named = f" for {pick(title, avatar.locale)[0]}" if isinstance(title, Mapping) else ""
        if not self.gates.get("open", True):
            return f"the gates{named} are closed; the organizers open them before it starts"
        capacity = self.gates.get("capacity")
        if isinstance(capacity, int) and ctx.population() >= capacity:
            return f"the grounds are full ({capacity} people{named}); try again shortly"
        return None

    def on_join(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        """The newcomer gets the schedule and the moments to come."""
        for topic, data in self.shown.items():
            ctx.send(avatar.id, topic, data)

    def on_event(self, ctx: ZoneContext, event: ServerEvent) -> None:
        """Show the schedule and the moments as they change; pass on a start."""
        if event.topic == "gates":
            self.gates = event.data
        elif event.topic in _SHOWN:
            self.shown[event.topic] = event.data
            ctx.broadcast(event.topic, event.data)
        elif event.topic == "event.started":
            ctx.broadcast(event.topic, event.data)
        elif event.topic == "announcement":
            self._announce(ctx, event.data)
        elif event.topic == "bell.stroke":
            ctx.broadcast(event.topic, event.data)

    def on_message(self, ctx: ZoneContext, message: ZoneMessage) -> None:
        """``bell.ring``: a chosen citizen at the bell rings a stroke (the server checks
        that they were chosen, and answers with the stroke's server time)."""
        avatar = ctx.avatar(message.avatar_id)
        if avatar is None:
            return
        if message.type != "bell.ring":
            super().on_message(ctx, message)
            return
        spot = ctx.layout.spot(BELL_SPOT) if ctx.layout is not None else None
        if spot is None:
            ctx.refuse(message, "there is no bell here")
            return
        x, _, z = avatar.position
        if math.hypot(x - spot.position[0], z - spot.position[2]) > spot.radius:
            ctx.refuse(message, "walk up to the bell to ring it")
            return
        ctx.persist("bell.ring", {"name": avatar.name}, message=message)

    def _announce(self, ctx: ZoneContext, data: Mapping[str, Any]) -> None:
        texts = data.get("text")
        if not isinstance(texts, Mapping):
            return
        by_locale: dict[str, list[int]] = {}
        for avatar in ctx.avatars():
            by_locale.setdefault(avatar.locale, []).append(avatar.id)
        for locale, ids in by_locale.items():
            text, used = pick(texts, locale)
            ctx.send_group(
                ids, "announcement", {"text": text, "locale": used, "from": data.get("from")}
            )


# The layout spot where the bell hangs; ringers stand within its radius.
BELL_SPOT = "bell"
# Who gets in whatever the gates and the crowd: the event's crew and the city's staff.
CREW = frozenset(
    {Role.PERFORMER, Role.INTERPRETER, Role.STAFF, Role.ORGANIZER, Role.MODERATOR, Role.ADMIN}
)


# The server's sticky events the grounds keep showing.
_SHOWN = ("events", "moments")
