"""``plaza bench festival --nodes K``: the crowd split over K node processes and a NATS.

Starts a real ``nats-server`` on loopback, then K node processes (``festival_node.py``),
each with its share of the attendees (node 0 also has the performers). When every node
has filled its city and joined the cluster, they are given one start time and tick at the
tick rate, sharing their stage and counts over NATS. Each prints its figures; here they are
put together: every node's step times, the slowest node's p99 as the tick p99, bytes per
client per tick over all nodes, and two checks of the cluster: every node counted exactly
the reactions all nodes accepted, and every node's clients were shown both performers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import subprocess
import sys
import time
from typing import Any

import msgpack
import nats
import numpy as np

from server.bench.festival_node import GO_SUBJECT, READY_SUBJECT, START_TIMEOUT_S
from server.nats_server import NatsServer

__all__ = ["START_LEAD_S", "run_nodes"]

# The nodes start ticking this long after the last one said it is ready, so that every
# node has the start time before it comes.
START_LEAD_S = 0.5
# A node that has not finished this long after the start is stopped (bounded runs).
_FINISH_MARGIN_S = 120.0


async def _start(url: str, nodes: int, processes: list[subprocess.Popen[bytes]]) -> None:
    """Wait until every node is ready (or one died), then publish the common start time."""
    nc = await nats.connect(url, name="plaza-bench")
    ready: set[int] = set()
    all_ready = asyncio.Event()

    async def on_ready(msg: Any) -> None:
        ready.add(int(msgpack.unpackb(msg.data)))
        if len(ready) == nodes:
            all_ready.set()

    await nc.subscribe(READY_SUBJECT, cb=on_ready)
    await nc.flush()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not all_ready.is_set():
        if any(p.poll() is not None for p in processes):
            await nc.close()
            raise SystemExit("a festival node stopped before the start (see its output above)")
        if time.monotonic() > deadline:
            await nc.close()
            raise SystemExit(f"the festival nodes were not ready within {START_TIMEOUT_S:.0f} s")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_ready.wait(), 0.5)
    await nc.publish(GO_SUBJECT, msgpack.packb(time.time() + START_LEAD_S))
    await nc.flush()
    await nc.close()


def _node_command(args: argparse.Namespace, url: str, index: int, avatars: int) -> list[str]:
    command = [
        sys.executable, "-m", "server.bench.festival_node",
        "--nats", url,
        "--node-index", str(index),
        "--nodes", str(args.nodes),
        "--avatars", str(avatars),
        "--ticks", str(args.ticks),
        "--warmup", str(args.warmup),
        "--react-chance", str(args.react_chance),
        "--tick-rate", str(args.tick_rate),
        "--seed", str(args.seed + index),
    ]  # fmt: skip
    if args.instance_capacity is not None:
        command += ["--instance-capacity", str(args.instance_capacity)]
    return command


def run_nodes(args: argparse.Namespace) -> dict[str, Any]:
    """Run the bench over ``args.nodes`` node processes; returns the figures."""
    k = args.nodes
    shares = [args.avatars // k + (1 if i < args.avatars % k else 0) for i in range(k)]
    with NatsServer() as server:
        processes = [
            subprocess.Popen(_node_command(args, server.url, i, shares[i]), stdout=subprocess.PIPE)
            for i in range(k)
        ]
        try:
            asyncio.run(_start(server.url, k, processes))
            run_s = (args.warmup + args.ticks) / args.tick_rate + _FINISH_MARGIN_S
            outputs = [p.communicate(timeout=run_s)[0] for p in processes]
        finally:
            for p in processes:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    if any(p.returncode != 0 for p in processes):
        raise SystemExit("a festival node failed (see its output above)")
    nodes = [json.loads(out.decode().strip().splitlines()[-1]) for out in outputs]
    return _combine(args, nodes)


def _combine(args: argparse.Namespace, nodes: list[dict[str, Any]]) -> dict[str, Any]:
    steps = [np.asarray(n["step_ms"]) for n in nodes]
    every = np.concatenate(steps)
    sent = np.sum([n["sent"] for n in nodes], axis=0)
    client_ticks = max(sum(n["client_ticks"] for n in nodes), 1)
    world = sum(n["world_bytes"] for n in nodes)
    stage = sum(n["stage_bytes"] for n in nodes)
    other = sum(n["other_bytes"] for n in nodes)
    performers = sorted({p for n in nodes for p in n["performers_seen"]})
    return {
        "bench": "festival",
        "nodes": len(nodes),
        "avatars": sum(n["avatars"] for n in nodes),
        "performers": sum(n["performers"] for n in nodes),
        "instances": [n["instances"] for n in nodes],
        "instance_capacity": nodes[0]["instance_capacity"],
        "ticks": args.ticks,
        "tick_rate": args.tick_rate,
        # The slowest node sets the pace its clients feel.
        "tick_mean_ms": round(float(every.mean()), 3),
        "tick_p50_ms": round(float(np.percentile(every, 50)), 3),
        "tick_p99_ms": round(max(float(np.percentile(s, 99)) for s in steps), 3),
        "node_tick_mean_ms": [round(float(s.mean()), 3) for s in steps],
        "node_tick_p99_ms": [round(float(np.percentile(s, 99)), 3) for s in steps],
        "node_overruns": [n["overruns"] for n in nodes],
        "stage_and_reactions_mean_ms": round(
            float(np.mean([n["stage_ms_mean"] for n in nodes])), 3
        ),
        "reactions_per_tick": round(float(sent.sum()) / (args.warmup + args.ticks), 1),
        "reactions_sent": sent.tolist(),
        "reactions_counted": [n["counted"] for n in nodes],
        # Every node's crowd saw the whole festival's counts, each reaction once.
        "reactions_exact": all(n["counted"] == sent.tolist() for n in nodes),
        # Every node's crowd was shown every performer, wherever the performer's node.
        "performers_on_every_node": all(n["performers_seen"] == performers for n in nodes)
        and len(performers) == sum(n["performers"] for n in nodes),
        "node_ticks_taken": [n["ticks_taken"] for n in nodes],
        "bytes_per_client_tick": round((world + stage + other) / client_ticks, 1),
        "world_bytes_per_client_tick": round(world / client_ticks, 1),
        "stage_bytes_per_client_tick": round(stage / client_ticks, 1),
        "other_bytes_per_client_tick": round(other / client_ticks, 1),
        "stage_messages_per_tick": round(sum(n["stage_messages"] for n in nodes) / args.ticks, 1),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }
