"""The transport seam: how the tick hands a frame to one client's socket.

The tick writes every client's frame synchronously, straight into the WebSocket protocol
object and the transport buffer, instead of awaiting ``send()`` per client: one coroutine
per client per tick would cost more than the frames themselves, and the tick must never
wait on a slow client. Back-pressure is read from the transport's write buffer: a client
whose buffer is above ``SEND_HIGH_WATER_BYTES`` is *held* (the world skips its frame and
merges what it missed into the next one), and one held for ``MAX_HELD_S`` is closed.

``WebSocketLink`` implements the seam on the ``websockets`` library; another transport
(a faster asyncio WebSocket library) would implement the same four members.
"""

from __future__ import annotations

from typing import Protocol

from websockets.asyncio.server import ServerConnection
from websockets.protocol import State

__all__ = [
    "MAX_HELD_S",
    "SEND_ABORT_BYTES",
    "SEND_HIGH_WATER_BYTES",
    "ClientLink",
    "WebSocketLink",
]

# About ten full frames: past this the client is not keeping up with the tick rate.
SEND_HIGH_WATER_BYTES = 64 * 1024
# A client held this long is not coming back; its avatar is freed for others.
MAX_HELD_S = 5.0
# Even small direct messages stop here: a peer that reads nothing cannot pin server memory.
SEND_ABORT_BYTES = 4 * 1024 * 1024


class ClientLink(Protocol):
    """What the tick needs from a client's connection."""

    def send_now(self, data: bytes | memoryview) -> bool:
        """Queue one binary message without awaiting; False if the link is not open."""

    def buffered(self) -> int:
        """Bytes written but not yet accepted by the peer's socket."""

    @property
    def open(self) -> bool:
        """True while messages can be sent."""

    def abort(self) -> None:
        """Drop the connection at once, without a closing handshake."""


class WebSocketLink:
    """``ClientLink`` over a ``websockets`` server connection."""

    __slots__ = ("_connection", "_protocol", "_transport")

    def __init__(self, connection: ServerConnection) -> None:
        self._connection = connection
        self._protocol = connection.protocol
        self._transport = connection.transport

    def send_now(self, data: bytes | memoryview) -> bool:
        """Frame and write ``data`` now (a whole, unfragmented message)."""
        if self._protocol.state is not State.OPEN:
            return False
        self._protocol.send_binary(data)
        self._connection.send_data()
        return True

    def buffered(self) -> int:
        """The transport's write buffer size."""
        return int(self._transport.get_write_buffer_size())

    @property
    def open(self) -> bool:
        """True while the WebSocket is open."""
        return self._protocol.state is State.OPEN

    def abort(self) -> None:
        """Close the TCP connection without a handshake."""
        self._transport.abort()
