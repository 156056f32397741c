"""The Tourism District: Gwanghwamun Square, Deoksugung, Namdaemun market, Donuimun.

Four things happen here:

* points of interest: walking into a landmark's area (the layout's spot ``area_<x>`` for the
  point of interest ``poi_<x>``) tells the visitor about it in their own language;
* the stamp tour: the first visit to each landmark collects its stamp, kept per user; all of
  them earn the ``seoul_tour`` badge;
* the city tour bus (``world.zones.tourism_bus``) driving a loop of four stops;
* guided tours (``world.zones.tourism_tours``) led by users with the ``guide`` role.

Messages (ZONE, with a request id for a RESULT): ``stamps``; ``bus.board``; ``tour.start``
``{title}``, ``tour.join {guide}``, ``tour.leave``, ``tour.narrate {text}``, ``tour.goto``,
``tour.end``. Events (ZONE_EVENT): ``poi.enter``, ``stamp``, ``stamp.complete``, ``bus``,
``bus.alighted``, ``tours``, ``tour.started``, ``tour.joined``, ``tour.left``,
``tour.narration``, ``tour.ended``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from world.locale_text import pick
from world.zone_api import AvatarView, Zone, ZoneContext, ZoneMessage
from world.zone_layout import PointOfInterest, Spot, ZoneLayout
from world.zones.tourism_bus import BUS_ROUTE, TourBus
from world.zones.tourism_tours import GuidedTours, Outcome

__all__ = [
    "AREA_PREFIX",
    "BADGE_EMOJI",
    "BADGE_ID",
    "BADGE_KEY",
    "POI_CHECK_TICKS",
    "POI_PREFIX",
    "STAMPS_KEY",
    "Tourism",
]

POI_PREFIX = "poi_"
"""Points of interest with an area are named ``poi_<x>`` ..."""
AREA_PREFIX = "area_"
"""... and their area is the spot ``area_<x>``."""
POI_CHECK_TICKS = 5
"""Areas are checked every this many ticks (250 ms at 20 Hz): a walker covers little over a
metre in that time, and the check's cost is shared over five ticks."""
STAMPS_KEY = "stamps"
"""Per-user record: the sorted ids of the points of interest whose stamp the user has."""
BADGE_KEY = "badge"
"""Per-user record: ``BADGE_ID`` once every stamp is collected."""
BADGE_ID = "seoul_tour"
"""The stamp tour's badge, as saved and reported."""
BADGE_EMOJI = "🏯"
"""What the badge shows on the name tag."""

Handler = Callable[[ZoneContext, AvatarView, Mapping[str, Any]], Outcome]


@dataclass
class _Area:
    """A point of interest, its area, and who stood inside at the last check."""

    poi: PointOfInterest
    spot: Spot
    inside: set[int] = field(default_factory=set)


