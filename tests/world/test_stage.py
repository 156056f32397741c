"""The stage broadcast: performers on a festival stage are seen in every instance (no I/O)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import msgpack
import numpy as np
import pytest

from world.avatars import AvatarDescription
from world.city import City, CityConfig, CityError, CityStepResult, ZoneSpec
from world.codec import Move, Pose, ProtocolError, decode_server
from world.codec_social import Block, ChatMessage, Say, ZoneEvent
from world.codec_stage import React, Stage, encode_stage, encode_stage_performer
from world.inbox import JoinRequest, ResumeRequest
from world.members import Member
from world.protocol import ErrorCode, Opcode
from world.roles import Role
from world.stage import MAX_STAGE_PERFORMERS, PERFORMERS_EVENT, STAGE_ROLES
from world.world import WorldConfig
from world.zone_api import Zone
from world.zone_layout import ZoneLayout
from world.zone_shares import PEER_SILENCE_S
from world.zones.festival import Festival

T0 = 1_000_000.0
DT = 0.05
STAGE_AT = (0.0, 1.0, -30.0)
STAGE_RADIUS = 10.0
# Small views, so that an avatar of the performer's own instance can stand out of its view.
VIEW_RADIUS = 30.0
ORIGIN = np.array([-100.0, -5.0, -100.0])


def layout(name: str, spots: list[dict[str, Any]] = ()) -> ZoneLayout:
    return ZoneLayout.from_dict(
        {
            "name": name,
            "bounds": {"min": [-100, -5, -100], "max": [100, 20, 100]},
            "spawns": [{"position": [0, 0, 40], "yaw": 0}],
            "spots": list(spots),
        }
    )


class Grounds(Zone):
    """A festival ground: instances of 4 (a new one opens at 3), a stage, reactions."""

    capacity = 4
    open_at = 0.75
    placement = "even"
    stage_spot: ClassVar[str | None] = "stage"
    reactions: ClassVar[bool] = True


class Square(Zone):
    capacity = 50


def make_city(
    grounds: type[Zone] = Grounds, spots: list[dict[str, Any]] | None = None, **config: Any
) -> City:
    stage = {"id": "stage", "position": list(STAGE_AT), "radius": STAGE_RADIUS}
    return City(
        [
            ZoneSpec("square", Square, layout("square")),
            ZoneSpec("grounds", grounds, layout("grounds", [stage] if spots is None else spots)),
        ],
        CityConfig(
            capacity=64,
            entrance="square",
            world=WorldConfig(view_radius_m=VIEW_RADIUS),
            **config,
        ),
    )


class Festival1:
    """A city and its clock, with helpers to join avatars and read what they were sent."""

    def __init__(self, city: City | None = None) -> None:
        self.city = city or make_city()
        self.now = T0
        self.results: list[CityStepResult] = []
        self._tickets = 0
        self._seq: dict[int, int] = {}

    def step(self, n: int = 1) -> list[CityStepResult]:
        out = []
        for _ in range(n):
            self.now += DT
            out.append(self.city.step(self.now))
        self.results += out
        return out

    def join(
        self,
        name: str,
        x: float,
        z: float,
        *,
        role: str = Role.CITIZEN,
        zone: str = "grounds",
    ) -> int:
        self._tickets += 1
        member = Member(f"user:{name}", role, "en")
        place = (x, 0.0, z, 0.0)
        self.city.inbox.request_join(
            JoinRequest(self._tickets, AvatarDescription(name, role=role), place, zone, member)
        )
        (result,) = self.step()
        ((_, avatar_id, _),) = result.joined
        return avatar_id

    def move(self, avatar_id: int, x: float, z: float, y: float = 0.0, **kw: Any) -> None:
        """One MOVE (within the speed limit: at most a few metres from where it stands)."""
        self._seq[avatar_id] = self._seq.get(avatar_id, 0) + 1
        anim, flags = kw.get("anim", 0), kw.get("flags", 0)
        self.city.push_move(avatar_id, Move(self._seq[avatar_id], x, y, z, 0.0, anim, flags))

    def walk(self, avatar_id: int, x: float, z: float, **kw: Any) -> list[CityStepResult]:
        """Walk to (x, z) in legal steps, a tick each; the last step lands there."""
        here = self.city.place_of(avatar_id)
        assert here is not None
        _, px, _, pz, _ = here
        steps = max(1, math.ceil(math.hypot(x - px, z - pz) / 0.25))
        out = []
        for i in range(1, steps + 1):
            self.move(avatar_id, px + (x - px) * i / steps, pz + (z - pz) * i / steps, **kw)
            out += self.step()
        return out

    def instance_of(self, avatar_id: int) -> int:
        return self.city.where[avatar_id].instance

    def sent(self, avatar_id: int, results: list[CityStepResult] | None = None) -> list[Any]:
        return [
            decode_server(data)
            for r in (self.results if results is None else results)
            for a, data in r.messages
            if a == avatar_id
        ]

    def stages(self, avatar_id: int, results: list[CityStepResult] | None = None) -> list[Stage]:
        return [m for m in self.sent(avatar_id, results) if isinstance(m, Stage)]

    def events(self, avatar_id: int, results: list[CityStepResult] | None = None) -> list[Any]:
        return [
            m.data["performers"]
            for m in self.sent(avatar_id, results)
            if isinstance(m, ZoneEvent) and m.type == PERFORMERS_EVENT
        ]

    def sees(self, observer: int, avatar_id: int) -> bool:
        world = self.city.where[observer].world
        handle = world.table.handle_of(observer)
        return bool((world.interest.visible[handle] == avatar_id).any())


def on_stage_x(dx: float = 0.0) -> tuple[float, float]:
    """A place on the stage, 8 m in from its front edge's centre line, ``dx`` to the side."""
    return STAGE_AT[0] + dx, STAGE_AT[2] + 8.0


