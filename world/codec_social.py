"""The sans-I/O codec of ``plaza.v1``'s social messages: chat, blocks, reports, zones.

Client to server: SAY (6), BLOCK (7), REPORT (8) and ZONE (9); server to client: CHAT (71),
ZONE_EVENT (72) and ENTER_ZONE (73). ``world.codec`` dispatches these opcodes here; the
checks and the error reasons follow the same rules as the rest of the codec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgpack

from world.protocol import (
    MAX_CHAT_CHARS,
    MAX_REASON_CHARS,
    MAX_REQUEST_ID_CHARS,
    MAX_ZONE_TYPE_CHARS,
    ErrorCode,
    Opcode,
)

__all__ = [
    "CHANNELS",
    "Block",
    "ChatMessage",
    "EnterZone",
    "Report",
    "Say",
    "ZoneEvent",
    "ZoneRequest",
    "decode_social",
    "encode_chat",
    "encode_enter_zone",
    "encode_social",
    "encode_zone_event",
]

_U32 = 0xFFFFFFFF
CHANNELS = ("near", "zone", "direct")
"""Where a SAY goes: avatars within the hearing radius, the whole instance, or one user."""
_ZONE_TYPE = re.compile(rf"[a-z][a-z0-9_.-]{{0,{MAX_ZONE_TYPE_CHARS - 1}}}")
# Control characters other than newline and tab would let a line rewrite a chat panel.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Say:
    """A chat line: to those near, to the whole zone instance, or directly to one avatar."""

    request_id: str
    channel: str
    text: str
    to: int | None = None


@dataclass(frozen=True)
class Block:
    """Stop (``blocked``) or resume seeing an avatar's user's chat."""

    request_id: str
    avatar: int
    blocked: bool


@dataclass(frozen=True)
class Report:
    """Report an avatar's user to the moderators, with a reason."""

    request_id: str
    avatar: int
    reason: str


@dataclass(frozen=True)
class ZoneRequest:
    """A message for the zone's script: ``type`` names it, ``data`` carries plain values."""

    request_id: str | None
    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class ChatMessage:
    """A chat line as delivered (client side of CHAT)."""

    info: dict[str, Any]


@dataclass(frozen=True)
class ZoneEvent:
    """A zone script's message (client side of ZONE_EVENT)."""

    zone: str
    type: str
    data: Any


@dataclass(frozen=True)
class EnterZone:
    """The avatar moved to another zone or instance (client side of ENTER_ZONE)."""

    info: dict[str, Any]


SocialMessage = Say | Block | Report | ZoneRequest


def _error(code: ErrorCode, reason: str, opcode: int) -> Exception:
    # Imported late: world.codec imports this module to dispatch to it.
    from world.codec import ProtocolError

    return ProtocolError(code, reason, opcode)


def _request_id(value: Any, opcode: int) -> str:
    from world.codec import RENEW_REQUEST_ID

    if not isinstance(value, str) or not value or len(value) > MAX_REQUEST_ID_CHARS:
        raise _error(
            ErrorCode.BAD_FIELD,
            f"request_id must be a string of 1 to {MAX_REQUEST_ID_CHARS} characters",
            opcode,
        )
    if value == RENEW_REQUEST_ID:
        raise _error(
            ErrorCode.BAD_FIELD, f"request_id {RENEW_REQUEST_ID!r} is reserved for RENEW", opcode
        )
    return value


