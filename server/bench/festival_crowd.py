"""The crowd of ``plaza bench festival``: a city's festival grounds, filled and driven a tick
at a time, with what every tick sent counted.

Every registered zone is loaded as the server loads it. The performers (when this city has
them) sign in on the stage first, then the attendees sign in at saved places spread over the
audience ground in front of it, so the zone's own placement spreads them over its instances
(``even``: 500 per instance, a new one opening at 80 %) as real sign-ins would. Each tick
every attendee random-walks (a MOVE every tick) and cheers, claps or sends a heart with a
given probability (within the reaction allowance); the performers walk across the stage
with changing gestures, one of them in VR with head and hands moving.

The same crowd runs in one process (``festival.py``) and as one node of several
(``festival_node.py``), where the city is one node's and the stage and the counts of the
other nodes come in over NATS.
"""

from __future__ import annotations

import math
import pathlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from server.config import ServerConfig
from server.zone_registry import discover_zones, load_zone_specs
from world.avatars import AvatarDescription
from world.city import City, CityConfig
from world.codec import Move, Pose, decode_server
from world.codec_stage import React, Stage
from world.inbox import MAX_JOINS_PER_TICK, JoinRequest
from world.members import Member
from world.protocol import AvatarFlag, Opcode, ReactionKind
from world.reactions import REACTION_BURST, REACTION_RATE_PER_S
from world.roles import Role

__all__ = ["ZONE", "CrowdFigures", "FestivalCrowd"]

ZONE = "festival"
PERFORMERS = 2
WALK_SPEED_MPS = 1.4
# Performers cross the stage at a stroll and change gesture every second.
PERFORMER_SPEED_MPS = 1.0
GESTURE_EVERY_TICKS = 20
# The audience stands from this far beyond the stage's edge, over this width and depth.
AUDIENCE_GAP_M = 3.0
AUDIENCE_WIDTH_M = 120.0
AUDIENCE_DEPTH_M = 80.0
_STAGE_PREFIX = bytes((0x94, int(Opcode.STAGE)))
# The attendees keep within their reaction allowance as a polite client does (a chance per
# tick is random: now and then it would ask for a ninth reaction within two seconds); the
# margin keeps float rounding of the two clocks from disagreeing at exactly one left.
_ALLOWANCE_MARGIN = 1e-6
_KINDS = len(ReactionKind)

T = TypeVar("T")