def crowd() -> tuple[Festival1, dict[str, int]]:
    """Instance 1: a performer (off stage, near the front), a fan beside the stage and a fan
    far back; once those three are in, instance 2 opens for a watcher."""
    f = Festival1()
    ids = {"performer": f.join("Singer", 0.0, -18.0, role=Role.PERFORMER)}
    ids["front"] = f.join("Front", 5.0, -14.0)
    ids["far"] = f.join("Far", 0.0, 45.0)
    ids["watcher"] = f.join("Watcher", 0.0, 40.0)
    return f, ids


def test_overflow_instances_open_at_the_threshold_and_fill_evenly() -> None:
    f, ids = crowd()
    assert {f.instance_of(ids[name]) for name in ("performer", "front", "far")} == {1}
    assert f.instance_of(ids["watcher"]) == 2  # instance 1 reached 3 of 4: a new one opened
    assert [i.count() for i in f.city.zones["grounds"].instances] == [3, 1]
    # Even: the emptiest instance below the threshold takes the next ones.
    assert f.instance_of(f.join("Next", 0.0, 30.0)) == 2


def test_festival_takes_reactions_and_names_its_stage() -> None:
    assert Festival.stage_spot == "stage" and Festival.reactions is True
    assert {"performer", "interpreter"} == STAGE_ROLES


def test_a_performer_on_stage_is_seen_in_every_other_instance() -> None:
    f, ids = crowd()
    assert f.stages(ids["watcher"]) == []  # nobody on stage, nobody reacted: nothing to say
    x, z = on_stage_x(2.0)
    *_, result = f.walk(ids["performer"], x, z, anim=7)
    (stage,) = f.stages(ids["watcher"], [result])
    assert stage.tick == result.tick
    (performer,) = stage.performers
    assert performer.avatar_id == ids["performer"]
    state = performer.state(ORIGIN)
    assert state["position"] == pytest.approx([x, 0.0, z], abs=1 / 32)
    assert state["anim"] == 7
    assert performer.pose is None and performer.joints() is None  # not in VR
    assert stage.here == stage.zone == (0, 0, 0)


