"""The realtime gateway end to end: a real server on loopback, real WebSocket clients.

Covers what a client sees: joins, moves and leaves of others; refusal of bad upgrades before
any world state; frame size and malformed input handling; rate limits and the abuse budget;
server-side movement validation; clock sync.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import math
import time
from typing import Any

import msgpack
import numpy as np
import pytest
from plaza_client.client import PlazaClient
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from server import gateway as gateway_mod
from server.auth import TokenIssuer
from world.codec import WorldFrame
from world.protocol import (
    MAX_CLIENT_FRAME_BYTES,
    POSITION_QUANTUM_M,
    SUBPROTOCOL,
    AvatarFlag,
    CloseCode,
    ErrorCode,
)
from world.roles import Role

pytestmark = pytest.mark.e2e

TIMEOUT = 10.0


# -- helpers ----------------------------------------------------------------------------------


def quantised(position: Any, origin: np.ndarray) -> np.ndarray:
    """Where an observer must see a position: float32 on the server, then 1/32 m steps."""
    p = np.asarray(position, dtype=np.float32).astype(np.float64)
    return np.rint((p - origin) / POSITION_QUANTUM_M) * POSITION_QUANTUM_M + origin


def seen(observer: PlazaClient, avatar_id: int) -> np.ndarray | None:
    """The position ``observer``'s mirror shows for ``avatar_id`` (None if not in view)."""
    avatar = observer.mirror.by_id().get(avatar_id)
    if avatar is None or not avatar.body:
        return None
    return np.asarray(avatar.state(observer.mirror.origin)["position"])


def sees_at(observer: PlazaClient, avatar_id: int, expected: np.ndarray) -> bool:
    position = seen(observer, avatar_id)
    return position is not None and bool(np.allclose(position, expected, atol=1e-6))


async def refused_upgrade(url: str, **kwargs: Any) -> Any:
    """Attempt an upgrade that must be refused; returns the HTTP response."""
    kwargs.setdefault("open_timeout", TIMEOUT)
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, **kwargs):
            pytest.fail("the upgrade was accepted")
    return info.value.response


async def wait_ticks(plaza: Any, n: int) -> None:
    """Let the world run ``n`` more ticks (so queued joins/leaves would have been applied)."""
    target = plaza.server.city.tick + n
    async with asyncio.timeout(TIMEOUT):
        while plaza.server.city.tick < target:
            await asyncio.sleep(0.01)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# -- seeing each other ------------------------------------------------------------------------


async def test_two_clients_see_each_other_enter_move_and_leave(plaza: Any) -> None:
    a = await plaza.client("민지")
    b = await plaza.client("Alex")

    # Enter on join, with the description the other was signed in with.
    await a.wait_for(lambda c: seen(c, b.avatar_id) is not None, TIMEOUT)
    await b.wait_for(lambda c: seen(c, a.avatar_id) is not None, TIMEOUT)
    assert b.mirror.by_id()[a.avatar_id].description == {
        "name": "민지",
        "appearance": {},
        "role": "guest",
    }
    assert a.mirror.by_id()[b.avatar_id].description["name"] == "Alex"
    # Nobody is in their own view.
    assert a.avatar_id not in a.mirror.by_id()
    assert b.avatar_id not in b.mirror.by_id()
    origin = b.mirror.origin
    assert sees_at(b, a.avatar_id, quantised(a.welcome["position"], origin))
    assert sees_at(a, b.avatar_id, quantised(b.welcome["position"], origin))

    # A moves (an odd offset, so the quantisation is visible); B sees the quantised position.
    target_a = np.asarray(a.welcome["position"]) + np.array([1.23, 0.0, -0.71])
    await a.move(*target_a, yaw=1.0, anim=3)
    await b.wait_for(lambda c: sees_at(c, a.avatar_id, quantised(target_a, origin)), TIMEOUT)
    state = b.mirror.by_id()[a.avatar_id].state(origin)
    assert state["anim"] == 3
    assert state["yaw"] == pytest.approx(round(1.0 * 256 / (2 * math.pi)) * 2 * math.pi / 256)
    assert not np.allclose(quantised(target_a, origin), target_a)  # the check is not vacuous

    # And vice versa.
    target_b = np.asarray(b.welcome["position"]) + np.array([-0.9, 0.0, 2.05])
    await b.move(*target_b)
    await a.wait_for(lambda c: sees_at(c, b.avatar_id, quantised(target_b, origin)), TIMEOUT)
    assert a.corrections == [] and b.corrections == []
    assert a.errors == [] and b.errors == []

    # A leaves: B's mirror loses A; B stays connected and keeps getting frames.
    await a.close()
    assert a.close_code == CloseCode.NORMAL
    await b.wait_for(lambda c: a.avatar_id not in c.mirror.by_id(), TIMEOUT)
    frames = b.frames
    await b.wait_for(lambda c: c.frames > frames + 2, TIMEOUT)
    assert not b.closed


