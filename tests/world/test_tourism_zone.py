"""The Tourism District's script through a fake context: points of interest in four
languages, the stamp tour, the city tour bus and guided tours (no city, no server)."""

from __future__ import annotations

import json
import math
import pathlib
from typing import Any

import pytest

from world.locale_text import pick
from world.zone_api import ZoneMessage
from world.zone_layout import ZoneLayout
from world.zone_testing import FakeAvatar, FakeContext
from world.zones.tourism import (
    BADGE_EMOJI,
    BADGE_ID,
    POI_CHECK_TICKS,
    Tourism,
)
from world.zones.tourism_bus import BUS_SEATS, BUS_SPEED_MPS, DWELL_S, Timetable
from world.zones.tourism_tours import MAX_TOUR_MEMBERS

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAYOUT_DATA = json.loads((ROOT / "assets" / "zones" / "tourism.json").read_text("utf-8"))
LAYOUT = ZoneLayout.from_dict(LAYOUT_DATA)
T0 = 1_000_000.0
DT = 0.05  # one city tick at 20 Hz
POIS = ("poi_gwanghwamun_square", "poi_deoksugung", "poi_namdaemun_market", "poi_donuimun")

Vec3 = tuple[float, float, float]


def spot(spot_id: str) -> Vec3:
    found = LAYOUT.spot(spot_id)
    assert found is not None
    return found.position


def area_of(poi: str) -> Vec3:
    return spot("area_" + poi.removeprefix("poi_"))


FAR_AWAY: Vec3 = (200.0, 0.0, 200.0)  # on no area and at no stop
STOP_1, STOP_2 = spot("bus_stop_1"), spot("bus_stop_2")
RIDE_1_2 = math.dist(STOP_1, STOP_2) / BUS_SPEED_MPS


def start(layout: ZoneLayout = LAYOUT) -> tuple[Tourism, FakeContext]:
    ctx = FakeContext("tourism", layout, now=T0)
    zone = Tourism()
    zone.on_create(ctx)
    return zone, ctx


def join(zone: Tourism, ctx: FakeContext, avatar_id: int, name: str, **fields: Any) -> FakeAvatar:
    fields.setdefault("position", FAR_AWAY)
    avatar = ctx.add_avatar(avatar_id, name, **fields)
    zone.on_join(ctx, avatar)
    return avatar


def leave(zone: Tourism, ctx: FakeContext, avatar_id: int) -> None:
    zone.on_leave(ctx, ctx.remove_avatar(avatar_id))


def run(zone: Tourism, ctx: FakeContext, seconds: float) -> None:
    """Tick as the city does: timers, then ``on_tick``, every 50 ms."""
    for _ in range(round(seconds / DT)):
        ctx.advance(DT)
        zone.on_tick(ctx)


def ask(
    zone: Tourism, ctx: FakeContext, avatar_id: int, type: str, data: Any = None
) -> tuple[bool, Any]:
    """Send a ZONE request and return (ok, detail) of its RESULT."""
    rid = f"r{len(ctx.replies)}"
    zone.on_message(ctx, ZoneMessage(avatar_id, type, {} if data is None else data, rid))
    answers = [(ok, detail) for r, ok, detail in ctx.replies if r == rid]
    assert len(answers) == 1, ctx.replies
    return answers[0]


def sent_to(ctx: FakeContext, avatar_id: int, type: str) -> list[dict[str, Any]]:
    return [data for a, kind, data in ctx.sent if a == avatar_id and kind == type]


def broadcasts(ctx: FakeContext, type: str) -> list[dict[str, Any]]:
    return [data for kind, data, _ in ctx.broadcasts if kind == type]


def ground_distance(a: Vec3, b: Vec3) -> float:
    return math.hypot(a[0] - b[0], a[2] - b[2])


