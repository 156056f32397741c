"""AvatarTable: every avatar's state as a structure of preallocated numpy arrays.

Rows ``0..count-1`` are the live avatars, packed densely so the hot path works on plain
slices (the "live view") without masks. Leaving is an O(1) swap-remove: the last row moves
into the hole. Because rows move, the outside world names an avatar by its public id, a
generational slot of an ``IdSpace`` (``world.avatar_ids``), which also maps ids to rows. A
table has its own id space, or shares one with the other instances of a city so that an
avatar keeps its id when it moves between them. Per-avatar side tables (interest, encoder)
are indexed by *handle*, a small number local to this table.

Only this module changes row layout; other modules write fields through the live view.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt

from world.avatar_ids import IdSpace
from world.quantize import BODY_STATE_BYTES, POSE_JOINTS, POSE_STATE_BYTES

__all__ = ["MAX_CAPACITY", "AvatarDescription", "AvatarTable"]

MAX_CAPACITY = 1 << 20

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class AvatarDescription:
    """What an observer is told once, when an avatar enters its view."""

    name: str
    appearance: dict[str, Any] = field(default_factory=dict)
    role: str = "guest"
    # A short mark on the name tag (an emoji) earned in a zone, such as the stamp tour's.
    badge: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The description map carried by an enter entry (``badge`` only when set)."""
        wire: dict[str, Any] = {"name": self.name, "appearance": self.appearance, "role": self.role}
        if self.badge:
            wire["badge"] = self.badge
        return wire

    @cached_property
    def packed(self) -> bytes:
        """``to_wire()`` as msgpack, computed once: it goes out with every enter of this avatar."""
        data: bytes = msgpack.packb(self.to_wire(), use_bin_type=True)
        return data