async def test_a_dropped_socket_keeps_the_avatar_for_a_reconnect(plaza: Any) -> None:
    a = await plaza.client("a")
    b = await plaza.client("b")
    await b.wait_for(lambda c: a.avatar_id in c.mirror.by_id(), TIMEOUT)
    assert a.connection is not None
    a.connection.transport.abort()  # no closing handshake: the TCP connection just ends
    samples = await plaza.wait_metric(lambda m: m["plaza_connections"] == 1.0)
    assert samples["plaza_avatars"] == 2.0
    assert samples["plaza_avatars_detached"] == 1.0
    assert a.avatar_id in b.mirror.by_id()
    # After the grace period, the avatar leaves for everyone.
    gateway = plaza.server.gateway
    gateway.presence.grace_s = 0.0
    ((subject, avatar_id),) = gateway.presence.detached().items()
    gateway.presence.detach(subject, avatar_id)
    await b.wait_for(lambda c: a.avatar_id not in c.mirror.by_id(), TIMEOUT)
    samples = await plaza.wait_metric(lambda m: m["plaza_avatars"] == 1.0)
    assert samples["plaza_avatars_detached"] == 0.0


async def test_a_goodbye_is_a_leave_at_once(plaza: Any) -> None:
    a = await plaza.client("a")
    b = await plaza.client("b")
    await b.wait_for(lambda c: a.avatar_id in c.mirror.by_id(), TIMEOUT)
    await a.close()  # close code 1000: the user left on purpose
    await b.wait_for(lambda c: a.avatar_id not in c.mirror.by_id(), TIMEOUT)
    samples = await plaza.wait_metric(lambda m: m["plaza_avatars"] == 1.0)
    assert samples["plaza_avatars_detached"] == 0.0


# -- the upgrade ------------------------------------------------------------------------------


async def test_unauthenticated_upgrades_are_refused_before_any_world_state(
    plaza: Any, tmp_path: Any
) -> None:
    ws = f"ws://127.0.0.1:{plaza.server.gateway.port}/ws"
    issuer = plaza.server.issuer
    good = plaza.mint("alice")
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    escalated = b64url(json.dumps({**claims, "role": "admin"}).encode())
    alg_none = b64url(json.dumps({"alg": "none", "kid": issuer.kid, "typ": "JWT"}).encode())
    expired, _ = issuer._mint(
        subject="local:old",
        name="old",
        role=Role.CITIZEN,
        locale="ko",
        ttl_s=900,
        now=time.time() - 3600,
    )
    stranger = TokenIssuer.load_or_create(tmp_path / "elsewhere").mint(
        subject="local:eve", name="eve", role=Role.ADMIN
    )
    cases = {
        "": "missing token",
        "?token=": "missing token",
        "?token=not-a-jwt": "malformed token",
        f"?token={expired}": "token expired",
        f"?token={stranger}": "token key id not recognized",
        f"?token={header}.{escalated}.{signature}": "token signature invalid",
        f"?token={alg_none}.{payload}.": "token algorithm not allowed",
    }
    for query, reason in cases.items():
        response = await refused_upgrade(ws + query, subprotocols=[SUBPROTOCOL])
        assert response.status_code == 401, (query, response)
        assert response.body == (reason + "\n").encode(), query
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="plaza"'
    # A bearer header is checked the same way.
    response = await refused_upgrade(
        ws, subprotocols=[SUBPROTOCOL], additional_headers={"Authorization": "Bearer forged"}
    )
    assert (response.status_code, response.body) == (401, b"malformed token\n")

    # With a good token: a wrong path is 404, a missing or wrong subprotocol is 400.
    response = await refused_upgrade(
        f"ws://127.0.0.1:{plaza.server.gateway.port}/nope?token={good}",
        subprotocols=[SUBPROTOCOL],
    )
    assert (response.status_code, response.body) == (404, b"no WebSocket at /nope\n")
    response = await refused_upgrade(f"{ws}?token={good}")
    assert response.status_code == 400
    assert b"subprotocol" in response.body
    response = await refused_upgrade(f"{ws}?token={good}", subprotocols=["plaza.v0"])
    assert response.status_code == 400
    assert b"subprotocol" in response.body

    # No avatar was ever created for any of them.
    await wait_ticks(plaza, 3)
    assert plaza.server.city.count == 0
    assert plaza.server.gateway.sessions == {}
    samples = await plaza.metrics()
    assert samples["plaza_connections"] == 0.0
    assert samples["plaza_avatars"] == 0.0
    assert samples['plaza_upgrades_refused_total{reason="unauthorized"}'] == len(cases) + 1
    assert samples['plaza_upgrades_refused_total{reason="not_found"}'] == 1

    # The same token is fine once everything is right, via query or bearer header.
    async with connect(f"{ws}?token={good}", subprotocols=[SUBPROTOCOL]) as connection:
        first = msgpack.unpackb(await asyncio.wait_for(connection.recv(), TIMEOUT))
        assert first[0] == 64 and first[1]["protocol"] == SUBPROTOCOL
    async with connect(
        ws, subprotocols=[SUBPROTOCOL], additional_headers={"Authorization": f"Bearer {good}"}
    ) as connection:
        first = msgpack.unpackb(await asyncio.wait_for(connection.recv(), TIMEOUT))
        assert first[0] == 64


