"""The central property: a client applying every WORLD frame holds the server's state.

A random crowd joins, walks (sometimes too fast), wears VR headsets, leaves, and has its
connections held now and then. Every client keeps a ``WorldMirror``; after every tick each
client that was sent a frame must show exactly the server's slots, with the near avatars'
bytes current, and after a few quiet ticks every slot's bytes must be current.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plaza_client.mirror import WorldMirror

from world.avatars import AvatarDescription
from world.codec import Correction, Move, Pose, Welcome, WorldFrame, decode_server
from world.deltas import encode_world_frame
from world.inbox import JoinRequest
from world.protocol import POSITION_QUANTUM_M, AvatarFlag, Opcode
from world.quantize import BODY_ROW_BYTES, POSE_ROW_BYTES
from world.world import StepResult, World, WorldConfig
from world.zone_layout import ZoneLayout

DT = 0.05
LAYOUT = ZoneLayout.from_dict(
    {
        "name": "test_square",
        "title": {"en": "Test square", "ko": "시험 광장"},
        "bounds": {"min": [-40.0, 0.0, -30.0], "max": [40.0, 20.0, 30.0]},
        "spawns": [
            {"position": [0.0, 0.0, 0.0], "yaw": 1.0},
            {"position": [-25.0, 0.0, 10.0]},
            {"position": [25.0, 0.0, -10.0], "yaw": -2.0},
        ],
    }
)


@dataclass
class Client:
    """What one connection knows: its mirror, its input counter, its headset and its hold."""

    avatar_id: int
    mirror: WorldMirror
    seq: int = 0
    vr: bool = False
    held_for: int = 0
    frames: int = 0


@dataclass
class Crowd:
    """Drives a World with random input and checks every client's mirror against it."""

    world: World
    rng: np.random.Generator
    now: float = 1000.0
    clients: dict[int, Client] = field(default_factory=dict)
    next_ticket: int = 0
    corrections: int = 0
    events: int = 0
    held_ticks: int = 0

    # ------------------------------------------------------------------ input

    def join(self, count: int) -> None:
        for _ in range(count):
            self.next_ticket += 1
            description = AvatarDescription(
                f"citizen {self.next_ticket}", {"hue": self.next_ticket % 7}, "citizen"
            )
            assert self.world.inbox.request_join(JoinRequest(self.next_ticket, description))

    def random_input(
        self, *, p_join: float, p_leave: float, p_hold: float, max_hold: int = 3
    ) -> set[int]:
        """Queue one tick of random input; return the avatars whose moves must be corrected."""
        rng, inbox, table = self.rng, self.world.inbox, self.world.table
        capacity = self.world.config.capacity
        pending = len(inbox.joins)
        if rng.random() < p_join and len(self.clients) + pending < capacity - 2:
            self.join(int(rng.integers(1, 4)))
        ids = sorted(self.clients)
        if ids and rng.random() < p_leave:
            leaving = int(rng.choice(ids))
            inbox.request_leave(leaving)
        must_correct: set[int] = set()
        lo = np.asarray(LAYOUT.bounds_min)
        hi = np.asarray(LAYOUT.bounds_max)
        for avatar_id in ids:
            client = self.clients[avatar_id]
            row = table.row_of(avatar_id)
            if rng.random() < 0.75:
                here = table.position[row].astype(np.float64)
                roll = rng.random()
                if roll < 0.05:
                    # A speed hack: far more than the allowance can cover.
                    step = rng.normal(0, 1, 3) * [1, 0, 1]
                    step *= rng.uniform(6.0, 15.0) / max(np.linalg.norm(step), 1e-6)
                    must_correct.add(avatar_id)
                elif roll < 0.15:
                    step = np.zeros(3)  # standing still (maybe turning)
                else:
                    step = rng.normal(0, 0.25, 3) * [1, 0.1, 1]
                target = here + step
                if roll >= 0.05 and rng.random() < 0.9:
                    target = np.clip(target, lo, hi)
                if rng.random() < 0.05:
                    client.vr = not client.vr
                flags = int(AvatarFlag.VR) if client.vr else 0
                if rng.random() < 0.1:
                    flags |= int(AvatarFlag.SPEAKING)
                client.seq += 1
                move = Move(
                    client.seq,
                    float(target[0]),
                    float(target[1]),
                    float(target[2]),
                    float(rng.uniform(-math.pi, math.pi)),
                    int(rng.integers(0, 4)),
                    flags,
                )
                inbox.push_move(avatar_id, move)
            if client.vr and rng.random() < 0.7:
                client.seq += 1
                inbox.push_pose(avatar_id, random_pose(rng, client.seq))
            if client.held_for == 0 and rng.random() < p_hold:
                client.held_for = int(rng.integers(1, max_hold + 1))
        for avatar_id in ids:
            if self.clients[avatar_id].held_for > 0:
                inbox.hold(avatar_id)
        return must_correct

    # ------------------------------------------------------------------ stepping

    def step(self, must_correct: frozenset[int] | set[int] = frozenset()) -> StepResult:
        self.now += DT
        held = {a for a, c in self.clients.items() if c.held_for > 0}
        leaving = set(self.world.inbox.leaves)
        result = self.world.step(self.now)
        self.events += result.events
        for avatar_id in leaving:
            self.clients.pop(avatar_id, None)
        assert result.refused == []

        for _ticket, avatar_id, data in result.joined:
            welcome = decode_server(data)
            assert isinstance(welcome, Welcome)
            assert welcome.info["avatar_id"] == avatar_id
            origin = np.asarray(welcome.info["zone"]["origin"], dtype=np.float64)
            assert np.array_equal(origin, LAYOUT.origin)
            assert avatar_id not in self.clients
            self.clients[avatar_id] = Client(avatar_id, WorldMirror(origin=origin))

        got_frame: set[int] = set()
        for avatar_id, data in result.frames:
            assert avatar_id not in got_frame, "two frames for one client in one tick"
            got_frame.add(avatar_id)
            frame = decode_server(data)
            assert isinstance(frame, WorldFrame)
            assert frame.tick == result.tick == self.world.tick
            assert frame.server_time == self.now
            # The fast path writes exactly what the general encoder would.
            assert bytes(data) == encode_world_frame(
                frame.tick, frame.server_time, frame.leaves, frame.enters, frame.body, frame.poses
            )
            self.check_rows(avatar_id, frame)
            client = self.clients[avatar_id]
            client.mirror.apply(frame)
            client.frames += 1
        # Every live client gets a frame each tick, except those whose connection is busy.
        assert got_frame == set(self.clients) - held
        self.held_ticks += len(held & set(self.clients))

        corrected: set[int] = set()
        for avatar_id, data in result.messages:
            message = decode_server(data)
            assert isinstance(message, Correction)
            assert message.reason in {"speed limit", "outside zone bounds"}
            row = self.world.table.row_of(avatar_id)
            assert row >= 0
            assert message.seq == self.world.table.last_seq[row]
            assert np.allclose(
                [message.x, message.y, message.z], self.world.table.position[row], atol=1e-3
            )
            corrected.add(avatar_id)
        self.corrections += len(corrected)
        assert must_correct & set(self.clients) <= corrected

        for client in self.clients.values():
            if client.held_for > 0:
                client.held_for -= 1
        self.check(skip=held)
        return result

    # ------------------------------------------------------------------ checks

    def check_rows(self, avatar_id: int, frame: WorldFrame) -> None:
        """Rows go out only where the delta rules say: far slots on their tick, poses near."""
        world = self.world
        table, interest, config = world.table, world.interest, world.config
        handle = table.handle_of(avatar_id)
        rank = interest.rank[handle]
        entered = {slot for slot, _, _ in frame.enters}
        assert len(entered) == len(frame.enters)
        far_due = (world.tick + handle) % config.far_interval == 0
        body_slots = list(frame.body[::BODY_ROW_BYTES])
        assert len(body_slots) == len(set(body_slots)), "two rows for one slot"
        for slot in body_slots:
            assert interest.visible[handle, slot] != 0
            if rank[slot] >= config.near_slots:
                assert far_due or slot in entered, f"far slot {slot} sent off its tick"
        pose_slots = list(frame.poses[::POSE_ROW_BYTES])
        assert len(pose_slots) == len(set(pose_slots))
        for slot in pose_slots:
            assert rank[slot] < config.pose_slots, f"pose row for slot {slot} of rank {rank[slot]}"
            row = table.row_of(int(interest.visible[handle, slot]))
            assert table.flags[row] & AvatarFlag.VR, "pose row for an avatar without VR"

    def check(self, *, skip: set[int], everything: bool = False) -> None:
        world = self.world
        table, interest = world.table, world.interest
        near, pose_slots = world.config.near_slots, world.config.pose_slots
        assert set(self.clients) == set(table.live_ids().tolist())
        for avatar_id, client in self.clients.items():
            if avatar_id in skip:
                continue
            handle = table.handle_of(avatar_id)
            visible = interest.visible[handle]
            rank = interest.rank[handle]
            truth = {s: int(v) for s, v in enumerate(visible.tolist()) if v}
            mirror = {s: a.avatar_id for s, a in client.mirror.slots.items()}
            assert mirror == truth, f"client {avatar_id} at tick {world.tick}"
            assert client.mirror.tick == world.tick
            for slot, seen_id in truth.items():
                seen = client.mirror.slots[slot]
                row = table.row_of(seen_id)
                assert seen.description == table.descriptions[seen_id].to_wire()
                if everything or rank[slot] < near:
                    assert seen.body == table.body_bytes[row].tobytes(), (
                        f"client {avatar_id} slot {slot} (rank {rank[slot]}) tick {world.tick}"
                    )
                if everything:
                    # What the client draws: within half a quantum of the server's floats.
                    state = seen.state(client.mirror.origin)
                    assert np.allclose(
                        state["position"], table.position[row], atol=POSITION_QUANTUM_M / 2 + 1e-4
                    )
                    yaw_error = (state["yaw"] - float(table.yaw[row]) + math.pi) % (2 * math.pi)
                    assert abs(yaw_error - math.pi) <= math.pi / 256 + 1e-4
                    assert state["anim"] == table.anim[row]
                    assert state["flags"] == table.flags[row]
                if everything and table.flags[row] & AvatarFlag.VR and rank[slot] < pose_slots:
                    assert seen.pose == table.pose_bytes[row].tobytes(), (
                        f"client {avatar_id} pose slot {slot} (rank {rank[slot]})"
                    )
                    joints = seen.joints()
                    assert joints is not None
                    truth_pose = table.pose[row].astype(np.float64)
                    assert np.allclose(
                        np.asarray(joints)[:, :3], truth_pose[:, :3], atol=5e-4 + 1e-6
                    )
                    assert np.allclose(
                        np.asarray(joints)[:, 3:], truth_pose[:, 3:], atol=0.5 / 127 + 1e-6
                    )

    def quiet(self, ticks: int) -> None:
        """Ticks with no input and nobody held; then every mirror must match exactly."""
        for client in self.clients.values():
            client.held_for = 0
        for _ in range(ticks):
            self.step()
        self.check(skip=set(), everything=True)


