"""A client's mirror of the avatars it can see, kept by applying WORLD frames in order.

This is the reference for how a client applies a frame (docs/protocol.md, "Applying a WORLD
frame"): leaves, then enters, then body rows, then pose rows. A client that does this holds
exactly the server's quantised state for every avatar in its view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from world.codec import WorldFrame
from world.quantize import (
    BODY_ROW_BYTES,
    POSE_ROW_BYTES,
    dequantize_body,
    dequantize_pose,
)

__all__ = ["MirrorError", "SeenAvatar", "WorldMirror"]


class MirrorError(ValueError):
    """A frame contradicts the mirror (a row for an empty slot, a malformed bin)."""


@dataclass
class SeenAvatar:
    """One visible avatar as the client knows it: raw quantised bytes plus its description."""

    avatar_id: int
    description: dict[str, Any]
    body: bytes = b""
    pose: bytes = b""
    updated_tick: int = 0

    def state(self, origin: np.ndarray) -> dict[str, Any]:
        """Dequantised body: position (m), yaw (rad), anim, flags."""
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
        """Dequantised VR pose (head, left, right), or None if never received."""
        if not self.pose:
            return None
        return dequantize_pose(np.frombuffer(self.pose, dtype=np.uint8).reshape(1, -1))[0].tolist()


@dataclass
class WorldMirror:
    """Slot table of one observer."""

    origin: np.ndarray = field(default_factory=lambda: np.zeros(3))
    slots: dict[int, SeenAvatar] = field(default_factory=dict)
    tick: int = 0
    server_time: float = 0.0

    def apply(self, frame: WorldFrame) -> None:
        """Apply one WORLD frame. Raises ``MirrorError`` if it does not fit the mirror."""
        for slot in frame.leaves:
            if self.slots.pop(slot, None) is None:
                raise MirrorError(f"leave for empty slot {slot}")
        for slot, avatar_id, description in frame.enters:
            if slot in self.slots:
                raise MirrorError(f"enter into occupied slot {slot}")
            self.slots[slot] = SeenAvatar(avatar_id, description)
        self._apply_rows(frame.body, BODY_ROW_BYTES, "body", frame.tick)
        self._apply_rows(frame.poses, POSE_ROW_BYTES, "pose", frame.tick)
        self.tick = frame.tick
        self.server_time = frame.server_time

    def _apply_rows(self, data: bytes, width: int, attr: str, tick: int) -> None:
        if len(data) % width:
            raise MirrorError(f"{attr} bin length {len(data)} is not a multiple of {width}")
        for start in range(0, len(data), width):
            slot = data[start]
            avatar = self.slots.get(slot)
            if avatar is None:
                raise MirrorError(f"{attr} row for empty slot {slot}")
            setattr(avatar, attr, data[start + 1 : start + width])
            avatar.updated_tick = tick

    def by_id(self) -> dict[int, SeenAvatar]:
        """The visible avatars keyed by their public id."""
        return {a.avatar_id: a for a in self.slots.values()}
