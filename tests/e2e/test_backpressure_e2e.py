"""A client that stops reading must not slow the tick, and is eventually disconnected.

The stalled client is a real WebSocket connection whose transport stops reading after
WELCOME. To get its TCP path congested within seconds rather than after megabytes, its
receive buffer is tiny and the server side of that one socket gets a small send buffer
(otherwise Linux autotunes the send buffer to ~4 MiB and the test would have to push that
much first); a few VR clients nearby make its frames big (pose rows), and it keeps sending
PINGs, whose PONGs are never held.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import time
from typing import Any

import msgpack
import numpy as np
import pytest
from plaza_client.client import PlazaClient
from plaza_client.mirror import WorldMirror
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from server import gateway as gateway_mod
from world.codec import Ping, WorldFrame, decode_server, encode_client
from world.protocol import AvatarFlag, CloseCode, Opcode

pytestmark = pytest.mark.e2e

TIMEOUT = 10.0
# Time the server allows a closing handshake before dropping the socket (server/gateway.py).
from server.ws_transport import CLOSE_TIMEOUT_S  # noqa: E402


async def connect_stalled(plaza: Any) -> tuple[ClientConnection, dict[str, Any]]:
    """A raw connection with a tiny receive buffer that stops reading right after WELCOME."""
    token = (await plaza.guest("stalled")).token
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Before connect, so the advertised TCP window is small from the start.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await asyncio.wait_for(
        loop.sock_connect(sock, ("127.0.0.1", plaza.server.gateway.port)), TIMEOUT
    )
    connection = await plaza.raw(token, sock=sock, max_queue=4)
    welcome = msgpack.unpackb(await asyncio.wait_for(connection.recv(), TIMEOUT))
    assert welcome[0] == Opcode.WELCOME
    connection.transport.pause_reading()
    session = plaza.server.gateway.sessions[welcome[1]["avatar_id"]]
    server_socket = session.connection.transport.get_extra_info("socket")
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    return connection, welcome[1]


async def vr_crowd(plaza: Any, n: int) -> list[PlazaClient]:
    """``n`` VR clients near the spawn: every pose change is a 31-byte row to each neighbour."""
    crowd = [await plaza.client(f"vr{i}") for i in range(n)]
    for client in crowd:
        await client.move(*client.welcome["position"], flags=int(AvatarFlag.VR))
    return crowd


async def keep_busy(
    crowd: list[PlazaClient], stalled: ClientConnection, rate_hz: float, stop: asyncio.Event
) -> None:
    """The crowd waves its hands at ``rate_hz``; the stalled client pings (below the limit)."""
    # A mobile-stall burst of PINGs first (within INPUT_BURST), then a steady 30 per second.
    with contextlib.suppress(ConnectionClosed):
        for _ in range(100):
            await stalled.send(encode_client(Ping(time.time())))
    i = 0
    next_ping = 0.0
    while not stop.is_set():
        i += 1
        for k, client in enumerate(crowd):
            d = 0.2 * math.sin(0.7 * i + k)
            await client.pose(
                (d, 1.6, 0.0, 0.0, 0.0, 0.0, 1.0),
                (0.3, 1.2 + d, 0.2, 0.0, 0.0, 0.0, 1.0),
                (-0.3, 1.2, 0.2 + d, 0.0, 0.0, 0.0, 1.0),
            )
        if time.monotonic() >= next_ping:
            next_ping = time.monotonic() + 1 / 30
            with contextlib.suppress(ConnectionClosed):
                await stalled.send(encode_client(Ping(time.time())))
        await asyncio.sleep(1 / rate_hz)


async def test_a_stalled_client_is_held_without_slowing_the_tick_then_closed_4002(
    plaza_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # hold_busy reads these from the gateway module's namespace at every tick.
    monkeypatch.setattr(gateway_mod, "SEND_HIGH_WATER_BYTES", 1024)
    monkeypatch.setattr(gateway_mod, "MAX_HELD_S", 1.0)
    plaza = await plaza_factory()
    watcher = await plaza.client("watcher")
    log = plaza.record_frames(watcher)
    crowd = await vr_crowd(plaza, 4)
    stalled, welcome = await connect_stalled(plaza)
    stalled_id = welcome["avatar_id"]
    await watcher.wait_for(lambda c: stalled_id in c.mirror.by_id(), TIMEOUT)
    stop = asyncio.Event()
    busy = asyncio.create_task(keep_busy(crowd, stalled, 20.0, stop))
    try:
        held = await plaza.wait_metric(lambda m: m["plaza_frames_held_total"] > 0, 20.0)
        world_tick_held = plaza.server.city.tick
        tick_a = watcher.mirror.tick
        closed = await plaza.wait_metric(
            lambda m: m.get('plaza_closes_total{code="4002"}', 0.0) >= 1.0, TIMEOUT
        )
        tick_b = watcher.mirror.tick
        # Resume reading at once, well within the server's closing-handshake timeout.
        stalled.transport.resume_reading()
        ticks: list[int] = []
        mirror = WorldMirror(origin=np.asarray(welcome["zone"]["origin"], dtype=np.float64))
        with contextlib.suppress(ConnectionClosed):
            async with asyncio.timeout(TIMEOUT):
                while True:
                    message = decode_server(await stalled.recv())
                    if isinstance(message, WorldFrame):
                        mirror.apply(message)  # the held stream is still a consistent one
                        ticks.append(message.tick)
    finally:
        stop.set()
        await asyncio.wait_for(busy, TIMEOUT)

    # Closed by the server as a slow consumer, with the close frame behind its backlog.
    assert stalled.close_code == CloseCode.SLOW_CONSUMER
    assert stalled.close_reason == "not reading frames; disconnected"
    # Held every tick while stalled, and the held metric kept rising.
    assert closed["plaza_frames_held_total"] >= held["plaza_frames_held_total"] + 2
    # Its frames stopped when it was held: nothing newer was queued behind the backlog.
    assert ticks and max(ticks) < world_tick_held
    # Meanwhile the healthy client got a frame for every single tick.
    assert tick_b - tick_a >= 2
    seen = set(log.ticks)
    assert set(range(tick_a, tick_b + 1)) <= seen, sorted(set(range(tick_a, tick_b + 1)) - seen)
    # The stalled avatar waits for its user to reconnect (a slow network comes back); the
    # others carry on.
    samples = await plaza.wait_metric(lambda m: m["plaza_avatars_detached"] == 1.0)
    assert stalled_id in watcher.mirror.by_id()
    assert samples["plaza_connections"] == 1 + len(crowd)
    assert not watcher.closed and not any(c.closed for c in crowd)
    assert watcher.errors == [] and all(c.errors == [] for c in crowd)


async def test_a_stalled_client_with_a_full_write_buffer_is_dropped(
    plaza_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any high-water mark above websockets' default write_limit (2**15) shows it; the
    # default 64 KiB does too but would take longer to fill. 50 Hz ticks fill it faster.
    monkeypatch.setattr(gateway_mod, "SEND_HIGH_WATER_BYTES", 33_000)
    monkeypatch.setattr(gateway_mod, "MAX_HELD_S", 0.5)
    plaza = await plaza_factory(tick_rate=50.0)
    watcher = await plaza.client("watcher")
    crowd = await vr_crowd(plaza, 8)
    stalled, welcome = await connect_stalled(plaza)
    stalled_id = welcome["avatar_id"]
    await watcher.wait_for(lambda c: stalled_id in c.mirror.by_id(), TIMEOUT)
    stop = asyncio.Event()
    busy = asyncio.create_task(keep_busy(crowd, stalled, 45.0, stop))
    try:
        await plaza.wait_metric(lambda m: m["plaza_frames_held_total"] > 0, 25.0)
        await plaza.wait_metric(
            lambda m: m.get('plaza_closes_total{code="4002"}', 0.0) >= 1.0, TIMEOUT
        )
        # The server decided to close it; within its closing-handshake timeout (plus slack)
        # the connection must be gone, its avatar waiting for the user to reconnect.
        await plaza.wait_metric(lambda m: m["plaza_avatars_detached"] == 1.0, CLOSE_TIMEOUT_S + 1.5)
    finally:
        stop.set()
        await asyncio.wait_for(busy, TIMEOUT)
    samples = await plaza.metrics()
    assert samples["plaza_connections"] == 1 + len(crowd)
    # Nobody is left waiting past the grace period: then the avatar leaves for everyone.
    plaza.server.gateway.presence.grace_s = 0.0
    plaza.server.gateway.presence.detach(*_only(plaza.server.gateway.presence.detached()))
    await watcher.wait_for(lambda c: stalled_id not in c.mirror.by_id(), TIMEOUT)


def _only(detached: dict[str, int]) -> tuple[str, int]:
    (entry,) = detached.items()
    return entry