async def test_refused_upgrade_carries_nothing_after_the_http_response(plaza: Any) -> None:
    """Byte-level: the 401 is the whole answer, no WebSocket frame (no WELCOME) follows."""
    reader, writer = await asyncio.open_connection("127.0.0.1", plaza.server.gateway.port)
    try:
        writer.write(
            b"GET /ws HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\n"
            b"Upgrade: websocket\r\n"
            b"Connection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Protocol: plaza.v1\r\n\r\n"
        )
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), TIMEOUT)  # the server closes after it
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 ")
    lengths = [
        line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    ]
    assert lengths == [str(len(b"missing token\n")).encode()]
    assert body == b"missing token\n"


async def test_refused_handshake_after_auth_leaves_nothing_behind(plaza: Any) -> None:
    ws = f"ws://127.0.0.1:{plaza.server.gateway.port}/ws?token={plaza.mint('alice')}"
    for _ in range(3):
        response = await refused_upgrade(ws)  # valid token, no subprotocol: 400
        assert response.status_code == 400
    await wait_ticks(plaza, 2)
    gateway = plaza.server.gateway
    assert gateway.sessions == {}
    assert gateway._joining == {}
    assert plaza.server.city.count == 0


async def test_a_full_world_refuses_the_upgrade_with_503(plaza_factory: Any) -> None:
    plaza = await plaza_factory(capacity=1)
    first = await plaza.client("first")
    # Refused at the upgrade, with a reason and before any world state.
    with pytest.raises(InvalidStatus) as info:
        await plaza.raw(plaza.mint("second"))
    assert info.value.response.status_code == 503
    assert b"the world is full" in info.value.response.body
    # Once the first leaves, there is room again.
    await first.close()
    await plaza.wait_metric(lambda m: m["plaza_avatars"] == 0.0)
    third = await plaza.client("third")
    assert third.welcome["avatar_id"] != first.avatar_id


# -- framing and malformed input --------------------------------------------------------------


async def test_oversized_frame_closes_with_1009(plaza: Any) -> None:
    a = await plaza.client("big")
    observer = await plaza.client("observer")
    await observer.wait_for(lambda c: a.avatar_id in c.mirror.by_id(), TIMEOUT)

    # Exactly at the limit: refused as malformed, but the connection stays.
    await a.send_raw(b"\xc1" * MAX_CLIENT_FRAME_BYTES)
    await a.wait_for(lambda c: len(c.errors) == 1, TIMEOUT)
    assert a.errors[0].code == ErrorCode.MALFORMED
    assert not a.closed

    await a.send_raw(b"\xc1" * (MAX_CLIENT_FRAME_BYTES + 1))
    await a.wait_for(lambda c: c.closed, TIMEOUT)
    assert a.close_code == CloseCode.MESSAGE_TOO_BIG
    await observer.wait_for(lambda c: a.avatar_id not in c.mirror.by_id(), TIMEOUT)


