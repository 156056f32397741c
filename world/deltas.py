"""Per-observer delta frames: only what changed since the observer's last frame.

For each observer and slot the encoder remembers the avatar version it last sent. A body row
goes out when the version moved on; the nearest ``near_slots`` avatars (by distance rank)
update every tick and the rest every ``far_interval`` ticks, except a newly entered avatar,
whose first row always goes out with its enter. Pose rows (VR head and hands) go out only
for the nearest ``pose_slots`` avatars, the ones close enough for hands to be seen.

Rows of all observers are gathered in one numpy pass from the per-avatar quantised bytes,
and every frame of the tick is written into one buffer by numpy scatters: the shared prefix
(opcode, tick, time) once per observer, msgpack bin headers computed from row counts, rows
at computed offsets, enter and leave lists laid out for all observers at once
(``world.event_lists``). No Python code runs per observer: the tick's frames come back as
one buffer with offsets (``Frames``), and the server slices each frame as it sends it. The
bytes equal ``encode_world_frame`` of the same content.

A *held* observer (its connection is still sending an older frame) gets no frame: its
"last sent" versions stay put and its enter/leave events are merged into a pending set, so
its next frame carries the newest state. Stale frames are never queued.

This module is the only writer of the "last sent" tables and pending events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt

from world.avatars import AvatarTable
from world.event_lists import EventLists
from world.interest import InterestEvents, InterestManager
from world.protocol import AvatarFlag, Opcode
from world.quantize import BODY_ROW_BYTES, POSE_ROW_BYTES

__all__ = ["DeltaEncoder", "Frames", "PendingEvents", "encode_world_frame"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_EMPTY_LISTS = b"\x90\x90"
_BODY_ELEMENT = np.dtype((np.void, BODY_ROW_BYTES))
_FRAME_HEADER = b"\x97"  # fixarray of 7: opcode, tick, time, leaves, enters, body, poses


def _cells(mask: BoolArray) -> tuple[IntArray, IntArray, IntArray]:
    """``np.nonzero`` of a 2-D mask, row-major, plus the flat indices: one flat scan and a
    divmod, several times cheaper than the generic 2-D ``nonzero`` on large masks."""
    flat = np.flatnonzero(mask)
    rows, cols = np.divmod(flat, mask.shape[1])
    return rows, cols, flat


def _bin_header_sizes(lengths: IntArray) -> IntArray:
    """Bytes of the msgpack bin header for each length (2 for bin 8, 3 for bin 16, 5 for 32)."""
    return np.where(lengths < 256, 2, np.where(lengths < 65536, 3, 5))


def _write_bin_headers(
    buf: npt.NDArray[np.uint8], at: IntArray, lengths: IntArray, sizes: IntArray
) -> None:
    small = sizes == 2
    buf[at[small]] = 0xC4
    buf[at[small] + 1] = lengths[small]
    mid = sizes == 3
    buf[at[mid]] = 0xC5
    buf[at[mid] + 1] = lengths[mid] >> 8
    buf[at[mid] + 2] = lengths[mid] & 0xFF
    big = sizes == 5
    if big.any():
        buf[at[big]] = 0xC6
        for i, shift in enumerate((24, 16, 8, 0)):
            buf[at[big] + 1 + i] = (lengths[big] >> shift) & 0xFF


def _scatter_rows(
    buf: npt.NDArray[np.uint8], cursor: IntArray, owner: IntArray, rows: npt.NDArray[np.uint8]
) -> None:
    """Write fixed-width rows (grouped by owner, in order) after each owner's cursor."""
    if owner.size == 0:
        return
    width = rows.shape[1]
    counts = np.bincount(owner, minlength=cursor.size)
    first = np.cumsum(counts) - counts
    dest = cursor[owner] + (np.arange(owner.size) - first[owner]) * width
    buf[dest[:, None] + np.arange(width)] = rows


def encode_world_frame(
    tick: int,
    server_time: float,
    leaves: list[int],
    enters: list[list[Any]],
    body: bytes | memoryview,
    poses: bytes | memoryview,
) -> bytes:
    """The general form of a WORLD frame (the fast path in ``DeltaEncoder`` matches it)."""
    data: bytes = msgpack.packb(
        [int(Opcode.WORLD), tick, server_time, leaves, enters, bytes(body), bytes(poses)],
        use_bin_type=True,
    )
    return data


