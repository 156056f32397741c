"""The sans-I/O codec of ``plaza.v1``'s crowd messages: REACT in, STAGE out.

REACT (10) is a client's cheer, clap or heart; the world counts them (``world.reactions``)
and never relays them one by one. STAGE (74) carries, once per tick, the performers standing
on a stage that the client does not see in its WORLD frames and the reaction counts of its
instance and of the whole zone (``world.stage`` decides who gets what). ``world.codec``
dispatches these opcodes here; checks and error reasons follow the rest of the codec.

A STAGE message is ``[74, tick, performers, [here, zone]]``. Each performer is packed once
per tick (``encode_stage_performer``) and the packed entries are reused by every instance's
message, which differ only in which entries they leave out and in their counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

from world.protocol import ErrorCode, Opcode, ReactionKind
from world.quantize import BODY_STATE_BYTES, POSE_STATE_BYTES, dequantize_body, dequantize_pose

__all__ = [
    "React",
    "Stage",
    "StagePerformer",
    "decode_react",
    "decode_stage",
    "encode_react",
    "encode_stage",
    "encode_stage_performer",
    "finish_stage",
    "stage_head",
]

_KINDS = len(ReactionKind)
_KIND_RULE = "kind must be " + ", ".join(
    f"{int(kind)} ({kind.name.lower()})" for kind in ReactionKind
)


@dataclass(frozen=True)
class React:
    """A cheer, clap or heart (``ReactionKind``) from the client's avatar."""

    kind: int


@dataclass(frozen=True)
class StagePerformer:
    """A performer on stage as STAGE carries it (client side): the avatar id, its body state
    (the 9 bytes of a WORLD body row after the slot, in the zone's quanta) and, for a VR
    avatar, its pose state (the 30 bytes of a pose row after the slot)."""

    avatar_id: int
    body: bytes
    pose: bytes | None = None

    def state(self, origin: np.ndarray) -> dict[str, Any]:
        """Dequantised body: position (m, zone coordinates), yaw (rad), anim, flags."""
        position, yaw, anim, flags = dequantize_body(
            np.frombuffer(self.body, dtype=np.uint8).reshape(1, -1), origin
        )
        return {
            "position": position[0].tolist(),
            "yaw": float(yaw[0]),
            "anim": int(anim[0]),
            "flags": int(flags[0]),
        }

    def joints(self) -> list[list[float]] | None:
        """Dequantised VR pose (head, left, right), or None when the avatar sends none."""
        if self.pose is None:
            return None
        joints: list[list[float]] = dequantize_pose(
            np.frombuffer(self.pose, dtype=np.uint8).reshape(1, -1)
        )[0].tolist()
        return joints


@dataclass(frozen=True)
class Stage:
    """One tick's STAGE (client side): performers on stage out of your view, and reaction
    counts (cheer, clap, heart) of your instance and of the whole zone in that tick."""

    tick: int
    performers: tuple[StagePerformer, ...]
    here: tuple[int, int, int]
    zone: tuple[int, int, int]


def _error(code: ErrorCode, reason: str, opcode: int) -> Exception:
    # Imported late: world.codec imports this module to dispatch to it.
    from world.codec import ProtocolError

    return ProtocolError(code, reason, opcode)


def decode_react(msg: list[Any]) -> React:
    """Decode an unpacked REACT array ``[10, kind]``."""
    op = msg[0]
    if len(msg) != 2:
        raise _error(ErrorCode.MALFORMED, "expected [10, kind]", op)
    kind = msg[1]
    if type(kind) is not int or not 0 <= kind < _KINDS:
        raise _error(ErrorCode.BAD_FIELD, _KIND_RULE, op)
    return React(kind)


def encode_react(message: React) -> bytes:
    """REACT: ``[10, kind]`` (the SDK's side of ``decode_react``)."""
    return _pack([int(Opcode.REACT), message.kind])


def encode_stage_performer(avatar_id: int, body: bytes, pose: bytes | None) -> bytes:
    """One packed performer entry ``[avatar_id, body, pose or nil]``."""
    return _pack([avatar_id, body, pose])


def stage_head(tick: int, performers: Sequence[bytes]) -> bytes:
    """Everything of a STAGE message before its counts: shared by every instance that is
    told about the same performers in this tick."""
    packer = msgpack.Packer(use_bin_type=True)
    return b"".join(
        (
            b"\x94",  # fixarray of 4: opcode, tick, performers, reactions
            packer.pack(int(Opcode.STAGE)),
            packer.pack(tick),
            packer.pack_array_header(len(performers)),
            *performers,
        )
    )


def finish_stage(head: bytes, here: Sequence[int], zone: Sequence[int]) -> bytes:
    """A whole STAGE message: ``head`` followed by ``[here, zone]``."""
    return head + _pack([list(here), list(zone)])


def encode_stage(
    tick: int, performers: Sequence[bytes], here: Sequence[int], zone: Sequence[int]
) -> bytes:
    """STAGE: ``[74, tick, performers, [here, zone]]`` from packed performer entries."""
    return finish_stage(stage_head(tick, performers), here, zone)


def _counts(value: Any) -> tuple[int, int, int]:
    if not isinstance(value, list) or len(value) != _KINDS:
        raise ValueError("reaction counts must be [cheer, clap, heart]")
    cheer, clap, heart = (int(v) for v in value)
    return cheer, clap, heart


def decode_stage(msg: list[Any]) -> Stage:
    """Decode an unpacked STAGE array (client side). Raises ValueError, IndexError or
    TypeError on a malformed one (``decode_server`` reports them as MALFORMED)."""
    _, tick, raw_performers, (here, zone) = msg
    performers = []
    for avatar_id, body, pose in raw_performers:
        if not isinstance(body, bytes) or len(body) != BODY_STATE_BYTES:
            raise ValueError(f"a performer's body must be {BODY_STATE_BYTES} bytes")
        if pose is not None and (not isinstance(pose, bytes) or len(pose) != POSE_STATE_BYTES):
            raise ValueError(f"a performer's pose must be {POSE_STATE_BYTES} bytes or nil")
        performers.append(StagePerformer(int(avatar_id), body, pose))
    return Stage(int(tick), tuple(performers), _counts(here), _counts(zone))


def _pack(obj: list[Any]) -> bytes:
    data: bytes = msgpack.packb(obj, use_bin_type=True)
    return data
