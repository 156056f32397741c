"""The "leaves, enters" part of WORLD frames, packed for every observer at once.

A frame's middle is two msgpack arrays: the slots that emptied, then ``[slot, id,
description]`` for each slot that filled, both sorted by slot. A tick in a walking crowd has
a thousand or more such events spread over as many observers; packing them one observer at
a time in Python cost several milliseconds a tick. Here the layout of every middle (array
headers, integers in msgpack's shortest form, the description bytes) is computed with numpy
over all events, then written straight into the tick's frame buffer. The bytes equal
``msgpack.packb([leaves, enters])`` with the lists spread into the frame array.

This module is the only place that knows the byte layout of the event lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from world.avatars import AvatarDescription

__all__ = ["EventLists", "uint_sizes", "write_uints"]

IntArray = npt.NDArray[np.int64]
UInt8Array = npt.NDArray[np.uint8]

# An observer has at most MAX_VISIBLE (254) slots, so an event list never needs array 32.
_FIXARRAY_MAX = 15


def uint_sizes(values: IntArray) -> IntArray:
    """Bytes of each non-negative integer (below 2**32) in msgpack's shortest form."""
    return np.where(values < 128, 1, np.where(values < 256, 2, np.where(values < 65536, 3, 5)))


def write_uints(buf: UInt8Array, at: IntArray, values: IntArray, sizes: IntArray) -> None:
    """Write each integer at its offset as msgpack positive fixint, uint 8, uint 16 or uint 32."""
    for size, marker in ((1, None), (2, 0xCC), (3, 0xCD), (5, 0xCE)):
        pick = sizes == size
        if not pick.any():
            continue
        where, value = at[pick], values[pick]
        if marker is None:
            buf[where] = value
            continue
        buf[where] = marker
        for i in range(size - 1):
            buf[where + 1 + i] = (value >> (8 * (size - 2 - i))) & 0xFF


def _array_header_sizes(lengths: IntArray) -> IntArray:
    return np.where(lengths <= _FIXARRAY_MAX, 1, 3)


def _write_array_headers(buf: UInt8Array, at: IntArray, lengths: IntArray) -> None:
    small = lengths <= _FIXARRAY_MAX
    buf[at[small]] = 0x90 | lengths[small]
    big = ~small
    buf[at[big]] = 0xDC
    buf[at[big] + 1] = lengths[big] >> 8
    buf[at[big] + 2] = lengths[big] & 0xFF


def _offsets_in_group(group: IntArray, lengths: IntArray) -> IntArray:
    """For items sorted by group, each item's offset from the start of its group's run."""
    ends = np.cumsum(lengths)
    starts = ends - lengths
    first = np.r_[True, group[1:] != group[:-1]] if group.size else np.zeros(0, dtype=np.bool_)
    run_start = np.maximum.accumulate(np.where(first, np.arange(group.size), 0))
    offsets: IntArray = starts - starts[run_start]
    return offsets


@dataclass(frozen=True)
class EventLists:
    """The packed "leaves, enters" of every observer that has events this tick.

    ``rows`` are the observers (sorted, unique) and ``lengths`` the bytes of each one's
    middle; ``write`` puts them into the frame buffer once the frame offsets are known.
    """

    rows: IntArray
    lengths: IntArray
    _leave_group: IntArray
    _leave_slots: IntArray
    _leave_offsets: IntArray
    _leave_sizes: IntArray
    _enter_group: IntArray
    _enter_slots: IntArray
    _enter_ids: IntArray
    _enter_offsets: IntArray
    _slot_sizes: IntArray
    _id_sizes: IntArray
    _leave_counts: IntArray
    _enter_counts: IntArray
    _enters_at: IntArray
    _descriptions: bytes
    _description_sizes: IntArray

    @staticmethod
    def build(
        leave_rows: IntArray,
        leave_slots: IntArray,
        enter_rows: IntArray,
        enter_slots: IntArray,
        enter_ids: IntArray,
        descriptions: Mapping[int, AvatarDescription],
    ) -> EventLists:
        """Lay out the events of a tick, given per event the observer's row and the slot
        (and for enters the avatar id, whose description comes from ``descriptions``)."""
        order = np.lexsort((leave_slots, leave_rows))
        leave_rows, leave_slots = leave_rows[order], leave_slots[order]
        order = np.lexsort((enter_slots, enter_rows))
        enter_rows, enter_slots, enter_ids = enter_rows[order], enter_slots[order], enter_ids[order]

        rows = np.union1d(leave_rows, enter_rows).astype(np.int64)
        groups = rows.size
        leave_group = np.searchsorted(rows, leave_rows)
        enter_group = np.searchsorted(rows, enter_rows)
        leave_counts = np.bincount(leave_group, minlength=groups)
        enter_counts = np.bincount(enter_group, minlength=groups)

        leave_sizes = uint_sizes(leave_slots)
        slot_sizes = uint_sizes(enter_slots)
        id_sizes = uint_sizes(enter_ids)
        packed = [descriptions[i].packed for i in enter_ids.tolist()]
        description_sizes = np.fromiter(map(len, packed), dtype=np.int64, count=len(packed))
        # [slot, id, description]: a fixarray header, then the three items.
        enter_sizes = 1 + slot_sizes + id_sizes + description_sizes

        leave_bytes = np.bincount(leave_group, weights=leave_sizes, minlength=groups)
        enter_bytes = np.bincount(enter_group, weights=enter_sizes, minlength=groups)
        leave_header = _array_header_sizes(leave_counts)
        enters_at = leave_header + leave_bytes.astype(np.int64)
        lengths = enters_at + _array_header_sizes(enter_counts) + enter_bytes.astype(np.int64)
        return EventLists(
            rows=rows,
            lengths=lengths,
            _leave_group=leave_group,
            _leave_slots=leave_slots,
            _leave_offsets=leave_header[leave_group] + _offsets_in_group(leave_group, leave_sizes),
            _leave_sizes=leave_sizes,
            _enter_group=enter_group,
            _enter_slots=enter_slots,
            _enter_ids=enter_ids,
            _enter_offsets=_offsets_in_group(enter_group, enter_sizes),
            _slot_sizes=slot_sizes,
            _id_sizes=id_sizes,
            _leave_counts=leave_counts,
            _enter_counts=enter_counts,
            _enters_at=enters_at,
            _descriptions=b"".join(packed),
            _description_sizes=description_sizes,
        )

    def write(self, buf: UInt8Array, at: IntArray) -> None:
        """Write each observer's middle at ``at`` (one offset per entry of ``rows``)."""
        _write_array_headers(buf, at, self._leave_counts)
        write_uints(
            buf, at[self._leave_group] + self._leave_offsets, self._leave_slots, self._leave_sizes
        )
        enters_header_at = at + self._enters_at
        _write_array_headers(buf, enters_header_at, self._enter_counts)
        if self._enter_group.size == 0:
            return
        entry_at = enters_header_at[self._enter_group] + self._enter_offsets
        entry_at += np.where(self._enter_counts <= _FIXARRAY_MAX, 1, 3)[self._enter_group]
        buf[entry_at] = 0x93
        slot_at = entry_at + 1
        write_uints(buf, slot_at, self._enter_slots, self._slot_sizes)
        id_at = slot_at + self._slot_sizes
        write_uints(buf, id_at, self._enter_ids, self._id_sizes)
        description_at = id_at + self._id_sizes
        sizes = self._description_sizes
        src_start = np.cumsum(sizes) - sizes
        dest = np.repeat(description_at - src_start, sizes) + np.arange(int(sizes.sum()))
        buf[dest] = np.frombuffer(self._descriptions, dtype=np.uint8)
