"""The festival schedule end to end: events, gates, RSVPs and the start announced in the city,
with a real server, PostgreSQL and clients."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import pytest

from world.roles import Role

pytestmark = pytest.mark.e2e

TIMEOUT = 20.0
BELL = {
    "ko": "보신각 타종",
    "en": "Bosingak bell ringing",
    "ja": "普信閣の除夜の鐘",
    "zh": "普信阁敲钟",
}


def event_body(starts: float, hours: float = 1.0, **extra: Any) -> dict[str, Any]:
    return {
        "title": BELL,
        "description": {"ko": "새해 자정", "en": "Midnight on New Year's Eve"},
        "starts_at": starts,
        "ends_at": starts + hours * 3600,
        "capacity": 10000,
        **extra,
    }


async def ok(plaza: Any, method: str, path: str, token: str | None, body: Any = None) -> Any:
    response = await plaza.api(method, path, token, body)
    assert response.status in (200, 201), (path, response.status, response.text)
    return response.json()


async def test_organizers_schedule_and_citizens_rsvp(plaza: Any) -> None:
    organizer = plaza.mint("organizer", Role.ORGANIZER)
    minji, jun = plaza.mint("minji"), plaza.mint("jun")
    tomorrow = time.time() + 86400
    event = await ok(plaza, "POST", "/api/events", organizer, event_body(tomorrow))
    assert (event["stage"], event["zone"], event["gates"]) == ("main", "festival", "closed")
    assert event["title"]["ja"] == BELL["ja"]

    listing = (await ok(plaza, "GET", "/api/events", None))["events"]
    assert [e["id"] for e in listing] == [event["id"]] and listing[0]["going"] is None
    for token in (minji, minji, jun):
        await ok(plaza, "POST", "/api/events/rsvp", token, {"id": event["id"]})
    mine = (await ok(plaza, "GET", "/api/events", minji))["events"][0]
    assert (mine["rsvps"], mine["going"]) == (2, True)
    undone = await ok(plaza, "POST", "/api/events/rsvp", jun, {"id": event["id"], "going": False})
    assert (undone["rsvps"], undone["going"]) == (1, False)

    # The organizer's tools, and what nobody else may do.
    opened = await ok(
        plaza, "POST", "/api/events/gates", organizer, {"id": event["id"], "open": True}
    )
    assert opened["gates"] == "open"
    refused = await plaza.api(
        "POST", "/api/events/gates", minji, {"id": event["id"], "open": False}
    )
    assert refused.status == 403 and "organizer" in refused.json()["reason"]
    by_citizen = await plaza.api("POST", "/api/events", minji, event_body(tomorrow + 7200))
    assert by_citizen.status == 403
    moved = await ok(
        plaza, "POST", "/api/events/update", organizer, {"id": event["id"], "capacity": 20000}
    )
    assert (moved["capacity"], moved["rsvps"]) == (20000, 1)
    gone = await ok(plaza, "POST", "/api/events/cancel", organizer, {"id": event["id"]})
    assert gone["cancelled"] is True
    assert (await ok(plaza, "GET", "/api/events", None))["events"] == []
    late = await plaza.api("POST", "/api/events/rsvp", minji, {"id": event["id"]})
    assert late.status == 409 and "cancelled" in late.json()["reason"]

    conn = await asyncpg.connect(plaza.database_url)
    try:
        actions = [
            r["action"]
            for r in await conn.fetch(
                "SELECT action FROM audit_log WHERE target = $1 ORDER BY id", f"event:{event['id']}"
            )
        ]
    finally:
        await conn.close()
    assert actions == ["event.create", "event.gates_open", "event.update", "event.cancel"]


async def test_bad_schedules_get_clear_errors(plaza: Any) -> None:
    organizer = plaza.mint("organizer", Role.ORGANIZER)
    soon = time.time() + 3600
    await ok(plaza, "POST", "/api/events", organizer, event_body(soon, hours=2))
    cases = [
        (event_body(time.time() - 7200), 400, "in the past"),
        (event_body(soon + 1800), 409, "the main stage has event"),
        ({**event_body(soon + 86400), "ends_at": soon + 86400 - 60}, 400, "ends_at: must be after"),
        ({**event_body(soon + 86400), "capacity": 0}, 400, "capacity"),
        ({**event_body(soon + 86400), "title": {"en": "No Korean"}}, 400, "Korean"),
        ({**event_body(soon + 86400), "starts_at": "next Tuesday"}, 400, "ISO 8601"),
    ]
    for body, status, reason in cases:
        response = await plaza.api("POST", "/api/events", organizer, body)
        assert response.status == status, (body, response.text)
        assert reason in response.json()["reason"], response.json()
    # Another stage is free at that time; ISO 8601 times with an offset are taken too.
    other = {**event_body(soon + 1800), "stage": "lantern"}
    other["starts_at"] = "2099-12-31T23:50:00+09:00"
    other["ends_at"] = "2100-01-01T00:30:00+09:00"
    created = await ok(plaza, "POST", "/api/events", organizer, other)
    assert created["starts_at"] == pytest.approx(4102411800.0)
    missing = await plaza.api("POST", "/api/events/cancel", organizer, {"id": 999})
    assert missing.status == 404


async def test_a_capacity_below_the_crowd_is_refused_while_the_event_is_on(plaza: Any) -> None:
    organizer = plaza.mint("organizer", Role.ORGANIZER)
    event = await ok(plaza, "POST", "/api/events", organizer, event_body(time.time() - 5))
    await ok(plaza, "POST", "/api/events/gates", organizer, {"id": event["id"], "open": True})
    sticky = plaza.server.city.zones["festival"].sticky
    for _ in range(100):  # the grounds hear that the gates opened
        if sticky.get("gates") is not None and sticky["gates"].data["open"]:
            break
        await asyncio.sleep(0.1)
    for name in ("a", "b", "c"):
        await plaza.place_in(f"local:{name}", "festival")
        client = await plaza.client(token=plaza.mint(name))
        assert client.zone == "festival"
    low = await plaza.api(
        "POST", "/api/events/update", organizer, {"id": event["id"], "capacity": 2}
    )
    assert low.status == 409
    assert "below the 3 people in the grounds" in low.json()["reason"]
    enough = await ok(
        plaza, "POST", "/api/events/update", organizer, {"id": event["id"], "capacity": 3}
    )
    assert enough["capacity"] == 3


async def test_those_who_rsvped_are_told_in_the_city_when_the_event_starts(plaza: Any) -> None:
    organizer = plaza.mint("organizer", Role.ORGANIZER)
    minji_token, jun_token = plaza.mint("minji"), plaza.mint("jun")
    minji = await plaza.client(token=minji_token)
    jun = await plaza.client(token=jun_token)
    event = await ok(plaza, "POST", "/api/events", organizer, event_body(time.time() + 2))
    await ok(plaza, "POST", "/api/events/rsvp", minji_token, {"id": event["id"]})

    await minji.wait_for(lambda c: any(e.type == "event.started" for e in c.zone_events), TIMEOUT)
    [started] = [e for e in minji.zone_events if e.type == "event.started"]
    assert (started.zone, started.data["event"]["id"]) == ("festival", event["id"])
    assert minji.zone == "seoul_plaza"  # told where she is
    listed = await ok(plaza, "GET", f"/api/events?id={event['id']}", None)
    assert listed["started"] is True
    # Jun did not RSVP; the start is announced once, so nothing more reaches anyone.
    assert not any(e.type == "event.started" for e in jun.zone_events)
    await plaza.server.events.announce()
    assert len([e for e in minji.zone_events if e.type == "event.started"]) == 1


async def test_moments_are_scheduled_ahead_and_published_to_the_grounds(plaza: Any) -> None:
    organizer = plaza.mint("organizer", Role.ORGANIZER)
    event = await ok(plaza, "POST", "/api/events", organizer, event_body(time.time() + 3600))
    midnight = time.time() + 3600
    bell = {
        "event": event["id"],
        "kind": "bell",
        "at": midnight,
        "count": 33,
        "every_s": 2.5,
        "label": {"ko": "제야의 종", "en": "The New Year bell"},
    }
    moment = await ok(plaza, "POST", "/api/events/moments", organizer, bell)
    assert (moment["count"], moment["every_s"], moment["at"]) == (33, 2.5, pytest.approx(midnight))

    sticky = plaza.server.city.zones["festival"].sticky

    async def published() -> list[Any]:
        for _ in range(100):
            moments = sticky.get("moments")
            if moments is not None and moments.data["moments"]:
                return list(moments.data["moments"])
            await asyncio.sleep(0.1)
        raise AssertionError("the moments were not published")

    [shown] = await published()
    assert shown["id"] == moment["id"] and shown["kind"] == "bell"

    cases = [
        (plaza.mint("minji"), {**bell, "at": midnight + 60}, 403, "organizer"),
        (organizer, {**bell, "at": time.time() - 5}, 400, "in the past"),
        (organizer, {**bell, "at": time.time() + 0.5}, 400, "too soon"),
        (organizer, {**bell, "kind": "confetti"}, 400, "kind: expected one of"),
        (organizer, {**bell, "count": 2, "every_s": 0}, 400, "above 0 when repeated"),
        (organizer, {**bell, "event": 999}, 404, "no event 999"),
    ]
    for token, body, status, reason in cases:
        response = await plaza.api("POST", "/api/events/moments", token, body)
        assert response.status == status, (body, response.text)
        assert reason in response.json()["reason"], response.json()

    cancelled = await ok(
        plaza, "POST", "/api/events/moments/cancel", organizer, {"id": moment["id"]}
    )
    assert cancelled["cancelled"] is True
    assert (await ok(plaza, "GET", "/api/events/moments", None))["moments"] == []