def test_a_performer_is_not_duplicated_for_those_who_see_it() -> None:
    f, ids = crowd()
    result = f.walk(ids["performer"], *on_stage_x())
    # The fan beside the stage has the performer in view (WORLD frames); the far fan of the
    # same instance does not, so STAGE shows it to the far fan and not to the front one.
    assert f.sees(ids["front"], ids["performer"])
    assert not f.sees(ids["far"], ids["performer"])
    front = f.stages(ids["front"], result)
    assert front and all(s.performers == () for s in front)
    far = f.stages(ids["far"], result)
    assert [p.avatar_id for p in far[-1].performers] == [ids["performer"]]
    # The performer itself is never shown itself.
    assert all(s.performers == () for s in f.stages(ids["performer"], result))


def test_stepping_off_the_stage_sends_one_empty_stage_then_nothing() -> None:
    f, ids = crowd()
    f.walk(ids["performer"], *on_stage_x())
    f.step()
    f.move(ids["performer"], 0.0, -19.5)  # 10.5 m from the centre: off a 10 m stage
    first, second, third = f.step(3)
    assert [s.performers for s in f.stages(ids["watcher"], [first])] == [()]
    assert f.stages(ids["watcher"], [second, third]) == []
    assert f.events(ids["watcher"], [first]) == [[]]


def test_stage_performers_event_on_change_and_on_join() -> None:
    f, ids = crowd()
    # Everyone got the (empty) list on arrival.
    assert all(f.events(a) == [[]] for a in ids.values())
    walked = f.walk(ids["performer"], *on_stage_x())  # it steps on half way
    expected = [[{"id": ids["performer"], "name": "Singer", "role": "performer"}]]
    for avatar_id in ids.values():
        assert f.events(avatar_id, walked) == expected
    f.step(2)  # no change: no new event
    assert all(f.events(a) == [[], *expected] for a in ids.values())
    newcomer = f.join("Late", 1.0, 40.0)
    assert f.events(newcomer) == expected
    # Only the newcomer heard it again.
    assert all(len(f.events(a)) == 2 for a in ids.values())


def test_a_resumed_client_is_told_who_is_on_stage() -> None:
    f, ids = crowd()
    f.walk(ids["performer"], *on_stage_x())
    f.city.inbox.request_resume(ResumeRequest(99, ids["watcher"]))
    (result,) = f.step()
    assert [t for t, _, _ in result.joined] == [99]
    assert f.events(ids["watcher"], [result]) == [
        [{"id": ids["performer"], "name": "Singer", "role": "performer"}]
    ]
    assert f.events(ids["far"], [result]) == []  # nothing changed for the others


def test_stage_events_and_messages_only_reach_the_stage_zone() -> None:
    f, ids = crowd()
    passer = f.join("Passer", 0.0, 0.0, zone="square")
    f.walk(ids["performer"], *on_stage_x())
    assert f.sent(passer) == []


def test_an_interpreter_is_broadcast_too_but_a_citizen_on_stage_is_not() -> None:
    f, ids = crowd()
    interpreter = f.join("Signer", 3.0, -19.0, role=Role.INTERPRETER)
    dancer = f.join("Dancer", -3.0, -19.0)
    for avatar_id, dx in ((interpreter, 3.0), (dancer, -3.0)):
        f.move(avatar_id, *on_stage_x(dx))
    (result,) = f.step()
    (stage,) = f.stages(ids["watcher"], [result])
    assert [p.avatar_id for p in stage.performers] == [interpreter]
    assert f.events(ids["watcher"], [result]) == [
        [{"id": interpreter, "name": "Signer", "role": "interpreter"}]
    ]


def test_a_vr_performer_carries_its_pose() -> None:
    f, ids = crowd()
    f.walk(ids["performer"], *on_stage_x(), flags=1)
    identity = (0.0, 0.0, 0.0, 1.0)
    f.city.push_pose(
        ids["performer"],
        Pose(
            1, (0.0, 1.6, 0.0, *identity), (-0.3, 1.2, 0.2, *identity), (0.3, 1.9, 0.2, *identity)
        ),
    )
    (result,) = f.step()
    ((performer,),) = [s.performers for s in f.stages(ids["watcher"], [result])]
    joints = performer.joints()
    assert joints is not None
    assert joints[2][:3] == pytest.approx([0.3, 1.9, 0.2], abs=1e-3)
    assert performer.state(ORIGIN)["flags"] == 1