def random_unit_quaternion(rng: np.random.Generator) -> list[float]:
    q = rng.normal(0, 1, 4)
    return (q / np.linalg.norm(q)).tolist()


def random_pose(rng: np.random.Generator, seq: int) -> Pose:
    def joint(center: list[float]) -> tuple[float, ...]:
        offset = np.clip(np.asarray(center) + rng.normal(0, 0.1, 3), -2.4, 2.4)
        return (*offset.tolist(), *random_unit_quaternion(rng))

    return Pose(seq, joint([0, 1.6, 0]), joint([-0.3, 1.1, 0.2]), joint([0.3, 1.1, 0.2]))


def make_world(period: int, seed: int, capacity: int = 48, **overrides: object) -> World:
    config = dict(
        capacity=capacity,
        max_visible=6,
        view_radius_m=25.0,
        recompute_period=period,
        near_slots=3,
        far_interval=2,
        pose_slots=3,
        seed=seed,
    )
    config.update(overrides)
    return World(LAYOUT, WorldConfig(**config))  # type: ignore[arg-type]


def run_crowd(period: int, seed: int, ticks: int, max_hold: int = 3, **overrides: object) -> Crowd:
    crowd = Crowd(make_world(period, seed, **overrides), np.random.default_rng(seed))
    crowd.join(12)
    crowd.step()
    for tick in range(ticks):
        # A quiet spell in the middle lets the crowd settle, then the churn resumes.
        busy = not (ticks // 2 <= tick < ticks // 2 + 3)
        must_correct = crowd.random_input(
            p_join=0.25 if busy else 0.0,
            p_leave=0.2 if busy else 0.0,
            p_hold=0.08,
            max_hold=max_hold,
        )
        crowd.step(must_correct)
    # Far slots are due once every far_interval ticks.
    crowd.quiet(crowd.world.config.far_interval + 2)
    return crowd


@pytest.mark.parametrize("period", [1, 2, 3, 4])
def test_mirrors_follow_the_world(period: int) -> None:
    crowd = run_crowd(period, seed=1000 + period, ticks=200)
    # The run really exercised what it claims to.
    assert crowd.corrections > 0
    assert crowd.held_ticks > 0
    assert crowd.events > 0
    assert crowd.world.table.removals > 0
    assert any(c.vr for c in crowd.clients.values())
    assert any(len(c.mirror.slots) == 6 for c in crowd.clients.values())


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**31), st.integers(2, 5), st.integers(0, 3))
def test_mirrors_follow_the_world_random_settings(
    period: int, seed: int, far_interval: int, near_slots: int
) -> None:
    run_crowd(
        period,
        seed,
        ticks=50,
        far_interval=far_interval,
        near_slots=near_slots,
        pose_slots=int(np.random.default_rng(seed).integers(0, 7)),
    )


