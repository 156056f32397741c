"""Running the festival grounds: gates and capacity at the entrance, announcements in each
reader's language, chat slow mode and kicks, with a real server, PostgreSQL and clients."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import pytest

from server.bell import BELL_REST_S, Bell
from server.zone_store import IntentRefused
from world.intents import Persist
from world.roles import Role

pytestmark = pytest.mark.e2e

TIMEOUT = 20.0


async def schedule(plaza: Any, organizer: str, starts: float, **extra: Any) -> dict[str, Any]:
    body = {
        "title": {"ko": "드럼 축제", "en": "Drum Festival"},
        "description": {"ko": "북소리"},
        "starts_at": starts,
        "ends_at": starts + 3600,
        "capacity": 100,
        **extra,
    }
    response = await plaza.api("POST", "/api/events", organizer, body)
    assert response.status == 201, response.text
    return dict(response.json())


async def gates_become(plaza: Any, is_open: bool, capacity: int | None) -> None:
    sticky = plaza.server.city.zones["festival"].sticky
    for _ in range(100):
        gates = sticky.get("gates")
        if gates is not None and (gates.data["open"], gates.data["capacity"]) == (
            is_open,
            capacity,
        ):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the grounds' gates never became {is_open}, {capacity}")


async def test_closed_gates_and_a_full_crowd_keep_newcomers_out(plaza: Any) -> None:
    organizer = plaza.mint("organizer", Role.ORGANIZER)
    event = await schedule(plaza, organizer, time.time() + 600, capacity=2)
    await gates_become(plaza, False, 2)
    for name in ("minji", "jun", "ara", "drummer"):
        await plaza.place_in(f"local:{name}", "festival")

    shut_out = await plaza.client(token=plaza.mint("minji"))
    assert shut_out.zone == "seoul_plaza"  # refused at the gates, she starts at the entrance
    drummer = await plaza.client(token=plaza.mint("drummer", Role.PERFORMER))
    assert drummer.zone == "festival"  # the crew always gets in

    opened = await plaza.api(
        "POST", "/api/events/gates", organizer, {"id": event["id"], "open": True}
    )
    assert opened.status == 200
    await gates_become(plaza, True, 2)
    jun = await plaza.client(token=plaza.mint("jun"))
    assert jun.zone == "festival"
    # The drummer and Jun make two: the grounds are full for Ara.
    ara = await plaza.client(token=plaza.mint("ara"))
    assert ara.zone == "seoul_plaza"


async def test_announcements_slow_mode_and_kicks(plaza: Any) -> None:
    organizer = plaza.mint("organizer", Role.ORGANIZER)
    await schedule(plaza, organizer, time.time() + 7200)
    await plaza.place_in("local:minji", "festival")
    minji = await plaza.client(token=plaza.mint("minji"))
    assert minji.zone == "festival"

    said = {"text": {"ko": "곧 시작합니다", "en": "Starting soon"}}
    refused = await plaza.api("POST", "/api/events/announce", plaza.mint("citizen"), said)
    assert refused.status == 403
    sent = await plaza.api("POST", "/api/events/announce", organizer, said)
    assert sent.status == 201 and sent.json()["reached"] >= 1
    await minji.wait_for(lambda c: any(e.type == "announcement" for e in c.zone_events), TIMEOUT)
    [heard] = [e.data for e in minji.zone_events if e.type == "announcement"]
    assert (heard["text"], heard["from"]) == ("곧 시작합니다", "organizer")

    # Slow mode: one line every 30 s, then off.
    slow = await plaza.api("POST", "/api/events/slow-mode", organizer, {"seconds": 30})
    assert slow.status == 200 and slow.json() == {"zone": "festival", "seconds": 30}
    await minji.say("안녕하세요")
    second = await minji.say("또 안녕")
    await minji.wait_for(lambda c: c.result(second) is not None, TIMEOUT)
    result = minji.result(second)
    assert result is not None and not result.ok and "slow mode here" in result.detail
    off = await plaza.api("POST", "/api/events/slow-mode", organizer, {"seconds": 0})
    assert off.status == 200
    bad = await plaza.api("POST", "/api/events/slow-mode", organizer, {"seconds": 9999})
    assert bad.status == 400

    # A kick moves her out of the grounds to the entrance, with the reason.
    kicked = await plaza.api(
        "POST", "/api/moderation/kick", organizer, {"subject": "local:minji", "reason": "shoving"}
    )
    assert kicked.status == 200 and kicked.json() == {"kicked": True}
    await minji.wait_for(lambda c: c.zone == "seoul_plaza", TIMEOUT)
    assert "shoving" in minji.zones_entered[-1].get("notice", "")
    again = await plaza.api(
        "POST", "/api/moderation/kick", organizer, {"subject": "local:minji", "reason": "shoving"}
    )
    assert again.json() == {"kicked": False}
    citizen = await plaza.api(
        "POST",
        "/api/moderation/kick",
        plaza.mint("citizen"),
        {"subject": "local:jun", "reason": "x"},
    )
    assert citizen.status == 403


async def place_at_the_bell(plaza: Any, subject: str) -> None:
    spot = plaza.server.city.layout("festival").spot("bell")
    conn = await asyncpg.connect(plaza.database_url)
    try:
        await conn.execute(
            "INSERT INTO last_places (subject, zone, x, y, z, yaw) VALUES ($1, $2, $3, $4, $5, 0)",
            subject,
            "festival",
            *spot.position,
        )
    finally:
        await conn.close()


async def test_chosen_citizens_ring_the_bell_for_everyone(plaza_factory: Any) -> None:
    plaza = await plaza_factory(instance_capacity=2)
    organizer = plaza.mint("organizer", Role.ORGANIZER)
    event = await schedule(plaza, organizer, time.time() - 5, ringers=["local:ringer"])
    assert event["ringers"] == ["local:ringer"]
    opened = await plaza.api(
        "POST", "/api/events/gates", organizer, {"id": event["id"], "open": True}
    )
    assert opened.status == 200
    await gates_become(plaza, True, 100)
    await place_at_the_bell(plaza, "local:ringer")
    await place_at_the_bell(plaza, "local:stranger")
    ringer = await plaza.client(token=plaza.mint("ringer"))
    stranger = await plaza.client(token=plaza.mint("stranger"))
    await plaza.place_in("local:listener", "festival")
    listener = await plaza.client(token=plaza.mint("listener"))
    assert {ringer.zone, stranger.zone, listener.zone} == {"festival"}
    # Instances of two: the listener is in another instance than the ringer.
    where = plaza.server.city.where
    assert where[listener.avatar_id].instance != where[ringer.avatar_id].instance

    refused = await stranger.zone_request("bell.ring", {})
    assert (
        not refused.ok and refused.detail == "only the citizens chosen for this event ring the bell"
    )
    rung = await ringer.zone_request("bell.ring", {})
    assert rung.ok, rung.detail
    assert rung.detail["by"] == "ringer" and rung.detail["at"] > time.time()
    await listener.wait_for(lambda c: any(e.type == "bell.stroke" for e in c.zone_events), TIMEOUT)
    [stroke] = [e.data for e in listener.zone_events if e.type == "bell.stroke"]
    assert stroke == rung.detail
    too_soon = await ringer.zone_request("bell.ring", {})
    assert not too_soon.ok and "still sounding" in too_soon.detail
    # The bell rests in the database: another node's Bell (its own process, same city)
    # refuses a stroke too, and none is published.
    other_node: list[Any] = []
    bell = Bell(plaza.server.events.schedule, lambda *a, **k: other_node.append(a) or True)
    intent = Persist("bell.ring", "festival", {"name": "ringer"}, "local:ringer")
    with pytest.raises(IntentRefused, match="still sounding"):
        await bell.ring(intent)
    assert other_node == []
    away = await listener.zone_request("bell.ring", {})
    assert not away.ok and away.detail == "walk up to the bell to ring it"
    # Rested: the other node's bell takes the next stroke, and this node then refuses.
    await asyncio.sleep(BELL_REST_S + 0.1)
    stroke = await bell.ring(intent)
    assert stroke["at"] > time.time() and len(other_node) == 1
    again = await ringer.zone_request("bell.ring", {})
    assert not again.ok and "still sounding" in again.detail
