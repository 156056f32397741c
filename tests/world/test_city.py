"""The city: zones, instances, portals, hooks and chat, driven tick by tick (no I/O)."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from world.avatars import AvatarDescription
from world.city import City, CityConfig, CityError, ZoneSpec
from world.codec import Move, Result, Welcome, WorldFrame, decode_server
from world.codec_social import Block, ChatMessage, EnterZone, Report, Say, ZoneEvent, ZoneRequest
from world.inbox import JoinRequest
from world.instance_plan import FULL, OPEN_NEW, choose_instance
from world.members import Member
from world.zone_api import AvatarView, ServerEvent, Zone, ZoneContext, ZoneMessage
from world.zone_layout import ZoneLayout

T0 = 1_000_000.0
DT = 0.05


def layout(
    name: str, portals: list[dict[str, Any]] = (), spots: list[dict[str, Any]] = ()
) -> ZoneLayout:
    return ZoneLayout.from_dict(
        {
            "name": name,
            "bounds": {"min": [-100, -5, -100], "max": [100, 20, 100]},
            "spawns": [{"position": [0, 0, 0], "yaw": 0}],
            "portals": [{"title": {"ko": "문"}, "radius": 2.0, **p} for p in portals],
            "spots": list(spots),
        }
    )


class Plain(Zone):
    capacity = 4
    open_at = 0.5


class Recorder(Zone):
    """Records every hook call into a shared log."""

    capacity = 10
    log: list[tuple[Any, ...]] = []

    def on_create(self, ctx: ZoneContext) -> None:
        Recorder.log.append(("create", ctx.zone, ctx.instance))
        self.ticks = 0

    def on_join_attempt(self, ctx: ZoneContext, avatar: AvatarView) -> str | None:
        Recorder.log.append(("attempt", avatar.name))
        return "no trolls here" if avatar.name == "troll" else None

    def on_join(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        Recorder.log.append(("join", avatar.name, ctx.count()))
        ctx.send(avatar.id, "hello", {"you": avatar.name, "locale": avatar.locale})

    def on_leave(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        Recorder.log.append(("leave", avatar.name))

    def on_message(self, ctx: ZoneContext, message: ZoneMessage) -> None:
        Recorder.log.append(("message", message.type, dict(message.data)))
        if message.type == "echo":
            ctx.reply(message, {"echo": message.data.get("text")})
        elif message.type == "shout":
            ctx.broadcast("shout", {"text": message.data.get("text")})
        elif message.type == "save":
            ctx.save("motd", message.data.get("text"))
            ctx.save_for(message.avatar_id, "stamp", True)
        elif message.type == "later":
            ctx.after(1.0, lambda: ctx.broadcast("later", {}))
        elif message.type == "boom":
            raise RuntimeError("script bug")
        elif message.type == "kick":
            ctx.kick(message.avatar_id, "closing time")
        elif message.type == "badge":
            ctx.set_badge(message.avatar_id, "🏯")
        else:
            super().on_message(ctx, message)

    def on_event(self, ctx: ZoneContext, event: ServerEvent) -> None:
        Recorder.log.append(("event", event.topic, dict(event.data)))

    def on_tick(self, ctx: ZoneContext) -> None:
        self.ticks += 1

    def on_dispose(self, ctx: ZoneContext) -> None:
        Recorder.log.append(("dispose", ctx.zone, ctx.instance))


def make_city(**config: Any) -> City:
    Recorder.log = []
    plaza = layout(
        "plaza",
        portals=[
            {"id": "to_hall", "position": [20, 0, 0], "target": "hall", "destination": "door"}
        ],
    )
    hall = layout(
        "hall",
        portals=[{"id": "out", "position": [-20, 0, 0], "target": "plaza"}],
        spots=[{"id": "door", "position": [-10, 0, 0], "yaw": 1.5}],
    )
    return City(
        [ZoneSpec("plaza", Plain, plaza), ZoneSpec("hall", Recorder, hall)],
        CityConfig(capacity=64, entrance="plaza", **config),
    )


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def step(self, city: City, n: int = 1) -> list[Any]:
        results = []
        for _ in range(n):
            self.now += DT
            results.append(city.step(self.now))
        return results


def join(
    city: City,
    ticket: int,
    name: str,
    *,
    party: str | None = None,
    role: str = "citizen",
    zone: str | None = None,
    place: tuple[float, float, float, float] | None = None,
) -> None:
    member = Member(f"user:{name}", role, "en", party)
    city.inbox.request_join(
        JoinRequest(ticket, AvatarDescription(name, role=role), place, zone, member)
    )


def messages_for(results: list[Any], avatar_id: int) -> list[Any]:
    return [decode_server(data) for r in results for a, data in r.messages if a == avatar_id]


def joined_ids(results: list[Any]) -> dict[int, int]:
    return {ticket: avatar_id for r in results for ticket, avatar_id, _ in r.joined}


def walk_to(
    city: City, clock: Clock, avatar_id: int, x: float, z: float, seq: int = 1
) -> list[Any]:
    """Walk in small legal steps (below the speed limit) to (x, z). After a portal, the
    remaining moves are stale (below the seq floor) and ignored, as in-flight moves are."""
    results = []
    here = city.place_of(avatar_id)
    assert here is not None
    _, px, _, pz, _ = here
    steps = max(1, int(max(abs(x - px), abs(z - pz)) / 0.2) + 1)
    for i in range(1, steps + 1):
        nx, nz = px + (x - px) * i / steps, pz + (z - pz) * i / steps
        city.push_move(avatar_id, Move(seq + i, nx, 0.0, nz, 0.0, 0, 0))
        results += clock.step(city)
    return results


def test_instance_choice_rules() -> None:
    assert choose_instance([0], 4, 0.5) == 0
    assert choose_instance([2], 4, 0.5) == OPEN_NEW
    assert choose_instance([2, 1], 4, 0.5) == 1
    assert choose_instance([2, 2], 4, 0.5, party_at=0) == 0
    assert choose_instance([4, 2], 4, 0.5, party_at=0) == OPEN_NEW  # never over capacity
    assert choose_instance([3, 4], 4, 0.5, can_open=False) == 0
    assert choose_instance([4, 4], 4, 0.5, can_open=False) == FULL
    assert choose_instance([1, 0, 1], 4, 0.75, placement="even") == 1
    assert choose_instance([1, 0, 1], 4, 0.75, placement="fill") == 0


def test_joins_fill_instances_and_never_pass_capacity() -> None:
    city = make_city()
    clock = Clock()
    for ticket in range(1, 21):  # 20 joins in one tick, instances of 4 opening at 2
        join(city, ticket, f"u{ticket}")
    results = clock.step(city)
    assert len(results[0].joined) == 20
    instances = city.zones["plaza"].instances
    assert all(i.count() <= Plain.capacity for i in instances)
    assert sum(i.count() for i in instances) == 20
    # Fill: each instance took newcomers until the threshold (2 of 4), then a new one opened.
    assert [i.count() for i in instances] == [2] * 10
    welcome = decode_server(results[0].joined[0][2])
    assert isinstance(welcome, Welcome)
    assert welcome.info["instance"] == {"zone": "plaza", "number": 1}
    directory = {z["name"]: z for z in city.directory()}
    assert directory["plaza"]["avatars"] == 20
    assert len(directory["plaza"]["instances"]) == 10


def test_party_shares_an_instance_while_there_is_room() -> None:
    city = make_city()
    clock = Clock()
    join(city, 1, "a")
    join(city, 2, "b")
    join(city, 3, "friend1", party="picnic")  # instance 1 is at its threshold: opens 2
    join(city, 4, "friend2", party="picnic")
    join(city, 5, "friend3", party="picnic")
    ids = joined_ids(clock.step(city))
    where = {t: city.where[a].instance for t, a in ids.items()}
    assert where[1] == where[2] == 1
    assert where[3] == where[4] == where[5] == 2  # past the threshold, below capacity


def test_portal_moves_the_avatar_to_the_destination_keeping_its_id() -> None:
    city = make_city()
    clock = Clock()
    join(city, 1, "mina")
    join(city, 2, "jun")
    ids = joined_ids(clock.step(city))
    mina, jun = ids[1], ids[2]
    results = walk_to(city, clock, mina, 20.0, 0.0)
    results += clock.step(city, 3)
    zone, x, _, z, yaw = city.place_of(mina)
    assert zone == "hall"
    assert (x, z) == pytest.approx((-10.0, 0.0))
    assert yaw == pytest.approx(1.5)
    got = messages_for(results, mina)
    enter = [m for m in got if isinstance(m, EnterZone)]
    assert len(enter) == 1
    assert enter[0].info["avatar_id"] == mina
    assert enter[0].info["via"] == "to_hall"
    assert enter[0].info["seq_floor"] >= 1024
    assert enter[0].info["zone"]["name"] == "hall"
    hello = [m for m in got if isinstance(m, ZoneEvent) and m.type == "hello"]
    assert hello and hello[0].zone == "hall" and hello[0].data["you"] == "mina"
    # Frames after the move come from the hall: jun (in the plaza) leaves mina's view.
    later = clock.step(city, 3)
    frames = [
        msgpack.unpackb(f, raw=False)
        for r in later
        for frames in r.frames
        for a, f in frames
        if a == mina
    ]
    assert frames  # the hall sends her frames
    assert city.place_of(jun)[0] == "plaza"
    assert ("join", "mina", 1) in Recorder.log


def test_a_refused_join_attempt_leaves_the_avatar_where_it_was() -> None:
    city = make_city()
    clock = Clock()
    join(city, 1, "troll")
    troll = joined_ids(clock.step(city))[1]
    results = walk_to(city, clock, troll, 20.0, 0.0) + clock.step(city, 3)
    assert city.place_of(troll)[0] == "plaza"
    refusals = [
        m
        for m in messages_for(results, troll)
        if isinstance(m, ZoneEvent) and m.type == "travel.refused"
    ]
    assert refusals[0].data == {"zone": "hall", "reason": "no trolls here"}


def test_hooks_timers_records_and_errors() -> None:
    city = make_city()
    clock = Clock()
    join(city, 1, "mina", zone="hall", place=(0.0, 0.0, 0.0, 0.0))
    mina = joined_ids(clock.step(city))[1]
    assert city.place_of(mina)[0] == "hall"
    assert Recorder.log[:3] == [("create", "hall", 1), ("attempt", "mina"), ("join", "mina", 1)]

    city.post(mina, ZoneRequest("r1", "echo", {"text": "hi"}))
    city.post(mina, ZoneRequest("r2", "nonsense", {}))
    city.post(mina, ZoneRequest(None, "boom", {}))
    city.post(mina, ZoneRequest(None, "save", {"text": "welcome"}))
    city.post(mina, ZoneRequest(None, "later", {}))
    results = clock.step(city)
    got = messages_for(results, mina)
    assert Result("r1", True, {"echo": "hi"}) in got
    assert Result("r2", False, "this zone does not understand 'nonsense'") in got
    assert any("RuntimeError: script bug" in e for e in results[0].errors)
    kinds = [(i.kind, dict(i.data), i.subject) for i in results[0].intents]
    assert ("record", {"key": "motd", "value": "welcome"}, None) in kinds
    assert ("user_record", {"key": "stamp", "value": True}, "user:mina") in kinds
    assert city.zones["hall"].records["motd"] == "welcome"
    assert city.member(mina).records["hall"] == {"stamp": True}
    # The timer fires a second later, not before.
    assert not any(isinstance(m, ZoneEvent) and m.type == "later" for m in got)
    later = clock.step(city, 21)
    assert any(isinstance(m, ZoneEvent) and m.type == "later" for m in messages_for(later, mina))
    assert city.notify("hall", ServerEvent("notice.posted", {"id": 7}))
    clock.step(city)
    assert ("event", "notice.posted", {"id": 7}) in Recorder.log


def test_kick_sends_the_avatar_to_the_entrance_and_empty_instances_close() -> None:
    city = make_city(instance_idle_s=1.0)
    clock = Clock()
    join(city, 1, "mina", zone="hall", place=(0.0, 0.0, 0.0, 0.0))
    mina = joined_ids(clock.step(city))[1]
    city.post(mina, ZoneRequest(None, "kick", {}))
    results = clock.step(city, 2)
    assert city.place_of(mina)[0] == "plaza"
    enter = [m for m in messages_for(results, mina) if isinstance(m, EnterZone)]
    assert enter[0].info["via"] == "kick" and enter[0].info["notice"] == "closing time"
    # The hall's only instance stays open; extra instances close when idle.
    clock.step(city, 40)
    assert len(city.zones["hall"].instances) == 1
    for ticket in range(2, 8):
        join(city, ticket, f"p{ticket}")
    ids = joined_ids(clock.step(city))
    assert len(city.zones["plaza"].instances) >= 3
    for avatar_id in ids.values():
        city.inbox.request_leave(avatar_id)
    clock.step(city, 40)
    assert len(city.zones["plaza"].instances) == 1


def test_start_up_checks_name_the_problem() -> None:
    with pytest.raises(
        CityError, match=r"portals\[0\] \(to_hall\): target 'hall' is not a registered zone"
    ):
        City(
            [
                ZoneSpec(
                    "plaza",
                    Plain,
                    layout(
                        "plaza",
                        portals=[{"id": "to_hall", "position": [20, 0, 0], "target": "hall"}],
                    ),
                )
            ],
            CityConfig(entrance="plaza"),
        )
    with pytest.raises(CityError, match="destination 'nowhere' is not a spot of zone plaza"):
        City(
            [
                ZoneSpec(
                    "plaza",
                    Plain,
                    layout(
                        "plaza",
                        portals=[
                            {
                                "id": "loop",
                                "position": [20, 0, 0],
                                "target": "plaza",
                                "destination": "nowhere",
                            }
                        ],
                    ),
                )
            ],
            CityConfig(entrance="plaza"),
        )
    with pytest.raises(CityError, match="entrance zone 'lobby' is not registered"):
        City([ZoneSpec("plaza", Plain, layout("plaza"))], CityConfig(entrance="lobby"))


def chat_of(results: list[Any], avatar_id: int) -> list[dict[str, Any]]:
    return [m.info for m in messages_for(results, avatar_id) if isinstance(m, ChatMessage)]


def test_chat_near_zone_direct_blocks_mutes_and_limits() -> None:
    city = make_city()
    clock = Clock()
    join(city, 1, "mina")
    join(city, 2, "jun")
    join(city, 3, "staff", role="staff")
    join(city, 4, "far")
    ids = joined_ids(clock.step(city))
    mina, jun, staff, far = ids[1], ids[2], ids[3], ids[4]
    assert {city.where[a].instance for a in (mina, jun)} == {1}
    # Put everyone in one instance's reach, except "far", 60 m away in instance 2.
    walk_to(city, clock, far, 0.0, 60.0)
    results = []
    city.post(mina, Say("s1", "near", "안녕하세요 👋"))
    results += clock.step(city)
    assert [c["text"] for c in chat_of(results, jun)] == ["안녕하세요 👋"]
    line = chat_of(results, mina)[0]
    assert line["request_id"] == "s1" and line["from"] == mina and line["name"] == "mina"
    assert line["time"] == pytest.approx(clock.now)
    assert chat_of(results, far) == []

    # Zone-wide announcements are for staff.
    city.post(mina, Say("s2", "zone", "everyone!"))
    results = clock.step(city)
    assert Result("s2", False, messages_for(results, mina)[0].detail) in messages_for(results, mina)
    assert "announcements are for" in messages_for(results, mina)[0].detail

    # Direct messages cross instances and zones.
    city.post(mina, Say("s3", "direct", "psst", far))
    results = clock.step(city)
    assert [(c["text"], c["to"]) for c in chat_of(results, far)] == [("psst", far)]
    assert chat_of(results, jun) == []

    # Jun blocks mina: he no longer sees her lines; others still do.
    city.post(jun, Block("b1", mina, True))
    results = clock.step(city)
    block = results[0].intents[0]
    assert (block.kind, block.subject, block.data["blocked"]) == ("block", "user:jun", "user:mina")
    results = clock.step(city, 30)  # let mina's chat allowance refill
    city.post(mina, Say("s4", "near", "hello again"))
    results = clock.step(city)
    assert chat_of(results, jun) == []

    # A flood is refused with a reason, the allowance being 5 lines then 1 a second.
    for i in range(8):
        city.post(staff, Say(f"f{i}", "near", f"line {i}"))
    results = clock.step(city)
    refused = [m for m in messages_for(results, staff) if isinstance(m, Result) and not m.ok]
    assert len(refused) == 3 and "wait" in refused[0].detail

    # A mute refuses chat with its reason.
    city.set_mute("user:mina", clock.now + 600, "spam")
    city.post(mina, Say("s5", "near", "can you hear me"))
    results = clock.step(city)
    assert Result("s5", False, "you are muted: spam") in messages_for(results, mina)

    # A report carries the reported user's recent lines.
    city.post(jun, Report("r1", mina, "rude"))
    results = clock.step(city)
    report = results[0].intents[0]
    assert report.kind == "report" and report.subject == "user:jun"
    assert report.data["reported"] == "user:mina"
    assert [c["text"] for c in report.data["context"]] == ["안녕하세요 👋", "psst", "hello again"]
    assert report.reply is not None and report.reply.request_id == "r1"


def test_a_badge_reaches_the_room_the_name_tag_and_the_users_records() -> None:
    city = make_city()
    clock = Clock()
    join(city, 1, "mina", zone="hall", place=(0.0, 0.0, 0.0, 0.0))
    join(city, 2, "jun", zone="hall", place=(1.0, 0.0, 0.0, 0.0))
    ids = joined_ids(clock.step(city))
    mina, jun = ids[1], ids[2]
    city.post(mina, ZoneRequest(None, "badge", {}))
    results = clock.step(city)
    told = [m for m in messages_for(results, jun) if isinstance(m, ZoneEvent) and m.type == "badge"]
    assert told[0].data == {"avatar": mina, "badge": "🏯"}
    assert city.where[mina].world.table.descriptions[mina].to_wire()["badge"] == "🏯"
    saved = [(i.kind, dict(i.data)) for i in results[0].intents]
    assert ("user_record", {"key": "name_tag_badge", "value": "🏯"}) in saved
    # Observers who see mina from now on get the badge with her description.
    join(city, 3, "newcomer", zone="hall", place=(2.0, 0.0, 0.0, 0.0))
    results = clock.step(city, 2)
    newcomer = joined_ids(results)[3]
    enters = [
        e
        for r in results
        for frames in r.frames
        for a, f in frames
        if a == newcomer
        for e in msgpack.unpackb(f, raw=False)[4]
    ]
    described = {
        e[1]: msgpack.unpackb(e[2], raw=False) if isinstance(e[2], bytes) else e[2] for e in enters
    }
    assert described[mina]["badge"] == "🏯"
    assert "badge" not in described[jun]


def _seen(results: list[Any], views: dict[int, dict[int, int]]) -> None:
    """Apply every WORLD frame to each observer's slot -> avatar id map."""
    for result in results:
        for frames in result.frames:
            for avatar_id, data in frames:
                frame = decode_server(bytes(data))
                assert isinstance(frame, WorldFrame)
                view = views.setdefault(avatar_id, {})
                for slot in frame.leaves:
                    del view[slot]
                for slot, other, _ in frame.enters:
                    view[slot] = other