def test_crowded_square_frames_need_bin16() -> None:
    """With many avatars in view, body and pose bins pass 255 bytes (msgpack bin 16)."""
    crowd = Crowd(
        make_world(
            2, seed=7, capacity=80, max_visible=40, view_radius_m=80.0, near_slots=30, pose_slots=12
        ),
        np.random.default_rng(7),
    )
    crowd.join(60)
    crowd.step()
    for client in crowd.clients.values():
        client.vr = True
    sizes: list[int] = []
    for _ in range(8):
        crowd.random_input(p_join=0.0, p_leave=0.0, p_hold=0.1)
        result = crowd.step()
        for _, data in result.frames:
            frame = decode_server(data)
            assert isinstance(frame, WorldFrame)
            sizes.append(len(frame.body))
            sizes.append(len(frame.poses))
    crowd.quiet(3)
    assert max(sizes) > 255
    assert any(size > 255 for size in sizes[1::2])


def test_fast_path_frame_bytes() -> None:
    """A frame with nothing but rows is byte for byte ``encode_world_frame`` with empty lists."""
    crowd = Crowd(make_world(1, seed=3), np.random.default_rng(3))
    crowd.join(5)
    crowd.step()
    for client in crowd.clients.values():
        client.vr = True
    crowd.random_input(p_join=0.0, p_leave=0.0, p_hold=0.0)
    result = crowd.step()
    plain = with_rows = 0
    for _, data in result.frames:
        frame = decode_server(data)
        assert isinstance(frame, WorldFrame)
        if frame.leaves or frame.enters:
            continue
        plain += 1
        with_rows += bool(frame.body)
        assert len(frame.body) % BODY_ROW_BYTES == 0
        assert len(frame.poses) % POSE_ROW_BYTES == 0
        expected = encode_world_frame(
            result.tick, result.server_time, [], [], frame.body, frame.poses
        )
        assert bytes(data) == expected
        assert decode_server(expected) == frame
        # Shared prefix: fixarray 7, WORLD, tick, float 64 time, then two empty arrays.
        assert bytes(data[:2]) == bytes([0x97, int(Opcode.WORLD)])
        assert b"\x90\x90\xc4" in bytes(data)
    assert plain > 0
    assert with_rows > 0