class _Stopwatch:
    """Time spent in one function, summed per tick (wraps it without changing it)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, function: Callable[..., T]) -> Callable[..., T]:
        def timed(*args: Any, **kwargs: Any) -> T:
            t0 = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0

        return timed

    def take(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


@dataclass
class CrowdFigures:
    """What the measured ticks cost and sent, summed (``FestivalCrowd.measure``)."""

    step_ms: list[float] = field(default_factory=list)
    stage_ms: list[float] = field(default_factory=list)
    client_ticks: int = 0
    world_bytes: int = 0
    stage_bytes: int = 0
    other_bytes: int = 0
    stage_messages: int = 0
    # Reactions this city's attendees sent, and the zone's counts its STAGE messages
    # carried, over every tick (warm-up and drain included, so that counts from other
    # nodes that arrive a tick late are matched against what was sent).
    sent: np.ndarray = field(default_factory=lambda: np.zeros(_KINDS, dtype=np.int64))
    counted: np.ndarray = field(default_factory=lambda: np.zeros(_KINDS, dtype=np.int64))
    # Performer ids seen in STAGE messages (from this city and from other nodes).
    performers_seen: set[int] = field(default_factory=set)


class FestivalCrowd:
    """One city's festival grounds with ``attendees`` walking and cheering."""

    def __init__(
        self,
        attendees: int,
        *,
        performers: bool = True,
        seed: int = 1,
        react_chance: float = 0.1,
        tick_rate: float = 20.0,
        instance_capacity: int | None = None,
        node: str = "",
        node_index: int = 0,
        nodes: int = 1,
        now: float = 1_700_000_000.0,
    ) -> None:
        defaults = ServerConfig()
        specs = load_zone_specs(
            discover_zones(), pathlib.Path(defaults.zones_dir), defaults.entrance
        )
        self.city = City(
            specs,
            CityConfig(
                capacity=attendees + PERFORMERS,
                instance_capacity=instance_capacity,
                node=node,
                node_index=node_index,
                nodes=nodes,
            ),
        )
        layout = next(s.layout for s in specs if s.name == ZONE)
        stage = layout.spot("stage")
        assert stage is not None, "the festival layout has no stage spot"
        self._stage = stage
        self.react_chance = react_chance
        self.dt = 1.0 / tick_rate
        self.now = now
        self._rng = np.random.default_rng(seed)
        self.city.open(now=now)
        self.performers: list[int] = []
        self._join(attendees, performers)
        self.figures = CrowdFigures()
        self._seq = 0
        self._reactions_watch, self._stage_watch = _Stopwatch(), _Stopwatch()
        city = self.city
        city.reactions.count = self._reactions_watch.wrap(city.reactions.count)  # type: ignore[method-assign]
        city.stages.step = self._stage_watch.wrap(city.stages.step)  # type: ignore[method-assign]

    # -- filling the grounds ----------------------------------------------------------------

    def _join(self, attendees: int, performers: bool) -> None:
        sx, sy, sz = self._stage.position
        rng = self._rng
        # The performers arrive first, on stage; the audience faces the stage (yaw 0 faces
        # +z, and the stage is at lower z than the crowd, so facing it is yaw pi).
        requests = [
            JoinRequest(
                -1 - i,
                AvatarDescription(f"performer{i}", role=Role.PERFORMER.value),
                (sx + (4.0 if i else -4.0), sy, sz, 0.0),
                ZONE,
                Member(f"bench:performer{i}", Role.PERFORMER.value),
            )
            for i in range(PERFORMERS if performers else 0)
        ]
        self.x0, self.x1 = sx - AUDIENCE_WIDTH_M / 2, sx + AUDIENCE_WIDTH_M / 2
        self.z0 = sz + self._stage.radius + AUDIENCE_GAP_M
        self.z1 = self.z0 + AUDIENCE_DEPTH_M
        n = attendees
        pos = np.column_stack(
            [rng.uniform(self.x0, self.x1, n), np.zeros(n), rng.uniform(self.z0, self.z1, n)]
        )
        for i in range(n):
            place = (float(pos[i, 0]), 0.0, float(pos[i, 2]), math.pi)
            member = Member(f"bench:{i}", Role.CITIZEN.value)
            description = AvatarDescription(f"fan{i}", role=Role.CITIZEN.value)
            requests.append(JoinRequest(i, description, place, ZONE, member))
        joined: dict[int, int] = {}
        city = self.city
        for index, request in enumerate(requests):
            city.inbox.request_join(request)
            last = index == len(requests) - 1
            while len(city.inbox.joins) >= MAX_JOINS_PER_TICK or (last and city.inbox.joins):
                self.now += self.dt
                for ticket, avatar_id, _ in city.step(self.now).joined:
                    joined[ticket] = avatar_id
        self.performers = [joined[-1 - i] for i in range(PERFORMERS) if -1 - i in joined]
        order = sorted(t for t in joined if t >= 0)
        self.ids = [joined[t] for t in order]
        self.pos = pos[order]
        self.heading = rng.uniform(0, 2 * math.pi, len(self.ids))
        self.allowance = np.full(len(self.ids), REACTION_BURST)

    # -- one tick ---------------------------------------------------------------------------

    def inputs(self, react: bool = True) -> None:
        """Queue this tick's MOVEs (everyone), POSEs (the VR performer) and REACTs."""
        self._seq += 1
        seq, dt, rng = self._seq, self.dt, self._rng
        n = len(self.ids)
        pos, heading = self.pos, self.heading
        heading += rng.normal(0.0, 0.3, n)
        pos[:, 0] += np.cos(heading) * WALK_SPEED_MPS * dt
        pos[:, 2] += np.sin(heading) * WALK_SPEED_MPS * dt
        x0, x1, z0, z1 = self.x0, self.x1, self.z0, self.z1
        out = (pos[:, 0] < x0) | (pos[:, 0] > x1) | (pos[:, 2] < z0) | (pos[:, 2] > z1)
        heading[out] += math.pi
        np.clip(pos[:, 0], x0, x1, out=pos[:, 0])
        np.clip(pos[:, 2], z0, z1, out=pos[:, 2])
        push = self.city.push_move
        for aid, x, z, yaw in zip(
            self.ids, pos[:, 0].tolist(), pos[:, 2].tolist(), heading.tolist(), strict=True
        ):
            push(aid, Move(seq, x, 0.0, z, yaw, 1, 0))
        self._perform(seq)
        allowance = self.allowance
        np.minimum(allowance + REACTION_RATE_PER_S * dt, REACTION_BURST, out=allowance)
        if not react:
            return
        wants = rng.random(n) < self.react_chance
        reacting = np.flatnonzero(wants & (allowance >= 1.0 + _ALLOWANCE_MARGIN))
        allowance[reacting] -= 1.0
        kinds = rng.integers(0, _KINDS, reacting.size)
        post = self.city.post
        for index, kind in zip(reacting.tolist(), kinds.tolist(), strict=True):
            post(self.ids[index], React(kind))
        self.figures.sent += np.bincount(kinds, minlength=_KINDS)

    def step(self, now: float, measured: bool, after: Callable[[], None] | None = None) -> float:
        """Step the city at ``now`` and run ``after`` (a node shares its tick), both timed;
        count what the step sent. Returns the seconds taken."""
        t0 = time.perf_counter()
        result = self.city.step(now)
        if after is not None:
            after()
        elapsed = time.perf_counter() - t0
        in_stage = self._reactions_watch.take() + self._stage_watch.take()
        figures = self.figures
        zone_counted = None
        stage_bytes = other_bytes = stage_messages = 0
        # Members told the same performers share one message: each distinct one is read once.
        distinct: set[bytes] = set()
        for _, data in result.messages:
            if data[:2] == _STAGE_PREFIX:
                stage_bytes += len(data)
                stage_messages += 1
                if data in distinct:
                    continue
                distinct.add(data)
                message = decode_server(data)
                assert isinstance(message, Stage)
                zone_counted = message.zone
                figures.performers_seen.update(p.avatar_id for p in message.performers)
            else:
                other_bytes += len(data)
        if zone_counted is not None:
            figures.counted += np.asarray(zone_counted, dtype=np.int64)
        if measured:
            figures.step_ms.append(elapsed * 1e3)
            figures.stage_ms.append(in_stage * 1e3)
            figures.client_ticks += self.city.count
            figures.world_bytes += sum(f.nbytes for f in result.frames)
            figures.stage_bytes += stage_bytes
            figures.other_bytes += other_bytes
            figures.stage_messages += stage_messages
        return elapsed

    def instances(self) -> list[int]:
        """Avatars per instance of the festival zone in this city (this node's only)."""
        return [n for _, n in self.city.zones[ZONE].local_instances()]

    def instance_capacity(self) -> int:
        """The festival zone's capacity per instance in this city."""
        return int(self.city.zones[ZONE].capacity)

    def _perform(self, seq: int) -> None:
        """The performers stroll to and fro across the stage, changing gesture every second;
        the first one is in VR and waves."""
        sx, sy, sz = self._stage.position
        reach = self._stage.radius * 0.6
        dt = self.dt
        for i, avatar_id in enumerate(self.performers):
            phase = seq * dt * PERFORMER_SPEED_MPS / reach + i * math.pi
            x = sx + reach * math.sin(phase)
            gesture = 1 + (seq // GESTURE_EVERY_TICKS + i) % 4
            flags = int(AvatarFlag.VR) if i == 0 else 0
            self.city.push_move(
                avatar_id, Move(seq, x, sy, sz + 2.0 * i, math.pi * (i + 1), gesture, flags)
            )
            if i == 0:
                wave = 0.3 * math.sin(seq * dt * 4.0)
                identity = (0.0, 0.0, 0.0, 1.0)
                self.city.push_pose(
                    avatar_id,
                    Pose(
                        seq,
                        (0.0, 1.6, 0.0, *identity),
                        (-0.4, 1.5 + wave, 0.1, *identity),
                        (0.4, 1.5 - wave, 0.1, *identity),
                    ),
                )
