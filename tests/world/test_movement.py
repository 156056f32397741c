"""Movement validation through World.step: speed, bursts, bounds and stale inputs."""

from __future__ import annotations

import numpy as np
import pytest

from world.avatars import AvatarDescription
from world.codec import Correction, Move, decode_server
from world.inbox import JoinRequest
from world.movement import MovementRules
from world.protocol import POSITION_QUANTUM_M
from world.quantize import dequantize_body, quantize_body
from world.world import StepResult, World, WorldConfig
from world.zone_layout import LayoutError, ZoneLayout

DT = 0.05
RULES = MovementRules()
SLACK = RULES.slack_m


def make_layout(lo: list[float], hi: list[float], spawn: list[float]) -> ZoneLayout:
    return ZoneLayout.from_dict(
        {"name": "yard", "bounds": {"min": lo, "max": hi}, "spawns": [{"position": spawn}]}
    )


class Driver:
    """One world with one avatar, stepped at 20 Hz."""

    def __init__(self, layout: ZoneLayout | None = None) -> None:
        layout = layout or make_layout([-50, 0, -50], [50, 10, 50], [0, 0, 0])
        self.world = World(layout, WorldConfig(capacity=8, max_visible=4, view_radius_m=20))
        self.now = 1000.0
        self.world.inbox.request_join(JoinRequest(1, AvatarDescription("walker")))
        result = self.world.step(self.now)
        (_, self.avatar_id, _) = result.joined[0]
        self.seq = 0

    @property
    def row(self) -> int:
        return self.world.table.row_of(self.avatar_id)

    @property
    def position(self) -> np.ndarray:
        return self.world.table.position[self.row].astype(np.float64)

    def step(self, dt: float = DT) -> StepResult:
        self.now += dt
        return self.world.step(self.now)

    def move(
        self,
        target: np.ndarray,
        *,
        seq: int | None = None,
        yaw: float = 0.25,
        anim: int = 2,
        flags: int = 0,
        dt: float = DT,
    ) -> StepResult:
        if seq is None:
            self.seq += 1
            seq = self.seq
        x, y, z = (float(v) for v in target)
        self.world.inbox.push_move(self.avatar_id, Move(seq, x, y, z, yaw, anim, flags))
        return self.step(dt)

    def corrections(self, result: StepResult) -> list[Correction]:
        out = []
        for avatar_id, data in result.messages:
            assert avatar_id == self.avatar_id
            message = decode_server(data)
            assert isinstance(message, Correction)
            out.append(message)
        return out

    def expected_body(self, target: np.ndarray, yaw: float, anim: int, flags: int) -> np.ndarray:
        return quantize_body(
            np.asarray([target], dtype=np.float32),
            np.asarray([yaw], dtype=np.float32),
            np.asarray([anim], dtype=np.uint8),
            np.asarray([flags], dtype=np.uint8),
            self.world.layout.origin,
        )[0]


@pytest.mark.parametrize(
    "offset", [(1.0, 0.0, 0.5), (0.0, 2.0, 0.0), (-2.0, 0.0, -2.0), (0.01, 0.0, 0.0)]
)
def test_move_within_speed_is_applied_exactly(offset: tuple[float, float, float]) -> None:
    d = Driver()
    target = d.position + np.asarray(offset)
    version = int(d.world.table.version[d.row])
    result = d.move(target, yaw=1.0, anim=7, flags=2)
    assert result.messages == []
    table = d.world.table
    assert np.array_equal(table.position[d.row], target.astype(np.float32))
    assert np.array_equal(table.body_bytes[d.row], d.expected_body(target, 1.0, 7, 2))
    # And independently of quantize_body: steps of 1/32 m from the zone's minimum corner,
    # yaw in 1/256 turns, then anim and flags.
    steps = np.rint((target.astype(np.float32).astype(np.float64) - [-50, 0, -50]) * 32)
    body = table.body_bytes[d.row]
    assert body[:6].view("<u2").tolist() == steps.astype(int).tolist()
    assert body[6] == round(1.0 * 256 / (2 * np.pi)) % 256
    assert body[7:].tolist() == [7, 2]
    position, yaw, anim, flags = dequantize_body(body[None, :], d.world.layout.origin)
    assert np.allclose(position[0], target, atol=POSITION_QUANTUM_M / 2 + 1e-6)
    assert abs(yaw[0] - 1.0) <= np.pi / 256
    assert (anim[0], flags[0]) == (7, 2)
    assert table.anim[d.row] == 7
    assert table.flags[d.row] == 2
    assert table.last_seq[d.row] == d.seq
    assert table.version[d.row] == version + 1