def test_instances_of_a_zone_share_one_world_and_never_see_each_other() -> None:
    city = make_city()
    clock = Clock()
    for ticket, name in enumerate("abcd", start=1):  # instances of 4, opening at 2
        join(city, ticket, name, place=(1.0, 0.0, 1.0, 0.0))
    views: dict[int, dict[int, int]] = {}
    results = clock.step(city, 3)
    ids = {name: joined_ids(results)[t] for t, name in enumerate("abcd", start=1)}
    _seen(results, views)
    plaza = city.zones["plaza"]
    assert [i.count() for i in plaza.instances] == [2, 2]
    assert all(i.world is plaza.world for i in plaza.instances)
    # Four avatars on one spot, in two instances: each sees only its own instance's other.
    assert set(views[ids["a"]].values()) == {ids["b"]}
    assert set(views[ids["c"]].values()) == {ids["d"]}
    first, second = plaza.instances
    assert {v.id for v in first.near((1.0, 0.0, 1.0), 10.0)} == {ids["a"], ids["b"]}
    assert {v.id for v in second.near((1.0, 0.0, 1.0), 10.0)} == {ids["c"], ids["d"]}

    # b leaves; c moves to instance 1 (now below its threshold) and must vanish from d's
    # view at once, not linger until d's next interest recompute.
    city.inbox.request_leave(ids["b"])
    clock.step(city)
    city.where[ids["c"]].transfer(ids["c"], "plaza")
    _seen(clock.step(city), views)  # the move is queued by this tick, carried out by the next
    assert city.where[ids["c"]].instance == 2
    results = clock.step(city)
    _seen(results, views)
    assert city.where[ids["c"]].instance == 1
    assert ids["c"] not in views[ids["d"]].values()
    results = clock.step(city, 10)
    _seen(results, views)
    assert set(views[ids["a"]].values()) == {ids["c"]}
    assert set(views[ids["c"]].values()) == {ids["a"]}
    assert views[ids["d"]] == {}
