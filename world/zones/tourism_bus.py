"""The Tourism District's city tour bus: a scripted vehicle driving a loop of stops.

The bus dwells ``DWELL_S`` at each stop of ``BUS_ROUTE`` and then drives in a straight line
at ``BUS_SPEED_MPS`` to the next one, round and round. Where it is is a pure function of the
time it started (``Timetable.state_at``), so every tick, every late joiner and every test sees
the same bus without any accumulated drift. It starts at the first stop when the instance's
first avatar arrives and stops when the instance empties, so an empty instance costs nothing.

Riders board at the stop where the bus is dwelling, are carried along seated (teleported with
the bus every tick) and get off at the next stop.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from world.zone_api import AvatarView, ZoneContext
from world.zone_layout import Spot

__all__ = [
    "ALIGHT_MIN_M",
    "ALIGHT_SPREAD_M",
    "BUS_ROUTE",
    "BUS_SEATS",
    "BUS_SPEED_MPS",
    "BUS_STATE_INTERVAL_S",
    "DWELL_S",
    "SEATED_TOLERANCE_M",
    "SEAT_PITCH_M",
    "SEAT_SPAN_M",
    "BusState",
    "Timetable",
    "TourBus",
]

Vec3 = tuple[float, float, float]
BusPhase = Literal["dwelling", "driving"]

BUS_ROUTE: tuple[str, ...] = ("bus_stop_1", "bus_stop_2", "bus_stop_3", "bus_stop_4")
"""The spots the bus serves, in order; after the last it returns to the first."""
DWELL_S = 12.0
"""How long the bus waits at each stop: time enough to walk the last few metres and board."""
BUS_SPEED_MPS = 18.0
"""Driving speed (about 65 km/h): the longest leg of the loop takes well under a minute."""
BUS_STATE_INTERVAL_S = 1.0
"""While driving, the bus's state is broadcast this often so clients can interpolate it."""
BUS_SEATS = 20
"""Most riders at once."""
SEATS_PER_ROW = 2
"""Seats side by side; rows run from the front of the bus to the back."""
SEAT_PITCH_M = 0.8
"""From one row of seats to the next."""
SEAT_SPAN_M = 1.2
"""Between the two seats of a row."""
SEATED_TOLERANCE_M = 0.05
"""A rider this close to its seat is left where it is (a stationary bus sends no moves)."""
ALIGHT_MIN_M = 0.8
"""Riders step off at least this far from the centre of the stop ..."""
ALIGHT_SPREAD_M = 2.6
"""... and at most ``ALIGHT_MIN_M + ALIGHT_SPREAD_M`` from it (inside a stop of radius 4)."""

# Successive seats step off at the golden angle, so any number of riders spread evenly
# around the stop instead of landing on one another.
_GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))

REFUSE_NO_BUS = "there is no tour bus here"
REFUSE_ON_BOARD = "already on the bus"
REFUSE_NOT_AT_STOP = "walk to a bus stop first"
REFUSE_ELSEWHERE = "the bus is not at this stop"
REFUSE_FULL = "the bus is full"


@dataclass(frozen=True)
class BusState:
    """Where the bus is at one moment.

    ``segment`` counts dwell and drive periods from the start: an even segment is a dwell at
    stop ``stop``, an odd one the drive from ``stop`` to ``next_stop``. ``ends_at`` is when
    the segment ends: the departure when dwelling, the arrival when driving.
    """

    segment: int
    phase: BusPhase
    stop: int
    next_stop: int
    position: Vec3
    heading: float
    ends_at: float


