"""RFC 6455 framing after the upgrade, sans I/O: bytes in, messages and replies out.

The HTTP upgrade is done by the ``websockets`` library; once the connection is open, this
parser takes the byte stream. It exists because it is on the hot path: every client sends
20 messages a second, and a general-purpose frame parser costs more per message than the
rest of the input path together (docs/performance.md). It implements what a server needs
with no extension negotiated:

* client frames must be masked (section 5.1) and have no reserved bits set (5.2);
* data messages may be fragmented (5.4), control frames may arrive between fragments and
  must be final and at most 125 bytes (5.5);
* PING is answered with PONG (5.5.2), a CLOSE is echoed and ends the stream (5.5.1);
* text must be valid UTF-8 (8.1); a message over ``max_size`` closes with 1009 before its
  payload is buffered.

``FrameParser.feed`` returns the complete messages; what to write back (pongs, the close
reply) and whether the stream ended are attributes the caller reads after each feed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CLOSE_MESSAGE_TOO_BIG",
    "CLOSE_PROTOCOL_ERROR",
    "FrameParser",
    "Message",
    "encode_close",
    "encode_frame",
]

CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_INVALID_DATA = 1007
CLOSE_MESSAGE_TOO_BIG = 1009
_NO_STATUS = 1005

_OP_CONT, _OP_TEXT, _OP_BINARY = 0x0, 0x1, 0x2
_OP_CLOSE, _OP_PING, _OP_PONG = 0x8, 0x9, 0xA
_SHORT_HEADERS = [bytes((0x82, n)) for n in range(126)]


@dataclass(frozen=True)
class Message:
    """One complete data message: ``bytes`` for binary, ``str`` for text."""

    data: bytes | str


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked, final server frame (servers never mask, section 5.1)."""
    size = len(payload)
    if opcode == _OP_BINARY and size < 126:
        return _SHORT_HEADERS[size] + payload
    first = 0x80 | opcode
    if size < 126:
        return bytes((first, size)) + payload
    if size < 65536:
        return bytes((first, 126)) + size.to_bytes(2, "big") + payload
    return bytes((first, 127)) + size.to_bytes(8, "big") + payload


def encode_close(code: int, reason: str) -> bytes:
    """A CLOSE frame with a status code and a reason (trimmed to fit 125 bytes).

    The reason must stay valid UTF-8 (RFC 6455 section 5.5.1): it is cut on a character
    boundary, never inside a multi-byte character such as Hangul.
    """
    text = reason.encode()[:123].decode("utf-8", "ignore").encode()
    return encode_frame(_OP_CLOSE, code.to_bytes(2, "big") + text)


def _unmask(payload: bytes, mask: bytes) -> bytes:
    # XOR as one big integer: far cheaper in Python than a loop, and exact.
    n = len(payload)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


