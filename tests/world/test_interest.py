"""InterestManager against brute force: k nearest in radius, hysteresis, stable slots, events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from world.avatars import AvatarDescription, AvatarTable
from world.interest import InterestEvents, InterestManager

EMPTY_RANK = 255
# Instances are separated by shifting x by 1e6 m inside the manager, which costs float64
# precision (about 1e-9 m at 3e6 m); distances are compared with this tolerance.
TOL = 1e-6


@dataclass(frozen=True)
class Scenario:
    n: int
    side: float
    instances: int
    k: int
    radius: float
    hysteresis: int
    grid: bool
    seed: int


scenarios = st.builds(
    Scenario,
    n=st.integers(0, 120),
    side=st.floats(5.0, 80.0),
    instances=st.integers(1, 3),
    k=st.integers(1, 12),
    radius=st.floats(5.0, 40.0),
    hysteresis=st.integers(0, 6),
    # On a 1 m grid many avatars share a distance or a spot: ties, including at distance 0.
    grid=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)


def random_positions(rng: np.random.Generator, n: int, side: float, grid: bool) -> np.ndarray:
    position = np.zeros((n, 3), dtype=np.float64)
    position[:, 0] = rng.uniform(0, side, n)
    position[:, 1] = rng.uniform(-1, 1, n)  # height never counts
    position[:, 2] = rng.uniform(0, side, n)
    if grid:
        position[:, [0, 2]] = np.round(position[:, [0, 2]])
    return position


def build_table(s: Scenario, rng: np.random.Generator) -> AvatarTable:
    table = AvatarTable(max(s.n, 1) + 16)
    position = random_positions(rng, s.n, s.side, s.grid)
    for i in range(s.n):
        avatar_id = table.add(AvatarDescription(str(i)), position[i])
        table.instance[table.row_of(avatar_id)] = rng.integers(0, s.instances)
    return table


def plane_distances(table: AvatarTable) -> np.ndarray:
    """Distances on the x/z plane between live rows; inf across instances and to oneself."""
    n = table.count
    p = table.position[:n][:, [0, 2]].astype(np.float64)
    d = np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(axis=2))
    inst = table.instance[:n]
    d[inst[:, None] != inst[None, :]] = np.inf
    np.fill_diagonal(d, np.inf)
    return d


def no_boundary_cases(d: np.ndarray, radius: float) -> bool:
    """True unless some pair sits so close to the radius that float rounding decides it."""
    finite = d[np.isfinite(d)]
    return not np.any(np.abs(finite - radius) < 1e-5)


def snapshot(manager: InterestManager) -> np.ndarray:
    return manager.visible.copy()


def event_tuples(events: InterestEvents) -> tuple[set[tuple[int, int, int]], set[tuple[int, ...]]]:
    leaves = list(
        zip(
            events.leave_handles.tolist(),
            events.leave_slots.tolist(),
            events.leave_ids.tolist(),
            strict=True,
        )
    )
    enters = list(
        zip(
            events.enter_handles.tolist(),
            events.enter_slots.tolist(),
            events.enter_ids.tolist(),
            strict=True,
        )
    )
    assert len(set(leaves)) == len(leaves), "no event is reported twice"
    assert len(set(enters)) == len(enters), "no event is reported twice"
    return set(leaves), set(enters)


def matrix_diff(before: np.ndarray, after: np.ndarray) -> tuple[set, set]:
    obs, slot = np.nonzero(before != after)
    leaves = {(h, s, int(before[h, s])) for h, s in zip(obs.tolist(), slot.tolist(), strict=True)}
    enters = {(h, s, int(after[h, s])) for h, s in zip(obs.tolist(), slot.tolist(), strict=True)}
    return {e for e in leaves if e[2] != 0}, {e for e in enters if e[2] != 0}


def check_events_describe_change(events: InterestEvents, before: np.ndarray, after: np.ndarray):
    assert event_tuples(events) == matrix_diff(before, after)


def check_slots_stable(before: np.ndarray, after: np.ndarray, table: AvatarTable) -> None:
    for h in table.live_handles().tolist():
        old = {int(a): s for s, a in enumerate(before[h].tolist()) if a}
        new = {int(a): s for s, a in enumerate(after[h].tolist()) if a}
        for avatar_id in old.keys() & new.keys():
            assert old[avatar_id] == new[avatar_id], "a visible avatar kept visible moved slot"


def check_observer(
    manager: InterestManager,
    table: AvatarTable,
    d: np.ndarray,
    row: int,
    *,
    fresh: bool,
) -> None:
    """The observer at ``row`` sees the right avatars (``fresh``: exactly the k nearest)."""
    k, radius = manager.k, manager.radius
    handle = int(table.handles[row])
    visible = manager.visible[handle]
    rank = manager.rank[handle]
    slots = np.nonzero(visible)[0]
    ids = visible[slots]
    assert len(set(ids.tolist())) == ids.size, "an avatar occupies two slots"
    assert table.ids[row] not in ids, "an observer sees itself"
    vis_rows = table.rows_of(ids)
    assert np.all(vis_rows >= 0), "a departed avatar is still visible"
    dist = d[row, vis_rows]
    assert np.all(np.isfinite(dist)), "a visible avatar is in another instance"
    assert np.all(dist < radius), "a visible avatar is beyond the radius"

    in_radius = np.sort(d[row][d[row] < radius])
    expected = min(k, in_radius.size)
    assert ids.size == expected
    # Empty slots have no rank; ranks of visible slots are distinct and follow distance.
    assert np.all(rank[visible == 0] == EMPTY_RANK)
    ranks = rank[slots].astype(np.int64)
    assert len(set(ranks.tolist())) == ranks.size
    by_rank = dist[np.argsort(ranks)]
    assert np.all(np.diff(by_rank) >= -TOL), "rank does not follow distance"

    if fresh:
        # Exactly the k nearest (as distances: ties make the ids ambiguous), nearest first
        # into the lowest slots.
        assert np.allclose(np.sort(dist), in_radius[:expected], atol=TOL)
        assert slots.tolist() == list(range(expected))
        assert ranks.tolist() == list(range(expected))
    else:
        width = k + manager.hysteresis
        assert np.all(ranks < width)
        # Every visible avatar is among the k + hysteresis nearest within the radius.
        if in_radius.size > width:
            assert np.all(dist <= in_radius[width - 1] + TOL)


def fresh_manager(table: AvatarTable, s: Scenario) -> InterestManager:
    return InterestManager(
        table.capacity, k=s.k, radius=s.radius, period=1, hysteresis=s.hysteresis
    )


@settings(max_examples=100, deadline=None)
@given(scenarios)
def test_fresh_view_is_exactly_the_k_nearest(s: Scenario) -> None:
    rng = np.random.default_rng(s.seed)
    table = build_table(s, rng)
    d = plane_distances(table)
    assume(no_boundary_cases(d, s.radius))
    manager = fresh_manager(table, s)
    before = snapshot(manager)
    events = manager.recompute(table, np.arange(table.count, dtype=np.int64))
    for row in range(table.count):
        check_observer(manager, table, d, row, fresh=True)
    leaves, _ = event_tuples(events)
    assert leaves == set()
    check_events_describe_change(events, before, manager.visible)
    assert events.count == int(np.count_nonzero(manager.visible))


@settings(max_examples=100, deadline=None)
@given(scenarios, st.integers(1, 4), st.floats(0.5, 10.0), st.data())
def test_hysteresis_after_moves(s: Scenario, rounds: int, step: float, data: st.DataObject) -> None:
    rng = np.random.default_rng(s.seed)
    table = build_table(s, rng)
    manager = fresh_manager(table, s)
    manager.recompute(table, np.arange(table.count, dtype=np.int64))
    for _ in range(rounds):
        n = table.count
        # Walk everyone a little; now and then someone changes instance.
        table.position[:n, [0, 2]] += rng.normal(0, step, (n, 2)).astype(np.float32)
        switch = rng.random(n) < 0.05
        table.instance[:n][switch] = rng.integers(0, s.instances, int(switch.sum()))
        d = plane_distances(table)
        assume(no_boundary_cases(d, s.radius))
        # Recompute a random subset, as the amortised window does.
        chosen = np.nonzero(rng.random(n) < data.draw(st.floats(0.2, 1.0)))[0].astype(np.int64)
        before = snapshot(manager)
        events = manager.recompute(table, chosen)
        after = snapshot(manager)
        check_events_describe_change(events, before, after)
        check_slots_stable(before, after, table)
        not_chosen = np.setdiff1d(np.arange(n), chosen)
        untouched = table.handles[not_chosen]
        assert np.array_equal(before[untouched], after[untouched])
        for row in chosen.tolist():
            check_observer(manager, table, d, row, fresh=False)


@settings(max_examples=100, deadline=None)
@given(scenarios, st.floats(0.0, 0.6), st.integers(0, 10))
def test_departed_are_pruned_with_leave_events(s: Scenario, share: float, joiners: int) -> None:
    rng = np.random.default_rng(s.seed)
    table = build_table(s, rng)
    manager = fresh_manager(table, s)
    manager.recompute(table, np.arange(table.count, dtype=np.int64))
    manager.prune_departed(table)
    rows = manager.visible_rows(table)
    assert np.array_equal(rows, table.rows_of(manager.visible[table.live_handles()]))

    live = table.live_ids().copy()
    leaving = live[rng.random(live.size) < share]
    for avatar_id in leaving.tolist():
        handle = table.handle_of(avatar_id)
        assert table.remove(avatar_id)
        manager.forget(handle)
    # Newcomers may reuse the handles of those who left; World resets their view.
    for i in range(joiners):
        avatar_id = table.add(AvatarDescription(f"new {i}"), (0.0, 0.0, 0.0))
        manager.reset(table.handle_of(avatar_id))

    before = snapshot(manager)
    events = manager.prune_departed(table)
    rows = manager.visible_rows(table)
    after = snapshot(manager)
    check_events_describe_change(events, before, after)
    leaves, enters = event_tuples(events)
    assert enters == set()
    gone = set(leaving.tolist())
    expected = {
        (h, s_, int(before[h, s_]))
        for h in table.live_handles().tolist()
        for s_ in range(s.k)
        if int(before[h, s_]) in gone
    }
    assert leaves == expected
    handles = table.live_handles()
    assert not np.isin(after[handles], list(gone)).any()
    assert np.all(manager.rank[handles][after[handles] == 0] == EMPTY_RANK)
    assert np.array_equal(rows, table.rows_of(after[handles]))
    assert np.all((rows >= 0) == (after[handles] > 0))
    # Nothing left since: the second pass finds nothing and agrees on the rows.
    events = manager.prune_departed(table)
    assert events.count == 0
    assert np.array_equal(manager.visible_rows(table), rows)


@settings(max_examples=100, deadline=None)
@given(scenarios, st.integers(1, 5), st.floats(0.0, 0.3))
def test_world_order_prune_then_recompute(s: Scenario, period: int, share: float) -> None:
    """As World.step runs it: departures pruned, an amortised recompute, then rows resolved."""
    rng = np.random.default_rng(s.seed)
    table = build_table(s, rng)
    manager = InterestManager(
        table.capacity, k=s.k, radius=s.radius, period=period, hysteresis=s.hysteresis
    )
    for handle in table.live_handles().tolist():
        manager.reset(handle)
    for tick in range(6):
        live = table.live_ids().copy()
        for avatar_id in live[rng.random(live.size) < share].tolist():
            handle = table.handle_of(avatar_id)
            table.remove(avatar_id)
            manager.forget(handle)
        if tick % 2:
            avatar_id = table.add(AvatarDescription("late"), (s.side / 2, 0.0, s.side / 2))
            manager.reset(table.handle_of(avatar_id))
        n = table.count
        table.position[:n, [0, 2]] += rng.normal(0, 2.0, (n, 2)).astype(np.float32)
        before = snapshot(manager)
        departed = manager.prune_departed(table)
        recomputed = manager.recompute(table, manager.due_rows(table))
        rows = manager.visible_rows(table)
        after = snapshot(manager)
        events = InterestEvents.concat([departed, recomputed])
        # Compare only live observers: a departed observer's row is left as it was.
        handles = table.live_handles()
        mask = np.zeros(table.capacity, dtype=bool)
        mask[handles] = True
        b, a = before.copy(), after.copy()
        b[~mask] = 0
        a[~mask] = 0
        check_events_describe_change(events, b, a)
        check_slots_stable(before, after, table)
        assert np.array_equal(rows, table.rows_of(after[handles]))
        live_ids = set(table.live_ids().tolist())
        assert set(after[handles].ravel().tolist()) <= live_ids | {0}


@pytest.mark.parametrize("period", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("n", [1, 2, 5, 13])
def test_due_rows_cover_everyone_each_period(period: int, n: int) -> None:
    table = AvatarTable(32)
    for i in range(n):
        table.add(AvatarDescription(str(i)), (float(i), 0.0, 0.0))
    manager = InterestManager(table.capacity, k=4, radius=10.0, period=period)
    for _ in range(3):
        seen: list[int] = []
        for _ in range(period):
            rows = manager.due_rows(table)
            assert rows.size <= -(-n // period)
            seen.extend(rows.tolist())
        assert set(seen) == set(range(n))


def test_due_rows_include_fresh_observers() -> None:
    table = AvatarTable(32)
    ids = [table.add(AvatarDescription(str(i)), (float(i), 0.0, 0.0)) for i in range(12)]
    manager = InterestManager(table.capacity, k=4, radius=10.0, period=4)
    manager.mark_fresh(table.handle_of(ids[9]))
    manager.reset(table.handle_of(ids[10]))
    manager.reset(table.handle_of(ids[11]))
    manager.forget(table.handle_of(ids[11]))
    rows = manager.due_rows(table).tolist()
    assert rows == sorted(set(rows))
    assert {0, 1, 2, 9, 10} <= set(rows)
    assert 11 not in rows
    # Fresh marks are used up.
    assert 9 not in manager.due_rows(table).tolist()


def test_coincident_avatars_never_see_themselves() -> None:
    table = AvatarTable(16)
    for i in range(10):
        table.add(AvatarDescription(str(i)), (5.0, 0.0, 5.0))
    manager = InterestManager(table.capacity, k=4, radius=10.0, period=1, hysteresis=0)
    manager.recompute(table, np.arange(10, dtype=np.int64))
    for row in range(10):
        visible = manager.visible[table.handles[row]]
        assert np.count_nonzero(visible) == 4
        assert table.ids[row] not in visible


def test_instances_are_kept_apart() -> None:
    table = AvatarTable(8)
    a = table.add(AvatarDescription("a"), (1.0, 0.0, 1.0))
    b = table.add(AvatarDescription("b"), (1.5, 0.0, 1.0))
    c = table.add(AvatarDescription("c"), (1.0, 0.0, 1.5))
    table.instance[table.row_of(c)] = 1
    manager = InterestManager(table.capacity, k=4, radius=10.0, period=1)
    manager.recompute(table, np.arange(3, dtype=np.int64))
    assert set(manager.visible[table.handle_of(a)].tolist()) == {b, 0}
    assert set(manager.visible[table.handle_of(c)].tolist()) == {0}


def test_invalid_parameters() -> None:
    with pytest.raises(ValueError):
        InterestManager(4, k=0)
    with pytest.raises(ValueError):
        InterestManager(4, k=255)
    with pytest.raises(ValueError):
        InterestManager(4, radius=0.0)
    with pytest.raises(ValueError):
        InterestManager(4, period=0)