# -- points of interest -----------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["ko", "en", "ja", "zh"])
def test_a_point_of_interest_speaks_the_visitors_language(locale: str) -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "visitor", locale=locale, position=area_of("poi_deoksugung"))
    run(zone, ctx, POI_CHECK_TICKS * DT)
    poi = next(p for p in LAYOUT.points_of_interest if p.id == "poi_deoksugung")
    assert sent_to(ctx, 1, "poi.enter") == [
        {
            "poi": "poi_deoksugung",
            "title": poi.title[locale],
            "description": poi.description[locale],
            "locale": locale,
        }
    ]


def test_an_untranslated_language_falls_back_to_english_then_korean() -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "amélie", locale="fr", position=area_of("poi_donuimun"))
    join(zone, ctx, 2, "mei", locale="zh-Hant", position=area_of("poi_donuimun"))
    run(zone, ctx, 0.3)
    (french,) = sent_to(ctx, 1, "poi.enter")
    assert french["locale"] == "en" and french["title"] == "Donuimun Gate"
    (chinese,) = sent_to(ctx, 2, "poi.enter")
    assert chinese["locale"] == "zh" and chinese["title"] == "敦义门"

    # A layout whose landmark has only Korean (and Japanese) texts.
    data = json.loads(json.dumps(LAYOUT_DATA))
    for poi in data["points_of_interest"]:
        poi["title"] = {"ko": poi["title"]["ko"], "ja": poi["title"]["ja"]}
        poi["description"] = {"ko": poi["description"]["ko"], "ja": poi["description"]["ja"]}
    zone, ctx = start(ZoneLayout.from_dict(data))
    join(zone, ctx, 1, "jun", locale="en", position=area_of("poi_donuimun"))
    run(zone, ctx, 0.3)
    (korean,) = sent_to(ctx, 1, "poi.enter")
    assert korean["locale"] == "ko" and korean["title"] == "돈의문"
    assert pick({"ko": "가", "ja": "か"}, "ja") == ("か", "ja")


def test_each_entry_is_announced_once() -> None:
    zone, ctx = start()
    mina = join(zone, ctx, 1, "mina", position=area_of("poi_namdaemun_market"))
    run(zone, ctx, 2.0)  # many checks while she stays inside
    assert len(sent_to(ctx, 1, "poi.enter")) == 1
    mina.position = FAR_AWAY
    run(zone, ctx, 1.0)
    x, y, z = area_of("poi_namdaemun_market")
    mina.position = (x + 5.0, y, z)
    run(zone, ctx, 1.0)
    entries = sent_to(ctx, 1, "poi.enter")
    assert [e["poi"] for e in entries] == ["poi_namdaemun_market"] * 2
    # ... but the stamp is collected only the first time.
    assert [data["poi"] for data in sent_to(ctx, 1, "stamp")] == ["poi_namdaemun_market"]


def test_areas_are_checked_every_few_ticks_not_every_tick() -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "mina", position=area_of("poi_deoksugung"))
    for _ in range(POI_CHECK_TICKS - 1):
        ctx.advance(DT)
        zone.on_tick(ctx)
    assert sent_to(ctx, 1, "poi.enter") == []
    ctx.advance(DT)
    zone.on_tick(ctx)
    assert len(sent_to(ctx, 1, "poi.enter")) == 1


# -- the stamp tour ---------------------------------------------------------------------------


def test_four_stamps_earn_the_badge() -> None:
    zone, ctx = start()
    mina = join(zone, ctx, 1, "mina")
    for poi in POIS:
        mina.position = area_of(poi)
        run(zone, ctx, 0.5)
    stamps = sent_to(ctx, 1, "stamp")
    assert [s["poi"] for s in stamps] == list(POIS)
    assert stamps[0] == {"poi": POIS[0], "stamps": [POIS[0]], "total": 4}
    assert stamps[-1]["stamps"] == sorted(POIS)
    assert mina.saved == {"stamps": sorted(POIS), "badge": BADGE_ID}
    assert ctx.badges == [(1, BADGE_EMOJI)]
    assert sent_to(ctx, 1, "stamp.complete") == [{"badge": BADGE_ID, "stamps": sorted(POIS)}]
    assert ask(zone, ctx, 1, "stamps") == (
        True,
        {"stamps": sorted(POIS), "total": 4, "badge": BADGE_ID},
    )
    # Visiting again earns nothing more.
    mina.position = FAR_AWAY
    run(zone, ctx, 0.5)
    mina.position = area_of(POIS[0])
    run(zone, ctx, 0.5)
    assert len(sent_to(ctx, 1, "stamp")) == 4 and ctx.badges == [(1, BADGE_EMOJI)]