@dataclass(frozen=True)
class Frames:
    """Every WORLD frame of one tick: one buffer, and per frame its avatar id and byte range.

    Iterating yields ``(avatar id, frame)`` with each frame a memoryview into the buffer, so a
    sender makes one small object per frame at the moment it writes it, not before.
    """

    buffer: npt.NDArray[np.uint8]
    ids: IntArray
    starts: IntArray
    ends: IntArray

    @staticmethod
    def empty() -> Frames:
        """No frames."""
        none = np.zeros(0, dtype=np.int64)
        return Frames(np.zeros(0, dtype=np.uint8), none, none, none)

    def __len__(self) -> int:
        return int(self.ids.size)

    def __iter__(self) -> Iterator[tuple[int, memoryview]]:
        view = memoryview(self.buffer.data)
        for avatar_id, start, end in zip(
            self.ids.tolist(), self.starts.tolist(), self.ends.tolist(), strict=True
        ):
            yield avatar_id, view[start:end]

    @property
    def nbytes(self) -> int:
        """Bytes of all frames together."""
        return int((self.ends - self.starts).sum())


@dataclass
class PendingEvents:
    """Enter/leave events an observer has not been sent yet, already merged.

    ``leaves`` are slots whose previous occupant the client still shows; ``enters`` maps a
    slot to the avatar id the client must be told about.
    """

    leaves: set[int] = field(default_factory=set)
    enters: dict[int, int] = field(default_factory=dict)

    def add_leave(self, slot: int) -> None:
        """A slot emptied: if the client never heard of its occupant, forget the enter."""
        if slot in self.enters:
            del self.enters[slot]
        else:
            self.leaves.add(slot)

    def add_enter(self, slot: int, avatar_id: int) -> None:
        """A slot filled (after any leave of the same slot in the same pass)."""
        self.enters[slot] = avatar_id


