"""``plaza bench city``: the whole city's step, no sockets.

Every registered zone is loaded as the server loads it; N avatars enter the entrance zone at
saved places spread over its walkable ground at a given density, so they fill its instances
as real sign-ins would, and random-walk, each sending a move every tick. Reported: the city
step (mean, p50, p99), the instances and their occupancy, bytes per observer per tick and
corrections per tick. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import platform
import time
from typing import Any

import numpy as np

from server.config import ServerConfig
from server.gc_policy import tune_gc
from server.zone_registry import discover_zones, load_zone_specs
from world.avatars import AvatarDescription
from world.city import City, CityConfig
from world.codec import Move
from world.inbox import MAX_JOINS_PER_TICK, JoinRequest
from world.members import Member

__all__ = ["add_arguments", "report", "run"]

WALK_SPEED_MPS = 1.4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``plaza bench city``."""
    parser.add_argument("--avatars", type=int, default=10_000)
    parser.add_argument("--ticks", type=int, default=200, help="measured ticks")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--density", type=float, default=0.05, help="avatars per square metre of the crowd"
    )
    parser.add_argument(
        "--instance-capacity", type=int, default=None, help="override every zone's capacity"
    )
    parser.add_argument("--tick-rate", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark; returns the figures."""
    defaults = ServerConfig()
    specs = load_zone_specs(discover_zones(), pathlib.Path(defaults.zones_dir), defaults.entrance)
    n = args.avatars
    city = City(
        specs,
        CityConfig(capacity=max(n, 1), instance_capacity=args.instance_capacity),
    )
    layout = next(s.layout for s in specs if s.name == defaults.entrance)
    # The crowd's rectangle: the density's area, inside the first walkable area (or bounds).
    if layout.walkable:
        area = layout.walkable[0]
        (cx, cz), (w, d) = area.center, area.size
    else:
        lo, hi = layout.bounds_min, layout.bounds_max
        cx, cz, w, d = (lo[0] + hi[0]) / 2, (lo[2] + hi[2]) / 2, hi[0] - lo[0], hi[2] - lo[2]
    width = min(w - 2.0, math.sqrt(n / args.density))
    depth = min(d - 2.0, n / args.density / width)
    rng = np.random.default_rng(args.seed)
    pos = np.column_stack(
        [
            rng.uniform(cx - width / 2, cx + width / 2, n),
            np.zeros(n),
            rng.uniform(cz - depth / 2, cz + depth / 2, n),
        ]
    )
    dt = 1.0 / args.tick_rate
    now = 1_700_000_000.0
    city.open(now=now)
    joined: dict[int, int] = {}
    for i in range(n):
        place = (float(pos[i, 0]), 0.0, float(pos[i, 2]), 0.0)
        member = Member(f"bench:{i}", "citizen")
        description = AvatarDescription(f"bot{i}", role="citizen")
        request = JoinRequest(i, description, place, defaults.entrance, member)
        city.inbox.request_join(request)
        while len(city.inbox.joins) >= MAX_JOINS_PER_TICK or (i == n - 1 and city.inbox.joins):
            now += dt
            for ticket, avatar_id, _ in city.step(now).joined:
                joined[ticket] = avatar_id
    order = sorted(joined)
    ids = [joined[t] for t in order]
    pos = pos[order]
    heading = rng.uniform(0, 2 * math.pi, len(ids))
    x0, x1, z0, z1 = cx - width / 2, cx + width / 2, cz - depth / 2, cz + depth / 2

    step_ms: list[float] = []
    frame_bytes = frames = corrections = 0
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
        now += dt
        t0 = time.perf_counter()
        result = city.step(now)
        elapsed = time.perf_counter() - t0
        if t >= args.warmup:
            step_ms.append(elapsed * 1e3)
            frames += sum(len(f) for f in result.frames)
            frame_bytes += sum(f.nbytes for f in result.frames)
            corrections += len(result.messages)
    entrance = next(z for z in city.directory() if z["name"] == defaults.entrance)
    return {
        "bench": "city",
        "avatars": len(ids),
        "zones": len(city.zones),
        "entrance_instances": [i["avatars"] for i in entrance["instances"]],
        "instance_capacity": entrance["capacity"],
        "density_per_m2": args.density,
        "ticks": args.ticks,
        "tick_mean_ms": round(float(np.mean(step_ms)), 3),
        "tick_p50_ms": round(float(np.percentile(step_ms, 50)), 3),
        "tick_p99_ms": round(float(np.percentile(step_ms, 99)), 3),
        "bytes_per_observer_tick": round(frame_bytes / max(frames, 1), 1),
        "messages_per_tick": round(corrections / args.ticks, 1),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }


def report(figures: dict[str, Any]) -> None:
    """Print a short summary, then the figures as one JSON line."""
    print(
        f"city step, {figures['avatars']} avatars in {len(figures['entrance_instances'])} "
        f"entrance instances {figures['entrance_instances']} (+{figures['zones'] - 1} zones): "
        f"mean {figures['tick_mean_ms']} ms, p50 {figures['tick_p50_ms']} ms, "
        f"p99 {figures['tick_p99_ms']} ms, {figures['bytes_per_observer_tick']} B/observer/tick"
    )
    print(json.dumps(figures))
