"""Reactions: REACT decoded, rate-limited and counted exactly per instance and tick (no I/O)."""

from __future__ import annotations

from typing import Any, ClassVar

import msgpack
import pytest

from world import reactions as reactions_module
from world.avatars import AvatarDescription
from world.city import City, CityConfig, CityStepResult, ZoneSpec
from world.codec import ErrorMessage, ProtocolError, decode_client, decode_server, encode_client
from world.codec_stage import React, Stage
from world.inbox import JoinRequest
from world.members import Member
from world.protocol import ErrorCode, Opcode, ReactionKind
from world.reactions import REACTION_BURST, REACTION_RATE_PER_S, REFUSAL_INTERVAL_S, Reactions
from world.zone_api import Zone
from world.zone_layout import ZoneLayout

T0 = 1_000_000.0
DT = 0.05
CHEER, CLAP, HEART = (int(k) for k in ReactionKind)


def layout(name: str) -> ZoneLayout:
    return ZoneLayout.from_dict(
        {
            "name": name,
            "bounds": {"min": [-100, -5, -100], "max": [100, 20, 100]},
            "spawns": [{"position": [0, 0, 0], "yaw": 0}],
            "spots": [{"id": "stage", "position": [0, 0, -50], "radius": 5}],
        }
    )


class Grounds(Zone):
    capacity = 4
    open_at = 0.5
    placement = "even"
    stage_spot: ClassVar[str | None] = "stage"
    reactions: ClassVar[bool] = True


class Square(Zone):
    capacity = 50


class Crowd:
    """A city with a square (the entrance, no reactions) and festival grounds."""

    def __init__(self) -> None:
        self.city = City(
            [
                ZoneSpec("square", Square, layout("square")),
                ZoneSpec("grounds", Grounds, layout("grounds")),
            ],
            CityConfig(capacity=64, entrance="square"),
        )
        self.now = T0
        self._tickets = 0

    def step(self) -> CityStepResult:
        self.now += DT
        return self.city.step(self.now)

    def join(self, name: str, zone: str = "grounds") -> int:
        self._tickets += 1
        member = Member(f"user:{name}", "citizen", "en")
        place = (0.0, 0.0, 0.0, 0.0)
        request = JoinRequest(self._tickets, AvatarDescription(name), place, zone, member)
        self.city.inbox.request_join(request)
        ((_, avatar_id, _),) = self.step().joined
        return avatar_id

    def react(self, avatar_id: int, *kinds: int) -> None:
        for kind in kinds:
            assert self.city.post(avatar_id, React(kind))

    def instance_of(self, avatar_id: int) -> int:
        return self.city.where[avatar_id].instance


def sent(result: CityStepResult, avatar_id: int) -> list[Any]:
    return [decode_server(data) for a, data in result.messages if a == avatar_id]


def stage_of(result: CityStepResult, avatar_id: int) -> Stage | None:
    stages = [m for m in sent(result, avatar_id) if isinstance(m, Stage)]
    assert len(stages) <= 1  # at most one STAGE per tick
    return stages[0] if stages else None


def errors_of(result: CityStepResult, avatar_id: int) -> list[ErrorMessage]:
    return [m for m in sent(result, avatar_id) if isinstance(m, ErrorMessage)]


# -- the codec ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ReactionKind))
def test_react_round_trips(kind: ReactionKind) -> None:
    data = encode_client(React(int(kind)))
    assert data == msgpack.packb([int(Opcode.REACT), int(kind)])
    assert decode_client(data) == React(int(kind))


@pytest.mark.parametrize(
    ("raw", "code", "reason"),
    [
        ([10], ErrorCode.MALFORMED, "expected [10, kind]"),
        ([10, 0, 1], ErrorCode.MALFORMED, "expected [10, kind]"),
        ([10, 3], ErrorCode.BAD_FIELD, "kind must be 0 (cheer), 1 (clap), 2 (heart)"),
        ([10, -1], ErrorCode.BAD_FIELD, "kind must be"),
        ([10, True], ErrorCode.BAD_FIELD, "kind must be"),
        ([10, 1.0], ErrorCode.BAD_FIELD, "kind must be"),
        ([10, "cheer"], ErrorCode.BAD_FIELD, "kind must be"),
        ([10, None], ErrorCode.BAD_FIELD, "kind must be"),
    ],
)
def test_bad_react_refused(raw: list[Any], code: ErrorCode, reason: str) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_client(msgpack.packb(raw))
    assert info.value.code == code
    assert info.value.opcode == Opcode.REACT
    assert reason in info.value.reason


# -- counting ----------------------------------------------------------------------------------


def test_counts_are_exact_per_instance_kind_and_zone() -> None:
    crowd = Crowd()
    a, b = crowd.join("a"), crowd.join("b")
    c = crowd.join("c")  # instance 1 reached 2 of 4: c opens instance 2
    assert (crowd.instance_of(a), crowd.instance_of(b), crowd.instance_of(c)) == (1, 1, 2)
    crowd.react(a, CHEER, CHEER, HEART)
    crowd.react(b, CLAP, CHEER)
    crowd.react(c, HEART, HEART, HEART, CLAP)
    result = crowd.step()
    for avatar_id in (a, b):
        stage = stage_of(result, avatar_id)
        assert stage is not None
        assert stage.here == (3, 1, 1) and stage.zone == (3, 2, 4)
    stage = stage_of(result, c)
    assert stage is not None and stage.here == (0, 1, 3) and stage.zone == (3, 2, 4)
    assert stage.tick == result.tick
    # Counts are per tick: a quiet tick sends nothing at all.
    quiet = crowd.step()
    assert all(stage_of(quiet, x) is None for x in (a, b, c))