class Timetable:
    """The loop's geometry and timing: drive times from the distances between stops."""

    def __init__(self, stops: Sequence[Spot]) -> None:
        if not stops:
            raise ValueError("a timetable needs at least one stop")
        self.stops = tuple(stops)
        n = len(self.stops)
        self.drive_s: list[float] = []
        self.headings: list[float] = []
        for i, stop in enumerate(self.stops):
            nxt = self.stops[(i + 1) % n]
            dx = nxt.position[0] - stop.position[0]
            dz = nxt.position[2] - stop.position[2]
            self.drive_s.append(math.hypot(dx, dz) / BUS_SPEED_MPS)
            # Yaw 0 faces +z and pi/2 faces +x (see world.zone_layout).
            self.headings.append(math.atan2(dx, dz) if dx or dz else stop.yaw)
        # When, within one loop, the bus reaches each stop.
        self.arrivals: list[float] = []
        elapsed = 0.0
        for drive in self.drive_s:
            self.arrivals.append(elapsed)
            elapsed += DWELL_S + drive
        self.cycle_s = elapsed

    def state_at(self, started_at: float, now: float) -> BusState:
        """The bus's state at ``now`` for a bus that began dwelling at the first stop at
        ``started_at``."""
        n = len(self.stops)
        elapsed = max(0.0, now - started_at)
        loops = math.floor(elapsed / self.cycle_s)
        loop_start = started_at + loops * self.cycle_s
        t = elapsed - loops * self.cycle_s
        # Float rounding can leave t a hair past the loop's end: that is the last leg's end.
        index = n - 1
        for i in range(n):
            if t < self.arrivals[i] + DWELL_S + self.drive_s[i]:
                index = i
                break
        stop, nxt = self.stops[index], self.stops[(index + 1) % n]
        heading = self.headings[index]
        departs_at = loop_start + self.arrivals[index] + DWELL_S
        segment = 2 * (loops * n + index)
        if t < self.arrivals[index] + DWELL_S:
            return BusState(
                segment, "dwelling", index, (index + 1) % n, stop.position, heading, departs_at
            )
        drive = self.drive_s[index]
        fraction = min(1.0, (now - departs_at) / drive) if drive > 0.0 else 1.0
        position = (
            stop.position[0] + (nxt.position[0] - stop.position[0]) * fraction,
            stop.position[1] + (nxt.position[1] - stop.position[1]) * fraction,
            stop.position[2] + (nxt.position[2] - stop.position[2]) * fraction,
        )
        return BusState(
            segment + 1, "driving", index, (index + 1) % n, position, heading, departs_at + drive
        )


@dataclass
class _Rider:
    seat: int
    # The dwell segment at the rider's stop: the rider gets off once the bus reaches it.
    alight_segment: int
    stop: int