class Tourism(Zone):
    """Points of interest, the city tour bus, the stamp tour and guided tours."""

    capacity = 500

    def on_create(self, ctx: ZoneContext) -> None:
        """Find the landmarks' areas and the bus stops in the layout; nothing runs yet."""
        layout = ctx.layout if isinstance(ctx.layout, ZoneLayout) else None
        self.areas: list[_Area] = []
        stops: list[Spot] = []
        if layout is not None:
            for poi in layout.points_of_interest:
                if poi.id.startswith(POI_PREFIX):
                    spot = layout.spot(AREA_PREFIX + poi.id.removeprefix(POI_PREFIX))
                    if spot is not None:
                        self.areas.append(_Area(poi, spot))
            found = [layout.spot(stop_id) for stop_id in BUS_ROUTE]
            stops = [s for s in found if s is not None]
        self.stamp_ids = frozenset(area.poi.id for area in self.areas)
        self.bus = TourBus(stops)
        self.tours = GuidedTours()
        self.ticks = 0
        self.handlers: dict[str, Handler] = {
            "stamps": self._stamps_request,
            "bus.board": self.bus.board,
            "tour.start": self.tours.start,
            "tour.join": self.tours.join,
            "tour.leave": self.tours.leave,
            "tour.narrate": self.tours.narrate,
            "tour.goto": self._tour_goto,
            "tour.end": self.tours.end,
        }

    def on_join(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        """Give back a finished stamp tour's badge, start the bus (or show where it is) and
        list the tours running now."""
        if avatar.records().get(BADGE_KEY) == BADGE_ID:
            ctx.set_badge(avatar.id, BADGE_EMOJI)
        self.bus.arrive(ctx, avatar.id)
        tours = self.tours.listing()
        if tours:
            ctx.send(avatar.id, "tours", {"tours": tours})

    def on_leave(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        """Off the bus and out of any tour (a guide's tour ends); the bus stops with the
        last avatar."""
        # The leaving avatar may still be counted while this hook runs.
        remaining = ctx.count() - (1 if ctx.avatar(avatar.id) is not None else 0)
        self.bus.depart(ctx, avatar.id, remaining)
        self.tours.depart(ctx, avatar.id)
        for area in self.areas:
            area.inside.discard(avatar.id)

    def on_tick(self, ctx: ZoneContext) -> None:
        """Move the bus; every ``POI_CHECK_TICKS`` ticks, look for arrivals in the areas."""
        self.bus.tick(ctx)
        self.ticks += 1
        if self.ticks % POI_CHECK_TICKS == 0 and ctx.count():
            self._check_areas(ctx)

    def on_message(self, ctx: ZoneContext, message: ZoneMessage) -> None:
        """Answer the zone's requests (see the module docstring); bad input is refused with
        a reason, never raised."""
        handler = self.handlers.get(message.type)
        if handler is None:
            super().on_message(ctx, message)
            return
        avatar = ctx.avatar(message.avatar_id)
        if avatar is None:
            return
        data = message.data
        if not isinstance(data, Mapping):
            outcome: Outcome = "data must be a map"
        else:
            outcome = handler(ctx, avatar, data)
        if message.request_id is None:
            return
        if isinstance(outcome, str):
            ctx.refuse(message, outcome)
        else:
            ctx.reply(message, outcome)

    # -- points of interest and stamps --------------------------------------------------------

    def _check_areas(self, ctx: ZoneContext) -> None:
        # One ``near`` query per area (vectorised over the instance), compared with the last
        # check: the work grows with the crowd, not with its square.
        for area in self.areas:
            inside = {a.id: a for a in ctx.near(area.spot.position, area.spot.radius)}
            entered = sorted(inside.keys() - area.inside)
            area.inside = set(inside)
            for avatar_id in entered:
                self._entered(ctx, inside[avatar_id], area)

    def _entered(self, ctx: ZoneContext, avatar: AvatarView, area: _Area) -> None:
        poi = area.poi
        title, used = pick(poi.title, avatar.locale)
        description, _ = pick(poi.description, used)
        ctx.send(
            avatar.id,
            "poi.enter",
            {"poi": poi.id, "title": title, "description": description, "locale": used},
        )
        records = avatar.records()
        stamps = self._stamps_of(records)
        if poi.id in stamps:
            return
        stamps = sorted([*stamps, poi.id])
        ctx.save_for(avatar.id, STAMPS_KEY, stamps)
        total = len(self.stamp_ids)
        ctx.send(avatar.id, "stamp", {"poi": poi.id, "stamps": stamps, "total": total})
        if len(stamps) == total and records.get(BADGE_KEY) != BADGE_ID:
            ctx.save_for(avatar.id, BADGE_KEY, BADGE_ID)
            ctx.set_badge(avatar.id, BADGE_EMOJI)
            ctx.send(avatar.id, "stamp.complete", {"badge": BADGE_ID, "stamps": stamps})

    def _stamps_of(self, records: Mapping[str, Any]) -> list[str]:
        """The user's saved stamps: known landmarks only, sorted, each once (a record
        written by an older layout, or damaged, cannot break the tour)."""
        saved = records.get(STAMPS_KEY)
        if not isinstance(saved, list):
            return []
        return sorted({s for s in saved if isinstance(s, str) and s in self.stamp_ids})

    def _stamps_request(
        self, ctx: ZoneContext, avatar: AvatarView, data: Mapping[str, Any]
    ) -> Outcome:
        records = avatar.records()
        badge = BADGE_ID if records.get(BADGE_KEY) == BADGE_ID else None
        return {"stamps": self._stamps_of(records), "total": len(self.stamp_ids), "badge": badge}

    def _tour_goto(self, ctx: ZoneContext, avatar: AvatarView, data: Mapping[str, Any]) -> Outcome:
        # A rider is carried by the bus every tick; a jump would be undone at once.
        if avatar.id in self.bus.riders:
            return "you are on the bus; it stops at the next stop"
        return self.tours.goto(ctx, avatar, data)
