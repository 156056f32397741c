"""One node of ``plaza bench festival --nodes K``: a process with its share of the crowd.

Started by the bench (``festival_nodes.py``) with its index, the NATS URL and its number
of attendees. It fills its city (node 0 also has the two performers), joins the cluster
over the same ``ClusterBus`` the server uses, says it is ready, waits for the common start
time, then ticks at the tick rate on the wall clock, as a server's world loop does: inputs,
step, share the tick. After the measured ticks it keeps ticking for a moment without
reactions, so the other nodes' last counts arrive, and prints its figures as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

import msgpack
import nats
import numpy as np

from server.bench.festival_crowd import FestivalCrowd
from server.cluster_bus import ClusterBus
from server.gc_policy import tune_gc

__all__ = ["GO_SUBJECT", "READY_SUBJECT", "START_TIMEOUT_S", "main"]

READY_SUBJECT = "plaza.bench.ready"
GO_SUBJECT = "plaza.bench.go"
# Filling a node's city with 5,000 sign-ins takes seconds; waiting for the others is bounded.
START_TIMEOUT_S = 600.0
# Ticks without reactions after the measured ones, for the last shares to arrive (the
# silence limit of a peer is 20 ticks; 10 are ample for a tick's delay or two).
DRAIN_TICKS = 10


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="festival_node")
    parser.add_argument("--nats", required=True)
    parser.add_argument("--node-index", type=int, required=True)
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--avatars", type=int, required=True)
    parser.add_argument("--ticks", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--react-chance", type=float, required=True)
    parser.add_argument("--tick-rate", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--instance-capacity", type=int, default=None)
    return parser.parse_args(argv)


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    index = args.node_index
    node = f"node-{index}"
    crowd = FestivalCrowd(
        args.avatars,
        performers=index == 0,
        seed=args.seed,
        react_chance=args.react_chance,
        tick_rate=args.tick_rate,
        instance_capacity=args.instance_capacity,
        node=node,
        node_index=index,
        nodes=args.nodes,
        now=time.time(),
    )
    bus = ClusterBus(args.nats, node, crowd.city)
    await bus.connect()
    control = await nats.connect(args.nats, name=f"plaza-bench-{node}")
    loop = asyncio.get_running_loop()
    go: asyncio.Future[float] = loop.create_future()

    async def on_go(msg: Any) -> None:
        if not go.done():
            go.set_result(float(msgpack.unpackb(msg.data)))

    await control.subscribe(GO_SUBJECT, cb=on_go)
    await control.flush()
    await control.publish(READY_SUBJECT, msgpack.packb(index))
    await control.flush()
    start = await asyncio.wait_for(go, START_TIMEOUT_S)
    await control.close()

    tune_gc()
    dt = crowd.dt
    measured_from, measured_to = args.warmup, args.warmup + args.ticks
    overruns = 0
    for slot in range(measured_to + DRAIN_TICKS):
        delay = start + slot * dt - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        elif measured_from <= slot < measured_to and delay < -dt:
            overruns += 1
        crowd.inputs(react=slot < measured_to)
        crowd.step(time.time(), measured_from <= slot < measured_to, after=bus.publish_tick)
        # Let the bus send this tick and take the others' before the next one.
        await asyncio.sleep(0)
    await bus.close()

    figures = crowd.figures
    return {
        "node": node,
        "avatars": len(crowd.ids),
        "performers": len(crowd.performers),
        "instances": crowd.instances(),
        "instance_capacity": crowd.instance_capacity(),
        "step_ms": [round(v, 3) for v in figures.step_ms],
        "stage_ms_mean": round(float(np.mean(figures.stage_ms)), 3),
        "overruns": overruns,
        "client_ticks": figures.client_ticks,
        "world_bytes": figures.world_bytes,
        "stage_bytes": figures.stage_bytes,
        "other_bytes": figures.other_bytes,
        "stage_messages": figures.stage_messages,
        "sent": figures.sent.tolist(),
        "counted": figures.counted.tolist(),
        "performers_seen": sorted(figures.performers_seen),
        "ticks_sent": bus.ticks_sent,
        "ticks_taken": bus.ticks_taken,
        "malformed": bus.malformed,
    }


def main(argv: list[str] | None = None) -> None:
    """Run one node; its figures go to stdout as the last line."""
    args = _arguments(sys.argv[1:] if argv is None else argv)
    print(json.dumps(asyncio.run(_run(args))), flush=True)


if __name__ == "__main__":
    main()