@pytest.mark.parametrize("direction", [(1.0, 0.0, 0.0), (0.6, 0.0, -0.8), (0.0, 1.0, 0.0)])
@pytest.mark.parametrize("length", [3.1, 10.0, 45.0])
def test_too_long_step_is_cut_to_the_allowance(
    direction: tuple[float, float, float], length: float
) -> None:
    d = Driver(make_layout([-100, 0, -100], [100, 100, 100], [0, 0, 0]))
    start = d.position
    unit = np.asarray(direction)
    result = d.move(start + unit * length)
    allowance = RULES.max_budget_m + SLACK
    expected = start + unit * allowance
    position = d.position
    assert np.allclose(position, expected, atol=1e-4)
    assert np.linalg.norm(position - start) == pytest.approx(allowance, abs=1e-4)
    (correction,) = d.corrections(result)
    assert correction.seq == d.seq
    assert correction.reason == "speed limit"
    assert np.allclose([correction.x, correction.y, correction.z], expected, atol=1e-4)
    assert np.allclose([correction.x, correction.y, correction.z], position, atol=1e-4)
    assert d.world.table.move_budget[d.row] == 0.0


def test_move_outside_bounds_is_clamped() -> None:
    d = Driver(make_layout([-1, 0, -1], [1, 10, 1], [0, 0, 0]))
    start = d.position
    target = start + np.asarray([2.5, -1.0, 0.0])  # x past +1 and y below 0; within speed
    result = d.move(target)
    expected = np.asarray([1.0, 0.0, start[2]])
    assert np.allclose(d.position, expected)
    (correction,) = d.corrections(result)
    assert correction.reason == "outside zone bounds"
    assert correction.seq == d.seq
    assert np.allclose([correction.x, correction.y, correction.z], expected)


def test_move_both_too_far_and_outside_reports_bounds() -> None:
    d = Driver(make_layout([-1, 0, -1], [1, 10, 1], [0, 0, 0]))
    start = d.position
    result = d.move(start + np.asarray([0.0, -20.0, 0.0]))
    (correction,) = d.corrections(result)
    assert correction.reason == "outside zone bounds"
    assert np.allclose(d.position, [start[0], 0.0, start[2]])


def test_move_on_the_boundary_is_not_corrected() -> None:
    d = Driver(make_layout([-1, 0, -1], [1, 10, 1], [0, 0, 0]))
    start = d.position
    result = d.move(np.asarray([1.0, 0.0, start[2]]))
    assert result.messages == []
    assert np.allclose(d.position, [1.0, 0.0, start[2]])


def test_stale_seq_is_ignored() -> None:
    d = Driver()
    start = d.position
    first = start + np.asarray([1.0, 0.0, 0.0])
    assert d.move(first, seq=5).messages == []
    body = d.world.table.body_bytes[d.row].copy()
    version = int(d.world.table.version[d.row])
    for stale_seq in (5, 4, 0):
        result = d.move(start + np.asarray([0.0, 0.0, 1.0]), seq=stale_seq, flags=1)
        assert result.messages == []
        assert np.allclose(d.position, first)
        assert np.array_equal(d.world.table.body_bytes[d.row], body)
        assert d.world.table.version[d.row] == version
        assert d.world.table.last_seq[d.row] == 5
    # A stale, far-away move is not corrected either: it is simply dropped.
    assert d.move(start + np.asarray([40.0, 0.0, 0.0]), seq=3).messages == []
    assert np.allclose(d.position, first)
    newer = first + np.asarray([0.0, 0.0, 1.0])
    assert d.move(newer, seq=6).messages == []
    assert np.allclose(d.position, newer)


def test_only_the_latest_move_of_a_tick_counts() -> None:
    d = Driver()
    start = d.position
    far, near = start + np.asarray([9.0, 0, 0]), start + np.asarray([1.0, 0, 0])
    d.world.inbox.push_move(d.avatar_id, Move(1, *far.tolist(), 0.0, 0, 0))
    d.world.inbox.push_move(d.avatar_id, Move(2, *near.tolist(), 0.0, 0, 0))
    assert d.world.inbox.counters.coalesced == 1
    result = d.step()
    assert result.messages == []
    assert np.allclose(d.position, start + np.asarray([1.0, 0, 0]))


