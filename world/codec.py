"""The sans-I/O codec of ``plaza.v1``: bytes in, messages out; messages in, bytes out.

Every message is one msgpack array ``[opcode, ...]``. Decoding checks the frame size, the
msgpack structure against explicit limits, and each field's type and range, raising
``ProtocolError`` with an ``ErrorCode`` and a reason a client developer can act on. Nothing
here knows about sockets or event loops, so tests feed bytes and read bytes.

``decode_client`` is what the server runs on input; ``decode_server`` is the client side
(the Python SDK and the tests use it). WORLD frames are encoded by ``world.deltas``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgpack

from world.codec_alert import Alert, decode_alert
from world.codec_social import (
    ChatMessage,
    EnterZone,
    SocialMessage,
    ZoneEvent,
    decode_social,
    encode_social,
)
from world.codec_stage import React, Stage, decode_react, decode_stage, encode_react
from world.protocol import (
    FLAG_MASK_CLIENT,
    MAX_CLIENT_FRAME_BYTES,
    MAX_POSE_REACH_M,
    MAX_REASON_CHARS,
    MAX_REQUEST_ID_CHARS,
    MAX_STRING_BYTES,
    MAX_TOKEN_FIELD_BYTES,
    ErrorCode,
    Opcode,
)

__all__ = [
    "ClientMessage",
    "Correction",
    "ErrorMessage",
    "Moderate",
    "Move",
    "Ping",
    "Pong",
    "Pose",
    "ProtocolError",
    "Renew",
    "Result",
    "ServerMessage",
    "TokenExpiring",
    "Welcome",
    "WorldFrame",
    "decode_client",
    "decode_server",
    "encode_client",
    "encode_correction",
    "encode_error",
    "encode_pong",
    "encode_result",
    "encode_token_expiring",
    "encode_welcome",
]

# Structural limits handed to the msgpack unpacker: the largest client message is a POSE
# (an array of 3 arrays of 7 numbers), so anything deeper or longer is not ours.
_MAX_ARRAY_LEN = 16
_MAX_MAP_LEN = 16
_U32 = 0xFFFFFFFF
# Coordinates beyond a kilometre-scale world are garbage, not positions.
_COORD_BOUND = 1e6
_YAW_BOUND = 1e3
# Server frames carry up to 254 slots of rows; the client-side limits are generous.
_SERVER_MAX_BIN = 1 << 20
_SERVER_MAX_ARRAY = 4096


class ProtocolError(ValueError):
    """A message was refused. ``code`` goes into the ERROR reply; ``reason`` says why."""

    def __init__(self, code: ErrorCode, reason: str, opcode: int | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.opcode = opcode


class Move(NamedTuple):
    """The client's avatar body: absolute position (m, zone coordinates), yaw (rad), anim, flags.

    A named tuple, so a tick's moves become one numpy array in a single call.
    """

    seq: int
    x: float
    y: float
    z: float
    yaw: float
    anim: int
    flags: int


@dataclass(frozen=True)
class Pose:
    """VR head, left and right hand: each (dx, dy, dz, qx, qy, qz, qw), offsets from the root."""

    seq: int
    head: tuple[float, ...]
    left: tuple[float, ...]
    right: tuple[float, ...]


@dataclass(frozen=True)
class Ping:
    """Clock sync request: the client's own clock reading, echoed back in PONG."""

    client_time: float


@dataclass(frozen=True)
class Renew:
    """A fresh access token for the same user, before the current one expires."""

    token: str


@dataclass(frozen=True)
class Moderate:
    """A moderator's request: ban or mute someone, or lift a sanction.

    ``request_id`` is the client's idempotency key: resending the same request with the
    same id never acts twice, and the RESULT carries it back. The target is an avatar in
    view (``avatar``) or a user id (``subject``).
    """

    request_id: str
    action: str
    avatar: int | None = None
    subject: str | None = None
    reason: str = ""
    minutes: int | None = None
    sanction: int | None = None


MODERATE_ACTIONS = ("ban", "mute", "lift")
# The RESULT of a RENEW carries this request id; other requests may not use it.
RENEW_REQUEST_ID = "renew"

_SOCIAL_OPCODES = frozenset({Opcode.SAY, Opcode.BLOCK, Opcode.REPORT, Opcode.ZONE})

ClientMessage = Move | Pose | Ping | Renew | Moderate | SocialMessage | React


@dataclass(frozen=True)
class Welcome:
    """First message after the upgrade: who you are and the world's parameters."""

    info: dict[str, Any]


@dataclass(frozen=True)
class WorldFrame:
    """One tick's delta: leaves, then enters, then body and pose rows, applied in that order."""

    tick: int
    server_time: float
    leaves: list[int]
    enters: list[list[Any]]
    body: bytes
    poses: bytes


