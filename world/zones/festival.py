"""The Festival Grounds: a stage and an audience larger than one instance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from world.zone_api import AvatarView, ServerEvent, Zone, ZoneContext

__all__ = ["Festival"]


class Festival(Zone):
    """Crowds are spread evenly over instances so each feels full, yet they are one
    audience: performers and interpreters standing on the stage (the layout's spot
    ``stage``) are shown in every instance, their ``near`` lines reach everyone as channel
    ``stage``, and cheers, claps and hearts are counted for the whole crowd (``world.stage``,
    ``world.reactions``; docs/protocol.md, REACT and STAGE).

    The server publishes the schedule (``events``) and the synchronized moments
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
        """Nothing to show until the server's first ``events`` and ``moments``."""
        self.shown: dict[str, Mapping[str, Any]] = {}

    def on_join(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        """The newcomer gets the schedule and the moments to come."""
        for topic, data in self.shown.items():
            ctx.send(avatar.id, topic, data)

    def on_event(self, ctx: ZoneContext, event: ServerEvent) -> None:
        """Show the schedule and the moments as they change; pass on a start."""
        if event.topic in _SHOWN:
            self.shown[event.topic] = event.data
            ctx.broadcast(event.topic, event.data)
        elif event.topic == "event.started":
            ctx.broadcast(event.topic, event.data)


# The server's sticky events the grounds keep showing.
_SHOWN = ("events", "moments")