def drain(d: Driver) -> None:
    """Spend the whole allowance with one over-long step."""
    d.move(d.position + np.asarray([20.0, 0.0, 0.0]))
    assert d.world.table.move_budget[d.row] == 0.0


def test_burst_after_a_pause_is_allowed_up_to_the_budget() -> None:
    d = Driver(make_layout([-200, 0, -200], [200, 10, 200], [0, 0, 0]))
    drain(d)
    ticks_to_refill = int(np.ceil(RULES.burst_s / DT)) + 2
    for _ in range(ticks_to_refill):
        d.step()
    assert d.world.table.move_budget[d.row] == pytest.approx(RULES.max_budget_m)
    start = d.position
    target = start + np.asarray([RULES.max_budget_m, 0.0, 0.0])
    result = d.move(target)
    assert result.messages == []
    assert np.array_equal(d.world.table.position[d.row], target.astype(np.float32))

    # A longer pause buys no more than the cap.
    drain(d)
    for _ in range(5 * ticks_to_refill):
        d.step()
    start = d.position
    result = d.move(start + np.asarray([0.0, 0.0, RULES.max_budget_m + 1.0]))
    (correction,) = d.corrections(result)
    assert correction.reason == "speed limit"
    assert np.linalg.norm(d.position - start) == pytest.approx(RULES.max_budget_m + SLACK, abs=1e-4)


def test_short_pause_refills_in_proportion() -> None:
    d = Driver(make_layout([-200, 0, -200], [200, 10, 200], [0, 0, 0]))
    drain(d)
    for _ in range(4):
        d.step()
    # Four quiet ticks plus the tick of the move itself: five ticks of travel.
    allowance = 5 * DT * RULES.max_speed_mps
    start = d.position
    result = d.move(start + np.asarray([2.5, 0.0, 0.0]))
    (correction,) = d.corrections(result)
    assert np.linalg.norm(d.position - start) == pytest.approx(allowance + SLACK, abs=1e-4)
    assert correction.x == pytest.approx(start[0] + allowance + SLACK, abs=1e-4)


def test_walking_at_top_speed_is_never_corrected() -> None:
    d = Driver(make_layout([-200, 0, -200], [200, 10, 200], [0, 0, 0]))
    stride = RULES.max_speed_mps * DT
    for _ in range(60):
        target = d.position + np.asarray([stride, 0.0, 0.0])
        assert d.move(target).messages == []
        assert np.allclose(d.position, target, atol=1e-4)


def test_long_gap_between_ticks_gives_limited_allowance() -> None:
    d = Driver(make_layout([-200, 0, -200], [200, 10, 200], [0, 0, 0]))
    drain(d)
    start = d.position
    # Ten seconds without a tick count as at most 0.25 s of travel.
    result = d.move(start + np.asarray([RULES.max_budget_m, 0.0, 0.0]), dt=10.0)
    assert len(d.corrections(result)) == 1
    moved = np.linalg.norm(d.position - start)
    assert moved == pytest.approx(0.25 * RULES.max_speed_mps + SLACK, abs=1e-4)


def test_moves_of_departed_avatars_are_dropped() -> None:
    d = Driver()
    gone = d.avatar_id
    d.world.inbox.request_leave(gone)
    d.world.inbox.push_move(gone, Move(1, 1.0, 0.0, 1.0, 0.0, 0, 0))
    result = d.step()
    assert result.messages == []
    assert d.world.table.row_of(gone) == -1


def test_zone_wider_than_the_wire_is_refused() -> None:
    with pytest.raises(LayoutError, match="wire cannot address"):
        make_layout([0, 0, 0], [2047.99, 10, 10], [5.0, 0, 5])


def test_far_edge_of_a_maximal_zone_is_addressable() -> None:
    span = 65535 * POSITION_QUANTUM_M
    d = Driver(make_layout([0, 0, 0], [span, 10, 10], [span - 1.0, 0, 5]))
    target = np.asarray([span, 0.0, 5.0])
    for _ in range(40):
        here = d.position
        gap = target - here
        step = gap if np.linalg.norm(gap) <= 0.3 else gap / np.linalg.norm(gap) * 0.3
        d.move(here + step)
    assert np.allclose(d.position, target, atol=1e-3)
    position, _, _, _ = dequantize_body(
        d.world.table.body_bytes[d.row][None, :], d.world.layout.origin
    )
    assert abs(position[0, 0] - span) <= POSITION_QUANTUM_M / 2