class DeltaEncoder:
    """Builds every observer's WORLD frame for a tick from the avatar table."""

    def __init__(
        self,
        capacity: int,
        k: int,
        near_slots: int = 16,
        far_interval: int = 2,
        pose_slots: int = 8,
    ) -> None:
        if far_interval < 1:
            raise ValueError("far_interval must be at least 1")
        self.near_slots = near_slots
        self.far_interval = far_interval
        self.pose_slots = pose_slots
        # Version 0 is never a live avatar's, so a cleared slot always sends its first row.
        self.sent_version = np.zeros((capacity, k), dtype=np.uint32)
        self.sent_pose_version = np.zeros((capacity, k), dtype=np.uint32)
        self.pending: dict[int, PendingEvents] = {}
        self._packer = msgpack.Packer(use_bin_type=True)

    def reset(self, handle: int) -> None:
        """A new observer: nothing has been sent to it."""
        self.sent_version[handle] = 0
        self.sent_pose_version[handle] = 0
        self.pending.pop(handle, None)

    def encode(
        self,
        tick: int,
        server_time: float,
        table: AvatarTable,
        interest: InterestManager,
        visible_rows: IntArray,
        events: InterestEvents,
        held: BoolArray,
    ) -> Frames:
        """Frames for every live, non-held observer.

        ``visible_rows`` is ``interest.visible`` of the live observers resolved to table rows
        (``-1`` for an empty slot); ``held`` is indexed by handle.
        """
        n = table.count
        if n == 0:
            return Frames.empty()
        handles = table.live_handles()
        if events.enter_handles.size:
            self.sent_version[events.enter_handles, events.enter_slots] = 0
            self.sent_pose_version[events.enter_handles, events.enter_slots] = 0
        due = self._collect_events(events, held)
        lists = EventLists.build(
            table.rows_by_handle(due.leave_handles),
            due.leave_slots,
            table.rows_by_handle(due.enter_handles),
            due.enter_slots,
            due.enter_ids,
            table.descriptions,
        )

        held_rows = held[handles]
        rank = interest.rank[handles]
        valid = visible_rows >= 0
        current = table.version[visible_rows]
        sent = self.sent_version[handles]
        # Far avatars update on alternate ticks, staggered by observer to spread the load.
        far_due = ((tick + handles) % self.far_interval) == 0
        due = (rank < self.near_slots) | far_due[:, None] | (sent == 0)
        changed = valid & (current != sent) & due
        if held_rows.any():
            changed &= ~held_rows[:, None]
        obs, slot, flat = _cells(changed)
        # Whole rows move as 10-byte elements; then each gets the observer's slot number.
        body = table.body_rows.view(_BODY_ELEMENT).ravel()[visible_rows.ravel()[flat]]
        body.view(np.uint8).reshape(-1, BODY_ROW_BYTES)[:, 0] = slot
        np.copyto(sent, current, where=changed)
        self.sent_version[handles] = sent
        pose_obs, poses = self._pose_rows(table, handles, visible_rows, rank, held_rows)

        # Middle part: "leaves, enters" as msgpack; two empty arrays for most observers.
        middle_len = np.full(n, len(_EMPTY_LISTS), dtype=np.int64)
        middle_len[lists.rows] = lists.lengths

        prefix = np.frombuffer(
            _FRAME_HEADER
            + self._packer.pack(int(Opcode.WORLD))
            + self._packer.pack(tick)
            + self._packer.pack(server_time),
            dtype=np.uint8,
        )
        body_count = np.count_nonzero(changed, axis=1)
        body_len = body_count * BODY_ROW_BYTES
        pose_len = np.bincount(pose_obs, minlength=n) * POSE_ROW_BYTES
        body_hdr = _bin_header_sizes(body_len)
        pose_hdr = _bin_header_sizes(pose_len)
        before_rows = prefix.size + middle_len + body_hdr
        length = before_rows + body_len + pose_hdr + pose_len
        # Each frame gets a slot in the buffer, a multiple of the row size, and starts a few
        # bytes in, so that its body rows begin on a row boundary of the buffer.
        lead = (-before_rows) % BODY_ROW_BYTES
        room = lead + length + (-(lead + length)) % BODY_ROW_BYTES
        room[held_rows] = 0
        slot_end = np.cumsum(room)
        starts = slot_end - room + lead
        ends = starts + length
        buf = np.empty(int(slot_end[-1]), dtype=np.uint8)

        out_rows = np.nonzero(~held_rows)[0]
        out_starts = starts[out_rows]
        buf[out_starts[:, None] + np.arange(prefix.size)] = prefix
        cursor = starts + prefix.size
        plain = ~held_rows
        plain[lists.rows] = False
        lists.write(buf, cursor[lists.rows])
        plain_at = cursor[plain]
        buf[plain_at] = 0x90
        buf[plain_at + 1] = 0x90
        cursor += middle_len
        _write_bin_headers(buf, cursor[out_rows], body_len[out_rows], body_hdr[out_rows])
        cursor += body_hdr
        first = np.cumsum(body_count) - body_count
        # Row j of observer o lands at element (rows start of o) + (j - first row of o).
        element = np.repeat(cursor // BODY_ROW_BYTES - first, body_count) + np.arange(obs.size)
        buf.view(_BODY_ELEMENT)[element] = body
        cursor += body_len
        _write_bin_headers(buf, cursor[out_rows], pose_len[out_rows], pose_hdr[out_rows])
        cursor += pose_hdr
        _scatter_rows(buf, cursor, pose_obs, poses)

        return Frames(buf, table.ids[out_rows], out_starts, ends[out_rows])

    def _pose_rows(
        self,
        table: AvatarTable,
        handles: IntArray,
        visible_rows: IntArray,
        rank: npt.NDArray[np.uint8],
        held_rows: BoolArray,
    ) -> tuple[IntArray, npt.NDArray[np.uint8]]:
        """Pose rows due this tick: the observer index of each row, and the rows."""
        n = table.count
        if self.pose_slots <= 0 or not (table.flags[:n] & AvatarFlag.VR).any():
            return np.zeros(0, dtype=np.int64), np.zeros((0, POSE_ROW_BYTES), dtype=np.uint8)
        valid = (visible_rows >= 0) & (rank < self.pose_slots)
        tracked = (table.flags[visible_rows] & AvatarFlag.VR) != 0
        current = table.pose_version[visible_rows]
        sent = self.sent_pose_version[handles]
        changed = valid & tracked & (current != sent) & ~held_rows[:, None]
        obs, slot, flat = _cells(changed)
        rows = table.pose_rows[visible_rows.ravel()[flat]]
        rows[:, 0] = slot
        np.copyto(sent, current, where=changed)
        self.sent_pose_version[handles] = sent
        return obs, rows

    def _collect_events(self, events: InterestEvents, held: BoolArray) -> InterestEvents:
        """The events due in this tick's frames.

        Events for held observers are merged into their pending sets; observers that were
        held before and are not now get their merged pending set instead of this tick's
        events alone.
        """
        if (
            not self.pending
            and not held[events.leave_handles].any()
            and not held[events.enter_handles].any()
        ):
            return events
        for h, s in zip(events.leave_handles.tolist(), events.leave_slots.tolist(), strict=True):
            self.pending.setdefault(h, PendingEvents()).add_leave(s)
        for h, s, a in zip(
            events.enter_handles.tolist(),
            events.enter_slots.tolist(),
            events.enter_ids.tolist(),
            strict=True,
        ):
            self.pending.setdefault(h, PendingEvents()).add_enter(s, a)
        leaves: list[tuple[int, int]] = []
        enters: list[tuple[int, int, int]] = []
        for h in [h for h in self.pending if not held[h]]:
            pending = self.pending.pop(h)
            leaves.extend((h, s) for s in pending.leaves)
            enters.extend((h, s, a) for s, a in pending.enters.items())
        leave = np.array(leaves, dtype=np.int64).reshape(-1, 2)
        enter = np.array(enters, dtype=np.int64).reshape(-1, 3)
        return InterestEvents(
            leave[:, 0], leave[:, 1], np.zeros(len(leaves), dtype=np.int64),
            enter[:, 0], enter[:, 1], enter[:, 2],
        )  # fmt: skip