def test_stamps_from_earlier_visits_count() -> None:
    zone, ctx = start()
    saved = {"stamps": ["poi_donuimun", "poi_deoksugung", "poi_long_gone", 7]}
    jun = join(zone, ctx, 1, "jun", saved=saved)
    assert ask(zone, ctx, 1, "stamps") == (
        True,
        {"stamps": ["poi_deoksugung", "poi_donuimun"], "total": 4, "badge": None},
    )
    jun.position = area_of("poi_deoksugung")
    run(zone, ctx, 0.5)
    assert len(sent_to(ctx, 1, "poi.enter")) == 1 and sent_to(ctx, 1, "stamp") == []
    jun.position = area_of("poi_namdaemun_market")
    run(zone, ctx, 0.5)
    (stamp,) = sent_to(ctx, 1, "stamp")
    assert stamp["stamps"] == ["poi_deoksugung", "poi_donuimun", "poi_namdaemun_market"]
    assert ctx.saved_for == [(1, "stamps", stamp["stamps"])]
    assert ctx.badges == []


def test_a_finished_tour_shows_its_badge_again_on_join() -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "mina", saved={"stamps": sorted(POIS), "badge": BADGE_ID})
    join(zone, ctx, 2, "jun", saved={"stamps": [POIS[0]]})
    assert ctx.badges == [(1, BADGE_EMOJI)]
    assert ask(zone, ctx, 1, "stamps")[1]["badge"] == BADGE_ID


# -- the city tour bus ------------------------------------------------------------------------


def test_the_bus_starts_with_the_first_arrival_and_keeps_its_timetable() -> None:
    zone, ctx = start()
    run(zone, ctx, 5.0)
    assert broadcasts(ctx, "bus") == []  # an empty instance runs no bus
    t_start = ctx.now
    join(zone, ctx, 1, "mina")
    (first,) = broadcasts(ctx, "bus")
    assert first == {
        "position": list(STOP_1),
        "heading": 0.0,  # due south (+z) to the Deoksugung stop
        "state": "dwelling",
        "stop": "bus_stop_1",
        "next_stop": "bus_stop_2",
        "departs_at": t_start + DWELL_S,
        "riders": 0,
    }
    run(zone, ctx, 5.0)
    join(zone, ctx, 2, "jun")  # a newcomer is told where the bus is
    (told,) = sent_to(ctx, 2, "bus")
    assert told["state"] == "dwelling" and told["departs_at"] == t_start + DWELL_S
    assert len(broadcasts(ctx, "bus")) == 1  # nothing while dwelling

    run(zone, ctx, DWELL_S - 5.0 + DT)
    departure = broadcasts(ctx, "bus")[1]
    assert departure["state"] == "driving" and departure["stop"] == "bus_stop_1"
    assert departure["next_stop"] == "bus_stop_2"
    assert departure["arrives_at"] == pytest.approx(t_start + DWELL_S + RIDE_1_2)
    # While driving: a state every second, moving south at the bus's speed.
    run(zone, ctx, 10.0)
    driving = broadcasts(ctx, "bus")[1:]
    assert all(b["state"] == "driving" for b in driving) and 10 <= len(driving) <= 12
    z = [b["position"][2] for b in driving]
    assert z == sorted(z) and z[-1] - z[0] == pytest.approx(BUS_SPEED_MPS * 10.0, abs=1.0)
    run(zone, ctx, RIDE_1_2 - 10.0)
    arrival = broadcasts(ctx, "bus")[-1]
    assert arrival["state"] == "dwelling" and arrival["stop"] == "bus_stop_2"
    assert arrival["position"] == list(STOP_2) and arrival["next_stop"] == "bus_stop_3"
    assert arrival["departs_at"] == pytest.approx(t_start + 2 * DWELL_S + RIDE_1_2)


