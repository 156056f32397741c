"""The transport at the byte level: a silent client is dropped, pipelined frames are read."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from typing import Any

import msgpack
import pytest

from server import ws_transport
from world.protocol import SUBPROTOCOL, Opcode

TIMEOUT = 10.0


def _upgrade_request(port: int, token: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET /ws?token={token} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: {SUBPROTOCOL}\r\n\r\n"
    ).encode()


def _masked_binary(payload: bytes) -> bytes:
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes((0x82, 0x80 | len(payload))) + mask + masked


async def _read_until(reader: asyncio.StreamReader, opcode: int, most: int) -> list[list[Any]]:
    """Skip the HTTP response, then parse unmasked server frames up to one with ``opcode``."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    assert head.startswith(b"HTTP/1.1 101"), head
    messages: list[list[Any]] = []
    while len(messages) < most and not (messages and messages[-1][0] == opcode):
        first, second = await asyncio.wait_for(reader.readexactly(2), TIMEOUT)
        size = second & 0x7F
        if size == 126:
            size = int.from_bytes(await reader.readexactly(2), "big")
        elif size == 127:
            size = int.from_bytes(await reader.readexactly(8), "big")
        payload = await asyncio.wait_for(reader.readexactly(size), TIMEOUT)
        assert first == 0x82, "server data frames are final, binary and unmasked"
        messages.append(msgpack.unpackb(payload, strict_map_key=False))
    return messages


@pytest.mark.parametrize("cut", [None, 3], ids=["whole", "cut"])
async def test_frames_sent_right_behind_the_upgrade_request_are_read(
    plaza: Any, cut: int | None
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", plaza.ws_port)
    try:
        sent_at = time.time()
        frame = _masked_binary(msgpack.packb([int(Opcode.PING), sent_at]))
        # The request and a PING frame behind it in one write, as a hasty client might send;
        # "cut" sends only the frame's first bytes with the request, the rest a moment later.
        head, tail = (frame, b"") if cut is None else (frame[:cut], frame[cut:])
        writer.write(_upgrade_request(plaza.ws_port, plaza.mint("hasty")) + head)
        await writer.drain()
        if tail:
            await asyncio.sleep(0.05)
            writer.write(tail)
            await writer.drain()
        messages = await _read_until(reader, Opcode.PONG, most=50)
        opcodes = [m[0] for m in messages]
        # A PING is answered at once, so its PONG may come before or after WELCOME.
        assert opcodes[-1] == Opcode.PONG, opcodes
        pong = next(m for m in messages if m[0] == Opcode.PONG)
        assert pong[1] == sent_at
    finally:
        writer.close()


async def test_a_client_that_never_finishes_the_upgrade_is_dropped(
    plaza: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ws_transport, "OPEN_TIMEOUT_S", 0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", plaza.ws_port)
    try:
        writer.write(b"GET /ws HTTP/1.1\r\nHost: x\r\n")  # and then nothing more
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), TIMEOUT)
        assert data == b"", "nothing is answered to an unfinished upgrade; the socket is closed"
        assert plaza.server.gateway.sessions == {}
    finally:
        writer.close()
