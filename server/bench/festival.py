"""``plaza bench festival``: a cheering festival crowd with two performers on stage, no sockets.

The crowd (``festival_crowd.py``): N attendees signed in over the festival grounds, spread
by the zone's own placement over its instances, every one walking (a MOVE every tick) and
cheering, clapping or sending a heart with a given chance per tick; two performers walk the
stage, one in VR. Reported: the city step (mean, p50, p99), the share of it spent on
reactions and the stage broadcast, the instances, the reactions sent and counted, and bytes
per client per tick: WORLD frames, STAGE, and the rest (events, errors).

With ``--nodes K`` the crowd is split over K node processes, one per core, the design's
scale-out (``festival_nodes.py``): each steps its own instances at the tick rate and shares
its stage and counts with the others over a real NATS server; every node's tick is
measured and the slowest node's p99 is the headline.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
from typing import Any

import numpy as np

from server.bench.festival_crowd import FestivalCrowd
from server.gc_policy import tune_gc

__all__ = ["add_arguments", "report", "run"]

# Ticks without reactions after the measured ones, so every count has been carried.
DRAIN_TICKS = 2


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
    parser.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="node processes sharing the crowd over NATS (1: one process, stepped back to back)",
    )


def _check(args: argparse.Namespace) -> None:
    if not 0.0 <= args.react_chance <= 1.0:
        raise SystemExit("--react-chance must be within 0..1")
    if args.avatars < 0 or args.ticks < 1 or args.warmup < 0:
        raise SystemExit("--avatars must be at least 0, --ticks at least 1, --warmup at least 0")
    if not 1 <= args.nodes <= 64:
        raise SystemExit("--nodes must be within 1..64")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark; returns the figures."""
    _check(args)
    if args.nodes > 1:
        from server.bench.festival_nodes import run_nodes

        return run_nodes(args)
    crowd = FestivalCrowd(
        args.avatars,
        seed=args.seed,
        react_chance=args.react_chance,
        tick_rate=args.tick_rate,
        instance_capacity=args.instance_capacity,
    )
    tune_gc()
    now = crowd.now
    for t in range(args.warmup + args.ticks + DRAIN_TICKS):
        crowd.inputs(react=t < args.warmup + args.ticks)
        now += crowd.dt
        crowd.step(now, args.warmup <= t < args.warmup + args.ticks)
    f = crowd.figures
    per_client = max(f.client_ticks, 1)
    return {
        "bench": "festival",
        "nodes": 1,
        "avatars": len(crowd.ids),
        "performers": len(crowd.performers),
        "instances": crowd.instances(),
        "instance_capacity": crowd.instance_capacity(),
        "ticks": args.ticks,
        "tick_mean_ms": round(float(np.mean(f.step_ms)), 3),
        "tick_p50_ms": round(float(np.percentile(f.step_ms, 50)), 3),
        "tick_p99_ms": round(float(np.percentile(f.step_ms, 99)), 3),
        "stage_and_reactions_mean_ms": round(float(np.mean(f.stage_ms)), 3),
        "reactions_per_tick": round(float(f.sent.sum()) / (args.warmup + args.ticks), 1),
        "reactions_sent": f.sent.tolist(),
        "reactions_counted": f.counted.tolist(),
        "reactions_exact": bool((f.sent == f.counted).all()),
        "bytes_per_client_tick": round(
            (f.world_bytes + f.stage_bytes + f.other_bytes) / per_client, 1
        ),
        "world_bytes_per_client_tick": round(f.world_bytes / per_client, 1),
        "stage_bytes_per_client_tick": round(f.stage_bytes / per_client, 1),
        "other_bytes_per_client_tick": round(f.other_bytes / per_client, 1),
        "stage_messages_per_tick": round(f.stage_messages / args.ticks, 1),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }


def report(figures: dict[str, Any]) -> None:
    """Print a short summary, then the figures as one JSON line."""
    where = (
        f"{len(figures['instances'])} instances"
        if figures["nodes"] == 1
        else f"{figures['nodes']} nodes ({', '.join(str(len(i)) for i in figures['instances'])}"
        " instances)"
    )
    print(
        f"festival step, {figures['avatars']} attendees and {figures['performers']} performers "
        f"in {where}: mean {figures['tick_mean_ms']} ms, "
        f"p50 {figures['tick_p50_ms']} ms, p99 {figures['tick_p99_ms']} ms "
        f"(reactions and stage {figures['stage_and_reactions_mean_ms']} ms); "
        f"{figures['bytes_per_client_tick']} B/client/tick "
        f"(WORLD {figures['world_bytes_per_client_tick']}, "
        f"STAGE {figures['stage_bytes_per_client_tick']}); "
        f"reactions sent {figures['reactions_sent']}, counted {figures['reactions_counted']}"
    )
    print(json.dumps(figures))