async def test_malformed_messages_get_an_error_and_the_connection_keeps_working(
    plaza: Any,
) -> None:
    a = await plaza.client("clumsy")
    observer = await plaza.client("observer")
    await observer.wait_for(lambda c: a.avatar_id in c.mirror.by_id(), TIMEOUT)

    bad: list[tuple[bytes | str, ErrorCode, int | None, str]] = [
        (b"\xc1\x00garbage", ErrorCode.MALFORMED, None, "msgpack"),
        ("[1, 2, 3]", ErrorCode.MALFORMED, None, "text frame"),
        (msgpack.packb([42, 1, 2]), ErrorCode.UNKNOWN_OPCODE, 42, "opcode 42"),
        (msgpack.packb([1, 1, math.nan, 0.0, 0.0, 0.0, 0, 0]), ErrorCode.BAD_FIELD, 1, "x"),
        (msgpack.packb({"op": 1}), ErrorCode.MALFORMED, None, "array"),
    ]
    for i, (data, code, opcode, words) in enumerate(bad):
        await a.send_raw(data)
        await a.wait_for(lambda c, n=i + 1: len(c.errors) >= n, TIMEOUT)
        error = a.errors[i]
        assert (error.code, error.opcode) == (code, opcode), error
        assert words in error.reason, error
        assert not a.closed

    # Still fully working: PING gets a PONG and a MOVE reaches the world.
    await asyncio.wait_for(a.sync_clock(samples=1), TIMEOUT)
    target = np.asarray(a.welcome["position"]) + np.array([0.5, 0.0, 0.5])
    await a.move(*target)
    origin = observer.mirror.origin
    await observer.wait_for(lambda c: sees_at(c, a.avatar_id, quantised(target, origin)), TIMEOUT)
    assert len(a.errors) == len(bad)


async def test_repeated_garbage_closes_with_1008(plaza: Any) -> None:
    a = await plaza.client("vandal")
    sent = 0
    try:
        for _ in range(100):
            await a.send_raw(b"\xc1")
            sent += 1
            await asyncio.sleep(0)
    except ConnectionClosed:
        pass
    await a.wait_for(lambda c: c.closed, TIMEOUT)
    assert a.close_code == CloseCode.POLICY_VIOLATION
    assert a.close_reason == "repeated malformed messages"
    # Each refused message was answered before the budget ran out, and it ran out fast.
    assert all(e.code == ErrorCode.MALFORMED for e in a.errors)
    assert 2 <= len(a.errors) <= gateway_mod.ABUSE_BUDGET / 5 + 2
    samples = await plaza.metrics()
    assert samples['plaza_closes_total{code="1008"}'] == 1.0


# -- rate limits ------------------------------------------------------------------------------


async def test_a_flood_is_rate_limited_then_closed(plaza: Any) -> None:
    a = await plaza.client("flooder")
    p = a.welcome["position"]
    # Well past the burst, but not long enough to spend the whole abuse budget.
    for _ in range(int(gateway_mod.INPUT_BURST) + 30):
        await a.move(*p)
    await a.wait_for(lambda c: any(e.code == ErrorCode.RATE_LIMITED for e in c.errors), TIMEOUT)
    error = next(e for e in a.errors if e.code == ErrorCode.RATE_LIMITED)
    assert "per second" in error.reason
    # Dropped, not fatal: once the bucket refills (a PING sent into an empty bucket is
    # dropped silently: one RATE_LIMITED error per second at most), the connection answers.
    await asyncio.sleep(0.2)
    await asyncio.wait_for(a.sync_clock(samples=1), TIMEOUT)
    assert not a.closed

    # A sustained flood spends the abuse budget and is closed.
    flood_started = time.monotonic()
    try:
        for _ in range(5000):
            await a.move(*p)
            await asyncio.sleep(0)  # let the reader see the close frame
    except ConnectionClosed:
        pass
    await a.wait_for(lambda c: c.closed, TIMEOUT)
    assert a.close_code == CloseCode.POLICY_VIOLATION
    assert a.close_reason == "input flood"
    elapsed = time.monotonic() - flood_started + 0.5  # plus the first part and the pause
    # The server does not flood back: rate-limit errors are themselves limited (one per
    # RATE_ERROR_INTERVAL_S) although dozens of messages were dropped.
    limit = 1 + math.ceil(elapsed / gateway_mod.RATE_ERROR_INTERVAL_S)
    assert 1 <= sum(e.code == ErrorCode.RATE_LIMITED for e in a.errors) <= limit
    samples = await plaza.metrics()
    assert samples['plaza_inputs_dropped_total{reason="rate"}'] >= 30
    assert samples['plaza_closes_total{code="1008"}'] == 1.0