class TourBus:
    """The bus of one instance: its timetable, whether it runs, and who rides it."""

    def __init__(self, stops: Sequence[Spot]) -> None:
        self.timetable = Timetable(stops) if stops else None
        self.running = False
        self.started_at = 0.0
        self.riders: dict[int, _Rider] = {}
        self._segment = -1
        self._next_report = 0.0

    @property
    def stops(self) -> tuple[Spot, ...]:
        """The stops of the loop, in order (none when the layout has no bus stops)."""
        return () if self.timetable is None else self.timetable.stops

    def state(self, now: float) -> BusState | None:
        """The bus's state at ``now``, or None while it is not running."""
        if self.timetable is None or not self.running:
            return None
        return self.timetable.state_at(self.started_at, now)

    def event(self, state: BusState) -> dict[str, Any]:
        """The ``bus`` ZONE_EVENT for ``state``."""
        x, y, z = state.position
        data: dict[str, Any] = {
            "position": [round(x, 2), round(y, 2), round(z, 2)],
            "heading": round(state.heading, 4),
            "state": state.phase,
            "stop": self.stops[state.stop].id,
            "next_stop": self.stops[state.next_stop].id,
            "riders": len(self.riders),
        }
        data["departs_at" if state.phase == "dwelling" else "arrives_at"] = state.ends_at
        return data

    def arrive(self, ctx: ZoneContext, avatar_id: int) -> None:
        """An avatar entered the instance: the first one starts the bus (announced to all,
        the newcomer included); later ones are told where the bus is."""
        if self.timetable is None:
            return
        if not self.running:
            self.running = True
            self.started_at = ctx.now
            self._segment = -1
            self._advance(ctx)
            return
        state = self.state(ctx.now)
        if state is not None:
            ctx.send(avatar_id, "bus", self.event(state))

    def depart(self, ctx: ZoneContext, avatar_id: int, remaining: int) -> None:
        """An avatar left (``remaining`` are still here): it leaves the bus, and the bus
        stops when nobody is left, to start afresh at the first stop with the next one."""
        self.riders.pop(avatar_id, None)
        if remaining <= 0:
            self.running = False
            self.riders.clear()
            self._segment = -1

    def tick(self, ctx: ZoneContext) -> None:
        """Announce changes of state, drop riders off, and carry the rest along."""
        if self.running:
            self._advance(ctx)

    def board(
        self, ctx: ZoneContext, avatar: AvatarView, data: Mapping[str, Any]
    ) -> Mapping[str, Any] | str:
        """``bus.board``: take ``avatar`` on board at the stop where the bus is dwelling; the
        reply's detail, or the reason for refusing."""
        state = self.state(ctx.now)
        if state is None:
            return REFUSE_NO_BUS
        if avatar.id in self.riders:
            return REFUSE_ON_BOARD
        position = avatar.position
        at = next((i for i, s in enumerate(self.stops) if s.contains(position)), None)
        if at is None:
            return REFUSE_NOT_AT_STOP
        if state.phase != "dwelling" or state.stop != at:
            return REFUSE_ELSEWHERE
        if len(self.riders) >= BUS_SEATS:
            return REFUSE_FULL
        taken = {rider.seat for rider in self.riders.values()}
        seat = next(s for s in range(BUS_SEATS) if s not in taken)
        self.riders[avatar.id] = _Rider(seat, state.segment + 2, state.next_stop)
        return {"stop": self.stops[at].id, "next_stop": self.stops[state.next_stop].id}

    # -- inside the tick ----------------------------------------------------------------------

    def _advance(self, ctx: ZoneContext) -> None:
        state = self.state(ctx.now)
        if state is None:
            return
        if state.segment != self._segment:
            self._segment = state.segment
            # Before announcing, so the announced rider count is the one leaving the stop.
            self._alight(ctx, state)
            self._announce(ctx, state)
        elif state.phase == "driving" and ctx.now >= self._next_report:
            self._announce(ctx, state)
        self._seat(ctx, state)

    def _announce(self, ctx: ZoneContext, state: BusState) -> None:
        ctx.broadcast("bus", self.event(state))
        self._next_report = ctx.now + BUS_STATE_INTERVAL_S

    def _alight(self, ctx: ZoneContext, state: BusState) -> None:
        # ``<=`` rather than ``==``: after a stalled tick the bus may be past the stop, and
        # its riders still get off there.
        due = [a for a, r in self.riders.items() if r.alight_segment <= state.segment]
        for avatar_id in due:
            rider = self.riders.pop(avatar_id)
            stop = self.stops[rider.stop]
            angle = rider.seat * _GOLDEN_ANGLE
            radius = ALIGHT_MIN_M + ALIGHT_SPREAD_M * math.sqrt((rider.seat + 0.5) / BUS_SEATS)
            x, y, z = stop.position
            spot = (x + radius * math.sin(angle), y, z + radius * math.cos(angle))
            ctx.teleport(avatar_id, spot, stop.yaw)
            ctx.send(avatar_id, "bus.alighted", {"stop": stop.id})

    def _seat(self, ctx: ZoneContext, state: BusState) -> None:
        if not self.riders:
            return
        sin, cos = math.sin(state.heading), math.cos(state.heading)
        rows = BUS_SEATS // SEATS_PER_ROW
        x, y, z = state.position
        for avatar_id, rider in list(self.riders.items()):
            avatar = ctx.avatar(avatar_id)
            if avatar is None:
                del self.riders[avatar_id]
                continue
            row, side = divmod(rider.seat, SEATS_PER_ROW)
            # Metres ahead of the bus's centre, and to its side, in the bus's own frame.
            ahead = ((rows - 1) / 2.0 - row) * SEAT_PITCH_M
            aside = (side - (SEATS_PER_ROW - 1) / 2.0) * SEAT_SPAN_M
            seat = (x + ahead * sin + aside * cos, y, z + ahead * cos - aside * sin)
            # Each teleport costs the rider a correction: none while it sits still at a stop.
            px, _, pz = avatar.position
            if math.hypot(px - seat[0], pz - seat[2]) > SEATED_TOLERANCE_M:
                ctx.teleport(avatar_id, seat, state.heading)
