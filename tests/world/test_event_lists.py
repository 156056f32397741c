"""The vectorised "leaves, enters" packing against msgpack itself."""

from __future__ import annotations

import msgpack
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from world.avatars import AvatarDescription
from world.event_lists import EventLists, uint_sizes, write_uints

# Ids around every msgpack integer width boundary, up to the u32 maximum.
_IDS = st.sampled_from([1, 5, 127, 128, 255, 256, 65535, 65536, 1 << 24, (1 << 32) - 1])
_SLOTS = st.integers(0, 253)


def _descriptions(ids: set[int]) -> dict[int, AvatarDescription]:
    return {
        i: AvatarDescription(f"n{i}" * (i % 5 + 1), {"hue": i % 360} if i % 2 else {}, "citizen")
        for i in ids
    }


@st.composite
def _events(draw: st.DrawFn) -> dict[int, tuple[list[int], list[tuple[int, int]]]]:
    """Per observer row: distinct leave slots and distinct (slot, id) enters."""
    rows = draw(st.lists(st.integers(0, 40), min_size=1, max_size=6, unique=True))
    out: dict[int, tuple[list[int], list[tuple[int, int]]]] = {}
    for row in rows:
        # Up to 40 of each, so both fixarray and array 16 headers occur.
        leaves = draw(st.lists(_SLOTS, max_size=40, unique=True))
        slots = draw(st.lists(_SLOTS, max_size=40, unique=True))
        enters = [(s, draw(_IDS)) for s in slots]
        out[row] = (leaves, enters)
    return out


@settings(max_examples=150, deadline=None)
@given(_events())
def test_event_lists_equal_msgpack(
    events: dict[int, tuple[list[int], list[tuple[int, int]]]],
) -> None:
    leave_rows = [r for r, (leaves, _) in events.items() for _ in leaves]
    leave_slots = [s for leaves, _ in events.values() for s in leaves]
    enter_rows = [r for r, (_, enters) in events.items() for _ in enters]
    enter_slots = [s for _, enters in events.values() for s, _ in enters]
    enter_ids = [a for _, enters in events.values() for _, a in enters]
    # Events arrive in any order; the lists come out sorted by slot.
    perm_l = np.random.default_rng(len(leave_rows)).permutation(len(leave_rows))
    perm_e = np.random.default_rng(len(enter_rows)).permutation(len(enter_rows))
    descriptions = _descriptions(set(enter_ids))
    lists = EventLists.build(
        np.asarray(leave_rows, dtype=np.int64)[perm_l],
        np.asarray(leave_slots, dtype=np.int64)[perm_l],
        np.asarray(enter_rows, dtype=np.int64)[perm_e],
        np.asarray(enter_slots, dtype=np.int64)[perm_e],
        np.asarray(enter_ids, dtype=np.int64)[perm_e],
        descriptions,
    )
    with_events = sorted(r for r, (lv, en) in events.items() if lv or en)
    assert lists.rows.tolist() == with_events

    # Lay the middles out back to back with a gap byte between, as a frame buffer would.
    at = np.cumsum(lists.lengths + 1) - (lists.lengths + 1)
    buf = np.full(int((lists.lengths + 1).sum()), 0xEE, dtype=np.uint8)
    lists.write(buf, at)
    for row, start, length in zip(
        lists.rows.tolist(), at.tolist(), lists.lengths.tolist(), strict=True
    ):
        leaves, enters = events[row]
        expected = msgpack.packb(sorted(leaves)) + msgpack.packb(
            [[s, a, descriptions[a].to_wire()] for s, a in sorted(enters)]
        )
        assert bytes(buf[start : start + length]) == expected
        assert buf[start + length] == 0xEE


def test_no_events_lay_out_nothing() -> None:
    none = np.zeros(0, dtype=np.int64)
    lists = EventLists.build(none, none, none, none, none, {})
    assert lists.rows.size == 0
    lists.write(np.zeros(0, dtype=np.uint8), none)


def test_uints_in_shortest_form() -> None:
    values = np.array([0, 127, 128, 255, 256, 65535, 65536, (1 << 32) - 1], dtype=np.int64)
    sizes = uint_sizes(values)
    at = np.cumsum(sizes) - sizes
    buf = np.zeros(int(sizes.sum()), dtype=np.uint8)
    write_uints(buf, at, values, sizes)
    assert bytes(buf) == b"".join(msgpack.packb(int(v)) for v in values)
