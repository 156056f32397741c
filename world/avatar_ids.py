"""IdSpace: public avatar ids and where each live one sits (which table, which row).

An id is a generational slot number, ``id = generation << slot_bits | slot``: a slot is
reused only with a new generation, so a stale id never reaches a newcomer, and the
id-to-row map is three slot-sized arrays instead of a dictionary (lookups vectorise with a
mask and a shift). One space may be shared by several avatar tables, one per zone instance:
an avatar keeps its id when it moves between instances, and a slot records which table
(its *owner*) holds it, so a table never mistakes another table's avatar for its own.

The nodes of a cluster split one space: node ``i`` of ``n`` hands out only slots
``i * capacity`` to ``(i + 1) * capacity - 1``, so an id names one avatar in the whole
cluster, and a performer shown on another node's stage is never mistaken for a local one.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

__all__ = ["ID_SPACE", "IdSpace"]

# Ids are u32 on the wire; the generation must stay at least 1 so 0 can mean "no avatar".
ID_SPACE = 1 << 32

IntArray = npt.NDArray[np.int64]


class IdSpace:
    """Allocates avatar ids for up to ``capacity`` live avatars and maps them to rows."""

    def __init__(self, capacity: int, node_index: int = 0, nodes: int = 1) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        if not 0 <= node_index < nodes:
            raise ValueError(f"node index must be within 0..{nodes - 1}, got {node_index}")
        self.capacity = capacity
        # A power-of-two slot space turns id -> slot into a mask instead of a division.
        self.slot_bits = max(1, (capacity * nodes - 1).bit_length())
        self.slot_mask = (1 << self.slot_bits) - 1
        size = 1 << self.slot_bits
        self._row = np.full(size, -1, dtype=np.int64)
        self._gen = np.ones(size, dtype=np.int64)
        self._owner = np.full(size, -1, dtype=np.int64)
        self._taken = np.zeros(size, dtype=np.bool_)
        # First in, first out: a freed slot waits behind every other free one, so an id's
        # generation wraps only after 2**32 / capacity reuses of its slot *and* of all
        # others, long after any client could still hold the old id.
        first = node_index * capacity
        self._free: deque[int] = deque(range(first, first + capacity))
        self._max_generation = (ID_SPACE - 1) >> self.slot_bits
        self._owners = 0

    def new_owner(self) -> int:
        """A tag for one table that places ids of this space in its rows."""
        self._owners += 1
        return self._owners

    @property
    def free(self) -> int:
        """How many more ids can be live at once."""
        return len(self._free)

    def allocate(self) -> int:
        """A fresh id. Raises ``OverflowError`` when every slot is taken."""
        if not self._free:
            raise OverflowError("no avatar id left")
        slot = self._free.popleft()
        self._taken[slot] = True
        return (int(self._gen[slot]) << self.slot_bits) | slot

    def release(self, avatar_id: int) -> None:
        """Give a live id back; it is never handed out again with this generation."""
        if not self.is_live(avatar_id):
            return
        slot = avatar_id & self.slot_mask
        self._row[slot] = -1
        self._owner[slot] = -1
        self._taken[slot] = False
        generation = int(self._gen[slot]) + 1
        self._gen[slot] = 1 if generation > self._max_generation else generation
        self._free.append(slot)

    def is_live(self, avatar_id: int) -> bool:
        """True for an id handed out and not yet released."""
        if avatar_id <= 0 or avatar_id >= ID_SPACE:
            return False
        slot = avatar_id & self.slot_mask
        return bool(self._taken[slot]) and int(self._gen[slot]) == avatar_id >> self.slot_bits

    def bind(self, avatar_id: int, owner: int, row: int) -> None:
        """Record that ``owner``'s row ``row`` holds ``avatar_id``."""
        slot = avatar_id & self.slot_mask
        self._owner[slot] = owner
        self._row[slot] = row

    def unbind(self, avatar_id: int) -> None:
        """The id is in no table (between two instances, or about to be released)."""
        slot = avatar_id & self.slot_mask
        self._owner[slot] = -1
        self._row[slot] = -1

    def owner_of(self, avatar_id: int) -> int:
        """The owner tag of the table holding a live id, or -1."""
        if avatar_id <= 0:
            return -1
        slot = avatar_id & self.slot_mask
        if int(self._gen[slot]) != avatar_id >> self.slot_bits:
            return -1
        return int(self._owner[slot])

    def row_of(self, avatar_id: int, owner: int) -> int:
        """The row of ``avatar_id`` in ``owner``'s table, or -1."""
        if avatar_id <= 0:
            return -1
        slot = avatar_id & self.slot_mask
        if int(self._gen[slot]) != avatar_id >> self.slot_bits or self._owner[slot] != owner:
            return -1
        return int(self._row[slot])

    def rows_of(self, avatar_ids: IntArray, owner: int) -> IntArray:
        """Vectorised ``row_of``: -1 where an id is 0, stale, unknown or elsewhere."""
        ids = np.asarray(avatar_ids, dtype=np.int64)
        slots = ids & self.slot_mask
        live = (
            (self._gen[slots] == (ids >> self.slot_bits))
            & (self._owner[slots] == owner)
            & (ids > 0)
        )
        return np.where(live, self._row[slots], -1)

    def rows_of_live(self, avatar_ids: IntArray) -> IntArray:
        """``rows_of`` for ids known to be live in the asking table, or 0."""
        ids = np.asarray(avatar_ids, dtype=np.int64)
        return np.where(ids > 0, self._row[ids & self.slot_mask], -1)

    def set_row(self, avatar_id: int, row: int) -> None:
        """The id moved to another row of the same table (a swap-remove)."""
        self._row[avatar_id & self.slot_mask] = row