def test_the_timetable_is_a_loop_fixed_by_its_start() -> None:
    stops = [LAYOUT.spot(f"bus_stop_{i}") for i in (1, 2, 3, 4)]
    table = Timetable([s for s in stops if s is not None])
    legs = zip(table.stops, table.stops[1:] + table.stops[:1], strict=True)
    drives = [math.dist(a.position, b.position) / BUS_SPEED_MPS for a, b in legs]
    assert table.cycle_s == pytest.approx(4 * DWELL_S + sum(drives))
    one = table.state_at(T0, T0 + 30.0)
    again = table.state_at(T0, T0 + 30.0 + 3 * table.cycle_s)
    assert one.phase == again.phase and one.stop == again.stop
    assert one.position == pytest.approx(again.position, abs=1e-6)
    assert again.segment == one.segment + 3 * 8
    last_leg = table.state_at(T0, T0 + table.cycle_s - 1.0)
    assert (last_leg.phase, last_leg.stop, last_leg.next_stop) == ("driving", 3, 0)


def test_a_rider_is_carried_to_the_next_stop_and_set_down_there() -> None:
    zone, ctx = start()
    rider = join(zone, ctx, 1, "mina", position=(STOP_1[0] + 1.0, 0.0, STOP_1[2]))
    join(zone, ctx, 2, "jun", position=(STOP_1[0], 0.0, STOP_1[2] - 2.0))
    t_start = ctx.now
    run(zone, ctx, 3.0)
    assert ask(zone, ctx, 1, "bus.board") == (
        True,
        {"stop": "bus_stop_1", "next_stop": "bus_stop_2"},
    )
    assert ask(zone, ctx, 2, "bus.board")[0]
    run(zone, ctx, DT)
    seats = {a: p for a, p, _ in ctx.teleported[-2:]}
    assert ground_distance(seats[1], seats[2]) > 0.5  # two seats, not one
    assert all(ground_distance(p, STOP_1) < 5.0 for p in seats.values())
    # Seated at a stop: no more teleports, unless a rider wanders off its seat.
    moved = len(ctx.teleported)
    run(zone, ctx, 1.0)
    assert len(ctx.teleported) == moved
    rider.position = (STOP_1[0] + 3.0, 0.0, STOP_1[2])
    run(zone, ctx, DT)
    assert ctx.teleported[-1][:2] == (1, seats[1])
    run(zone, ctx, DWELL_S - 3.0)
    assert broadcasts(ctx, "bus")[-1]["riders"] == 2  # announced at the departure
    # Halfway: carried along with the bus.
    run(zone, ctx, RIDE_1_2 / 2)
    bus = zone.bus.state(ctx.now)
    assert bus is not None and bus.phase == "driving"
    assert ground_distance(rider.position, bus.position) < 5.0
    assert STOP_1[2] + 100.0 < rider.position[2] < STOP_2[2] - 100.0
    assert sent_to(ctx, 1, "bus.alighted") == []
    # At the next stop: set down at the stop, apart, and told.
    run(zone, ctx, t_start + DWELL_S + RIDE_1_2 + DT - ctx.now)
    for avatar_id in (1, 2):
        assert sent_to(ctx, avatar_id, "bus.alighted") == [{"stop": "bus_stop_2"}]
    stop_2 = LAYOUT.spot("bus_stop_2")
    assert stop_2 is not None
    assert stop_2.contains(ctx.members[1].position) and stop_2.contains(ctx.members[2].position)
    assert ground_distance(ctx.members[1].position, ctx.members[2].position) > 0.5
    assert zone.bus.riders == {}
    moved = len(ctx.teleported)
    run(zone, ctx, 2.0)
    assert len(ctx.teleported) == moved  # no longer carried
    assert broadcasts(ctx, "bus")[-1]["riders"] == 0


