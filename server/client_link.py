"""The transport seam: how the tick hands a frame to one client's socket.

The tick writes every client's frame synchronously, straight into the WebSocket protocol
object and the transport buffer, instead of awaiting ``send()`` per client: one coroutine
per client per tick would cost more than the frames themselves, and the tick must never
wait on a slow client. Back-pressure is read from the transport's write buffer: a client
whose buffer is above ``SEND_HIGH_WATER_BYTES`` is *held* (the world skips its frame and
merges what it missed into the next one), and one held for ``MAX_HELD_S`` is closed.

``server.ws_transport.WebSocketConnection`` implements the seam on the ``websockets``
library's protocol core; another transport would implement the same members.
"""

from __future__ import annotations

from typing import Protocol

__all__ = [
    "MAX_HELD_S",
    "SEND_ABORT_BYTES",
    "SEND_HIGH_WATER_BYTES",
    "ClientLink",
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

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake; the connection is dropped if it does not finish."""
