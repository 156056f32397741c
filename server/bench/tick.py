"""``plaza bench tick``: the world step alone, without sockets.

N avatars random-walk in a square sized for a given crowd density; every avatar sends a move
every tick and every avatar is an observer. Reported: time per step (mean, p50, p99, and the
phases), the cost of pushing the inputs, bytes per observer per tick, and a naive baseline
(brute-force interest, full state as msgpack lists of Python values, no deltas) measured on
the same crowd, with the ratio between the two.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from typing import Any

import msgpack
import numpy as np

from server.gc_policy import tune_gc
from world.avatars import AvatarDescription
from world.codec import Move, Pose
from world.inbox import MAX_JOINS_PER_TICK, JoinRequest
from world.world import World, WorldConfig
from world.zone_layout import ZoneLayout

__all__ = ["add_arguments", "run"]

WALK_SPEED_MPS = 1.4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``plaza bench tick``."""
    parser.add_argument("--avatars", type=int, default=10_000)
    parser.add_argument("--ticks", type=int, default=200, help="measured ticks")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--k", type=int, default=50, help="max visible avatars per observer")
    parser.add_argument("--radius", type=float, default=60.0, help="view radius, metres")
    parser.add_argument(
        "--density", type=float, default=0.05, help="avatars per square metre of the crowd"
    )
    parser.add_argument("--period", type=int, default=8, help="interest recompute period, ticks")
    parser.add_argument(
        "--hysteresis", type=int, default=10, help="extra neighbours before a visible avatar leaves"
    )
    parser.add_argument("--tick-rate", type=float, default=20.0)
    parser.add_argument("--vr-share", type=float, default=0.0, help="share of avatars in VR")
    parser.add_argument("--baseline-ticks", type=int, default=3, help="0 skips the baseline")
    parser.add_argument("--seed", type=int, default=1)


