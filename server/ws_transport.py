"""WebSocket transport: a plain ``asyncio.Protocol`` around two sans-I/O cores.

The ``websockets`` library's ``ServerProtocol`` performs the HTTP upgrade (request parsing,
key check, subprotocol negotiation, the 101 or the refusal); once open, ``ws_frames`` parses
the frames. This module only moves bytes between those cores and the socket, without a
task, a queue and a future per message.
Every received message becomes one synchronous call into a ``ConnectionHandler`` (the
gateway), and sending is a synchronous write, so the tick can write thousands of frames
without awaiting. That is the seam the design calls for: the gateway sees ``ClientLink``
and ``ConnectionHandler``, never this module's internals.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from typing import Protocol, cast

from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.typing import Subprotocol

from server.ws_frames import FrameParser
from world.protocol import MAX_CLIENT_FRAME_BYTES

__all__ = [
    "CLOSE_TIMEOUT_S",
    "MAX_UPGRADE_REQUEST_BYTES",
    "OPEN_TIMEOUT_S",
    "ConnectionHandler",
    "WebSocketConnection",
    "WebSocketListener",
]

log = logging.getLogger("plaza.ws")

# A client that has not finished the upgrade by then is dropped (slowloris protection).
OPEN_TIMEOUT_S = 10.0
# The upgrade request's size limit (request line and headers): browsers send about 1 KiB.
MAX_UPGRADE_REQUEST_BYTES = 16 * 1024
# How long a closing handshake may take before the socket is dropped.
CLOSE_TIMEOUT_S = 2.0
# FIN + binary opcode, unmasked, 7-bit payload length.
_SHORT_HEADERS = [bytes((0x82, n)) for n in range(126)]


class ConnectionHandler(Protocol):
    """What the transport calls; implemented by the gateway. None of these may await."""

    def authorize(
        self, connection: WebSocketConnection, request: Request
    ) -> Response | Awaitable[Response | None] | None:
        """Inspect the upgrade request: a response refuses it, None lets it proceed.

        May return an awaitable instead (a key refresh, say); the upgrade then waits for it,
        bounded by the open timeout, while the rest of the server carries on.
        """

    def on_open(self, connection: WebSocketConnection) -> None:
        """The upgrade succeeded."""

    def on_message(self, connection: WebSocketConnection, data: bytes | str) -> None:
        """One complete message (bytes for binary, str for text)."""

    def on_closed(self, connection: WebSocketConnection) -> None:
        """The connection is gone (after on_open only)."""


class WebSocketConnection(asyncio.Protocol):
    """One client socket. Also the ``ClientLink`` the tick writes frames to."""

    def __init__(self, handler: ConnectionHandler, listener: WebSocketListener) -> None:
        self.handler = handler
        self.listener = listener
        self.protocol = ServerProtocol(
            subprotocols=listener.subprotocols,
            max_size=MAX_CLIENT_FRAME_BYTES,
        )
        self.transport: asyncio.Transport | None = None
        self.opened = False
        self.closed = asyncio.get_running_loop().create_future()
        self.context: object = None  # the handler's per-connection state
        self.frames: FrameParser | None = None
        self._head = bytearray()
        self._early = b""
        self._authorizing = False
        self._timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the upgrade timer."""
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)
        self.listener.connections.add(self)
        self._timer = asyncio.get_running_loop().call_later(OPEN_TIMEOUT_S, self._open_timeout)

    def data_received(self, data: bytes) -> None:
        """Feed the upgrade core the request, then (once open) the frame parser the rest."""
        if self.frames is not None:
            self._receive_frames(data)
            return
        if self._authorizing:
            # Frames sent before the answer to the upgrade wait for it, within the same bound.
            if len(self._early) + len(data) > MAX_UPGRADE_REQUEST_BYTES:
                self.abort()
            self._early += data
            return
        # The upgrade core only ever sees the request itself: it would otherwise start
        # parsing frames that a hasty client sent right behind it, and those are ours.
        self._head += data
        end = self._head.find(b"\r\n\r\n")
        if end < 0:
            if len(self._head) > MAX_UPGRADE_REQUEST_BYTES:
                self.abort()
            return
        request, self._early = bytes(self._head[: end + 4]), bytes(self._head[end + 4 :])
        self._head.clear()
        self.protocol.receive_data(request)
        self._process_events()

    def eof_received(self) -> bool | None:
        """The peer half-closed: the conversation is over, so our side closes too."""
        if self.frames is None:
            self.protocol.receive_eof()
            self._process_events()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """Tell the handler and forget the connection."""
        if self._timer is not None:
            self._timer.cancel()
        self.listener.connections.discard(self)
        if self.opened:
            try:
                self.handler.on_closed(self)
            except Exception:
                log.exception("on_closed failed")
        if not self.closed.done():
            self.closed.set_result(None)

    # -- ClientLink -------------------------------------------------------------------------

    def send_now(self, data: bytes | memoryview) -> bool:
        """Frame and write one binary message now; False if the connection is not open.

        Server frames are never masked (RFC 6455 section 5.1), so the header is two to ten
        bytes computed here and the frame goes out in one write.
        """
        frames = self.frames
        if frames is None or frames.close_sent or self.transport is None:
            return False
        size = len(data)
        if size < 126:
            header = _SHORT_HEADERS[size]
        elif size < 65536:
            header = b"\x82\x7e" + size.to_bytes(2, "big")
        else:
            header = b"\x82\x7f" + size.to_bytes(8, "big")
        self.transport.write(header + data)
        return True

    def buffered(self) -> int:
        """Bytes written but not yet taken by the peer's socket."""
        return self.transport.get_write_buffer_size() if self.transport is not None else 0

    @property
    def open(self) -> bool:
        """True while messages can be sent."""
        return self.frames is not None and not self.frames.close_sent

    def abort(self) -> None:
        """Drop the TCP connection at once."""
        if self.transport is not None:
            self.transport.abort()

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake; the socket is dropped after ``CLOSE_TIMEOUT_S``.

        The close frame is written even when the send buffer is full: it queues behind the
        unread frames, and a client that never reads is cut off by the timer instead.
        """
        if self.frames is not None:
            self.frames.start_close(code, reason)
            self._write_outgoing()
        elif self.transport is not None:
            self.transport.close()
        self._arm_close_timer()

    # -- internals --------------------------------------------------------------------------

    def _process_events(self) -> None:
        for event in self.protocol.events_received():
            if isinstance(event, Request):
                self._on_request(event)
                break
        self._flush()

    def _on_request(self, request: Request) -> None:
        result: Response | Awaitable[Response | None] | None
        try:
            result = self.handler.authorize(self, request)
        except Exception:
            log.exception("authorize failed")
            result = self.protocol.reject(500, "internal error\n")
        if inspect.isawaitable(result):
            self._authorizing = True
            task = asyncio.ensure_future(result)
            task.add_done_callback(lambda done: self._authorized(request, done))
            return
        self._complete_upgrade(request, result)

    def _authorized(self, request: Request, task: asyncio.Future[Response | None]) -> None:
        self._authorizing = False
        if self.transport is None or self.transport.is_closing():
            return
        try:
            refusal = task.result()
        except Exception:
            log.exception("authorize failed")
            refusal = self.protocol.reject(500, "internal error\n")
        self._complete_upgrade(request, refusal)
        self._flush()

    def _complete_upgrade(self, request: Request, refusal: Response | None) -> None:
        response = refusal if refusal is not None else self.protocol.accept(request)
        self.protocol.send_response(response)
        if response.status_code == 101 and self.protocol.state is State.OPEN:
            self.opened = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._flush()
            # From here on frames are ours to parse, starting with any sent behind the request.
            self.frames = FrameParser(MAX_CLIENT_FRAME_BYTES)
            self.handler.on_open(self)
            if self._early:
                self._receive_frames(self._early)
        self._early = b""

    def _receive_frames(self, data: bytes) -> None:
        frames = self.frames
        assert frames is not None
        for message in frames.feed(data):
            if frames.close_sent:
                break  # the handler closed the connection: later messages are not read
            try:
                self.handler.on_message(self, message.data)
            except Exception:
                log.exception("on_message failed")
                frames.fail(1011, "internal error")
        self._write_outgoing()
        if frames.done and self.transport is not None:
            # The closing handshake is complete (or failed): the server closes TCP first.
            self.transport.close()

    def _write_outgoing(self) -> None:
        frames = self.frames
        if frames is not None and frames.outgoing and self.transport is not None:
            self.transport.write(b"".join(frames.outgoing))
            frames.outgoing.clear()

    def _flush(self) -> None:
        transport = self.transport
        if transport is None:
            return
        for data in self.protocol.data_to_send():
            if data:
                transport.write(data)
            else:
                # The protocol core signals the end of the stream; the server closes TCP.
                transport.close()

    def _arm_close_timer(self) -> None:
        if self._timer is None and self.transport is not None:
            self._timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S, self.abort)

    def _open_timeout(self) -> None:
        self._timer = None
        if not self.opened:
            self.abort()


class WebSocketListener:
    """A listening socket producing ``WebSocketConnection``s for one handler."""

    def __init__(self, handler: ConnectionHandler, subprotocols: list[str]) -> None:
        self.handler = handler
        self.subprotocols = [Subprotocol(s) for s in subprotocols]
        self.connections: set[WebSocketConnection] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str, port: int, reuse_port: bool = False) -> None:
        """Bind and start accepting (``reuse_port``: several nodes share the port)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: WebSocketConnection(self.handler, self),
            host,
            port,
            backlog=1024,
            reuse_port=reuse_port or None,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    def stop_accepting(self) -> None:
        """Close the listening socket; open connections stay."""
        if self._server is not None:
            self._server.close()

    async def close_all(self, code: int, reason: str, timeout: float = CLOSE_TIMEOUT_S + 1) -> None:
        """Close every connection with ``code`` and wait (bounded) until they are gone."""
        connections = list(self.connections)
        for connection in connections:
            connection.close(code, reason)
        if connections:
            await asyncio.wait([c.closed for c in connections], timeout=timeout)
        for connection in connections:
            connection.abort()
        if self._server is not None:
            await self._server.wait_closed()