def test_performers_in_two_instances_see_each_other() -> None:
    f, ids = crowd()
    second = f.join("Drummer", 3.0, -19.0, role=Role.PERFORMER)
    assert f.instance_of(second) == 2
    f.walk(ids["performer"], *on_stage_x(-3.0))
    f.move(second, *on_stage_x(3.0))
    (result,) = f.step()
    (for_watcher,) = f.stages(ids["watcher"], [result])
    (for_far,) = f.stages(ids["far"], [result])
    # The watcher (instance 2) gets the singer from instance 1, and the drummer only if it
    # is out of view; the far fan (instance 1) gets both the same way.
    shown_to_watcher = {p.avatar_id for p in for_watcher.performers}
    assert ids["performer"] in shown_to_watcher
    assert (second in shown_to_watcher) == (not f.sees(ids["watcher"], second))
    # In the order they stepped onto the stage, whichever instance they are in.
    assert [p.avatar_id for p in for_far.performers] == [ids["performer"], second]
    (for_second,) = f.stages(second, [result])
    assert [p.avatar_id for p in for_second.performers] == [ids["performer"]]


def test_at_most_max_stage_performers_are_broadcast_first_come_first_shown() -> None:
    f = Festival1(
        City(
            [
                ZoneSpec("square", Square, layout("square")),
                ZoneSpec(
                    "grounds",
                    type("Big", (Grounds,), {"capacity": 40}),
                    layout(
                        "grounds", [{"id": "stage", "position": list(STAGE_AT), "radius": 10.0}]
                    ),
                ),
            ],
            CityConfig(capacity=64, entrance="square", world=WorldConfig(view_radius_m=1.0)),
        )
    )
    watcher = f.join("Watcher", 0.0, 40.0)
    band = [
        f.join(f"p{i}", 0.0, -19.0, role=Role.PERFORMER) for i in range(MAX_STAGE_PERFORMERS + 2)
    ]
    for avatar_id in reversed(band):  # onto the stage (8 m from its centre), one a tick
        f.move(avatar_id, 0.0, -22.0)
        f.step()
    (result,) = f.step()
    (stage,) = f.stages(watcher, [result])
    assert [p.avatar_id for p in stage.performers] == band[::-1][:MAX_STAGE_PERFORMERS]


def test_a_near_line_on_stage_reaches_every_instance_as_stage() -> None:
    f, ids = crowd()
    f.walk(ids["performer"], *on_stage_x())
    f.city.post(ids["performer"], Say("r1", "near", "안녕하세요, 서울!"))
    (result,) = f.step()

    def lines(avatar_id: int) -> list[dict[str, Any]]:
        return [m.info for m in f.sent(avatar_id, [result]) if isinstance(m, ChatMessage)]

    (own,) = lines(ids["performer"])
    assert own["channel"] == "near" and own["request_id"] == "r1"
    (near,) = lines(ids["front"])  # within 20 m: heard it near, not twice
    assert near["channel"] == "near"
    for far in (ids["watcher"], ids["far"]):
        (line,) = lines(far)
        assert line["channel"] == "stage"
        assert line["text"] == "안녕하세요, 서울!" and line["from"] == ids["performer"]
        assert line["id"] == own["id"]


def test_stage_chat_respects_blocks_and_needs_the_stage() -> None:
    f, ids = crowd()
    f.city.post(ids["watcher"], Block("b1", ids["performer"], True))
    f.step()
    f.walk(ids["performer"], *on_stage_x())
    f.city.post(ids["performer"], Say("r1", "near", "hello"))
    (result,) = f.step()
    assert not [m for m in f.sent(ids["watcher"], [result]) if isinstance(m, ChatMessage)]
    assert [m for m in f.sent(ids["far"], [result]) if isinstance(m, ChatMessage)]
    f.walk(ids["performer"], 0.0, -19.5)  # off stage
    f.step(25)  # the chat allowance refills
    f.city.post(ids["performer"], Say("r2", "near", "backstage"))
    (result,) = f.step()
    assert not [m for m in f.sent(ids["far"], [result]) if isinstance(m, ChatMessage)]


