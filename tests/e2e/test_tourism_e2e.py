"""The Tourism District through the gateway: the tour bus carries a bot between stops, a
landmark speaks Japanese to a Japanese visitor, and stamps outlive the connection (real
server, real PostgreSQL, the Python SDK)."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import asyncpg
import pytest
from plaza_client.client import PlazaClient

from world.roles import Role
from world.zones.tourism_bus import BUS_SPEED_MPS, DWELL_S

pytestmark = pytest.mark.e2e

TIMEOUT = 20.0
# Slack for the ride: ticks, the first frames, a loaded test machine.
RIDE_MARGIN_S = 10.0


async def save_place(plaza: Any, subject: str, x: float, z: float) -> None:
    """Make ``subject``'s last place a spot in the tourism zone, so it starts there."""
    conn = await asyncpg.connect(plaza.server.config.database_url)
    try:
        await conn.execute(
            "INSERT INTO last_places (subject, zone, x, y, z, yaw) VALUES ($1, $2, $3, 0, $4, 0)",
            subject,
            "tourism",
            x,
            z,
        )
    finally:
        await conn.close()


async def saved_record(plaza: Any, subject: str, key: str) -> Any:
    """The value of ``subject``'s tourism record ``key`` once it is in the database."""
    conn = await asyncpg.connect(plaza.server.config.database_url)
    try:
        async with asyncio.timeout(TIMEOUT):
            while True:
                value = await conn.fetchval(
                    "SELECT value FROM zone_user_records "
                    "WHERE subject = $1 AND zone = 'tourism' AND key = $2",
                    subject,
                    key,
                )
                if value is not None:
                    return json.loads(value)
                await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def walk(
    client: PlazaClient, start: tuple[float, float], target: tuple[float, float]
) -> None:
    """Walk in steps under the speed limit (5 m/s at 20 Hz)."""
    (x0, z0), (x1, z1) = start, target
    steps = max(1, math.ceil(math.hypot(x1 - x0, z1 - z0) / 0.25))
    for i in range(1, steps + 1):
        await client.move(x0 + (x1 - x0) * i / steps, 0.0, z0 + (z1 - z0) * i / steps)
        await asyncio.sleep(0.05)


def events(client: PlazaClient, type: str) -> list[dict[str, Any]]:
    return [e.data for e in client.zone_events if e.zone == "tourism" and e.type == type]


async def test_the_tour_bus_carries_a_rider_to_the_next_stop(plaza: Any) -> None:
    layout = plaza.server.city.layout("tourism")
    stop_1, stop_2 = layout.spot("bus_stop_1"), layout.spot("bus_stop_2")
    await save_place(plaza, "local:rider", stop_1.position[0] + 1.0, stop_1.position[2])
    rider = await plaza.client(token=plaza.mint("rider"))
    assert rider.zone == "tourism"

    # The first avatar in the instance starts the bus dwelling at the first stop.
    await rider.wait_for(lambda c: bool(events(c, "bus")), TIMEOUT)
    bus = events(rider, "bus")[0]
    assert bus["state"] == "dwelling" and bus["stop"] == "bus_stop_1"
    assert bus["next_stop"] == "bus_stop_2" and bus["riders"] == 0
    boarded = await rider.zone_request("bus.board")
    assert boarded.ok, boarded.detail
    assert boarded.detail == {"stop": "bus_stop_1", "next_stop": "bus_stop_2"}

    # On the way: the server carries the avatar south along with the bus.
    ride_s = math.dist(stop_1.position, stop_2.position) / BUS_SPEED_MPS
    await rider.wait_for(
        lambda c: any(b["state"] == "driving" for b in events(c, "bus")), DWELL_S + TIMEOUT
    )
    departure = next(b for b in events(rider, "bus") if b["state"] == "driving")
    assert departure["riders"] == 1
    await asyncio.sleep(ride_s / 2)
    zone, x, _, z, _ = plaza.server.city.place_of(rider.avatar_id)
    assert zone == "tourism"
    assert stop_1.position[2] + 40.0 < z < stop_2.position[2] - 40.0
    assert abs(x - stop_1.position[0]) < 5.0

    # At the next stop it is set down there and told so.
    await rider.wait_for(lambda c: bool(events(c, "bus.alighted")), ride_s + RIDE_MARGIN_S)
    assert events(rider, "bus.alighted") == [{"stop": "bus_stop_2"}]
    zone, x, y, z, _ = plaza.server.city.place_of(rider.avatar_id)
    assert zone == "tourism" and stop_2.contains((x, y, z))
    assert rider.corrections, "the client is told where the bus took it"
    assert any(b["state"] == "dwelling" and b["stop"] == "bus_stop_2" for b in events(rider, "bus"))


async def test_a_landmark_greets_a_japanese_visitor_in_japanese(plaza: Any) -> None:
    layout = plaza.server.city.layout("tourism")
    area = layout.spot("area_deoksugung")
    poi = next(p for p in layout.points_of_interest if p.id == "poi_deoksugung")
    session = await plaza.guest("taro", "ja")
    ax, _, az = area.position
    start = (ax, az + area.radius + 4.0)  # 4 m outside the palace's area
    await save_place(plaza, session.subject, *start)
    visitor = await plaza.client(token=session.token)
    assert visitor.zone == "tourism"
    await asyncio.sleep(0.5)
    assert events(visitor, "poi.enter") == []

    await walk(visitor, start, (ax, az + area.radius - 6.0))
    await visitor.wait_for(lambda c: bool(events(c, "poi.enter")), TIMEOUT)
    assert events(visitor, "poi.enter") == [
        {
            "poi": "poi_deoksugung",
            "title": poi.title["ja"],
            "description": poi.description["ja"],
            "locale": "ja",
        }
    ]
    assert "徳寿宮" in poi.title["ja"]


async def test_stamps_outlive_the_connection(plaza: Any) -> None:
    layout = plaza.server.city.layout("tourism")
    area = layout.spot("area_donuimun")
    token = plaza.mint("collector", Role.CITIZEN)
    await save_place(plaza, "local:collector", area.position[0] + 2.0, area.position[2])
    first = await plaza.client(token=token)
    assert first.zone == "tourism"
    await first.wait_for(lambda c: bool(events(c, "stamp")), TIMEOUT)
    assert events(first, "stamp") == [
        {"poi": "poi_donuimun", "stamps": ["poi_donuimun"], "total": 4}
    ]
    assert await saved_record(plaza, "local:collector", "stamps") == ["poi_donuimun"]

    # A clean close: the avatar leaves at once; the same user signs in again.
    await first.close()
    async with asyncio.timeout(TIMEOUT):
        while plaza.server.city.place_of(first.avatar_id) is not None:
            await asyncio.sleep(0.05)
    second = await plaza.client(token=token)
    assert second.zone == "tourism"
    stamps = await second.zone_request("stamps")
    assert stamps.ok and stamps.detail == {"stamps": ["poi_donuimun"], "total": 4, "badge": None}
    # Back in the same area: told about it again, but the stamp is not collected twice.
    await second.wait_for(lambda c: bool(events(c, "poi.enter")), TIMEOUT)
    await asyncio.sleep(0.5)
    assert events(second, "stamp") == []
