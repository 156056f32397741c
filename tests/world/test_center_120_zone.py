"""The 120 Center's script through a fake context: the center's state shown to the room
without subjects, civil servants seated behind their desks, "go to the desk", and the
citizens' requests turned into intents the server commits (no city, no server)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from world.zone_api import ServerEvent
from world.zone_layout import ZoneLayout
from world.zone_testing import FakeContext
from world.zones.center_120 import NOT_CALLED, REQUEST_FIELDS, STATE_TOPIC, Center120

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAYOUT = ZoneLayout.from_dict(
    json.loads((ROOT / "assets" / "zones" / "center_120.json").read_text("utf-8"))
)
WAITING_ROOM = (0.0, 0.0, 6.0)

INFO: dict[str, Any] = {
    "categories": ["transport", "tax", "welfare", "housing", "other"],
    "needs": ["sign_language", "easy_language", "large_text"],
    "hours": {"open": True, "timezone": "Asia/Seoul", "schedule": "mon-sun 00:00-24:00"},
    "desks": [
        {"desk": 1, "open": True, "staff_name": "Kim"},
        {"desk": 2, "open": False, "staff_name": None},
    ],
    "queues": {"tax": {"waiting": 4, "callbacks": 1, "oldest_wait_s": 310.5, "wait_s": 600.0}},
}


def desk(
    n: int,
    staff: str | None = None,
    citizen: str | None = None,
    ticket: int | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    return {
        "desk": n,
        "open": staff is not None,
        "staff": staff,
        "staff_name": name or (staff.split(":")[-1] if staff else None),
        "citizen": citizen,
        "ticket": ticket,
    }


def state(*desks: dict[str, Any], info: dict[str, Any] | None = None) -> ServerEvent:
    return ServerEvent(STATE_TOPIC, {"info": info or INFO, "desks": list(desks)})


def center() -> tuple[Center120, FakeContext]:
    ctx = FakeContext("center_120", LAYOUT, now=1_795_000_000.0)
    zone = Center120()
    zone.on_create(ctx)
    return zone, ctx


def spot(name: str) -> tuple[tuple[float, float, float], float]:
    found = LAYOUT.spot(name)
    assert found is not None, name
    return found.position, found.yaw


def subjects_in(value: Any) -> set[str]:
    """Every string in a JSON value that looks like a token subject (``user:...``)."""
    if isinstance(value, str):
        return {value} if value.startswith("user:") else set()
    if isinstance(value, dict):
        return set().union(*(subjects_in(v) for v in (*value.keys(), *value.values())))
    if isinstance(value, list):
        return set().union(*(subjects_in(v) for v in value))
    return set()


def test_the_layout_has_a_staff_spot_behind_each_counter_facing_the_citizens() -> None:
    for n in range(1, 7):
        (sx, _, sz), yaw = spot(f"desk_{n}_staff")
        (cx, _, cz), _ = spot(f"desk_{n}")
        counter = next(b for b in LAYOUT.buildings if b.id == f"desk_counter_{n}")
        assert sx == cx == counter.position[0]
        # Staff north of the counter, citizens south; yaw 0 faces south (+z), the citizen.
        assert sz < counter.position[2] < cz
        assert yaw == 0.0


def test_the_room_sees_the_info_map_on_each_change_and_never_a_subject() -> None:
    zone, ctx = center()
    mina = ctx.add_avatar(1, "mina")
    zone.on_join(ctx, mina)
    assert ctx.events("center.info") == []  # nothing known yet: nothing to show

    zone.on_event(ctx, state(desk(1, "user:kim", "user:mina", 17), desk(2)))
    assert [(kind, data) for kind, data, _ in ctx.broadcasts] == [("center.info", INFO)]

    # A new citizen called at the same desk: the room sees nothing new.
    zone.on_event(ctx, state(desk(1, "user:kim", "user:jun", 18), desk(2)))
    assert len(ctx.broadcasts) == 1

    busier = {**INFO, "queues": {"tax": {"waiting": 5, "callbacks": 1, "wait_s": 700.0}}}
    zone.on_event(ctx, state(desk(1, "user:kim"), desk(2), info=busier))
    assert ctx.broadcasts[-1][1] == busier

    # Whoever comes in later gets the latest map.
    jun = ctx.add_avatar(2, "jun")
    zone.on_join(ctx, jun)
    assert ctx.sent == [(2, "center.info", busier)]
    assert subjects_in([ctx.broadcasts, ctx.sent]) == set()


def test_a_subject_in_the_servers_info_desks_is_dropped() -> None:
    zone, ctx = center()
    leaky = {**INFO, "desks": [{"desk": 1, "open": True, "staff_name": "Kim", "staff": "user:kim"}]}
    zone.on_event(ctx, state(desk(1, "user:kim"), info=leaky))
    assert [kind for kind, _, _ in ctx.broadcasts] == ["center.info"]
    data = ctx.broadcasts[0][1]
    assert data["desks"] == [{"desk": 1, "open": True, "staff_name": "Kim"}]
    assert subjects_in(data) == set()
    # Without desks in the info map, the room still sees them, from the state's desks.
    no_desks = {key: value for key, value in INFO.items() if key != "desks"}
    zone.on_event(ctx, state(desk(1, "user:kim"), desk(2), info=no_desks))
    assert ctx.broadcasts[-1][1]["desks"] == [
        {"desk": 1, "open": True, "staff_name": "kim"},
        {"desk": 2, "open": False, "staff_name": None},
    ]


def test_staff_are_seated_when_their_desk_is_assigned_and_not_again() -> None:
    zone, ctx = center()
    kim = ctx.add_avatar(1, "kim", role="staff", position=WAITING_ROOM)
    lee = ctx.add_avatar(2, "lee", role="staff", position=WAITING_ROOM)
    mina = ctx.add_avatar(3, "mina", position=WAITING_ROOM)
    for avatar in (kim, lee, mina):
        zone.on_join(ctx, avatar)
    assert ctx.teleported == []

    zone.on_event(ctx, state(desk(1, "user:kim"), desk(2)))
    position, yaw = spot("desk_1_staff")
    assert ctx.teleported == [(1, position, yaw)]
    assert kim.position == position

    # Kim stands up and walks about; later states (a call, a queue change) leave Kim be.
    kim.position = WAITING_ROOM
    zone.on_event(ctx, state(desk(1, "user:kim", "user:mina", 17), desk(2)))
    zone.on_event(ctx, state(desk(1, "user:kim"), desk(2)))
    assert len(ctx.teleported) == 1

    # Lee opens desk 2; Kim's desk closes and opens again: Kim is seated again.
    zone.on_event(ctx, state(desk(1), desk(2, "user:lee")))
    zone.on_event(ctx, state(desk(1, "user:kim"), desk(2, "user:lee")))
    assert ctx.teleported[1:] == [(2, *spot("desk_2_staff")), (1, *spot("desk_1_staff"))]
    assert all(avatar_id != 3 for avatar_id, _, _ in ctx.teleported)


def test_staff_assigned_elsewhere_are_seated_when_they_walk_in() -> None:
    zone, ctx = center()
    zone.on_event(ctx, state(desk(1), desk(3, "user:park")))
    assert ctx.teleported == []  # Park is not in this room yet
    park = ctx.add_avatar(5, "park", role="staff", position=(0.0, 0.0, 18.0))
    zone.on_join(ctx, park)
    assert ctx.teleported == [(5, *spot("desk_3_staff"))]
    # A staff member without an open desk walks in like anyone else.
    choi = ctx.add_avatar(6, "choi", role="staff", position=(0.0, 0.0, 18.0))
    zone.on_join(ctx, choi)
    assert len(ctx.teleported) == 1


def test_a_called_citizen_goes_to_the_desk_and_others_are_refused() -> None:
    zone, ctx = center()
    mina = ctx.add_avatar(1, "mina", position=WAITING_ROOM)
    ctx.add_avatar(2, "jun", position=WAITING_ROOM)
    zone.on_event(ctx, state(desk(1, "user:kim"), desk(4, "user:lee", "user:mina", 17)))

    zone.on_message(ctx, ctx.message(1, "center.go", {}, "r1"))
    zone.on_message(ctx, ctx.message(2, "center.go", {}, "r2"))
    position, yaw = spot("desk_4")
    assert ctx.teleported == [(1, position, yaw)]
    assert mina.position == position
    assert ctx.replies == [("r1", True, {"desk": 4}), ("r2", False, NOT_CALLED)]
    assert NOT_CALLED == "no desk has called your ticket yet"
    assert ctx.persisted == []

    # Served and closed: the desk no longer holds Mina's ticket.
    zone.on_event(ctx, state(desk(1, "user:kim"), desk(4, "user:lee")))
    zone.on_message(ctx, ctx.message(1, "center.go", {}, "r3"))
    assert ctx.replies[-1] == ("r3", False, NOT_CALLED)


REQUESTS: list[tuple[str, dict[str, Any]]] = [
    (
        "center.take",
        {
            "category": "tax",
            "description": "재산세 납부 기한이 궁금합니다",
            "needs": ["large_text"],
            "key": "a1b2c3d4e5f6a7b8",
            "callback": True,
            "contact": "010-1234-5678",
        },
    ),
    ("center.take", {"category": "other", "description": "x", "key": "k" * 8}),
    ("center.mine", {}),
    ("center.cancel", {"id": 17}),
    ("center.rate", {"id": 17, "stars": 5, "comment": "친절했어요"}),
    ("center.say", {"id": 17, "text": "안녕하세요"}),
]


@pytest.mark.parametrize(("kind", "fields"), REQUESTS)
def test_each_request_becomes_an_intent_answered_after_the_commit(
    kind: str, fields: dict[str, Any]
) -> None:
    zone, ctx = center()
    ctx.add_avatar(1, "mina", role="citizen", locale="en")
    # Fields the zone does not know, and a role the client made up, go nowhere.
    sent = {**fields, "role": "admin", "name": "Mayor", "extra": 1}
    zone.on_message(ctx, ctx.message(1, kind, sent, "r1"))
    who = {"name": "mina", "role": "citizen", "locale": "en"}
    assert ctx.persisted == [(kind, {**fields, **who}, "user:mina")]
    # The server answers once the change is committed: the zone does not answer itself.
    assert ctx.replies == []
    assert set(fields) <= set(REQUEST_FIELDS[kind])


def test_a_guest_may_take_a_number_too() -> None:
    zone, ctx = center()
    ctx.add_avatar(1, "guest-7", role="guest")
    zone.on_message(ctx, ctx.message(1, "center.mine", {}, "r1"))
    assert ctx.persisted == [
        ("center.mine", {"name": "guest-7", "role": "guest", "locale": "ko"}, "user:guest-7")
    ]


def test_outcomes_and_unknown_topics_change_nothing() -> None:
    zone, ctx = center()
    ctx.add_avatar(1, "mina")
    zone.on_event(ctx, ServerEvent("center.take", {"id": 17}, request_id="r1", avatar_id=1))
    zone.on_event(ctx, ServerEvent("notices", {"notices": []}))
    assert (ctx.broadcasts, ctx.sent, ctx.replies, ctx.teleported) == ([], [], [], [])


def test_malformed_desks_in_the_state_are_skipped() -> None:
    zone, ctx = center()
    kim = ctx.add_avatar(1, "kim", role="staff", position=WAITING_ROOM)
    zone.on_join(ctx, kim)
    event = ServerEvent(
        STATE_TOPIC,
        {"info": INFO, "desks": ["desk 1", {"desk": "2"}, {"desk": True}, desk(2, "user:kim")]},
    )
    zone.on_event(ctx, event)
    assert ctx.teleported == [(1, *spot("desk_2_staff"))]
    zone.on_event(ctx, ServerEvent(STATE_TOPIC, {"desks": None, "info": None}))
    assert ctx.broadcasts[-1][1] == {"desks": []}


def test_unknown_messages_are_refused() -> None:
    zone, ctx = center()
    ctx.add_avatar(1, "mina")
    zone.on_message(ctx, ctx.message(1, "center.call_next", {}, "r1"))
    zone.on_message(ctx, ctx.message(1, "lantern.hang", {"wish": "peace"}, "r2"))
    zone.on_message(ctx, ctx.message(1, "center.close", {"id": 1}))  # no request id: no answer
    assert ctx.replies == [
        ("r1", False, "this zone does not understand 'center.call_next'"),
        ("r2", False, "this zone does not understand 'lantern.hang'"),
    ]
    assert ctx.persisted == []
