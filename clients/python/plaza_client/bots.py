"""Load bots: many lean clients in one process, random-walking in one zone.

A bot is an ``asyncio.Protocol`` driving the ``websockets`` sans-I/O ``ClientProtocol``
directly: no task and no future per message, so one process can hold thousands of bots
while still speaking the real protocol over real sockets. One scheduler sends every bot's
MOVE at the tick rate. Most bots only count what they receive; *probe* bots decode their
frames fully and measure pose-to-observer latency against *beacon* bots: each beacon
records when it sent each quantised position, and a probe that sees that position in a
WORLD frame computes the delay (both live in this process, so they share one clock).

``plaza bots --clients N --seconds S`` runs a bounded session against a running server and
prints statistics, the last line being one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, cast

import msgpack
import numpy as np
from websockets.client import ClientProtocol
from websockets.frames import Frame
from websockets.frames import Opcode as FrameOpcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from plaza_client.client import sign_in_guest
from world.codec import Move, encode_client
from world.protocol import POSITION_QUANTUM_M, SUBPROTOCOL, Opcode
from world.quantize import BODY_ROW_BYTES

__all__ = ["BotFleet", "BotStats", "add_arguments", "main", "run_fleet"]

WALK_SPEED_MPS = 1.4
# Bots stay within this distance of the spawn area so the crowd stays a crowd (and, on Seoul
# Plaza, out of the portals, which are 30 m and more from the spawn points).
ROAM_RADIUS_M = 25.0
# A probe keeps close to its beacon so the beacon is always among its nearest avatars.
PROBE_DISTANCE_M = 1.0
SIGN_IN_CONCURRENCY = 16
# A beacon remembers this many sent positions (about 10 s at 20 Hz).
MAX_BEACON_HISTORY = 200


@dataclass
class BotStats:
    """What the fleet saw."""

    connected: int = 0
    failed: int = 0
    frames: int = 0
    bytes: int = 0
    corrections: int = 0
    errors: int = 0
    disconnects: int = 0
    close_codes: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)


class Bot(asyncio.Protocol):
    """One lean WebSocket client."""

    def __init__(self, fleet: BotFleet, url: str, probe_of: Bot | None = None) -> None:
        self.fleet = fleet
        self.protocol = ClientProtocol(
            parse_uri(url),
            subprotocols=[Subprotocol(SUBPROTOCOL)],
            max_size=None,
        )
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.x = self.y = self.z = 0.0
        self.heading = random.uniform(0, 2 * math.pi)
        self.seq = 0
        self.avatar_id = 0
        self.origin = (0.0, 0.0, 0.0)
        self.closed = False
        self.probe_of = probe_of
        self.sent_at: dict[tuple[int, int], float] | None = None
        self.slots: dict[int, int] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the upgrade request."""
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)
        self.protocol.send_request(self.protocol.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        """Feed the protocol and handle what it parsed."""
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Frame):
                if event.opcode is FrameOpcode.BINARY:
                    self._on_message(bytes(event.data))
            elif (
                isinstance(event, Response)
                and self.protocol.handshake_exc is not None
                and not self.opened.done()
            ):
                self.opened.set_exception(self.protocol.handshake_exc)
        self._flush()
        if self.protocol.state is State.CLOSED and not self.closed:
            self._on_closed()

    def connection_lost(self, exc: Exception | None) -> None:
        """Record an unexpected drop."""
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("connection lost during upgrade"))
        if not self.closed:
            self._on_closed()

    def _on_closed(self) -> None:
        self.closed = True
        stats = self.fleet.stats
        code = self.protocol.close_rcvd.code if self.protocol.close_rcvd else 1006
        stats.close_codes[code] = stats.close_codes.get(code, 0) + 1
        if not self.fleet.stopping:
            stats.disconnects += 1

    def _flush(self) -> None:
        if self.transport is None:
            return
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def _on_message(self, data: bytes) -> None:
        stats = self.fleet.stats
        stats.bytes += len(data)
        op = data[1] if len(data) > 1 else 0
        if op == Opcode.WORLD:
            stats.frames += 1
            if self.probe_of is not None:
                self._probe(data)
            return
        message = msgpack.unpackb(data, raw=False, strict_map_key=False)
        if message[0] in (Opcode.WELCOME, Opcode.ENTER_ZONE):
            # ENTER_ZONE (a portal): the new zone's origin and place, inputs above the floor.
            info = message[1]
            self.seq = max(self.seq, int(info.get("seq_floor", 0)))
            self.avatar_id = info["avatar_id"]
            ox, oy, oz = (float(v) for v in info["zone"]["origin"])
            self.origin = (ox, oy, oz)
            self.x, self.y, self.z = (float(v) for v in info["position"])
            if not self.opened.done():
                self.opened.set_result(None)
        elif message[0] == Opcode.CORRECTION:
            stats.corrections += 1
            self.x, self.y, self.z = (float(v) for v in message[2:5])
        elif message[0] == Opcode.ERROR:
            stats.errors += 1

    def _probe(self, data: bytes) -> None:
        """Decode a WORLD frame and time the beacon's positions."""
        _, _, _, leaves, enters, body, _ = msgpack.unpackb(data, raw=False, strict_map_key=False)
        for slot in leaves:
            self.slots.pop(slot, None)
        for slot, avatar_id, _ in enters:
            self.slots[slot] = avatar_id
        beacon = self.probe_of
        if beacon is None or beacon.sent_at is None or not body:
            return
        rows = np.frombuffer(body, dtype=np.uint8).reshape(-1, BODY_ROW_BYTES)
        for row in rows:
            if self.slots.get(int(row[0])) != beacon.avatar_id:
                continue
            q = row[1:7].view("<u2")
            key = (int(q[0]), int(q[2]))
            sent = beacon.sent_at.pop(key, None)
            if sent is not None:
                self.fleet.stats.latencies.append(time.perf_counter() - sent)

    def step(self, dt: float) -> None:
        """Walk a little and send a MOVE (plain floats: numpy per bot would cost more)."""
        if self.closed or self.transport is None or self.protocol.state is not State.OPEN:
            return
        x, y, z = self.x, self.y, self.z
        beacon = self.probe_of
        if beacon is not None:
            dx, dz = beacon.x + PROBE_DISTANCE_M - x, beacon.z - z
            dist = math.hypot(dx, dz)
            if dist > 1e-6:
                step = min(dist, 2.5 * WALK_SPEED_MPS * dt) / dist
                x, z = x + dx * step, z + dz * step
        else:
            self.heading += random.gauss(0.0, 0.3)
            x += math.cos(self.heading) * WALK_SPEED_MPS * dt
            z += math.sin(self.heading) * WALK_SPEED_MPS * dt
            hx, hz = self.fleet.home
            if math.hypot(x - hx, z - hz) > ROAM_RADIUS_M:
                self.heading = math.atan2(hz - z, hx - x)
        self.x, self.z = x, z
        self.seq += 1
        if self.sent_at is not None:
            key = (
                round((x - self.origin[0]) / POSITION_QUANTUM_M),
                round((z - self.origin[2]) / POSITION_QUANTUM_M),
            )
            self.sent_at[key] = time.perf_counter()
            if len(self.sent_at) > MAX_BEACON_HISTORY:
                # Positions overtaken within one tick are never seen; forget the oldest.
                for old in list(self.sent_at)[: MAX_BEACON_HISTORY // 2]:
                    del self.sent_at[old]
        self.protocol.send_binary(encode_client(Move(self.seq, x, y, z, self.heading, 1, 0)))
        self._flush()

    def close(self) -> None:
        """Start the closing handshake."""
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(1000, "bot done")
            self._flush()


class BotFleet:
    """N bots against one server."""

    def __init__(self, http_url: str, clients: int, probes: int = 8, rate: float = 20.0) -> None:
        self.http_url = http_url
        self.clients = clients
        self.probes = min(probes, clients // 2)
        self.rate = rate
        self.bots: list[Bot] = []
        self.stats = BotStats()
        self.stopping = False
        self.home = (0.0, 0.0)

    async def connect(self, timeout: float = 60.0) -> None:
        """Sign in and connect every bot; beacons and probes first."""
        limit = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

        async def one(i: int, probe_of: Bot | None) -> Bot | None:
            async with limit:
                try:
                    session = await sign_in_guest(self.http_url, f"bot{i}", "en")
                    url = f"{session.ws_url}?token={session.token}"
                    uri = parse_uri(url)
                    loop = asyncio.get_running_loop()
                    _, bot = await loop.create_connection(
                        lambda: Bot(self, url, probe_of), uri.host, uri.port
                    )
                    await asyncio.wait_for(bot.opened, timeout)
                except Exception:
                    self.stats.failed += 1
                    return None
                self.stats.connected += 1
                return bot

        beacons = []
        for i in range(self.probes):
            bot = await one(i, None)
            if bot is not None:
                bot.sent_at = {}
                beacons.append(bot)
        if beacons:
            self.home = (beacons[0].x, beacons[0].z)
        probes = await asyncio.gather(*(one(self.probes + i, b) for i, b in enumerate(beacons)))
        rest = await asyncio.gather(*(one(i, None) for i in range(2 * len(beacons), self.clients)))
        self.bots = beacons + [b for b in probes if b] + [b for b in rest if b]

    async def walk(self, seconds: float) -> None:
        """Send every bot's MOVE at the tick rate for ``seconds`` (bounded)."""
        loop = asyncio.get_running_loop()
        dt = 1.0 / self.rate
        start = loop.time()
        n = 0
        while loop.time() - start < seconds:
            for bot in self.bots:
                bot.step(dt)
            n += 1
            await asyncio.sleep(max(0.0, start + n * dt - loop.time()))

    async def close(self) -> None:
        """Close every bot and wait briefly for the handshakes."""
        self.stopping = True
        for bot in self.bots:
            bot.close()
        await asyncio.sleep(0.5)
        for bot in self.bots:
            if bot.transport is not None:
                bot.transport.close()


def summarize(stats: BotStats, seconds: float, clients: int) -> dict[str, Any]:
    """The fleet's figures as a JSON-ready dict."""
    lat = np.asarray(stats.latencies) * 1e3
    return {
        "clients": clients,
        "connected": stats.connected,
        "failed": stats.failed,
        "seconds": seconds,
        "frames_per_client_per_s": round(stats.frames / max(stats.connected, 1) / seconds, 2),
        "bytes_per_client_per_s": round(stats.bytes / max(stats.connected, 1) / seconds, 1),
        "latency_samples": int(lat.size),
        "latency_p50_ms": round(float(np.percentile(lat, 50)), 1) if lat.size else None,
        "latency_p99_ms": round(float(np.percentile(lat, 99)), 1) if lat.size else None,
        "corrections": stats.corrections,
        "errors": stats.errors,
        "disconnects": stats.disconnects,
    }


async def run_fleet(http_url: str, clients: int, seconds: float, probes: int = 8) -> dict[str, Any]:
    """Connect, walk for ``seconds``, close; return the summary."""
    fleet = BotFleet(http_url, clients, probes)
    await fleet.connect()
    t0 = time.perf_counter()
    await fleet.walk(seconds)
    elapsed = time.perf_counter() - t0
    await fleet.close()
    return summarize(fleet.stats, elapsed, clients)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``plaza bots``."""
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--http", default="http://127.0.0.1:8080", help="the server's HTTP URL")
    parser.add_argument("--probes", type=int, default=8, help="beacon/probe pairs for latency")


def main(args: argparse.Namespace) -> int:
    """``plaza bots``: run a bounded session and print its statistics."""
    if args.clients < 1 or args.seconds <= 0:
        raise SystemExit("--clients must be at least 1 and --seconds positive")
    parts = urllib.parse.urlsplit(args.http)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("plaza bots only targets a server on this machine (loopback)")
    summary = asyncio.run(run_fleet(args.http, args.clients, args.seconds, args.probes))
    print(
        f"{summary['connected']}/{args.clients} bots for {summary['seconds']:.1f} s: "
        f"{summary['frames_per_client_per_s']} frames/s and "
        f"{summary['bytes_per_client_per_s']} B/s per client, "
        f"latency p50 {summary['latency_p50_ms']} ms p99 {summary['latency_p99_ms']} ms, "
        f"{summary['disconnects']} disconnects"
    )
    print(json.dumps(summary))
    return 0
