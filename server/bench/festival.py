"""``plaza bench festival``: a cheering festival crowd with two performers on stage, no sockets.

Every registered zone is loaded as the server loads it. Two performers sign in on the
festival stage first, then N attendees sign in at saved places spread over the audience
ground in front of it, so the zone's own placement spreads them over its instances (``even``:
500 per instance, a new one opening at 80 %) as real sign-ins would. Each tick every attendee
random-walks (a MOVE every tick) and cheers, claps or sends a heart with a given probability
(within the reaction allowance); the performers walk across the stage with changing gestures,
one of them in VR with head and hands moving. Reported: the city step (mean, p50, p99), the
share of it spent on reactions and the stage broadcast, the instances, the reactions sent and
counted, and bytes per client per tick: WORLD frames, STAGE, and the rest (events, errors).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import platform
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from server.config import ServerConfig
from server.gc_policy import tune_gc
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

__all__ = ["add_arguments", "report", "run"]

ZONE = "festival"
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

T = TypeVar("T")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``plaza bench festival``."""
    parser.add_argument(
        "--avatars", type=int, default=10_000, help="attendees (besides the two performers)"
    )
    parser.add_argument("--ticks", type=int, default=200, help="measured ticks")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--react-chance",
        type=float,
        default=0.1,
        help="chance that an attendee reacts in a tick, within its allowance (0.1 at 20 Hz: "
        "2 a second each)",
    )
    parser.add_argument(
        "--instance-capacity", type=int, default=None, help="override every zone's capacity"
    )
    parser.add_argument("--tick-rate", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)


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


