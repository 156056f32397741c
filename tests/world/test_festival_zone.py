"""The festival grounds' script: gates, capacity over all instances, the schedule and the
moments shown, announcements in each reader's language."""

from __future__ import annotations

from world.zone_api import ServerEvent
from world.zone_testing import FakeContext
from world.zones.festival import Festival

TITLE = {"ko": "보신각 타종", "en": "Bosingak bell"}


def grounds() -> tuple[Festival, FakeContext]:
    ctx = FakeContext("festival")
    zone = Festival()
    zone.on_create(ctx)
    return zone, ctx


def test_the_grounds_are_open_until_an_event_closes_the_gates() -> None:
    zone, ctx = grounds()
    visitor = ctx.add_avatar(1, "Minji")
    assert zone.on_join_attempt(ctx, visitor) is None
    zone.on_event(ctx, ServerEvent("gates", {"open": False, "capacity": 10, "title": TITLE}))
    english = ctx.add_avatar(2, "Jun", locale="en")
    assert zone.on_join_attempt(ctx, english) == (
        "the gates for Bosingak bell are closed; the organizers open them before it starts"
    )
    for role in ("performer", "interpreter", "organizer", "staff"):
        assert zone.on_join_attempt(ctx, ctx.add_avatar(10, "crew", role=role)) is None


def test_capacity_counts_the_crowd_in_every_instance() -> None:
    zone, ctx = grounds()
    zone.on_event(ctx, ServerEvent("gates", {"open": True, "capacity": 3, "title": None}))
    ctx.add_avatar(1, "a")
    ctx.elsewhere = 1
    newcomer = ctx.add_avatar(2, "b")
    # Two here... with the one in another instance, three: full.
    assert (
        zone.on_join_attempt(ctx, newcomer) == "the grounds are full (3 people); try again shortly"
    )
    ctx.elsewhere = 0
    assert zone.on_join_attempt(ctx, newcomer) is None


def test_schedule_and_moments_are_shown_on_entering_and_on_change() -> None:
    zone, ctx = grounds()
    zone.on_event(ctx, ServerEvent("events", {"events": [{"id": 1}]}))
    zone.on_event(ctx, ServerEvent("moments", {"moments": [{"id": 5, "kind": "bell"}]}))
    assert [b[0] for b in ctx.broadcasts] == ["events", "moments"]
    newcomer = ctx.add_avatar(3, "Ara")
    zone.on_join(ctx, newcomer)
    assert [(i, t) for i, t, _ in ctx.sent] == [(3, "events"), (3, "moments")]


def test_an_announcement_reaches_each_reader_in_their_language() -> None:
    zone, ctx = grounds()
    ctx.add_avatar(1, "Minji", locale="ko")
    ctx.add_avatar(2, "Jun", locale="en")
    ctx.add_avatar(3, "Yui", locale="ja")
    text = {"ko": "곧 시작합니다", "en": "Starting soon"}
    zone.on_event(ctx, ServerEvent("announcement", {"text": text, "from": "organizer"}))
    got = {i: d for i, t, d in ctx.sent if t == "announcement"}
    assert got[1]["text"] == "곧 시작합니다"
    assert got[2]["text"] == "Starting soon"
    assert (got[3]["text"], got[3]["locale"]) == ("Starting soon", "en")  # no Japanese: English