def _square_layout(side: float) -> ZoneLayout:
    half = side / 2 + 5.0
    return ZoneLayout.from_dict(
        {
            "name": "bench",
            "bounds": {"min": [-half, -1.0, -half], "max": [half, 10.0, half]},
            "spawns": [{"position": [0.0, 0.0, 0.0]}],
        }
    )


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark, print a report, and return the figures (also printed as JSON last)."""
    n = args.avatars
    side = math.sqrt(n / args.density)
    layout = _square_layout(side)
    dt = 1.0 / args.tick_rate
    config = WorldConfig(
        capacity=n,
        tick_rate=args.tick_rate,
        max_visible=args.k,
        view_radius_m=args.radius,
        recompute_period=args.period,
        hysteresis=args.hysteresis,
        seed=args.seed,
    )
    world = World(layout, config)
    rng = np.random.default_rng(args.seed)
    now = 1_700_000_000.0
    for i in range(n):
        world.inbox.request_join(JoinRequest(i, AvatarDescription(f"bot{i}")))
        if len(world.inbox.joins) >= MAX_JOINS_PER_TICK:
            world.step(now)
            now += dt
    while world.inbox.joins:
        world.step(now)
        now += dt
    ids = world.table.live_ids().copy()
    rows = world.table.rows_of(ids)
    pos = rng.uniform(-side / 2, side / 2, (n, 3))
    pos[:, 1] = 0.0
    world.table.position[rows] = pos
    world._requantize(rows)
    heading = rng.uniform(0, 2 * math.pi, n)
    vr = rng.random(n) < args.vr_share
    flags = np.where(vr, 1, 0)
    id_list = ids.tolist()

    step_ms: list[float] = []
    push_ms: list[float] = []
    phases = {"inputs": 0.0, "interest": 0.0, "encode": 0.0}
    frame_bytes = 0
    frames = 0
    events = 0
    # The collector runs as it does in the server (server.gc_policy), not switched off.
    tune_gc()
    for seq, t in enumerate(range(args.warmup + args.ticks), start=1):
        heading += rng.normal(0.0, 0.3, n)
        pos[:, 0] += np.cos(heading) * WALK_SPEED_MPS * dt
        pos[:, 2] += np.sin(heading) * WALK_SPEED_MPS * dt
        # Walkers bounce off the edge of the square.
        out = np.abs(pos[:, [0, 2]]) > side / 2
        heading[out.any(axis=1)] += math.pi
        np.clip(pos, -side / 2, side / 2, out=pos)
        p0 = time.perf_counter()
        push = world.inbox.push_move
        for aid, x, z, yaw, f in zip(
            id_list,
            pos[:, 0].tolist(),
            pos[:, 2].tolist(),
            heading.tolist(),
            flags.tolist(),
            strict=True,
        ):
            push(aid, Move(seq, x, 0.0, z, yaw, 1, f))
        if args.vr_share > 0:
            _push_poses(world, ids[vr], seq, rng)
        p1 = time.perf_counter()
        now += dt
        result = world.step(now)
        if t >= args.warmup:
            push_ms.append((p1 - p0) * 1e3)
            step_ms.append(result.timings.total * 1e3)
            phases["inputs"] += result.timings.inputs
            phases["interest"] += result.timings.interest
            phases["encode"] += result.timings.encode
            frames += len(result.frames)
            events += result.events
            frame_bytes += result.frames.nbytes

    figures: dict[str, Any] = {
        "bench": "tick",
        "avatars": n,
        "k": args.k,
        "radius_m": args.radius,
        "density_per_m2": args.density,
        "recompute_period": args.period,
        "hysteresis": args.hysteresis,
        "ticks": args.ticks,
        "tick_mean_ms": round(float(np.mean(step_ms)), 3),
        "tick_p50_ms": round(_percentile(step_ms, 50), 3),
        "tick_p99_ms": round(_percentile(step_ms, 99), 3),
        "phase_mean_ms": {k: round(v * 1e3 / args.ticks, 3) for k, v in phases.items()},
        "push_inputs_mean_ms": round(float(np.mean(push_ms)), 3),
        "bytes_per_observer_tick": round(frame_bytes / max(frames, 1), 1),
        "events_per_tick": round(events / args.ticks, 1),
        "visible_mean": round(
            float((world.interest.visible[world.table.live_handles()] > 0).sum(1).mean()), 1
        ),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }
    if args.baseline_ticks > 0:
        base = _naive_baseline(world, args.k, args.radius, args.baseline_ticks)
        figures["baseline_tick_mean_ms"] = round(base["tick_ms"], 1)
        figures["baseline_bytes_per_observer_tick"] = round(base["bytes"], 1)
        figures["speedup"] = round(base["tick_ms"] / figures["tick_mean_ms"], 1)
        figures["bytes_ratio"] = round(
            base["bytes"] / max(figures["bytes_per_observer_tick"], 1e-9), 1
        )
    return figures


def _push_poses(world: World, ids: np.ndarray, seq: int, rng: np.random.Generator) -> None:
    for aid in ids.tolist():
        jitter = rng.normal(0.0, 0.01, 3).tolist()
        head = (jitter[0], 1.6 + jitter[1], jitter[2], 0.0, 0.0, 0.0, 1.0)
        left = (-0.3, 1.1, 0.2 + jitter[0], 0.0, 0.0, 0.0, 1.0)
        right = (0.3, 1.1, 0.2 + jitter[2], 0.0, 0.0, 0.0, 1.0)
        world.inbox.push_pose(int(aid), Pose(seq, head, left, right))


def _naive_baseline(world: World, k: int, radius: float, ticks: int) -> dict[str, float]:
    """Brute-force interest and full-state msgpack lists, on the same avatars."""
    table = world.table
    n = table.count
    xz = table.position[:n][:, [0, 2]].astype(np.float64)
    ids = table.ids[:n]
    packer = msgpack.Packer(use_bin_type=True)
    total_bytes = 0
    start = time.perf_counter()
    for _ in range(ticks):
        now = time.time()
        for i in range(n):
            d2 = np.sum((xz - xz[i]) ** 2, axis=1)
            d2[i] = np.inf
            cand = np.argpartition(d2, k)[:k] if n > k else np.arange(n)
            cand = cand[d2[cand] <= radius * radius]
            state = [
                [
                    int(ids[j]),
                    *table.position[j].tolist(),
                    float(table.yaw[j]),
                    int(table.anim[j]),
                    int(table.flags[j]),
                ]
                for j in cand.tolist()
            ]
            total_bytes += len(packer.pack([65, world.tick, now, state]))
    elapsed = time.perf_counter() - start
    return {"tick_ms": elapsed * 1e3 / ticks, "bytes": total_bytes / (ticks * n)}


def report(figures: dict[str, Any]) -> None:
    """Human-readable lines, then the JSON object as the last line."""
    print(
        f"tick bench: {figures['avatars']} avatars, K={figures['k']}, "
        f"radius {figures['radius_m']} m, density {figures['density_per_m2']}/m²"
    )
    print(
        f"  step mean {figures['tick_mean_ms']} ms, p50 {figures['tick_p50_ms']} ms, "
        f"p99 {figures['tick_p99_ms']} ms; phases {figures['phase_mean_ms']}"
    )
    print(f"  pushing inputs (gateway side) {figures['push_inputs_mean_ms']} ms per tick")
    print(
        f"  {figures['bytes_per_observer_tick']} bytes per observer per tick, "
        f"{figures['visible_mean']} visible on average"
    )
    if "speedup" in figures:
        print(
            f"  naive baseline {figures['baseline_tick_mean_ms']} ms per tick, "
            f"{figures['baseline_bytes_per_observer_tick']} bytes per observer: "
            f"{figures['speedup']}x slower, {figures['bytes_ratio']}x the bytes"
        )
    print(json.dumps(figures))