def _avatar(value: Any, name: str, opcode: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= _U32:
        raise _error(ErrorCode.BAD_FIELD, f"{name} must be an avatar id 1..{_U32}", opcode)
    return value


def _readable(value: Any, name: str, limit: int, opcode: int) -> str:
    if not isinstance(value, str):
        raise _error(ErrorCode.BAD_FIELD, f"{name} must be a string", opcode)
    text = value.strip()
    if not text:
        raise _error(ErrorCode.BAD_FIELD, f"{name} is empty", opcode)
    if len(text) > limit:
        raise _error(
            ErrorCode.BAD_FIELD, f"{name} is {len(text)} characters; at most {limit}", opcode
        )
    if _CONTROL.search(text):
        raise _error(ErrorCode.BAD_FIELD, f"{name} contains control characters", opcode)
    return text


def _arity(msg: list[Any], n: int, shape: str) -> None:
    if len(msg) != n:
        raise _error(ErrorCode.MALFORMED, f"expected {shape}", msg[0])


def decode_social(msg: list[Any]) -> SocialMessage:
    """Decode an unpacked SAY, BLOCK, REPORT or ZONE array (``msg[0]`` is the opcode)."""
    op = msg[0]
    if op == Opcode.SAY:
        _arity(msg, 5, "[6, request_id, channel, text, to]")
        request_id = _request_id(msg[1], op)
        channel = msg[2]
        if channel not in CHANNELS:
            raise _error(ErrorCode.BAD_FIELD, f"channel must be one of {', '.join(CHANNELS)}", op)
        text = _readable(msg[3], "text", MAX_CHAT_CHARS, op)
        if channel == "direct":
            return Say(request_id, channel, text, _avatar(msg[4], "to", op))
        if msg[4] is not None:
            raise _error(ErrorCode.BAD_FIELD, f"to must be nil for channel {channel!r}", op)
        return Say(request_id, channel, text)
    if op == Opcode.BLOCK:
        _arity(msg, 4, "[7, request_id, avatar, blocked]")
        if not isinstance(msg[3], bool):
            raise _error(ErrorCode.BAD_FIELD, "blocked must be true or false", op)
        return Block(_request_id(msg[1], op), _avatar(msg[2], "avatar", op), msg[3])
    if op == Opcode.REPORT:
        _arity(msg, 4, "[8, request_id, avatar, reason]")
        return Report(
            _request_id(msg[1], op),
            _avatar(msg[2], "avatar", op),
            _readable(msg[3], "reason", MAX_REASON_CHARS, op),
        )
    _arity(msg, 4, "[9, request_id or nil, type, data]")
    zone_request_id = None if msg[1] is None else _request_id(msg[1], op)
    kind = msg[2]
    if not isinstance(kind, str) or not _ZONE_TYPE.fullmatch(kind):
        raise _error(
            ErrorCode.BAD_FIELD,
            f"type must be 1 to {MAX_ZONE_TYPE_CHARS} characters: a-z first, then a-z, 0-9, "
            "'_', '.' or '-'",
            op,
        )
    if not isinstance(msg[3], dict):
        raise _error(ErrorCode.BAD_FIELD, "data must be a map", op)
    return ZoneRequest(zone_request_id, kind, msg[3])


def encode_social(message: SocialMessage) -> bytes:
    """Encode a client social message (the SDK's side of ``decode_social``)."""
    if isinstance(message, Say):
        body: list[Any] = [
            int(Opcode.SAY),
            message.request_id,
            message.channel,
            message.text,
            message.to,
        ]
    elif isinstance(message, Block):
        body = [int(Opcode.BLOCK), message.request_id, message.avatar, message.blocked]
    elif isinstance(message, Report):
        body = [int(Opcode.REPORT), message.request_id, message.avatar, message.reason]
    else:
        body = [int(Opcode.ZONE), message.request_id, message.type, dict(message.data)]
    return _pack(body)


def _pack(obj: list[Any]) -> bytes:
    data: bytes = msgpack.packb(obj, use_bin_type=True)
    return data


def encode_chat(info: dict[str, Any]) -> bytes:
    """CHAT: ``[71, {id, channel, from, name, text, time, to?, request_id?}]``."""
    return _pack([int(Opcode.CHAT), info])


def encode_zone_event(zone: str, kind: str, data: Any) -> bytes:
    """ZONE_EVENT: ``[72, zone, type, data]``."""
    return _pack([int(Opcode.ZONE_EVENT), zone, kind, data])


def encode_enter_zone(info: dict[str, Any]) -> bytes:
    """ENTER_ZONE: ``[73, info]`` (the WELCOME map of the new zone, plus ``via``)."""
    return _pack([int(Opcode.ENTER_ZONE), info])
