"""Interest management: which avatars each observer sees, and in which slot.

Every observer sees at most ``k`` avatars: the nearest ones on the ground plane within
``radius`` metres, in its own zone instance (with hysteresis, see ``recompute``). Each
visible avatar occupies one of the observer's ``k`` slots; an avatar keeps its slot for as
long as it stays visible, so the wire can name it with one byte. Slot changes are reported
as enter and leave events.

The nearest-neighbour query runs on a ``scipy.spatial.cKDTree`` built once per tick over
all live avatars. Measured on the target machine, a vectorised k-nearest query on the tree
beats a Python-level spatial hash by a wide margin for k = 50 (docs/performance.md); the
tree is the spatial index, the rest of the module is pure numpy over all observers at once.
Instances are kept apart by shifting each instance far along x, so one tree serves all.

Recompute is amortised: each tick refreshes one ``1/period`` window of observers (plus any
marked fresh, such as newcomers), while positions of already-visible avatars still stream
every tick. Departed avatars are pruned every tick, for every observer.

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
# Keys combine a row number with an avatar id; ids are below 2**32.
_ROW_KEY = np.int64(1) << np.int64(33)

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
        period: int = 4,
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

    def mark_fresh(self, handle: int) -> None:
        """Recompute this observer on the next pass (it teleported or changed instance)."""
        self._fresh.add(handle)

    def prune_departed(self, table: AvatarTable) -> tuple[InterestEvents, IntArray]:
        """Empty every slot whose avatar has left; return the leave events and the rows.

        The second value is ``visible`` resolved to table rows for all live observers in row
        order (``-1`` for empty slots), which the delta encoder needs anyway.
        """
        handles = table.live_handles()
        vis = self.visible[handles]
        if table.removals == self._removals_seen:
            return InterestEvents.empty(), table.rows_of_live(vis)
        self._removals_seen = table.removals
        rows = table.rows_of(vis)
        gone = (vis > 0) & (rows < 0)
        if not gone.any():
            return InterestEvents.empty(), rows
        obs, slot = np.nonzero(gone)
        gone_handles = handles[obs]
        gone_ids = vis[obs, slot]
        self.visible[gone_handles, slot] = 0
        self.rank[gone_handles, slot] = _NO_RANK
        e = np.zeros(0, dtype=np.int64)
        return InterestEvents(gone_handles, slot.astype(np.int64), gone_ids, e, e, e), rows

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

    def nearest(self, table: AvatarTable, rows: IntArray, count: int) -> IntArray:
        """For each observer row, the ids of up to ``count`` nearest avatars within the radius
        in its instance, nearest first, 0-padded to ``count`` columns."""
        n = table.count
        s = rows.size
        out = np.zeros((s, count), dtype=np.int64)
        if s == 0 or n < 2:
            return out
        points = _plane_points(table)
        tree = cKDTree(points)
        kq = min(count + 1, n)
        _, idx = tree.query(points[rows], k=kq, distance_upper_bound=self.radius)
        idx = np.asarray(idx, dtype=np.int64).reshape(s, kq)
        # The observer itself is usually first, but ties at distance 0 can put it anywhere.
        valid = (idx < n) & (idx != rows[:, None])
        order = np.argsort(~valid, axis=1, kind="stable")[:, :count]
        idx = np.take_along_axis(idx, order, axis=1)
        valid = np.take_along_axis(valid, order, axis=1)
        ids = table.ids[np.where(valid, idx, 0)]
        out[:, : idx.shape[1]] = np.where(valid, ids, 0)
        return out

    def recompute(self, table: AvatarTable, rows: IntArray) -> InterestEvents:
        """Refresh the visible sets of the observers at ``rows``, keeping slots stable.

        Hysteresis: an avatar already visible stays while it is among the ``k + hysteresis``
        nearest; the free places go to the nearest newcomers. In a walking crowd this keeps
        the boundary of the view from churning every tick (each change costs an enter with a
        full description), while an observer that starts empty gets exactly the k nearest.
        """
        if rows.size == 0:
            return InterestEvents.empty()
        k = self.k
        cand = self.nearest(table, rows, k + self.hysteresis)
        handles = table.handles[rows]
        old = self.visible[handles]
        s, width = cand.shape
        base_old = np.arange(s, dtype=np.int64)[:, None] * _ROW_KEY

        # Membership both ways through per-row sorted keys: row * 2**33 + id is globally
        # sorted once each row is, so one searchsorted answers for every observer.
        cand_order = np.argsort(cand, axis=1, kind="stable")
        cand_keys = (np.take_along_axis(cand, cand_order, axis=1) + base_old).ravel()
        old_keys_sorted = (np.sort(old, axis=1) + base_old).ravel()
        old_flat = (old + base_old).ravel()
        pos = np.minimum(np.searchsorted(cand_keys, old_flat), cand_keys.size - 1)
        kept = (cand_keys[pos] == old_flat).reshape(s, k) & (old > 0)
        cand_flat = (cand + base_old).ravel()
        cpos = np.minimum(np.searchsorted(old_keys_sorted, cand_flat), old_keys_sorted.size - 1)
        incumbent = (old_keys_sorted[cpos] == cand_flat).reshape(s, width) & (cand > 0)

        newcomer = (cand > 0) & ~incumbent
        room = k - kept.sum(axis=1)
        entering = newcomer & (np.cumsum(newcomer, axis=1) <= room[:, None])
        leaving = (old > 0) & ~kept

        vis = np.where(kept, old, 0)
        rank = np.full((s, k), _NO_RANK, dtype=np.uint8)
        # A kept avatar's rank is its column in `cand`, found back through the sort order.
        local = np.clip(pos.reshape(s, k) - np.arange(s)[:, None] * width, 0, width - 1)
        kept_cols = np.take_along_axis(cand_order, local, axis=1)
        rank[kept] = np.minimum(kept_cols[kept], _NO_RANK - 1).astype(np.uint8)

        # Pair the j-th entering avatar (nearest first) with the j-th free slot (lowest first).
        free_first = np.argsort(vis != 0, axis=1, kind="stable")
        n_enter = entering.sum(axis=1)
        er, src = np.nonzero(entering)
        j = np.arange(src.size) - np.repeat(np.cumsum(n_enter) - n_enter, n_enter)
        dest = free_first[er, j]
        enter_ids = cand[er, src]
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


def _plane_points(table: AvatarTable) -> npt.NDArray[np.float64]:
    n = table.count
    points = np.empty((n, 2), dtype=np.float64)
    points[:, 0] = table.position[:n, 0]
    points[:, 0] += table.instance[:n] * INSTANCE_SPACING_M
    points[:, 1] = table.position[:n, 2]
    return points