class FrameParser:
    """Parses masked client frames; collects messages, control replies and the close."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._buffer = b""
        self._fragments: list[bytes] = []
        self._fragments_size = 0
        self._fragment_text = False
        #: Bytes to write back (PONGs, the CLOSE reply), drained by the caller.
        self.outgoing: list[bytes] = []
        #: Set once a CLOSE was received or sent by ``fail``: (code, reason).
        self.close_code: int | None = None
        self.close_reason = ""
        #: True once the stream is finished: read nothing more, close the socket.
        self.done = False
        #: True once this side sent a CLOSE: the peer's CLOSE then ends the stream unanswered.
        self.close_sent = False

    def fail(self, code: int, reason: str) -> None:
        """Stop parsing and queue a CLOSE with ``code``."""
        if self.done:
            return
        if not self.close_sent:
            self.outgoing.append(encode_close(code, reason))
            self.close_sent = True
        self.close_code, self.close_reason = code, reason
        self.done = True
        self._buffer = b""

    def start_close(self, code: int, reason: str) -> None:
        """Queue this side's CLOSE; parsing goes on until the peer's CLOSE arrives."""
        if not self.close_sent and not self.done:
            self.outgoing.append(encode_close(code, reason))
            self.close_sent = True

    def feed(self, data: bytes) -> list[Message]:
        """Parse ``data``; return the messages it completed."""
        if self.done:
            return []
        buffer = self._buffer + data if self._buffer else data
        messages: list[Message] = []
        pos = 0
        end = len(buffer)
        while end - pos >= 2 and not self.done:
            first, second = buffer[pos], buffer[pos + 1]
            if first & 0x70:
                self.fail(CLOSE_PROTOCOL_ERROR, "reserved bits set")
                break
            if not second & 0x80:
                self.fail(CLOSE_PROTOCOL_ERROR, "client frames must be masked")
                break
            fin, opcode = first & 0x80, first & 0x0F
            size = second & 0x7F
            head = 6
            if size == 126:
                if end - pos < 8:
                    break
                size = int.from_bytes(buffer[pos + 2 : pos + 4], "big")
                head = 8
            elif size == 127:
                if end - pos < 14:
                    break
                size = int.from_bytes(buffer[pos + 2 : pos + 10], "big")
                head = 14
            if opcode >= _OP_CLOSE:
                if size > 125 or not fin:
                    self.fail(CLOSE_PROTOCOL_ERROR, "bad control frame")
                    break
            elif opcode in (_OP_TEXT, _OP_BINARY, _OP_CONT):
                base = self._fragments_size if opcode == _OP_CONT else 0
                if base + size > self.max_size:
                    self.fail(CLOSE_MESSAGE_TOO_BIG, "message too big")
                    break
            else:
                self.fail(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode}")
                break
            if end - pos < head + size:
                break
            mask = buffer[pos + head - 4 : pos + head]
            payload = _unmask(buffer[pos + head : pos + head + size], mask)
            pos += head + size
            message = self._on_frame(bool(fin), opcode, payload)
            if message is not None:
                messages.append(message)
        self._buffer = b"" if self.done else buffer[pos:]
        return messages

    def _on_frame(self, fin: bool, opcode: int, payload: bytes) -> Message | None:
        if opcode == _OP_PING:
            self.outgoing.append(encode_frame(_OP_PONG, payload))
            return None
        if opcode == _OP_PONG:
            return None
        if opcode == _OP_CLOSE:
            self._on_close(payload)
            return None
        if opcode == _OP_CONT:
            if not self._fragments:
                self.fail(CLOSE_PROTOCOL_ERROR, "continuation without a message")
                return None
            self._fragments.append(payload)
            self._fragments_size += len(payload)
        else:
            if self._fragments:
                self.fail(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
                return None
            if fin:
                return self._complete(payload, opcode == _OP_TEXT)
            self._fragments = [payload]
            self._fragments_size = len(payload)
            self._fragment_text = opcode == _OP_TEXT
        if not fin:
            return None
        data = b"".join(self._fragments)
        self._fragments = []
        self._fragments_size = 0
        return self._complete(data, self._fragment_text)

    def _complete(self, data: bytes, text: bool) -> Message | None:
        if not text:
            return Message(data)
        try:
            return Message(data.decode("utf-8"))
        except UnicodeDecodeError:
            self.fail(CLOSE_INVALID_DATA, "invalid UTF-8 in a text message")
            return None

    def _on_close(self, payload: bytes) -> None:
        if len(payload) == 1:
            self.fail(CLOSE_PROTOCOL_ERROR, "bad close payload")
            return
        code = int.from_bytes(payload[:2], "big") if payload else _NO_STATUS
        if payload and not _valid_close_code(code):
            self.fail(CLOSE_PROTOCOL_ERROR, f"invalid close code {code}")
            return
        try:
            reason = payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            self.fail(CLOSE_INVALID_DATA, "invalid UTF-8 in the close reason")
            return
        # Echo the status (section 5.5.1); a close without one is answered with 1000.
        if not self.close_sent:
            reply = CLOSE_NORMAL if code == _NO_STATUS else code
            self.outgoing.append(encode_close(reply, ""))
            self.close_sent = True
        self.close_code, self.close_reason = code, reason
        self.done = True


def _valid_close_code(code: int) -> bool:
    # Section 7.4: 1004-1006 and 1015 are never sent on the wire; 1016-2999 are reserved.
    return (1000 <= code <= 1014 and code not in (1004, 1005, 1006)) or 3000 <= code <= 4999