class AvatarTable:
    """Structure-of-arrays storage for up to ``capacity`` avatars with O(1) add and remove."""

    def __init__(self, capacity: int, ids: IdSpace | None = None) -> None:
        if not 1 <= capacity <= MAX_CAPACITY:
            raise ValueError(f"capacity must be within 1..{MAX_CAPACITY}, got {capacity}")
        self.capacity = capacity
        self.count = 0
        # Body state in zone coordinates (metres, radians).
        self.position = np.zeros((capacity, 3), dtype=np.float32)
        self.yaw = np.zeros(capacity, dtype=np.float32)
        self.anim = np.zeros(capacity, dtype=np.uint8)
        self.flags = np.zeros(capacity, dtype=np.uint8)
        # VR head, left hand, right hand: offset from the root (m) and quaternion xyzw.
        self.pose = np.zeros((capacity, POSE_JOINTS, 7), dtype=np.float32)
        self.instance = np.zeros(capacity, dtype=np.int32)
        # Bumped whenever the quantised body (or pose) bytes change; observers compare them
        # with what they last sent, so an idle avatar costs nothing on the wire.
        self.version = np.zeros(capacity, dtype=np.uint32)
        self.pose_version = np.zeros(capacity, dtype=np.uint32)
        # The wire rows themselves, byte 0 left for the observer's slot number: a frame is
        # built by moving whole rows as fixed-size elements, then stamping the slot.
        self.body_rows = np.zeros((capacity, 1 + BODY_STATE_BYTES), dtype=np.uint8)
        self.pose_rows = np.zeros((capacity, 1 + POSE_STATE_BYTES), dtype=np.uint8)
        # Movement allowance in metres (see world.movement).
        self.move_budget = np.zeros(capacity, dtype=np.float32)
        # Highest MOVE and POSE seq accepted; -1 so that a first seq of 0 counts as newer.
        self.last_seq = np.zeros(capacity, dtype=np.int64)
        self.last_pose_seq = np.zeros(capacity, dtype=np.int64)
        self.ids = np.zeros(capacity, dtype=np.int64)
        self.handles = np.zeros(capacity, dtype=np.int64)
        self._columns: list[npt.NDArray[Any]] = [
            self.position,
            self.yaw,
            self.anim,
            self.flags,
            self.pose,
            self.instance,
            self.version,
            self.pose_version,
            self.body_rows,
            self.pose_rows,
            self.move_budget,
            self.last_seq,
            self.last_pose_seq,
            self.ids,
            self.handles,
        ]
        # Handles index per-avatar side tables (interest, encoder) and stay local to this
        # table; ids may come from a space shared with other tables (see world.avatar_ids).
        self._own_ids = ids is None
        self.id_space = IdSpace(capacity) if ids is None else ids
        self.owner = self.id_space.new_owner()
        self.handle_bits = max(1, (capacity - 1).bit_length())
        self._handle_row = np.full(1 << self.handle_bits, -1, dtype=np.int64)
        self._free_handles: deque[int] = deque(range(capacity))
        # Counts removals, so observers can skip looking for departures when there were none.
        self.removals = 0
        self.descriptions: dict[int, AvatarDescription] = {}

    @property
    def body_bytes(self) -> npt.NDArray[np.uint8]:
        """Each avatar's quantised body state (``BODY_STATE_BYTES`` per row), a view."""
        return self.body_rows[:, 1:]

    @property
    def pose_bytes(self) -> npt.NDArray[np.uint8]:
        """Each avatar's quantised VR pose (``POSE_STATE_BYTES`` per row), a view."""
        return self.pose_rows[:, 1:]

    def __len__(self) -> int:
        return self.count

    @property
    def full(self) -> bool:
        """True when no row is free."""
        return self.count >= self.capacity

    def add(
        self,
        description: AvatarDescription,
        position: npt.ArrayLike,
        yaw: float = 0.0,
        avatar_id: int = 0,
    ) -> int:
        """Append an avatar and return its public id. Raises ``OverflowError`` when full.

        A table with its own id space allocates the id; a table sharing one is given an
        id allocated from it (an avatar arriving from another instance keeps its id).
        """
        if not self._free_handles:
            raise OverflowError("avatar table is full")
        if self._own_ids:
            avatar_id = self.id_space.allocate()
            # Both free lists are first in, first out and freed together, so with its own
            # space the id's slot is always the handle (tests rely on id & mask == handle).
            handle = self._free_handles.popleft()
        else:
            if self.id_space.owner_of(avatar_id) != -1 or not self.id_space.is_live(avatar_id):
                raise ValueError(f"avatar id {avatar_id} is not free to place")
            handle = self._free_handles.popleft()
        row = self.count
        self.count += 1
        self._handle_row[handle] = row
        self.id_space.bind(avatar_id, self.owner, row)
        for column in self._columns:
            column[row] = 0
        self.position[row] = position
        self.yaw[row] = yaw
        self.last_seq[row] = -1
        self.last_pose_seq[row] = -1
        # Until the first POSE, head and hands hold the identity rotation, not a zero quaternion.
        self.pose[row, :, 6] = 1.0
        self.version[row] = 1
        self.pose_version[row] = 1
        self.ids[row] = avatar_id
        self.handles[row] = handle
        self.descriptions[avatar_id] = description
        return avatar_id

    def remove(self, avatar_id: int) -> bool:
        """Swap-remove an avatar by id. Returns False if the id is not live here.

        A table with its own id space releases the id; with a shared space the id stays
        allocated (unplaced) until its owner releases it, so it can move to another table.
        """
        row = self.row_of(avatar_id)
        if row < 0:
            return False
        handle = int(self.handles[row])
        last = self.count - 1
        if row != last:
            for column in self._columns:
                column[row] = column[last]
            self._handle_row[self.handles[row]] = row
            self.id_space.set_row(int(self.ids[row]), row)
        self.count = last
        self._handle_row[handle] = -1
        self._free_handles.append(handle)
        if self._own_ids:
            self.id_space.release(avatar_id)
        else:
            self.id_space.unbind(avatar_id)
        self.removals += 1
        del self.descriptions[avatar_id]
        return True

    def row_of(self, avatar_id: int) -> int:
        """The current row of a live avatar id, or -1."""
        return self.id_space.row_of(avatar_id, self.owner)

    def handle_of(self, avatar_id: int) -> int:
        """The handle of a live avatar id, or -1. Handles index per-avatar side tables."""
        row = self.row_of(avatar_id)
        return int(self.handles[row]) if row >= 0 else -1

    def rows_of(self, avatar_ids: IntArray) -> IntArray:
        """Vectorised ``row_of``: -1 where an id is 0, stale or unknown."""
        return self.id_space.rows_of(avatar_ids, self.owner)

    def rows_of_live(self, avatar_ids: IntArray) -> IntArray:
        """``rows_of`` for ids known to be live or 0 (no departures since they were checked)."""
        return self.id_space.rows_of_live(avatar_ids)

    def rows_by_handle(self, handles: IntArray) -> IntArray:
        """Rows of the given handles, -1 for a free handle."""
        return self._handle_row[np.asarray(handles, dtype=np.int64)]

    def live_ids(self) -> IntArray:
        """The public ids of the live rows, in row order (a view)."""
        return self.ids[: self.count]

    def live_handles(self) -> IntArray:
        """The handles of the live rows, in row order (a view)."""
        return self.handles[: self.count]