async def test_a_well_behaved_20hz_client_is_never_limited(plaza: Any) -> None:
    a = await plaza.client("walker")
    observer = await plaza.client("observer")
    start = np.asarray(a.welcome["position"], dtype=np.float64)
    # Inputs queued during a short network stall arrive at once (within the burst) ...
    for _ in range(100):
        await a.move(*start)
    # ... then the client walks (1.4 m/s) in VR at 20 Hz: MOVE + POSE every tick, PING each second.
    joint = (0.0, 1.6, 0.0, 0.0, 0.0, 0.0, 1.0)
    hand = (0.3, 1.2, 0.2, 0.0, 0.0, 0.0, 1.0)
    position = start
    for i in range(30):
        position = start + np.array([1.4 * 0.05 * (i + 1), 0.0, 0.0])
        await a.move(*position, flags=int(AvatarFlag.VR))
        await a.pose(joint, hand, hand)
        if i % 10 == 0:
            await asyncio.wait_for(a.sync_clock(samples=1), TIMEOUT)
        await asyncio.sleep(0.05)
    origin = observer.mirror.origin
    await observer.wait_for(lambda c: sees_at(c, a.avatar_id, quantised(position, origin)), TIMEOUT)
    assert a.errors == []
    assert a.corrections == []  # walking speed is never corrected
    assert not a.closed
    samples = await plaza.metrics()
    assert samples.get('plaza_inputs_dropped_total{reason="rate"}', 0.0) == 0.0


# -- movement validation ----------------------------------------------------------------------


async def test_a_speed_hack_is_corrected_and_never_seen_by_others(plaza: Any) -> None:
    rules = plaza.server.city.config.world.movement
    a = await plaza.client("hacker")
    b = await plaza.client("witness")
    start = np.asarray(a.welcome["position"], dtype=np.float64)
    origin = b.mirror.origin
    await b.wait_for(lambda c: a.avatar_id in c.mirror.by_id(), TIMEOUT)
    await b.wait_for(lambda c: c.frames >= 2, TIMEOUT)
    # Everything B is ever shown of A from here on.
    views: list[tuple[int, float, np.ndarray]] = []

    def on_frame(frame: WorldFrame) -> None:
        position = seen(b, a.avatar_id)
        if position is not None:
            views.append((frame.tick, frame.server_time, position))

    plaza.record_frames(b, on_frame)
    tick0, time0 = b.mirror.tick, b.mirror.server_time

    target = start + np.array([100.0, 0.0, 0.0])
    seq = await a.move(*target)
    await a.wait_for(lambda c: c.corrections, TIMEOUT)
    correction = a.corrections[0]
    assert correction.seq == seq
    assert correction.reason == "speed limit"
    corrected = np.array([correction.x, correction.y, correction.z])
    allowance = rules.max_budget_m + rules.slack_m
    assert np.linalg.norm(corrected - start) <= allowance + 1e-3
    assert corrected[0] > start[0] + 1.0  # cut short along the way, not refused outright
    assert np.allclose(corrected[1:], start[1:], atol=1e-3)
    await b.wait_for(lambda c: sees_at(c, a.avatar_id, quantised(corrected, origin)), TIMEOUT)

    # The hacker keeps insisting for a while; B never sees more than the allowance plus what
    # the speed limit allows for the server time that passed (and a quantum of rounding).
    for _ in range(10):
        await a.move(*target)
        await asyncio.sleep(0.05)
    frames = b.frames
    await b.wait_for(lambda c: c.frames >= frames + 3, TIMEOUT)
    assert views
    rounding = POSITION_QUANTUM_M * math.sqrt(3) / 2 + 1e-6
    for tick, server_time, position in views:
        limit = (
            rules.max_budget_m
            + rules.slack_m * (tick - tick0)
            + rules.max_speed_mps * (server_time - time0)
            + rounding
        )
        assert np.linalg.norm(position - start) <= limit, (tick, position)
    assert max(np.linalg.norm(p - start) for _, _, p in views) < 10.0
    assert b.corrections == []  # corrections go to the mover only
    assert all(c.reason == "speed limit" for c in a.corrections)


# -- clock ------------------------------------------------------------------------------------


async def test_clock_sync_and_world_frame_time(plaza: Any) -> None:
    a = await plaza.client("clock")
    log = plaza.record_frames(a)
    offset = await asyncio.wait_for(a.sync_clock(samples=5), TIMEOUT)
    assert abs(offset) < 0.05
    assert a.clock.rtt < 1.0
    assert abs(a.server_now() - time.time()) < 0.05

    await a.wait_for(lambda c: len(log.frames) >= 8, TIMEOUT)
    frames = list(log.frames)
    ticks = [f.tick for f in frames]
    times = [f.server_time for f in frames]
    assert ticks == sorted(set(ticks))  # strictly increasing
    assert all(t1 > t0 for t0, t1 in itertools.pairwise(times))
    assert frames[0].tick >= a.welcome["tick"]
    assert frames[0].server_time >= a.welcome["server_time"]
    # Server time is wall-clock time (Unix seconds) on the server's clock.
    assert abs(frames[-1].server_time - a.server_now()) < 1.0