def test_boarding_is_refused_with_a_reason() -> None:
    zone, ctx = start()
    at_stop_1 = (STOP_1[0], 0.0, STOP_1[2] + 2.0)
    mina = join(zone, ctx, 1, "mina")
    assert ask(zone, ctx, 1, "bus.board") == (False, "walk to a bus stop first")
    mina.position = STOP_2
    assert ask(zone, ctx, 1, "bus.board") == (False, "the bus is not at this stop")
    mina.position = at_stop_1
    assert ask(zone, ctx, 1, "bus.board")[0]
    assert ask(zone, ctx, 1, "bus.board") == (False, "already on the bus")
    for i in range(2, BUS_SEATS + 1):
        join(zone, ctx, i, f"p{i}", position=at_stop_1)
        assert ask(zone, ctx, i, "bus.board")[0]
    join(zone, ctx, 99, "late", position=at_stop_1)
    assert ask(zone, ctx, 99, "bus.board") == (False, "the bus is full")
    # A rider who leaves the zone frees a seat.
    leave(zone, ctx, 5)
    assert ask(zone, ctx, 99, "bus.board")[0]
    # Once the bus has left, the stop is empty.
    join(zone, ctx, 100, "later", position=at_stop_1)
    run(zone, ctx, DWELL_S + 1.0)
    assert ask(zone, ctx, 100, "bus.board") == (False, "the bus is not at this stop")


def test_an_emptied_instance_stops_the_bus_and_restarts_it_at_the_first_stop() -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "mina", position=STOP_1)
    assert ask(zone, ctx, 1, "bus.board")[0]
    run(zone, ctx, DWELL_S + 5.0)
    leave(zone, ctx, 1)
    assert not zone.bus.running and zone.bus.riders == {}
    heard = len(ctx.broadcasts)
    run(zone, ctx, 30.0)
    assert len(ctx.broadcasts) == heard
    join(zone, ctx, 2, "jun")
    restart = broadcasts(ctx, "bus")[-1]
    assert restart["state"] == "dwelling" and restart["stop"] == "bus_stop_1"
    assert restart["departs_at"] == pytest.approx(ctx.now + DWELL_S)


def test_a_stalled_tick_still_sets_riders_down_at_their_stop() -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "mina", position=STOP_1)
    assert ask(zone, ctx, 1, "bus.board")[0]
    ctx.advance(DWELL_S + RIDE_1_2 + DWELL_S + 5.0)  # past stop 2, on the way to stop 3
    zone.on_tick(ctx)
    assert sent_to(ctx, 1, "bus.alighted") == [{"stop": "bus_stop_2"}]
    assert ground_distance(ctx.members[1].position, STOP_2) < 4.0


# -- guided tours -----------------------------------------------------------------------------