def test_first_frame_enters_everyone_in_view() -> None:
    crowd = Crowd(make_world(4, seed=5), np.random.default_rng(5))
    crowd.join(8)
    result = crowd.step()
    assert len(result.joined) == 8
    for avatar_id, data in result.frames:
        frame = decode_server(data)
        assert isinstance(frame, WorldFrame)
        assert frame.leaves == []
        slots = [slot for slot, _, _ in frame.enters]
        assert len(slots) == len(set(slots))
        assert len(frame.body) == BODY_ROW_BYTES * len(frame.enters)
        handle = crowd.world.table.handle_of(avatar_id)
        assert sorted(slots) == np.nonzero(crowd.world.interest.visible[handle])[0].tolist()


def test_new_occupant_of_a_slot_gets_its_pose_even_with_an_equal_version() -> None:
    """Pose versions are per avatar, so a newcomer's can equal the previous occupant's."""
    crowd = Crowd(
        make_world(1, seed=11, capacity=4, max_visible=2, view_radius_m=80.0),
        np.random.default_rng(11),
    )
    crowd.join(2)
    crowd.step()
    observer, first = sorted(crowd.clients)
    rng = np.random.default_rng(0)

    def put_on_headset(avatar_id: int) -> None:
        client = crowd.clients[avatar_id]
        row = crowd.world.table.row_of(avatar_id)
        x, y, z = crowd.world.table.position[row].tolist()
        client.vr = True
        client.seq += 1
        crowd.world.inbox.push_move(avatar_id, Move(client.seq, x, y, z, 0.0, 0, 1))
        client.seq += 1
        crowd.world.inbox.push_pose(avatar_id, random_pose(rng, client.seq))

    put_on_headset(first)
    crowd.quiet(3)
    version = int(crowd.world.table.pose_version[crowd.world.table.row_of(first)])
    slot = next(s for s, a in crowd.clients[observer].mirror.slots.items() if a.avatar_id == first)
    assert crowd.clients[observer].mirror.slots[slot].pose
    crowd.world.inbox.request_leave(first)
    crowd.step()
    crowd.join(1)
    crowd.step()
    (second,) = set(crowd.clients) - {observer}
    put_on_headset(second)
    crowd.quiet(3)
    row = crowd.world.table.row_of(second)
    assert crowd.world.table.pose_version[row] == version
    # The newcomer took the same slot, so the last pose version sent there equals its own.
    seen = crowd.clients[observer].mirror.slots[slot]
    assert seen.avatar_id == second
    assert seen.pose == crowd.world.table.pose_bytes[row].tobytes()


