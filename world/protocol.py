"""The wire vocabulary of ``plaza.v1``: opcodes, close codes, error codes and limits.

Everything a client and the server must agree on byte for byte lives here, so that
``docs/protocol.md`` has one source to be checked against. The codec (``world.codec``)
turns bytes into messages and back using these names; nothing here does any I/O.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "CLIENT_OPCODES",
    "FLAG_MASK_CLIENT",
    "MAX_CHAT_CHARS",
    "MAX_CLIENT_FRAME_BYTES",
    "MAX_NAME_CHARS",
    "MAX_POSE_REACH_M",
    "MAX_REASON_CHARS",
    "MAX_REQUEST_ID_CHARS",
    "MAX_STRING_BYTES",
    "MAX_TOKEN_FIELD_BYTES",
    "MAX_ZONE_TYPE_CHARS",
    "POSITION_QUANTUM_M",
    "POSITION_RANGE_M",
    "SUBPROTOCOL",
    "ZONE_SEQ_GAP",
    "AvatarFlag",
    "CloseCode",
    "ErrorCode",
    "Opcode",
    "ReactionKind",
]

SUBPROTOCOL = "plaza.v1"

# A client message is a handful of numbers; 4 KiB leaves room for later text messages
# (chat) while keeping a hostile peer from making the server buffer megabytes.
MAX_CLIENT_FRAME_BYTES = 4096
# Longest text field accepted from a client, in UTF-8 bytes.
MAX_STRING_BYTES = 512
# Display names are drawn above avatars; longer names clutter the crowd.
MAX_NAME_CHARS = 32

# Positions travel as unsigned 16-bit integers relative to the zone origin:
# 1/32 m (3.1 cm) is finer than an avatar's footstep and 65536 steps cover 2048 m,
# the whole of Seoul Plaza and the tourism district with room to spare.
POSITION_QUANTUM_M = 1.0 / 32.0
POSITION_RANGE_M = 65536 * POSITION_QUANTUM_M
# VR head and hands are sent relative to the avatar's root; a human reaches about a metre
# around the head, so anything past 2.5 m is a bad pose, not a long arm.
MAX_POSE_REACH_M = 2.5


class Opcode(IntEnum):
    """First element of every message array. Client-to-server below 64, server-to-client from 64."""

    MOVE = 1
    POSE = 2
    PING = 3
    RENEW = 4
    MODERATE = 5
    SAY = 6
    BLOCK = 7
    REPORT = 8
    ZONE = 9
    REACT = 10

    WELCOME = 64
    WORLD = 65
    CORRECTION = 66
    PONG = 67
    ERROR = 68
    TOKEN_EXPIRING = 69
    RESULT = 70
    CHAT = 71
    ZONE_EVENT = 72
    ENTER_ZONE = 73
    STAGE = 74
    ALERT = 75


CLIENT_OPCODES = frozenset(
    {
        Opcode.MOVE,
        Opcode.POSE,
        Opcode.PING,
        Opcode.RENEW,
        Opcode.MODERATE,
        Opcode.SAY,
        Opcode.BLOCK,
        Opcode.REPORT,
        Opcode.ZONE,
        Opcode.REACT,
    }
)

# A RENEW carries a whole access token; real ones are well under 2 KiB.
MAX_TOKEN_FIELD_BYTES = 3072
# Request ids double as idempotency keys: a UUID fits with room for a prefix.
MAX_REQUEST_ID_CHARS = 100
# Moderation reasons are read by people; a paragraph is enough.
MAX_REASON_CHARS = 500
# A chat line is read in a small panel above a crowd; longer text belongs in a proposal.
MAX_CHAT_CHARS = 300
# After ENTER_ZONE a client's MOVE and POSE seq continue above the floor it is given: the
# last accepted seq plus this gap, so inputs still in flight from the old zone (a few seconds
# of them at most) are stale and ignored instead of dragging the avatar across the new one.
ZONE_SEQ_GAP = 1024
# ZONE message types are short names such as "notice.post" or "poll.vote".
MAX_ZONE_TYPE_CHARS = 40


class AvatarFlag(IntEnum):
    """Bits of an avatar's ``flags`` byte."""

    VR = 1  # head and hand poses are tracked; pose rows follow
    SEATED = 2
    SPEAKING = 4
    AWAY = 8


# Bits a client may set on its own avatar; the rest are the server's to give.
FLAG_MASK_CLIENT = int(AvatarFlag.VR | AvatarFlag.SEATED | AvatarFlag.SPEAKING | AvatarFlag.AWAY)


class ReactionKind(IntEnum):
    """What a REACT carries: a crowd's cheer, clap or heart, counted per tick, never relayed
    one by one (STAGE carries the counts)."""

    CHEER = 0
    CLAP = 1
    HEART = 2


class CloseCode(IntEnum):
    """WebSocket close codes the server uses (RFC 6455 section 7.4 and the 4000 private range)."""

    NORMAL = 1000
    GOING_AWAY = 1001  # the server is shutting down
    POLICY_VIOLATION = 1008  # repeated malformed input or a sustained flood
    MESSAGE_TOO_BIG = 1009  # a frame over MAX_CLIENT_FRAME_BYTES
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012  # the server is restarting; reconnect after a short wait
    TRY_AGAIN_LATER = 1013  # the world is full or too busy to admit; retry with backoff
    SLOW_CONSUMER = 4002  # the client did not read its frames for too long
    BANNED = 4003  # a moderator banned this user; the reason says until when and why
    TOKEN_EXPIRED = 4005  # the token expired and no RENEW arrived in time
    SESSION_REPLACED = 4006  # the same user connected again; the newer connection took over


class ErrorCode(IntEnum):
    """Codes carried by an ERROR message; the connection stays open."""

    MALFORMED = 1  # not msgpack, not a non-empty array, wrong arity, or a text frame
    UNKNOWN_OPCODE = 2
    BAD_FIELD = 3  # a field of the wrong type or out of its range (NaN, unknown bit)
    RATE_LIMITED = 4  # the message was dropped; slow down
    NOT_ALLOWED = 5  # not permitted now (no avatar yet) or not for this role
    INBOX_FULL = 6  # the server dropped the message under load