def test_a_guided_tour_from_start_to_end() -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "Hana", role="guide", position=(100.0, 0.0, 10.0))
    join(zone, ctx, 2, "mina")
    join(zone, ctx, 3, "jun")
    assert ask(zone, ctx, 1, "tour.start", {"title": "  Palaces of Seoul "}) == (
        True,
        {"tour": 1},
    )
    assert broadcasts(ctx, "tour.started") == [
        {"guide": 1, "name": "Hana", "title": "Palaces of Seoul"}
    ]
    assert ask(zone, ctx, 2, "tour.join", {"guide": 1}) == (
        True,
        {"tour": 1, "name": "Hana", "title": "Palaces of Seoul", "members": 1},
    )
    assert sent_to(ctx, 1, "tour.joined") == [
        {"guide": 1, "avatar": 2, "name": "mina", "members": 1}
    ]
    join(zone, ctx, 4, "newcomer")
    assert sent_to(ctx, 4, "tours") == [
        {"tours": [{"guide": 1, "name": "Hana", "title": "Palaces of Seoul", "members": 1}]}
    ]

    assert ask(zone, ctx, 1, "tour.narrate", {"text": "This is Daehanmun."}) == (
        True,
        {"members": 1},
    )
    line = {"guide": 1, "name": "Hana", "text": "This is Daehanmun."}
    assert sent_to(ctx, 1, "tour.narration") == [line]
    assert sent_to(ctx, 2, "tour.narration") == [line]
    assert sent_to(ctx, 3, "tour.narration") == []

    ok, detail = ask(zone, ctx, 2, "tour.goto")
    assert ok and detail["tour"] == 1
    assert ground_distance(ctx.members[2].position, ctx.members[1].position) <= 2.0

    assert ask(zone, ctx, 2, "tour.leave") == (True, {"tour": 1})
    assert sent_to(ctx, 1, "tour.left") == [{"guide": 1, "avatar": 2, "members": 0}]
    assert ask(zone, ctx, 2, "tour.leave") == (False, "you are not on a tour")
    assert ask(zone, ctx, 3, "tour.join", {"guide": 1})[0]
    assert ask(zone, ctx, 1, "tour.end") == (True, {"tour": 1})
    assert broadcasts(ctx, "tour.ended") == [
        {"guide": 1, "title": "Palaces of Seoul", "reason": "ended"}
    ]
    assert ask(zone, ctx, 3, "tour.goto") == (False, "you are not on a tour")
    assert ask(zone, ctx, 3, "tour.join", {"guide": 1}) == (
        False,
        "there is no tour led by that avatar",
    )


def test_tours_refuse_bad_requests_with_reasons() -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "Hana", role="guide")
    join(zone, ctx, 2, "mina")
    assert ask(zone, ctx, 2, "tour.start", {"title": "My tour"}) == (
        False,
        "only guides can start a tour",
    )
    for bad in ({}, {"title": ""}, {"title": "   "}, {"title": 5}, {"title": "x" * 81}):
        ok, reason = ask(zone, ctx, 1, "tour.start", bad)
        assert not ok and "1 to 80 characters" in reason
    assert ask(zone, ctx, 1, "tour.start", {"title": "a\nb"})[0] is False
    assert ask(zone, ctx, 1, "tour.narrate", {"text": "hello"}) == (
        False,
        "you are not leading a tour",
    )
    assert ask(zone, ctx, 2, "tour.join", {"guide": 1}) == (
        False,
        "there is no tour led by that avatar",
    )
    for bad in ({}, {"guide": "1"}, {"guide": True}, {"guide": 1.0}, {"guide": None}):
        ok, reason = ask(zone, ctx, 2, "tour.join", bad)
        assert not ok and "guide must be" in reason
    assert ask(zone, ctx, 1, "tour.start", {"title": "Markets"})[0]
    assert ask(zone, ctx, 1, "tour.start", {"title": "Again"})[1].startswith("you are already")
    assert ask(zone, ctx, 2, "tour.narrate", {"text": "hi"}) == (
        False,
        "you are not leading a tour",
    )
    for bad in ({}, {"text": ""}, {"text": "x" * 301}, {"text": ["a"]}):
        ok, reason = ask(zone, ctx, 1, "tour.narrate", bad)
        assert not ok and "1 to 300 characters" in reason
    assert ask(zone, ctx, 1, "tour.narrate", {"text": "line one\nline two"})[0]
    assert ask(zone, ctx, 1, "tour.goto") == (False, "you are the guide")
    assert ask(zone, ctx, 1, "tour.leave")[0] is False
    assert ask(zone, ctx, 2, "tour.end") == (False, "you are not leading a tour")
    assert ask(zone, ctx, 2, "tour.join", {"guide": 1})[0]
    assert ask(zone, ctx, 2, "tour.join", {"guide": 1}) == (False, "already on this tour")
    for i in range(3, MAX_TOUR_MEMBERS + 2):
        join(zone, ctx, i, f"m{i}")
        assert ask(zone, ctx, i, "tour.join", {"guide": 1})[0]
    join(zone, ctx, 999, "late")
    assert ask(zone, ctx, 999, "tour.join", {"guide": 1}) == (False, "the tour is full")