@dataclass(frozen=True)
class Correction:
    """The server moved the avatar: where it is now, and the seq of the MOVE it answers."""

    seq: int
    x: float
    y: float
    z: float
    reason: str


@dataclass(frozen=True)
class Pong:
    """Clock sync reply."""

    client_time: float
    server_time: float


@dataclass(frozen=True)
class ErrorMessage:
    """A refused message; the connection stays open."""

    code: int
    reason: str
    opcode: int | None


@dataclass(frozen=True)
class TokenExpiring:
    """The access token expires at ``expires_at`` (Unix seconds): send RENEW before then."""

    expires_at: float


@dataclass(frozen=True)
class Result:
    """The outcome of a request: ``detail`` is a map when ``ok``, else the reason (a string)."""

    request_id: str
    ok: bool
    detail: Any


ServerMessage = (
    Welcome
    | WorldFrame
    | Correction
    | Pong
    | ErrorMessage
    | TokenExpiring
    | Result
    | ChatMessage
    | ZoneEvent
    | EnterZone
    | Stage
    | Alert
)

_packer_options: dict[str, Any] = {"use_bin_type": True}


def _pack(obj: list[Any]) -> bytes:
    data: bytes = msgpack.packb(obj, **_packer_options)
    return data


def _unpack(data: bytes, *, client: bool) -> list[Any]:
    try:
        if client:
            obj = msgpack.unpackb(
                data,
                raw=False,
                strict_map_key=True,
                # The longest string is a RENEW's token; other strings are checked per field.
                max_str_len=MAX_TOKEN_FIELD_BYTES,
                max_bin_len=MAX_STRING_BYTES,
                max_array_len=_MAX_ARRAY_LEN,
                max_map_len=_MAX_MAP_LEN,
                max_ext_len=0,
            )
        else:
            obj = msgpack.unpackb(
                data,
                raw=False,
                strict_map_key=False,
                max_bin_len=_SERVER_MAX_BIN,
                max_array_len=_SERVER_MAX_ARRAY,
            )
    except msgpack.ExtraData:
        raise ProtocolError(ErrorCode.MALFORMED, "trailing bytes after the message") from None
    except (ValueError, msgpack.UnpackException) as exc:
        raise ProtocolError(ErrorCode.MALFORMED, f"not a valid msgpack message: {exc}") from None
    if not isinstance(obj, list) or not obj:
        raise ProtocolError(ErrorCode.MALFORMED, "a message is a non-empty msgpack array")
    if not isinstance(obj[0], int) or isinstance(obj[0], bool):
        raise ProtocolError(ErrorCode.MALFORMED, "the first element must be an integer opcode")
    return obj


def _uint(value: Any, name: str, limit: int, opcode: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= limit:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"{name} must be an integer 0..{limit}", opcode)
    return value


def _real(value: Any, name: str, opcode: int, bound: float = 1e6) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(ErrorCode.BAD_FIELD, f"{name} must be a number", opcode)
    number = float(value)
    if not math.isfinite(number) or abs(number) > bound:
        raise ProtocolError(
            ErrorCode.BAD_FIELD, f"{name} must be finite and within ±{bound:g}", opcode
        )
    return number


def _arity(msg: list[Any], n: int, shape: str) -> None:
    if len(msg) != n:
        raise ProtocolError(ErrorCode.MALFORMED, f"expected {shape}", msg[0])


def _joint(value: Any, name: str) -> tuple[float, ...]:
    op = int(Opcode.POSE)
    if not isinstance(value, list) or len(value) != 7:
        raise ProtocolError(ErrorCode.MALFORMED, f"{name} must be [dx, dy, dz, qx, qy, qz, qw]", op)
    offset = [_real(v, f"{name} offset", op, MAX_POSE_REACH_M) for v in value[:3]]
    if math.sqrt(sum(v * v for v in offset)) > MAX_POSE_REACH_M:
        raise ProtocolError(
            ErrorCode.BAD_FIELD, f"{name} is more than {MAX_POSE_REACH_M:g} m from the avatar", op
        )
    quat = [_real(v, f"{name} rotation", op, 2.0) for v in value[3:]]
    norm = math.sqrt(sum(q * q for q in quat))
    # Clients normalise in float32; anything far from unit length is not a rotation.
    if not 0.5 <= norm <= 1.5:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"{name} rotation must be a unit quaternion", op)
    return (*offset, *(q / norm for q in quat))


def _text(value: Any, name: str, limit: int, opcode: int, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty):
        raise ProtocolError(ErrorCode.BAD_FIELD, f"{name} must be a non-empty string", opcode)
    if len(value) > limit:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"{name} longer than {limit} characters", opcode)
    return value