def test_a_citizen_on_stage_is_heard_near_only() -> None:
    f, ids = crowd()
    f.walk(ids["front"], *on_stage_x())
    f.city.post(ids["front"], Say("r1", "near", "me too"))
    (result,) = f.step()
    assert not [m for m in f.sent(ids["watcher"], [result]) if isinstance(m, ChatMessage)]


def test_a_stage_spot_missing_from_the_layout_stops_the_start() -> None:
    with pytest.raises(CityError, match="stage spot 'stage'"):
        make_city(spots=[])


def test_a_zone_with_reactions_and_no_stage_gets_counts_only() -> None:
    class Hall(Zone):
        capacity = 10
        reactions: ClassVar[bool] = True

    f = Festival1(make_city(grounds=Hall))
    fan = f.join("Fan", 0.0, 0.0)
    assert f.events(fan) == []  # no stage: no stage.performers
    f.city.post(fan, React(2))
    (result,) = f.step()
    (stage,) = f.stages(fan, [result])
    assert stage.performers == () and stage.here == stage.zone == (0, 0, 1)


# -- the STAGE codec ---------------------------------------------------------------------------


def test_stage_encoding_round_trips_and_matches_the_layout() -> None:
    body = bytes(range(9))
    pose = bytes(range(30))
    entries = [encode_stage_performer(17, body, None), encode_stage_performer(70000, body, pose)]
    data = encode_stage(5, entries, (1, 2, 3), (10, 20, 300))
    assert msgpack.unpackb(data) == [
        int(Opcode.STAGE),
        5,
        [[17, body, None], [70000, body, pose]],
        [[1, 2, 3], [10, 20, 300]],
    ]
    stage = decode_server(data)
    assert isinstance(stage, Stage)
    assert stage.tick == 5 and stage.here == (1, 2, 3) and stage.zone == (10, 20, 300)
    assert [(p.avatar_id, p.body, p.pose) for p in stage.performers] == [
        (17, body, None),
        (70000, body, pose),
    ]
    # One performer, without a pose: 18 bytes in the message.
    assert len(entries[0]) == 1 + 1 + 2 + 9 + 1


@pytest.mark.parametrize(
    "raw",
    [
        [74, 1, []],
        [74, 1, [], [[0, 0, 0]]],
        [74, 1, [[1, b"short", None]], [[0, 0, 0], [0, 0, 0]]],
        [74, 1, [[1, bytes(9), b"x"]], [[0, 0, 0], [0, 0, 0]]],
        [74, 1, [], [[0, 0], [0, 0, 0]]],
    ],
)
def test_a_malformed_stage_is_refused(raw: list[Any]) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_server(msgpack.packb(raw))
    assert info.value.code == ErrorCode.MALFORMED


def test_stage_positions_use_the_zone_quanta() -> None:
    # The body is a WORLD body row without its slot: 1/32 m from the zone origin.
    x, y, z = 3.0, 1.0, -30.0
    q = [round((v - o) * 32) for v, o in zip((x, y, z), ORIGIN, strict=True)]
    body = b"".join(v.to_bytes(2, "little") for v in q) + bytes((64, 3, 0))
    stage = decode_server(
        encode_stage(1, [encode_stage_performer(9, body, None)], (0,) * 3, (0,) * 3)
    )
    assert isinstance(stage, Stage)
    state = stage.performers[0].state(ORIGIN)
    assert state["position"] == [x, y, z]
    assert state["yaw"] == pytest.approx(math.pi / 2)
    assert state["anim"] == 3


def two_nodes() -> tuple[Festival1, Festival1]:
    """Two nodes of one cluster, each with its own city; ``share`` carries their ticks."""
    return (
        Festival1(make_city(node="a", node_index=0, nodes=2)),
        Festival1(make_city(node="b", node_index=1, nodes=2)),
    )


def share(*nodes: Festival1) -> None:
    """Every node's last tick to every other node, as the cluster bus does."""
    ticks = [n.city.node_tick() for n in nodes]
    for node in nodes:
        for tick in ticks:
            node.city.take_tick(tick, node.now)