def test_reactions_count_where_the_avatar_is_at_the_tick() -> None:
    crowd = Crowd()
    fan = crowd.join("fan", zone="square")
    crowd.react(fan, CHEER)
    crowd.city.summon(fan, "grounds", "stage")  # carried out at the start of the next tick
    result = crowd.step()
    stage = stage_of(result, fan)
    assert stage is not None and stage.here == (1, 0, 0)
    assert errors_of(result, fan) == []


def test_over_the_allowance_reactions_are_dropped_with_one_error_a_second() -> None:
    crowd = Crowd()
    fan, other = crowd.join("fan"), crowd.join("other")
    burst = int(REACTION_BURST)
    crowd.react(fan, *[CHEER] * (burst + 4))
    crowd.react(other, CLAP)
    result = crowd.step()
    stage = stage_of(result, fan)
    assert stage is not None and stage.here == (burst, 1, 0)  # the others are not counted
    (error,) = errors_of(result, fan)
    assert error.code == ErrorCode.RATE_LIMITED and error.opcode == Opcode.REACT
    assert error.reason == "more than 4 reactions a second; reaction dropped"
    assert errors_of(result, other) == []
    # The allowance refills at REACTION_RATE_PER_S: one more after 1/rate seconds, and the
    # refusals in between are not told again within the second.
    ticks_per_reaction = round(1.0 / REACTION_RATE_PER_S / DT)
    counted = errors = 0
    for _ in range(ticks_per_reaction):
        crowd.react(fan, HEART)
        result = crowd.step()
        stage = stage_of(result, fan)
        counted += stage.here[HEART] if stage is not None else 0
        errors += len(errors_of(result, fan))
    assert counted == 1
    assert errors == 0  # the first refusal was less than a second ago
    ticks_per_second = round(REFUSAL_INTERVAL_S / DT)
    for _ in range(ticks_per_second):
        crowd.react(fan, *[CLAP] * 3)
        errors += len(errors_of(crowd.step(), fan))
    assert errors == 1


def test_a_zone_without_reactions_refuses_them_once_a_second() -> None:
    crowd = Crowd()
    walker, fan = crowd.join("walker", zone="square"), crowd.join("fan")
    crowd.react(walker, CHEER, CHEER)
    result = crowd.step()
    (error,) = errors_of(result, walker)
    assert error.code == ErrorCode.NOT_ALLOWED and error.opcode == Opcode.REACT
    assert error.reason == "zone 'square' takes no reactions"
    # Nothing was counted anywhere, and the festival crowd heard nothing.
    assert stage_of(result, walker) is None and stage_of(result, fan) is None
    crowd.react(walker, CHEER)
    assert errors_of(crowd.step(), walker) == []
    for _ in range(round(REFUSAL_INTERVAL_S / DT)):
        crowd.step()
    crowd.react(walker, CLAP)
    assert len(errors_of(crowd.step(), walker)) == 1


def test_reactions_of_an_avatar_that_left_are_dropped() -> None:
    crowd = Crowd()
    fan, gone = crowd.join("fan"), crowd.join("gone")
    crowd.react(gone, HEART)
    crowd.city.inbox.request_leave(gone)
    result = crowd.step()
    assert stage_of(result, fan) is None
    assert sent(result, gone) == []


def test_the_waiting_queue_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reactions_module, "MAX_PENDING_REACTIONS", 3)
    crowd = Crowd()
    fan = crowd.join("fan")
    assert [crowd.city.post(fan, React(CHEER)) for _ in range(4)] == [True, True, True, False]
    stage = stage_of(crowd.step(), fan)
    assert stage is not None and stage.here == (3, 0, 0)
    assert crowd.city.post(fan, React(CHEER))  # room again after the tick


def test_many_fans_are_counted_exactly_in_one_message_each() -> None:
    crowd = Crowd()
    fans = [crowd.join(f"f{i}") for i in range(12)]
    expected_zone = [0, 0, 0]
    expected_here: dict[int, list[int]] = {}
    for i, fan in enumerate(fans):
        kinds = [i % 3] * (1 + i % 5)
        crowd.react(fan, *kinds)
        expected_zone[i % 3] += len(kinds)
        here = expected_here.setdefault(crowd.instance_of(fan), [0, 0, 0])
        here[i % 3] += len(kinds)
    result = crowd.step()
    for fan in fans:
        stage = stage_of(result, fan)
        assert stage is not None
        assert list(stage.zone) == expected_zone
        assert list(stage.here) == expected_here[crowd.instance_of(fan)]


def test_allowances_are_forgotten_when_an_avatar_leaves_the_city() -> None:
    reactions = Reactions()

    class Place:
        zone = "grounds"
        script = Grounds()

    place = Place()
    for _ in range(int(REACTION_BURST) + 1):
        reactions.push(7, CHEER)
    counts = reactions.count(T0, {7: place})
    assert counts.of(place) == [int(REACTION_BURST), 0, 0] and len(counts.refusals) == 1
    reactions.forget(7)
    reactions.push(7, CLAP)
    assert reactions.count(T0, {7: place}).of(place) == [0, 1, 0]  # a fresh allowance