def _moderate(msg: list[Any]) -> Moderate:
    op = int(Opcode.MODERATE)
    request_id = _text(msg[1], "request_id", MAX_REQUEST_ID_CHARS, op)
    if request_id == RENEW_REQUEST_ID:
        raise ProtocolError(
            ErrorCode.BAD_FIELD, f"request_id {RENEW_REQUEST_ID!r} is reserved for RENEW", op
        )
    action = msg[2]
    if action not in MODERATE_ACTIONS:
        raise ProtocolError(
            ErrorCode.BAD_FIELD, f"action must be one of {', '.join(MODERATE_ACTIONS)}", op
        )
    args = msg[3]
    if not isinstance(args, dict):
        raise ProtocolError(ErrorCode.BAD_FIELD, "args must be a map", op)
    unknown = set(args) - {"avatar", "subject", "reason", "minutes", "sanction"}
    if unknown:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"unknown args: {', '.join(sorted(unknown))}", op)
    avatar = args.get("avatar")
    subject = args.get("subject")
    minutes = args.get("minutes")
    sanction = args.get("sanction")
    if action == "lift":
        if sanction is None:
            raise ProtocolError(ErrorCode.BAD_FIELD, "lift needs args.sanction (its id)", op)
        return Moderate(request_id, action, sanction=_uint(sanction, "sanction", 2**63 - 1, op))
    if (avatar is None) == (subject is None):
        raise ProtocolError(
            ErrorCode.BAD_FIELD, "give exactly one of args.avatar and args.subject", op
        )
    return Moderate(
        request_id,
        action,
        avatar=None if avatar is None else _uint(avatar, "avatar", _U32, op),
        subject=None if subject is None else _text(subject, "subject", 200, op),
        reason=_text(args.get("reason"), "reason", MAX_REASON_CHARS, op),
        minutes=None if minutes is None else _uint(minutes, "minutes", _U32, op),
    )


def decode_client(data: bytes | bytearray | memoryview | str) -> ClientMessage:
    """Decode one client frame. Raises ``ProtocolError`` for anything not in the contract."""
    if isinstance(data, str):
        raise ProtocolError(ErrorCode.MALFORMED, "text frames are not accepted; send binary")
    if len(data) > MAX_CLIENT_FRAME_BYTES:
        raise ProtocolError(ErrorCode.MALFORMED, f"frame exceeds {MAX_CLIENT_FRAME_BYTES} bytes")
    msg = _unpack(bytes(data), client=True)
    op = msg[0]
    if op == Opcode.MOVE and len(msg) == 8:
        # Fast path for the message sent 20 times a second by every client: well-typed
        # fields in range are accepted with a few comparisons (NaN fails them all); anything
        # else falls through to the field-by-field checks that name the problem.
        _, seq, x, y, z, yaw, anim, flags = msg
        if (
            type(seq) is int
            and 0 <= seq <= _U32
            and type(x) is float
            and -_COORD_BOUND <= x <= _COORD_BOUND
            and type(y) is float
            and -_COORD_BOUND <= y <= _COORD_BOUND
            and type(z) is float
            and -_COORD_BOUND <= z <= _COORD_BOUND
            and type(yaw) is float
            and -_YAW_BOUND <= yaw <= _YAW_BOUND
            and type(anim) is int
            and 0 <= anim <= 255
            and type(flags) is int
            and 0 <= flags <= 255
            and not flags & ~FLAG_MASK_CLIENT
        ):
            return Move(seq, x, y, z, yaw, anim, flags)
    if op == Opcode.MOVE:
        _arity(msg, 8, "[1, seq, x, y, z, yaw, anim, flags]")
        flags = _uint(msg[7], "flags", 255, op)
        if flags & ~FLAG_MASK_CLIENT:
            raise ProtocolError(
                ErrorCode.BAD_FIELD, f"flags may only use bits {FLAG_MASK_CLIENT:#04x}", op
            )
        return Move(
            _uint(msg[1], "seq", _U32, op),
            _real(msg[2], "x", op, _COORD_BOUND),
            _real(msg[3], "y", op, _COORD_BOUND),
            _real(msg[4], "z", op, _COORD_BOUND),
            _real(msg[5], "yaw", op, _YAW_BOUND),
            _uint(msg[6], "anim", 255, op),
            flags,
        )
    if op == Opcode.POSE:
        _arity(msg, 5, "[2, seq, head, left, right]")
        return Pose(
            _uint(msg[1], "seq", _U32, op),
            _joint(msg[2], "head"),
            _joint(msg[3], "left"),
            _joint(msg[4], "right"),
        )
    if op == Opcode.PING:
        _arity(msg, 2, "[3, client_time]")
        return Ping(_real(msg[1], "client_time", op, 1e15))
    if op == Opcode.RENEW:
        _arity(msg, 2, "[4, token]")
        token = msg[1]
        if not isinstance(token, str) or not token or not token.isascii():
            raise ProtocolError(ErrorCode.BAD_FIELD, "token must be a non-empty ASCII string", op)
        return Renew(token)
    if op == Opcode.MODERATE:
        _arity(msg, 4, "[5, request_id, action, args]")
        return _moderate(msg)
    if op in _SOCIAL_OPCODES:
        return decode_social(msg)
    if op == Opcode.REACT:
        return decode_react(msg)
    raise ProtocolError(ErrorCode.UNKNOWN_OPCODE, f"unknown opcode {op}", op)