def test_a_performer_on_one_node_is_on_the_stage_of_every_node() -> None:
    a, b = two_nodes()
    singer = a.join("Singer", *on_stage_x(), role=Role.PERFORMER)
    fan = b.join("Fan", 0.0, 40.0)
    assert singer != fan  # the nodes split the ids
    for _ in range(3):
        a.step(), b.step()
        share(a, b)
    results = b.step()
    (stage,) = b.stages(fan, results)
    assert [p.avatar_id for p in stage.performers] == [singer]
    x, z = on_stage_x()
    assert stage.performers[0].state(ORIGIN)["position"] == pytest.approx([x, 0.0, z], abs=0.02)
    assert b.events(fan)[-1] == [{"id": singer, "name": "Singer", "role": Role.PERFORMER}]
    # The crowd counts over both nodes; each node's own instances stay its own.
    assert a.city.zones["grounds"].population() == b.city.zones["grounds"].population() == 2
    assert b.city.zones["grounds"].local_population() == 1
    # Either node's directory (GET /api/zones) lists every node's instances.
    for node in (a, b):
        (grounds,) = [z for z in node.city.directory() if z["name"] == "grounds"]
        assert grounds["avatars"] == 2
        assert grounds["instances"] == [
            {"number": 1, "avatars": 1, "node": "a"},
            {"number": 1, "avatars": 1, "node": "b"},
        ]


def test_reactions_on_one_node_are_counted_once_on_every_node() -> None:
    a, b = two_nodes()
    singer = a.join("Singer", *on_stage_x(), role=Role.PERFORMER)
    fans = [b.join(f"Fan{i}", 0.0, 40.0 + i) for i in range(3)]
    share(a, b)
    for fan in fans:
        b.city.post(fan, React(0))
    b.city.post(fans[0], React(2))
    (result,) = b.step()
    assert b.stages(fans[0], [result])[0].zone == (3, 0, 1)
    share(a, b)
    (result,) = a.step()
    assert a.stages(singer, [result])[0].zone == (3, 0, 1)
    # Counted once: the same tick heard again, or no new one, adds nothing.
    share(a, b)
    b_tick = b.city.node_tick()
    assert not a.city.take_tick(b_tick, a.now)
    (result,) = a.step()
    assert all(stage.zone == (0, 0, 0) for stage in a.stages(singer, [result]))


def test_a_silent_node_leaves_the_stage_and_the_count() -> None:
    a, b = two_nodes()
    a.join("Singer", *on_stage_x(), role=Role.PERFORMER)
    fan = b.join("Fan", 0.0, 40.0)
    a.step()
    share(a, b)
    b.step()
    assert b.city.zones["grounds"].population() == 2
    # Node a goes quiet: after PEER_SILENCE_S its performer and crowd are gone from b.
    b.step(int(PEER_SILENCE_S / DT) + 2)
    assert b.city.zones["grounds"].population() == 1
    assert b.events(fan)[-1] == []
    assert all(stage.performers == () for stage in b.stages(fan, b.step(2)))


def test_a_stage_line_on_one_node_reaches_the_grounds_on_every_node_once() -> None:
    a, b = two_nodes()
    singer = a.join("Singer", *on_stage_x(), role=Role.PERFORMER)
    fan = b.join("Fan", 0.0, 40.0)
    grump = b.join("Grump", 0.0, 45.0)
    # Grump blocked the singer at an earlier visit (blocks are kept by user, not avatar).
    b.city.member(grump).blocked.add("user:Singer")
    a.step(), b.step()
    share(a, b)
    a.city.post(singer, Say("r1", "near", "함께 불러요!"))
    a.step()
    share(a, b)
    results = b.step(3)

    def lines(avatar_id: int) -> list[dict[str, Any]]:
        return [m.info for m in b.sent(avatar_id, results) if isinstance(m, ChatMessage)]

    (line,) = lines(fan)
    assert line["channel"] == "stage" and line["text"] == "함께 불러요!"
    assert line["from"] == singer
    assert lines(grump) == []  # blocks hold across nodes: they name the speaker's user
    # The same tick heard again relays nothing twice.
    share(a, b)
    results = b.step()
    assert lines(fan) == []