def test_a_tour_ends_when_its_guide_leaves_and_members_who_leave_are_dropped() -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "Hana", role="guide")
    join(zone, ctx, 2, "mina")
    join(zone, ctx, 3, "jun")
    assert ask(zone, ctx, 1, "tour.start", {"title": "Walls"})[0]
    assert ask(zone, ctx, 2, "tour.join", {"guide": 1})[0]
    assert ask(zone, ctx, 3, "tour.join", {"guide": 1})[0]
    leave(zone, ctx, 3)
    assert sent_to(ctx, 1, "tour.left")[-1] == {"guide": 1, "avatar": 3, "members": 1}
    leave(zone, ctx, 1)
    assert broadcasts(ctx, "tour.ended") == [
        {"guide": 1, "title": "Walls", "reason": "the guide left"}
    ]
    assert ask(zone, ctx, 2, "tour.goto") == (False, "you are not on a tour")


def test_a_second_guide_can_take_a_member_over_and_guides_can_join_tours() -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "Hana", role="guide")
    join(zone, ctx, 2, "Dae", role="guide")
    join(zone, ctx, 3, "mina")
    assert ask(zone, ctx, 1, "tour.start", {"title": "One"})[0]
    assert ask(zone, ctx, 2, "tour.join", {"guide": 1})[0]  # a guide on a colleague's tour
    assert ask(zone, ctx, 3, "tour.join", {"guide": 1})[0]
    assert ask(zone, ctx, 2, "tour.start", {"title": "Two"})[0]  # leaves tour One
    assert ask(zone, ctx, 3, "tour.join", {"guide": 2})[0]  # switches tours
    assert ask(zone, ctx, 1, "tour.narrate", {"text": "anyone?"}) == (True, {"members": 0})
    assert ask(zone, ctx, 2, "tour.narrate", {"text": "welcome"}) == (True, {"members": 1})


def test_a_rider_cannot_jump_off_the_bus_to_the_guide() -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "Hana", role="guide")
    join(zone, ctx, 2, "mina", position=STOP_1)
    assert ask(zone, ctx, 1, "tour.start", {"title": "Bus tour"})[0]
    assert ask(zone, ctx, 2, "tour.join", {"guide": 1})[0]
    assert ask(zone, ctx, 2, "bus.board")[0]
    ok, reason = ask(zone, ctx, 2, "tour.goto")
    assert not ok and "on the bus" in reason


# -- bad input --------------------------------------------------------------------------------


def test_bad_input_is_refused_never_raised() -> None:
    zone, ctx = start()
    join(zone, ctx, 1, "mina")
    zone.on_message(ctx, ZoneMessage(1, "tour.join", ["not", "a", "map"], "r1"))  # type: ignore[arg-type]
    zone.on_message(ctx, ZoneMessage(1, "teleport.me", {}, "r2"))
    zone.on_message(ctx, ZoneMessage(1, "bus.board", {}))  # no request id: no answer
    zone.on_message(ctx, ZoneMessage(42, "stamps", {}, "r3"))  # not here: ignored
    assert ctx.replies == [
        ("r1", False, "data must be a map"),
        ("r2", False, "this zone does not understand 'teleport.me'"),
    ]


def test_a_layout_without_areas_or_stops_runs_nothing() -> None:
    bare = ZoneLayout.from_dict(
        {
            "name": "tourism",
            "bounds": {"min": [-10, -1, -10], "max": [10, 5, 10]},
            "spawns": [{"position": [0, 0, 0]}],
        }
    )
    zone, ctx = start(bare)
    join(zone, ctx, 1, "mina", position=(0.0, 0.0, 0.0))
    run(zone, ctx, 1.0)
    assert ctx.sent == [] and ctx.broadcasts == []
    assert ask(zone, ctx, 1, "bus.board") == (False, "there is no tour bus here")
    assert ask(zone, ctx, 1, "stamps") == (True, {"stamps": [], "total": 0, "badge": None})