def encode_client(message: ClientMessage) -> bytes:
    """Encode a client message (the SDK's side of ``decode_client``)."""
    if isinstance(message, Move):
        body: list[Any] = [
            int(Opcode.MOVE),
            message.seq,
            message.x,
            message.y,
            message.z,
            message.yaw,
            message.anim,
            message.flags,
        ]
    elif isinstance(message, Pose):
        body = [
            int(Opcode.POSE),
            message.seq,
            list(message.head),
            list(message.left),
            list(message.right),
        ]
    elif isinstance(message, Ping):
        body = [int(Opcode.PING), message.client_time]
    elif isinstance(message, Renew):
        body = [int(Opcode.RENEW), message.token]
    elif isinstance(message, React):
        return encode_react(message)
    elif not isinstance(message, Moderate):
        return encode_social(message)
    else:
        args: dict[str, Any] = {}
        if message.action == "lift":
            args["sanction"] = message.sanction
        else:
            args["avatar" if message.avatar is not None else "subject"] = (
                message.avatar if message.avatar is not None else message.subject
            )
            args["reason"] = message.reason
            if message.minutes is not None:
                args["minutes"] = message.minutes
        body = [int(Opcode.MODERATE), message.request_id, message.action, args]
    return _pack(body)


def encode_token_expiring(expires_at: float) -> bytes:
    """TOKEN_EXPIRING: ``[69, expires_at]``."""
    return _pack([int(Opcode.TOKEN_EXPIRING), float(expires_at)])


def encode_result(request_id: str, ok: bool, detail: Any) -> bytes:
    """RESULT: ``[70, request_id, ok, detail]`` (a map when ok, else the reason)."""
    return _pack([int(Opcode.RESULT), request_id, ok, detail])


def encode_welcome(info: dict[str, Any]) -> bytes:
    """WELCOME: ``[64, info]``."""
    return _pack([int(Opcode.WELCOME), info])


def encode_correction(seq: int, position: tuple[float, float, float], reason: str) -> bytes:
    """CORRECTION: ``[66, seq, x, y, z, reason]``."""
    x, y, z = position
    return _pack([int(Opcode.CORRECTION), seq, x, y, z, reason])


def encode_pong(client_time: float, server_time: float) -> bytes:
    """PONG: ``[67, client_time, server_time]``."""
    return _pack([int(Opcode.PONG), client_time, server_time])


def encode_error(code: ErrorCode, reason: str, opcode: int | None = None) -> bytes:
    """ERROR: ``[68, code, reason, opcode or nil]``."""
    return _pack([int(Opcode.ERROR), int(code), reason, opcode])


def decode_server(data: bytes | bytearray | memoryview) -> ServerMessage:
    """Decode one server frame (client side). Raises ``ProtocolError`` on a malformed one."""
    msg = _unpack(bytes(data), client=False)
    op = msg[0]
    try:
        if op == Opcode.WORLD:
            _, tick, server_time, leaves, enters, body, poses = msg
            return WorldFrame(tick, float(server_time), leaves, enters, body, poses)
        if op == Opcode.WELCOME:
            return Welcome(msg[1])
        if op == Opcode.CORRECTION:
            _, seq, x, y, z, reason = msg
            return Correction(seq, x, y, z, reason)
        if op == Opcode.PONG:
            return Pong(float(msg[1]), float(msg[2]))
        if op == Opcode.ERROR:
            return ErrorMessage(msg[1], msg[2], msg[3])
        if op == Opcode.TOKEN_EXPIRING:
            return TokenExpiring(float(msg[1]))
        if op == Opcode.RESULT:
            _, request_id, ok, detail = msg
            return Result(request_id, bool(ok), detail)
        if op == Opcode.CHAT:
            return ChatMessage(dict(msg[1]))
        if op == Opcode.ZONE_EVENT:
            _, zone, kind, data = msg
            return ZoneEvent(zone, kind, data)
        if op == Opcode.ENTER_ZONE:
            return EnterZone(dict(msg[1]))
        if op == Opcode.STAGE:
            return decode_stage(msg)
        if op == Opcode.ALERT:
            return decode_alert(msg)
    except (ValueError, IndexError, TypeError) as exc:
        raise ProtocolError(ErrorCode.MALFORMED, f"bad server message {op}: {exc}", op) from None
    raise ProtocolError(ErrorCode.UNKNOWN_OPCODE, f"unknown server opcode {op}", op)