def test_full_world_refuses_joins_with_a_reason() -> None:
    crowd = Crowd(make_world(2, seed=13, capacity=5), np.random.default_rng(13))
    crowd.join(5)
    crowd.step()
    for ticket in (100, 101):
        description = AvatarDescription(f"late {ticket}")
        assert crowd.world.inbox.request_join(JoinRequest(ticket, description))
    result = crowd.world.step(crowd.now + DT)
    crowd.now += DT
    assert result.joined == []
    assert [ticket for ticket, _ in result.refused] == [100, 101]
    assert all("full" in reason for _, reason in result.refused)
    assert crowd.world.table.count == 5
    for avatar_id, data in result.frames:
        frame = decode_server(data)
        assert isinstance(frame, WorldFrame)
        crowd.clients[avatar_id].mirror.apply(frame)
    crowd.check(skip=set())
    # A place frees up: the next join is admitted.
    crowd.world.inbox.request_leave(sorted(crowd.clients)[0])
    crowd.join(1)
    result = crowd.step()
    assert len(result.joined) == 1
    crowd.quiet(3)


def test_leaving_twice_or_unknown_ids_is_harmless() -> None:
    crowd = Crowd(make_world(1, seed=17), np.random.default_rng(17))
    crowd.join(4)
    crowd.step()
    leaving = sorted(crowd.clients)[0]
    crowd.world.inbox.request_leave(leaving)
    crowd.world.inbox.request_leave(leaving)
    crowd.world.inbox.request_leave(0)
    crowd.world.inbox.request_leave(123_456_789)
    crowd.world.inbox.hold(leaving)
    crowd.step()
    assert crowd.world.table.row_of(leaving) == -1
    crowd.world.inbox.request_leave(leaving)
    crowd.step()
    assert crowd.world.table.count == 3
    crowd.quiet(3)


def test_world_empties_and_fills_again() -> None:
    crowd = Crowd(make_world(3, seed=19), np.random.default_rng(19))
    crowd.join(6)
    crowd.step()
    for _ in range(5):
        crowd.random_input(p_join=0.0, p_leave=0.0, p_hold=0.3)
        crowd.step()
    for avatar_id in list(crowd.clients):
        crowd.world.inbox.request_leave(avatar_id)
    result = crowd.step()
    assert len(result.frames) == 0
    assert crowd.world.table.count == 0
    assert crowd.world.encoder.pending == {}
    crowd.step()
    crowd.join(6)
    crowd.step()
    for _ in range(10):
        crowd.random_input(p_join=0.0, p_leave=0.1, p_hold=0.2)
        crowd.step()
    crowd.quiet(3)


def test_frames_stay_valid_after_the_next_tick() -> None:
    """Frames are views into a per-tick buffer; a later tick must not overwrite them."""
    crowd = Crowd(make_world(1, seed=23), np.random.default_rng(23))
    crowd.join(6)
    first = crowd.step()
    kept = [(avatar_id, bytes(frame), frame) for avatar_id, frame in first.frames]
    for _ in range(3):
        crowd.random_input(p_join=0.0, p_leave=0.0, p_hold=0.0)
        crowd.step()
    for _, copy, view in kept:
        assert bytes(view) == copy
