"""Zones through the gateway: the directory, instances under concurrent joins, parties,
portals, and chat with blocks, reports and mutes, all against a real server and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import asyncpg
import pytest
from plaza_client.client import PlazaClient

from tests.e2e.conftest import http_request
from world.codec import Result
from world.roles import Role

pytestmark = pytest.mark.e2e

TIMEOUT = 20.0
ZONES = {"seoul_plaza", "city_hall", "center_120", "tourism", "festival"}


async def walk(
    client: PlazaClient, target: tuple[float, float], start: tuple[float, float]
) -> None:
    """Walk in steps under the speed limit (5 m/s at 20 Hz) from ``start`` to ``target``;
    stop at a portal, as a client stops steering toward a place in the zone it left."""
    (x0, z0), (x1, z1) = start, target
    steps = max(1, math.ceil(math.hypot(x1 - x0, z1 - z0) / 0.25))
    zones = len(client.zones_entered)
    for i in range(1, steps + 1):
        if len(client.zones_entered) != zones:
            return
        await client.move(x0 + (x1 - x0) * i / steps, 0.0, z0 + (z1 - z0) * i / steps)
        await asyncio.sleep(0.05)


async def test_the_directory_lists_zones_instances_and_scenes(plaza: Any) -> None:
    await plaza.client("민지")
    listing = (await plaza.get("/api/zones")).json()
    assert listing["entrance"] == "seoul_plaza"
    zones = {z["name"]: z for z in listing["zones"]}
    assert set(zones) >= ZONES
    assert zones["seoul_plaza"]["entrance"] is True
    assert zones["seoul_plaza"]["avatars"] == 1
    assert zones["seoul_plaza"]["instances"] == [{"number": 1, "avatars": 1}]
    assert zones["festival"]["placement"] == "even"
    scene = (await plaza.get("/api/zones/scene?name=tourism")).json()
    assert scene["zone"]["name"] == "tourism"
    assert {p["id"] for p in scene["scene"]["points_of_interest"]} >= {
        "poi_gwanghwamun_square",
        "poi_deoksugung",
        "poi_namdaemun_market",
        "poi_donuimun",
    }
    missing = await plaza.get("/api/zones/scene?name=atlantis")
    assert missing.status == 404 and "no zone 'atlantis'" in missing.json()["reason"]


async def test_concurrent_joins_never_fill_an_instance_past_capacity(plaza_factory: Any) -> None:
    plaza = await plaza_factory(instance_capacity=3)
    clients = await asyncio.gather(*(plaza.client(f"c{i}") for i in range(10)))
    numbers = [c.welcome["instance"]["number"] for c in clients]
    assert all(c.welcome["instance"]["zone"] == "seoul_plaza" for c in clients)
    listing = {z["name"]: z for z in (await plaza.get("/api/zones")).json()["zones"]}
    instances = listing["seoul_plaza"]["instances"]
    assert sum(i["avatars"] for i in instances) == 10
    assert all(i["avatars"] <= 3 for i in instances), instances
    assert sorted(numbers) == sorted(n for i in instances for n in [i["number"]] * i["avatars"])


async def test_friends_in_a_party_share_an_instance(plaza_factory: Any) -> None:
    plaza = await plaza_factory(instance_capacity=5)  # newcomers move on at 4

    async def connect(name: str, party: str | None = None) -> PlazaClient:
        token = (await plaza.guest(name)).token
        client = PlazaClient(plaza.ws_url, token, party=party)
        await client.connect(timeout=TIMEOUT)
        plaza._clients.append(client)
        return client

    first = await connect("friend1", "picnic")
    for i in range(3):
        await connect(f"loner{i}")
    loner = await connect("loner3")  # instance 1 is at its threshold: instance 2 opens
    friend = await connect("friend2", "picnic")  # ... but the party is in instance 1
    assert first.welcome["instance"]["number"] == 1
    assert loner.welcome["instance"]["number"] == 2
    assert friend.welcome["instance"]["number"] == 1


async def test_a_bad_party_code_is_refused_at_the_upgrade(plaza: Any) -> None:
    from websockets.exceptions import InvalidStatus

    token = (await plaza.guest("x")).token
    with pytest.raises(InvalidStatus) as refused:
        await plaza.raw(None, path=f"/ws?token={token}&party=no%20spaces")
    assert refused.value.response.status_code == 400
    assert b"party must be" in refused.value.response.body


async def test_a_portal_takes_the_avatar_to_its_zone(plaza: Any) -> None:
    layout = plaza.server.entrance.layout
    portal = next(p for p in layout.portals if p.target == "center_120")
    px, _, pz = portal.position
    # Start 6 m from the portal (a saved place), then walk into it.
    token = plaza.mint("walker")
    conn = await asyncpg.connect(plaza.server.config.database_url)
    try:
        await conn.execute(
            "INSERT INTO last_places (subject, zone, x, y, z, yaw) VALUES ($1, $2, $3, 0, $4, 0)",
            "local:walker",
            "seoul_plaza",
            px + 6.0,
            pz,
        )
    finally:
        await conn.close()
    client = await plaza.client(token=token)
    x, _, z = client.welcome["position"]
    assert math.hypot(x - px, z - pz) == pytest.approx(6.0, abs=0.1)
    await walk(client, (px, pz), (x, z))
    await client.wait_for(lambda c: c.zones_entered, TIMEOUT)
    entered = client.zones_entered[0]
    assert entered["zone"]["name"] == "center_120"
    assert entered["via"] == portal.id
    assert entered["avatar_id"] == client.avatar_id
    arrival = plaza.server.city.layout("center_120").spot(portal.destination)
    assert entered["position"][0] == pytest.approx(arrival.position[0], abs=0.05)
    assert entered["position"][2] == pytest.approx(arrival.position[2], abs=0.05)
    assert client.zone == "center_120"
    # Moves after the portal, above the floor, are accepted in the new zone.
    ax, _, az = arrival.position
    await walk(client, (ax + 1.0, az), (ax, az))
    await asyncio.sleep(0.3)
    _, x, _, z, _ = plaza.server.city.place_of(client.avatar_id)
    assert (x, z) == pytest.approx((ax + 1.0, az), abs=0.1)
    assert client.corrections == []
    listing = {z["name"]: z for z in (await plaza.get("/api/zones")).json()["zones"]}
    assert listing["center_120"]["avatars"] == 1 and listing["seoul_plaza"]["avatars"] == 0


async def test_chat_blocks_reports_and_mutes(plaza: Any) -> None:
    mina = await plaza.client(token=plaza.mint("mina"))
    jun = await plaza.client(token=plaza.mint("jun"))
    mod = await plaza.client(token=plaza.mint("mod", Role.MODERATOR))
    for c in (mina, jun, mod):  # everyone within hearing distance
        await c.move(0.0, 0.0, 25.0)
    await asyncio.sleep(0.3)

    await mina.say("안녕하세요!")
    await jun.wait_for(lambda c: any(m["text"] == "안녕하세요!" for m in c.chat), TIMEOUT)
    line = next(m for m in jun.chat if m["text"] == "안녕하세요!")
    assert line["from"] == mina.avatar_id and line["name"] == "mina" and line["channel"] == "near"

    # Too long: a clear error, and nothing is delivered.
    await mina.say("가" * 301)
    await mina.wait_for(lambda c: c.errors, TIMEOUT)
    assert "at most 300" in mina.errors[-1].reason

    # Citizens cannot announce to the whole zone.
    rid = await mina.say("everyone listen", channel="zone")
    await mina.wait_for(lambda c: c.result(rid) is not None, TIMEOUT)
    assert "announcements are for" in mina.result(rid).detail

    # Jun blocks mina; the block is stored and holds after he signs in again.
    blocked = await jun.block(mina.avatar_id)
    assert blocked == Result(blocked.request_id, True, {"avatar": mina.avatar_id, "blocked": True})
    await jun.close()
    jun = await plaza.client(token=plaza.mint("jun"))
    await jun.move(0.0, 0.0, 25.0)
    await asyncio.sleep(0.3)
    await mina.say("can you hear me?")
    await mod.wait_for(lambda c: any(m["text"] == "can you hear me?" for m in c.chat), TIMEOUT)
    await asyncio.sleep(0.3)
    assert not any(m["text"] == "can you hear me?" for m in jun.chat)

    # A report is stored with mina's recent lines for the moderators.
    report = await jun.report(mina.avatar_id, "rude to everyone")
    assert report.ok and isinstance(report.detail["report"], int)
    conn = await asyncpg.connect(plaza.server.config.database_url)
    try:
        row = await conn.fetchrow("SELECT * FROM reports WHERE id = $1", report.detail["report"])
    finally:
        await conn.close()
    assert row["reporter"] == "local:jun" and row["reported"] == "local:mina"
    assert row["reason"] == "rude to everyone" and row["status"] == "open"
    assert "can you hear me?" in row["context"]

    # Moderators read it over HTTP with its context, and close it; citizens may not.
    mod_token = plaza.mint("mod", Role.MODERATOR)
    headers = {"Authorization": f"Bearer {mod_token}", "Content-Type": "application/json"}
    listed = await http_request("GET", plaza.http_url + "/api/moderation/reports", b"", headers)
    (open_report,) = listed.json()["reports"]
    assert open_report["id"] == report.detail["report"]
    assert [c["text"] for c in open_report["context"]][-1] == "can you hear me?"
    as_citizen = {**headers, "Authorization": f"Bearer {plaza.mint('jun')}"}
    denied = await http_request("GET", plaza.http_url + "/api/moderation/reports", b"", as_citizen)
    assert denied.status == 403 and "moderator" in denied.json()["reason"]
    body = json.dumps({"id": open_report["id"], "status": "resolved", "note": "muted"}).encode()
    url = plaza.http_url + "/api/moderation/reports/resolve"
    closed = await http_request("POST", url, body, headers)
    assert closed.status == 200 and closed.json()["resolved_by"] == "local:mod"
    again = await http_request("POST", url, body, headers)
    assert again.status == 409

    # A moderator mutes mina: her lines are refused with the reason, until it is lifted.
    muted = await mod.moderate("mute", avatar=mina.avatar_id, reason="cool down", minutes=10)
    assert muted.ok
    rid = await mina.say("still here")
    await mina.wait_for(lambda c: c.result(rid) is not None, TIMEOUT)
    assert mina.result(rid) == Result(rid, False, "you are muted: cool down")
    lifted = await mod.moderate("lift", sanction=muted.detail["id"])
    assert lifted.ok
    await mina.say("thank you")
    await mod.wait_for(lambda c: any(m["text"] == "thank you" for m in c.chat), TIMEOUT)

    # A direct message reaches only its addressee.
    await mod.say("see me at the desk", channel="direct", to=mina.avatar_id)
    await mina.wait_for(lambda c: any(m["text"] == "see me at the desk" for m in c.chat), TIMEOUT)
    await asyncio.sleep(0.3)
    assert not any(m["text"] == "see me at the desk" for m in jun.chat)
