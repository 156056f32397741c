"""``plaza bench load``: the server and the bots in separate processes over real sockets.

The server runs as a subprocess (``plaza serve`` on free loopback ports, a temporary data
folder); the bots run in this process (``plaza_client.bots``). After a warm-up the bench
reads the server's metrics, lets the bots walk for the measured window, and reads them
again: tick quantiles come from the difference of the ``plaza_tick_seconds`` histograms
(interpolated within a bucket, as Prometheus does), server CPU from /proc. Bounded in time:
every wait has a timeout and the server is stopped (SIGTERM, then SIGKILL) at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import time
import urllib.request
from typing import Any

from plaza_client.bots import BotFleet, BotStats, summarize

from server.bench.server_process import running_server

__all__ = ["add_arguments", "main"]

_BUCKET_RE = re.compile(r'^plaza_tick_seconds_bucket\{le="([^"]+)"\} (\S+)$', re.M)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``plaza bench load``."""
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--tick-rate", type=float, default=20.0)
    parser.add_argument("--probes", type=int, default=8)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def _histogram(http: str) -> list[tuple[float, float]]:
    text = _get(http + "/metrics")
    return [(float(le), float(count)) for le, count in _BUCKET_RE.findall(text)]


def _quantile(
    before: list[tuple[float, float]], after: list[tuple[float, float]], q: float
) -> float:
    buckets = [(le, a - b) for (le, a), (_, b) in zip(after, before, strict=True)]
    total = buckets[-1][1]
    if total <= 0:
        return 0.0
    rank = q * total
    prev_le, prev_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if le == float("inf"):
                return prev_le
            span = count - prev_count
            return prev_le + (le - prev_le) * ((rank - prev_count) / span if span else 1.0)
        prev_le, prev_count = le, count
    return prev_le


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive(http: str, args: argparse.Namespace, pid: int) -> dict[str, Any]:
    fleet = BotFleet(http, args.clients, args.probes, args.tick_rate)
    await fleet.connect()
    await fleet.walk(args.warmup)
    fleet.stats = BotStats(connected=fleet.stats.connected, failed=fleet.stats.failed)
    before = _histogram(http)
    cpu0, t0 = _cpu_seconds(pid), time.perf_counter()
    await fleet.walk(args.seconds)
    elapsed = time.perf_counter() - t0
    cpu1 = _cpu_seconds(pid)
    after = _histogram(http)
    summary = summarize(fleet.stats, elapsed, args.clients)
    await fleet.close()
    summary.update(
        {
            "bench": "load",
            "tick_rate": args.tick_rate,
            "ticks": int(after[-1][1] - before[-1][1]),
            "tick_p50_ms": round(_quantile(before, after, 0.50) * 1e3, 1),
            "tick_p99_ms": round(_quantile(before, after, 0.99) * 1e3, 1),
            "server_cpu_share": round((cpu1 - cpu0) / elapsed, 2),
            "machine": f"{platform.machine()} {os.cpu_count()} cores",
            "python": platform.python_version(),
        }
    )
    return summary


def main(args: argparse.Namespace) -> int:
    """Run the load bench and print its figures, the last line one JSON object."""
    options = ("--tick-rate", str(args.tick_rate), "--capacity", str(max(args.clients + 64, 128)))
    with running_server(*options) as server:
        summary = asyncio.run(_drive(server.http, args, server.pid))
    print(
        f"load bench: {summary['connected']}/{args.clients} clients at {args.tick_rate:g} Hz "
        f"for {summary['seconds']:.1f} s"
    )
    print(
        f"  tick p50 {summary['tick_p50_ms']} ms, p99 {summary['tick_p99_ms']} ms; "
        f"server CPU {summary['server_cpu_share']:.0%} of a core"
    )
    print(
        f"  pose-to-observer latency p50 {summary['latency_p50_ms']} ms, "
        f"p99 {summary['latency_p99_ms']} ms ({summary['latency_samples']} samples)"
    )
    print(
        f"  {summary['bytes_per_client_per_s']} B/s and {summary['frames_per_client_per_s']} "
        f"frames/s per client; {summary['disconnects']} disconnects"
    )
    print(json.dumps(summary))
    return 0
