"""AvatarTable: dense live rows, swap-remove, and generational ids."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.avatars import MAX_CAPACITY, AvatarDescription, AvatarTable
from world.quantize import BODY_STATE_BYTES, POSE_JOINTS, POSE_STATE_BYTES


@dataclass
class Record:
    """What the model remembers of one avatar: every field the test wrote."""

    handle: int
    position: np.ndarray
    yaw: np.float32
    anim: int
    flags: int
    instance: int
    version: int
    pose_version: int
    pose: np.ndarray
    body_bytes: np.ndarray
    pose_bytes: np.ndarray
    move_budget: np.float32
    last_seq: int
    description: AvatarDescription


def add_with_fields(table: AvatarTable, n: int) -> tuple[int, Record]:
    """Add an avatar and fill every column of its row with values derived from ``n``."""
    rng = np.random.default_rng(n)
    description = AvatarDescription(f"avatar {n}", {"hat": n}, "citizen")
    position = rng.uniform(-100, 100, 3).astype(np.float32)
    yaw = np.float32(rng.uniform(-3, 3))
    avatar_id = table.add(description, position, float(yaw))
    row = table.row_of(avatar_id)
    assert row == table.count - 1, "a new avatar takes the row after the last live one"
    record = Record(
        handle=int(table.handles[row]),
        position=position,
        yaw=yaw,
        anim=int(rng.integers(0, 256)),
        flags=int(rng.integers(0, 256)),
        instance=int(rng.integers(0, 5)),
        version=int(rng.integers(1, 2**32)),
        pose_version=int(rng.integers(1, 2**32)),
        pose=rng.uniform(-1, 1, (POSE_JOINTS, 7)).astype(np.float32),
        body_bytes=rng.integers(0, 256, BODY_STATE_BYTES).astype(np.uint8),
        pose_bytes=rng.integers(0, 256, POSE_STATE_BYTES).astype(np.uint8),
        move_budget=np.float32(rng.uniform(0, 3)),
        last_seq=int(rng.integers(0, 2**32)),
        description=description,
    )
    table.anim[row] = record.anim
    table.flags[row] = record.flags
    table.instance[row] = record.instance
    table.version[row] = record.version
    table.pose_version[row] = record.pose_version
    table.pose[row] = record.pose
    table.body_bytes[row] = record.body_bytes
    table.pose_bytes[row] = record.pose_bytes
    table.move_budget[row] = record.move_budget
    table.last_seq[row] = record.last_seq
    return avatar_id, record


def check_against_model(table: AvatarTable, model: dict[int, Record], gone: set[int]) -> None:
    n = table.count
    assert n == len(model) == len(table)
    assert table.full == (n == table.capacity)
    live = table.live_ids()
    assert live.shape == (n,)
    assert sorted(live.tolist()) == sorted(model)
    assert len(set(table.live_handles().tolist())) == n
    assert set(table.descriptions) == set(model)
    for avatar_id, record in model.items():
        row = table.row_of(avatar_id)
        assert 0 <= row < n
        assert table.ids[row] == avatar_id
        assert table.handles[row] == record.handle == table.handle_of(avatar_id)
        assert avatar_id & ((1 << table.handle_bits) - 1) == record.handle
        assert np.array_equal(table.position[row], record.position)
        assert table.yaw[row] == record.yaw
        assert table.anim[row] == record.anim
        assert table.flags[row] == record.flags
        assert table.instance[row] == record.instance
        assert table.version[row] == record.version
        assert table.pose_version[row] == record.pose_version
        assert np.array_equal(table.pose[row], record.pose)
        assert np.array_equal(table.body_bytes[row], record.body_bytes)
        assert np.array_equal(table.pose_bytes[row], record.pose_bytes)
        assert table.move_budget[row] == record.move_budget
        assert table.last_seq[row] == record.last_seq
        assert table.descriptions[avatar_id] is record.description
    ids = np.array(list(model), dtype=np.int64)
    expected_rows = np.array([table.row_of(i) for i in model], dtype=np.int64)
    assert np.array_equal(table.rows_of(ids), expected_rows)
    assert np.array_equal(table.rows_of_live(ids), expected_rows)
    assert np.array_equal(
        table.rows_by_handle(np.array([r.handle for r in model.values()], dtype=np.int64)),
        expected_rows,
    )
    for avatar_id in gone:
        assert table.row_of(avatar_id) == -1
        assert table.handle_of(avatar_id) == -1
    if gone:
        stale = np.array(sorted(gone), dtype=np.int64)
        assert np.all(table.rows_of(stale) == -1)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 0)),
        st.tuples(st.just("remove"), st.integers(0, 10_000)),
        st.tuples(st.just("remove_gone"), st.integers(0, 10_000)),
    ),
    max_size=80,
)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12), operations)
def test_swap_remove_matches_dict_model(capacity: int, ops: list[tuple[str, int]]) -> None:
    table = AvatarTable(capacity)
    model: dict[int, Record] = {}
    gone: set[int] = set()
    issued: set[int] = set()
    counter = 0
    for op, pick in ops:
        if op == "add":
            if table.full:
                with pytest.raises(OverflowError):
                    table.add(AvatarDescription("x"), (0, 0, 0))
                continue
            counter += 1
            avatar_id, record = add_with_fields(table, counter)
            assert avatar_id > 0
            assert avatar_id < 2**32, "ids are u32 on the wire"
            assert avatar_id not in issued, "an id is never handed out twice"
            issued.add(avatar_id)
            model[avatar_id] = record
        elif op == "remove" and model:
            avatar_id = sorted(model)[pick % len(model)]
            assert table.remove(avatar_id) is True
            del model[avatar_id]
            gone.add(avatar_id)
        elif op == "remove_gone" and gone:
            avatar_id = sorted(gone)[pick % len(gone)]
            before = table.count
            assert table.remove(avatar_id) is False
            assert table.count == before
        check_against_model(table, model, gone)


def test_removal_moves_only_the_last_row() -> None:
    table = AvatarTable(8)
    ids = [table.add(AvatarDescription(str(i)), (i, 0, 0)) for i in range(5)]
    removals = table.removals
    assert table.remove(ids[1])
    assert table.removals == removals + 1
    # The last row (id 4) fills the hole; rows 0, 2, 3 stay where they were.
    assert table.live_ids().tolist() == [ids[0], ids[4], ids[2], ids[3]]
    assert [table.row_of(i) for i in ids] == [0, -1, 2, 3, 1]
    assert table.position[1, 0] == 4.0
    # Removing the last row moves nothing.
    assert table.remove(ids[3])
    assert table.live_ids().tolist() == [ids[0], ids[4], ids[2]]


def test_reused_handle_gets_new_id() -> None:
    table = AvatarTable(4)
    others = [table.add(AvatarDescription(str(i)), (0, 0, 0)) for i in range(3)]
    first = table.add(AvatarDescription("a"), (0, 0, 0))
    handle = table.handle_of(first)
    assert table.remove(first)
    assert table.row_of(first) == -1
    assert table.handle_of(first) == -1
    second = table.add(AvatarDescription("b"), (1, 0, 0))
    # The only free handle is reused, under a new generation.
    assert table.handle_of(second) == handle
    assert second != first
    assert table.row_of(first) == -1
    assert table.rows_of(np.array([first, second])).tolist() == [-1, 3]
    assert table.remove(first) is False
    assert table.row_of(second) == 3
    assert all(table.row_of(o) >= 0 for o in others)
    assert table.descriptions[second].name == "b"


def test_handles_are_handed_out_lowest_first() -> None:
    table = AvatarTable(6)
    ids = [table.add(AvatarDescription(str(i)), (0, 0, 0)) for i in range(6)]
    assert [table.handle_of(i) for i in ids] == list(range(6))
    assert table.remove(ids[2])
    assert table.remove(ids[4])
    again = table.add(AvatarDescription("again"), (0, 0, 0))
    # Freed handles queue up in the order they were freed.
    assert table.handle_of(again) == 2
    later = table.add(AvatarDescription("later"), (0, 0, 0))
    assert table.handle_of(later) == 4


def test_ids_stable_while_live() -> None:
    table = AvatarTable(16)
    ids = [table.add(AvatarDescription(str(i)), (i, 0, 0)) for i in range(16)]
    keep = ids[::3]
    for avatar_id in ids:
        if avatar_id not in keep:
            table.remove(avatar_id)
    for avatar_id in keep:
        row = table.row_of(avatar_id)
        assert table.ids[row] == avatar_id
        assert table.position[row, 0] == ids.index(avatar_id)
        assert table.descriptions[avatar_id].name == str(ids.index(avatar_id))


@pytest.mark.parametrize("capacity", [1, 2, 3, 7, 64])
def test_full_table_raises_overflow(capacity: int) -> None:
    table = AvatarTable(capacity)
    ids = [table.add(AvatarDescription(str(i)), (0, 0, 0)) for i in range(capacity)]
    assert table.full
    with pytest.raises(OverflowError):
        table.add(AvatarDescription("one too many"), (0, 0, 0))
    # The failed add changed nothing.
    assert table.count == capacity
    assert sorted(table.live_ids().tolist()) == sorted(ids)
    assert table.remove(ids[0])
    assert not table.full
    table.add(AvatarDescription("fits again"), (0, 0, 0))
    assert table.full


@pytest.mark.parametrize("capacity", [0, -1, MAX_CAPACITY + 1])
def test_capacity_out_of_range(capacity: int) -> None:
    with pytest.raises(ValueError):
        AvatarTable(capacity)


def test_row_of_garbage() -> None:
    table = AvatarTable(5)
    live = table.add(AvatarDescription("a"), (0, 0, 0))
    bits = table.handle_bits
    never_used = (1 << bits) | 3  # current generation of a handle that holds no avatar
    beyond_capacity = (1 << bits) | ((1 << bits) - 1)  # handle 7 of an 8-handle space
    for garbage in [0, -1, -live, live + (1 << bits), never_used, beyond_capacity, 2**40]:
        assert table.row_of(garbage) == -1, garbage
        assert table.handle_of(garbage) == -1, garbage
    assert table.row_of(live) == 0


def test_rows_of_arrays() -> None:
    table = AvatarTable(10)
    ids = [table.add(AvatarDescription(str(i)), (0, 0, 0)) for i in range(4)]
    table.remove(ids[0])  # ids[3] moves to row 0
    query = np.array(
        [ids[3], 0, ids[0], ids[1], -1, 2**40 + ids[2], ids[2], 2**62, (1 << 4) | 9],
        dtype=np.int64,
    )
    assert table.rows_of(query).tolist() == [0, -1, -1, 1, -1, -1, 2, -1, -1]
    assert table.rows_of(np.zeros(0, dtype=np.int64)).shape == (0,)
    # Two-dimensional queries keep their shape (the interest manager passes matrices).
    matrix = np.array([[ids[1], 0], [ids[0], ids[3]]], dtype=np.int64)
    assert table.rows_of(matrix).tolist() == [[1, -1], [-1, 0]]
    live_matrix = np.array([[ids[1], 0], [ids[2], ids[3]]], dtype=np.int64)
    assert table.rows_of_live(live_matrix).tolist() == [[1, -1], [2, 0]]
    assert table.rows_of(np.array([0, 0, 0])).tolist() == [-1, -1, -1]


def test_add_clears_previous_row_contents() -> None:
    table = AvatarTable(2)
    first = table.add(AvatarDescription("a"), (1, 2, 3), 0.5)
    row = table.row_of(first)
    table.flags[row] = 7
    table.last_seq[row] = 99
    table.body_bytes[row] = 200
    table.remove(first)
    second = table.add(AvatarDescription("b"), (4, 5, 6), 1.5)
    row = table.row_of(second)
    assert table.flags[row] == 0
    # Any seq is newer than a fresh avatar's last one, 0 included.
    assert table.last_seq[row] == -1
    assert table.last_pose_seq[row] == -1
    assert not table.body_bytes[row].any()
    # Head and hands start at the identity rotation (x, y, z, w) = (0, 0, 0, 1).
    assert table.pose[row, :, 3:].tolist() == [[0.0, 0.0, 0.0, 1.0]] * 3
    assert table.position[row].tolist() == [4.0, 5.0, 6.0]
    assert table.yaw[row] == np.float32(1.5)
    assert table.version[row] == 1
    assert table.pose_version[row] == 1