def _join_all(
    city: City, requests: list[JoinRequest], now: float, dt: float
) -> tuple[dict[int, int], float]:
    """Queue the sign-ins (at most a tick's worth at a time) and step until all are in."""
    joined: dict[int, int] = {}
    for index, request in enumerate(requests):
        city.inbox.request_join(request)
        last = index == len(requests) - 1
        while len(city.inbox.joins) >= MAX_JOINS_PER_TICK or (last and city.inbox.joins):
            now += dt
            for ticket, avatar_id, _ in city.step(now).joined:
                joined[ticket] = avatar_id
    return joined, now


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark; returns the figures."""
    if not 0.0 <= args.react_chance <= 1.0:
        raise SystemExit("--react-chance must be within 0..1")
    defaults = ServerConfig()
    specs = load_zone_specs(discover_zones(), pathlib.Path(defaults.zones_dir), defaults.entrance)
    n = args.avatars
    city = City(specs, CityConfig(capacity=n + 2, instance_capacity=args.instance_capacity))
    layout = next(s.layout for s in specs if s.name == ZONE)
    stage = layout.spot("stage")
    assert stage is not None, "the festival layout has no stage spot"
    sx, sy, sz = stage.position
    rng = np.random.default_rng(args.seed)
    dt = 1.0 / args.tick_rate
    now = 1_700_000_000.0
    city.open(now=now)

    # The performers arrive first, on stage; the audience faces the stage (yaw 0 faces +z,
    # and the stage is at lower z than the crowd, so facing it is yaw pi).
    requests = [
        JoinRequest(
            -1 - i,
            AvatarDescription(f"performer{i}", role=Role.PERFORMER.value),
            (sx + (4.0 if i else -4.0), sy, sz, 0.0),
            ZONE,
            Member(f"bench:performer{i}", Role.PERFORMER.value),
        )
        for i in range(2)
    ]
    x0, x1 = sx - AUDIENCE_WIDTH_M / 2, sx + AUDIENCE_WIDTH_M / 2
    z0 = sz + stage.radius + AUDIENCE_GAP_M
    z1 = z0 + AUDIENCE_DEPTH_M
    pos = np.column_stack([rng.uniform(x0, x1, n), np.zeros(n), rng.uniform(z0, z1, n)])
    for i in range(n):
        place = (float(pos[i, 0]), 0.0, float(pos[i, 2]), math.pi)
        member = Member(f"bench:{i}", Role.CITIZEN.value)
        description = AvatarDescription(f"fan{i}", role=Role.CITIZEN.value)
        requests.append(JoinRequest(i, description, place, ZONE, member))
    joined, now = _join_all(city, requests, now, dt)
    performers = [joined[-1], joined[-2]]
    order = sorted(t for t in joined if t >= 0)
    ids = [joined[t] for t in order]
    pos = pos[order]
    heading = rng.uniform(0, 2 * math.pi, len(ids))
    allowance = np.full(len(ids), REACTION_BURST)

    reactions_watch, stage_watch = _Stopwatch(), _Stopwatch()
    city.reactions.count = reactions_watch.wrap(city.reactions.count)  # type: ignore[method-assign]
    city.stages.step = stage_watch.wrap(city.stages.step)  # type: ignore[method-assign]
    step_ms: list[float] = []
    stage_ms: list[float] = []
    world_bytes = stage_bytes = other_bytes = clients = stage_messages = 0
    sent = np.zeros(len(ReactionKind), dtype=np.int64)
    counted = np.zeros(len(ReactionKind), dtype=np.int64)
    tune_gc()
    for seq, t in enumerate(range(args.warmup + args.ticks), start=1):
        heading += rng.normal(0.0, 0.3, len(ids))
        pos[:, 0] += np.cos(heading) * WALK_SPEED_MPS * dt
        pos[:, 2] += np.sin(heading) * WALK_SPEED_MPS * dt
        out = (pos[:, 0] < x0) | (pos[:, 0] > x1) | (pos[:, 2] < z0) | (pos[:, 2] > z1)
        heading[out] += math.pi
        np.clip(pos[:, 0], x0, x1, out=pos[:, 0])
        np.clip(pos[:, 2], z0, z1, out=pos[:, 2])
        push = city.push_move
        for aid, x, z, yaw in zip(
            ids, pos[:, 0].tolist(), pos[:, 2].tolist(), heading.tolist(), strict=True
        ):
            push(aid, Move(seq, x, 0.0, z, yaw, 1, 0))
        _perform(city, performers, seq, sx, sy, sz, stage.radius, dt)
        np.minimum(allowance + REACTION_RATE_PER_S * dt, REACTION_BURST, out=allowance)
        wants = rng.random(len(ids)) < args.react_chance
        reacting = np.flatnonzero(wants & (allowance >= 1.0 + _ALLOWANCE_MARGIN))
        allowance[reacting] -= 1.0
        kinds = rng.integers(0, len(ReactionKind), reacting.size)
        for index, kind in zip(reacting.tolist(), kinds.tolist(), strict=True):
            city.post(ids[index], React(kind))
        now += dt
        t0 = time.perf_counter()
        result = city.step(now)
        elapsed = time.perf_counter() - t0
        in_stage = reactions_watch.take() + stage_watch.take()
        if t < args.warmup:
            continue
        step_ms.append(elapsed * 1e3)
        stage_ms.append(in_stage * 1e3)
        sent += np.bincount(kinds, minlength=len(ReactionKind))
        clients += city.count
        world_bytes += sum(f.nbytes for f in result.frames)
        zone_counted = None
        for _, data in result.messages:
            if data[:2] == _STAGE_PREFIX:
                stage_bytes += len(data)
                stage_messages += 1
                if zone_counted is None:
                    message = decode_server(data)
                    assert isinstance(message, Stage)
                    zone_counted = message.zone
            else:
                other_bytes += len(data)
        if zone_counted is not None:
            counted += np.asarray(zone_counted, dtype=np.int64)
    festival = next(z for z in city.directory() if z["name"] == ZONE)
    per_client = max(clients, 1)
    return {
        "bench": "festival",
        "avatars": len(ids),
        "performers": len(performers),
        "instances": [i["avatars"] for i in festival["instances"]],
        "instance_capacity": festival["capacity"],
        "ticks": args.ticks,
        "tick_mean_ms": round(float(np.mean(step_ms)), 3),
        "tick_p50_ms": round(float(np.percentile(step_ms, 50)), 3),
        "tick_p99_ms": round(float(np.percentile(step_ms, 99)), 3),
        "stage_and_reactions_mean_ms": round(float(np.mean(stage_ms)), 3),
        "reactions_per_tick": round(float(sent.sum()) / args.ticks, 1),
        "reactions_sent": sent.tolist(),
        "reactions_counted": counted.tolist(),
        "reactions_exact": bool((sent == counted).all()),
        "bytes_per_client_tick": round((world_bytes + stage_bytes + other_bytes) / per_client, 1),
        "world_bytes_per_client_tick": round(world_bytes / per_client, 1),
        "stage_bytes_per_client_tick": round(stage_bytes / per_client, 1),
        "other_bytes_per_client_tick": round(other_bytes / per_client, 1),
        "stage_messages_per_tick": round(stage_messages / args.ticks, 1),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }


def _perform(
    city: City,
    performers: list[int],
    seq: int,
    sx: float,
    sy: float,
    sz: float,
    radius: float,
    dt: float,
) -> None:
    """The performers stroll to and fro across the stage, changing gesture every second;
    the first one is in VR and waves."""
    reach = radius * 0.6
    for i, avatar_id in enumerate(performers):
        phase = seq * dt * PERFORMER_SPEED_MPS / reach + i * math.pi
        x = sx + reach * math.sin(phase)
        gesture = 1 + (seq // GESTURE_EVERY_TICKS + i) % 4
        flags = int(AvatarFlag.VR) if i == 0 else 0
        city.push_move(avatar_id, Move(seq, x, sy, sz + 2.0 * i, math.pi * (i + 1), gesture, flags))
        if i == 0:
            wave = 0.3 * math.sin(seq * dt * 4.0)
            identity = (0.0, 0.0, 0.0, 1.0)
            city.push_pose(
                avatar_id,
                Pose(
                    seq,
                    (0.0, 1.6, 0.0, *identity),
                    (-0.4, 1.5 + wave, 0.1, *identity),
                    (0.4, 1.5 - wave, 0.1, *identity),
                ),
            )


def report(figures: dict[str, Any]) -> None:
    """Print a short summary, then the figures as one JSON line."""
    print(
        f"festival step, {figures['avatars']} attendees and {figures['performers']} performers "
        f"in {len(figures['instances'])} instances: mean {figures['tick_mean_ms']} ms, "
        f"p50 {figures['tick_p50_ms']} ms, p99 {figures['tick_p99_ms']} ms "
        f"(reactions and stage {figures['stage_and_reactions_mean_ms']} ms); "
        f"{figures['bytes_per_client_tick']} B/client/tick "
        f"(WORLD {figures['world_bytes_per_client_tick']}, "
        f"STAGE {figures['stage_bytes_per_client_tick']}); "
        f"reactions sent {figures['reactions_sent']}, counted {figures['reactions_counted']}"
    )
    print(json.dumps(figures))
