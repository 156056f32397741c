"""Interest management: which avatars each observer sees, and in which slot.

Every observer sees at most ``k`` avatars: the nearest ones on the ground plane within
``radius`` metres, in its own zone instance (with hysteresis, see ``recompute``). Each
visible avatar occupies one of the observer's ``k`` slots; an avatar keeps its slot for as
long as it stays visible, so the wire can name it with one byte. Slot changes are reported
as enter and leave events.

The nearest-neighbour query runs on a ``scipy.spatial.cKDTree`` built once per tick over
all live avatars and queried in C for every due observer at once. It measures faster than
an exact uniform spatial hash: with cells covering the view radius, the hash must examine
950 to 7,600 candidates per observer in a festival crowd to find the 60 nearest, and is 6 to
74 times slower (``plaza bench interest``, docs/performance.md). Instances are kept apart by
shifting each instance far along x, so one tree serves all.

Recompute is amortised: each tick refreshes one ``1/period`` window of observers (plus any
marked fresh, such as newcomers), while positions of already-visible avatars still stream
every tick. Departed avatars are pruned every tick (when any left), for every observer.

This module is the only writer of ``visible`` and ``rank``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from world.avatars import AvatarTable

__all__ = ["INSTANCE_SPACING_M", "MAX_VISIBLE", "InterestEvents", "InterestManager"]

# Far larger than any view radius or zone, so two instances are never within reach.
INSTANCE_SPACING_M = 1.0e6
# Slots are one byte on the wire; 255 marks "empty" in the rank table.
MAX_VISIBLE = 254
_NO_RANK = 255
# Cells of the membership scratch (int16): 16 MiB whatever the capacity; larger worlds
# recompute in more, smaller chunks.
_STAMP_CELLS = 1 << 23

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class InterestEvents:
    """Slot changes found in one pass, as parallel arrays (observer handle, slot, avatar id).

    Leaves carry the id that left the slot; enters the id that now holds it.
    """

    leave_handles: IntArray
    leave_slots: IntArray
    leave_ids: IntArray
    enter_handles: IntArray
    enter_slots: IntArray
    enter_ids: IntArray

    @staticmethod
    def empty() -> InterestEvents:
        """No events."""
        e = np.zeros(0, dtype=np.int64)
        return InterestEvents(e, e, e, e, e, e)

    @property
    def count(self) -> int:
        """Total number of events."""
        return int(self.leave_handles.size + self.enter_handles.size)

    @staticmethod
    def concat(parts: list[InterestEvents]) -> InterestEvents:
        """Join several event batches, keeping their order (leaves of earlier batches first)."""
        if not parts:
            return InterestEvents.empty()
        if len(parts) == 1:
            return parts[0]
        return InterestEvents(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in _EVENT_FIELDS)
        )


_EVENT_FIELDS = (
    "leave_handles",
    "leave_slots",
    "leave_ids",
    "enter_handles",
    "enter_slots",
    "enter_ids",
)


class InterestManager:
    """Per-observer visible sets with stable slots, indexed by avatar handle."""

    def __init__(
        self,
        capacity: int,
        k: int = 50,
        radius: float = 60.0,
        period: int = 8,
        hysteresis: int = 10,
    ) -> None:
        if not 1 <= k <= MAX_VISIBLE:
            raise ValueError(f"k must be within 1..{MAX_VISIBLE}, got {k}")
        if radius <= 0:
            raise ValueError("radius must be positive")
        if period < 1:
            raise ValueError("period must be at least 1")
        self.k = k
        self.radius = float(radius)
        self.period = period
        self.hysteresis = max(0, hysteresis)
        self._removals_seen = 0
        self._capacity = capacity
        # Scratch for membership tests: observers per chunk x table rows, -1 when clean.
        # Sized by the rows in use, not the capacity: a zone's world may hold thousands,
        # and a quiet zone should not keep megabytes of scratch it never touches.
        self._chunk = 8
        self._stamp = np.full((self._chunk, 0), -1, dtype=np.int16)
        # visible[h, s]: id of the avatar in slot s of observer h (0 = empty).
        self.visible = np.zeros((capacity, k), dtype=np.int64)
        # rank[h, s]: that avatar's distance rank at the last recompute (0 = nearest).
        self.rank = np.full((capacity, k), _NO_RANK, dtype=np.uint8)
        self._fresh: set[int] = set()
        self._cursor = 0

    def reset(self, handle: int) -> None:
        """Clear an observer's view (a newcomer) and recompute it on the next pass."""
        self.visible[handle] = 0
        self.rank[handle] = _NO_RANK
        self._fresh.add(handle)

    def forget(self, handle: int) -> None:
        """Drop a departed observer from the pending recompute set."""
        self._fresh.discard(handle)

    def prune_departed(self, table: AvatarTable) -> InterestEvents:
        """Empty every slot whose avatar has left the table, or is back in it in another
        instance than the observer's (a move between instances is a removal, then an add
        with the same id); return the leave events."""
        if table.removals == self._removals_seen:
            return InterestEvents.empty()
        self._removals_seen = table.removals
        handles = table.live_handles()
        vis = self.visible[handles]
        rows = table.rows_of(vis)
        instance = table.instance[: table.count]
        gone = (vis > 0) & ((rows < 0) | (instance[rows] != instance[:, None]))
        if not gone.any():
            return InterestEvents.empty()
        obs, slot = np.nonzero(gone)
        gone_handles = handles[obs]
        gone_ids = vis[obs, slot]
        self.visible[gone_handles, slot] = 0
        self.rank[gone_handles, slot] = _NO_RANK
        e = np.zeros(0, dtype=np.int64)
        return InterestEvents(gone_handles, slot.astype(np.int64), gone_ids, e, e, e)

    def visible_rows(self, table: AvatarTable) -> IntArray:
        """``visible`` of every live observer (in row order) as table rows, -1 for empty.

        Valid after ``prune_departed``: every id left in ``visible`` is live.
        """
        return table.rows_of_live(self.visible[table.live_handles()])

    def mark_fresh(self, handle: int) -> None:
        """Recompute this observer on the next pass (it teleported or changed instance)."""
        self._fresh.add(handle)

    def due_rows(self, table: AvatarTable) -> IntArray:
        """The rows to recompute this tick: the next round-robin window plus fresh observers."""
        n = table.count
        if n == 0:
            self._fresh.clear()
            return np.zeros(0, dtype=np.int64)
        window = -(-n // self.period)
        start = self._cursor % n
        rows = np.arange(start, start + window, dtype=np.int64) % n
        self._cursor = (start + window) % n
        if self._fresh:
            fresh = np.fromiter(self._fresh, dtype=np.int64, count=len(self._fresh))
            fresh_rows = table.rows_by_handle(fresh)
            rows = np.union1d(rows, fresh_rows[fresh_rows >= 0])
            self._fresh.clear()
        return rows

    def nearest(
        self, table: AvatarTable, rows: IntArray, count: int, index: _SpatialIndex | None = None
    ) -> IntArray:
        """For each observer row, the table rows of up to ``count`` nearest avatars within the
        radius in its instance, nearest first, padded with -1 to ``count`` columns."""
        n = table.count
        s = rows.size
        out = np.full((s, count), -1, dtype=np.int64)
        if s == 0 or n < 2:
            return out
        tree, points = index if index is not None else _spatial_index(table)
        kq = min(count + 1, n)
        _, idx = tree.query(points[rows], k=kq, distance_upper_bound=self.radius)
        idx = np.asarray(idx, dtype=np.int64).reshape(s, kq)
        # The tree lists neighbours nearest first with misses (index n) at the end. The
        # observer itself is usually first, but ties at distance 0 can put it anywhere, or
        # past the k-th column: drop its column by shifting the columns after it left.
        is_self = idx == rows[:, None]
        self_col = np.where(is_self.any(axis=1), is_self.argmax(axis=1), kq)
        width = min(count, kq - 1)
        cols = np.arange(width)
        shifted = np.where(cols[None, :] < self_col[:, None], cols, cols + 1)
        picked = np.take_along_axis(idx, np.minimum(shifted, kq - 1), axis=1)
        # A column shifted past the last one means the row ran out of neighbours.
        picked[(shifted >= kq) | (picked >= n)] = -1
        out[:, :width] = picked
        return out

    def recompute(self, table: AvatarTable, rows: IntArray) -> InterestEvents:
        """Refresh the visible sets of the observers at ``rows``, keeping slots stable.

        Hysteresis: an avatar already visible stays while it is among the ``k + hysteresis``
        nearest; the free places go to the nearest newcomers. In a walking crowd this keeps
        the boundary of the view from churning every tick (each change costs an enter with a
        full description), while an observer that starts empty gets exactly the k nearest.
        Call after ``prune_departed``, so every id in ``visible`` is live.
        """
        if rows.size == 0:
            return InterestEvents.empty()
        self._fit_stamp(table.count)
        index = _spatial_index(table)
        parts = [
            self._recompute_chunk(table, rows[i : i + self._chunk], index)
            for i in range(0, rows.size, self._chunk)
        ]
        return InterestEvents.concat(parts)

    def _fit_stamp(self, rows: int) -> None:
        """Grow the stamp matrix to cover ``rows`` table rows (doubling, up to capacity)."""
        width = self._stamp.shape[1]
        if width >= rows:
            return
        width = min(self._capacity, max(rows, 2 * width, 64))
        self._chunk = int(np.clip(_STAMP_CELLS // width, 8, 1024))
        self._stamp = np.full((self._chunk, width), -1, dtype=np.int16)

    def _recompute_chunk(
        self, table: AvatarTable, rows: IntArray, index: _SpatialIndex
    ) -> InterestEvents:
        k = self.k
        cand = self.nearest(table, rows, k + self.hysteresis, index)
        handles = table.handles[rows]
        old = self.visible[handles]
        old_rows = table.rows_of_live(old)
        s, width = cand.shape

        # Membership both ways through a stamp matrix indexed by (observer, table row):
        # write one side's column numbers, read them back at the other side's rows, wipe.
        stamp = self._stamp.ravel()
        line = (np.arange(s, dtype=np.int64) * self._stamp.shape[1])[:, None]
        cand_at = np.where(cand >= 0, line + cand, -1)
        old_at = np.where(old_rows >= 0, line + old_rows, -1)
        cand_cells = cand_at[cand_at >= 0]
        old_cells = old_at[old_at >= 0]
        stamp[cand_cells] = np.broadcast_to(np.arange(width, dtype=np.int16), (s, width))[
            cand_at >= 0
        ]
        kept_col = np.where(old_at >= 0, stamp[old_at], -1)
        stamp[cand_cells] = -1
        kept = kept_col >= 0
        stamp[old_cells] = 0
        incumbent = (cand_at >= 0) & (stamp[cand_at] == 0)
        stamp[old_cells] = -1

        newcomer = (cand >= 0) & ~incumbent
        room = k - kept.sum(axis=1)
        entering = newcomer & (np.cumsum(newcomer, axis=1) <= room[:, None])
        leaving = (old > 0) & ~kept

        vis = np.where(kept, old, 0)
        rank = np.full((s, k), _NO_RANK, dtype=np.uint8)
        rank[kept] = np.minimum(kept_col[kept], _NO_RANK - 1).astype(np.uint8)

        # Pair the j-th entering avatar (nearest first) with the j-th free slot (lowest first).
        free_first = np.argsort(vis != 0, axis=1, kind="stable")
        n_enter = entering.sum(axis=1)
        er, src = np.nonzero(entering)
        j = np.arange(src.size) - np.repeat(np.cumsum(n_enter) - n_enter, n_enter)
        dest = free_first[er, j]
        enter_ids = table.ids[cand[er, src]]
        vis[er, dest] = enter_ids
        rank[er, dest] = np.minimum(src, _NO_RANK - 1).astype(np.uint8)

        self.visible[handles] = vis
        self.rank[handles] = rank
        lr, ls = np.nonzero(leaving)
        return InterestEvents(
            handles[lr],
            ls.astype(np.int64),
            old[lr, ls],
            handles[er],
            dest.astype(np.int64),
            enter_ids,
        )


_SpatialIndex = tuple[cKDTree, npt.NDArray[np.float64]]


def _spatial_index(table: AvatarTable) -> _SpatialIndex:
    """A k-d tree over every live avatar's ground-plane point, built once per tick."""
    points = _plane_points(table)
    # An unbalanced, uncompacted tree builds about a third faster; queries cost the same.
    return cKDTree(points, balanced_tree=False, compact_nodes=False), points


def _plane_points(table: AvatarTable) -> npt.NDArray[np.float64]:
    n = table.count
    points = np.empty((n, 2), dtype=np.float64)
    points[:, 0] = table.position[:n, 0]
    points[:, 0] += table.instance[:n] * INSTANCE_SPACING_M
    points[:, 1] = table.position[:n, 2]
    return points
