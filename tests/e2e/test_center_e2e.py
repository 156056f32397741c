"""The 120 Center end to end: HTTP API, the 3D center's requests, PostgreSQL, restarts and
outages, with real servers and clients."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from server import center_rules
from world.roles import Role

pytestmark = pytest.mark.e2e

TIMEOUT = 20.0


async def ok(plaza: Any, method: str, path: str, token: str, body: Any = None) -> Any:
    response = await plaza.api(method, path, token, body)
    assert response.status in (200, 201), (path, response.status, response.text)
    return response.json()


async def test_a_ticket_from_number_to_rating_over_http(plaza: Any) -> None:
    minji, jun = plaza.mint("minji"), plaza.mint("jun")
    clerk, boss = plaza.mint("clerk", Role.STAFF), plaza.mint("boss", Role.ADMIN)

    info = (await plaza.api("GET", "/api/center/info")).json()
    assert info["categories"] == ["transport", "tax", "welfare", "housing", "other"]
    assert [d["desk"] for d in info["desks"]] == [1, 2, 3, 4, 5, 6]
    assert not any(d["open"] for d in info["desks"])
    assert info["hours"]["open"] is True

    request = {"category": "tax", "description": "My tax bill", "needs": ["large_text"]}
    first = await ok(plaza, "POST", "/api/center/tickets", minji, {**request, "key": "minji-1"})
    assert (first["state"], first["position"], first["needs"]) == ("waiting", 1, ["large_text"])
    again = await ok(plaza, "POST", "/api/center/tickets", minji, {**request, "key": "minji-1"})
    assert again["id"] == first["id"]
    second = await ok(plaza, "POST", "/api/center/tickets", jun, {**request, "key": "jun-1"})
    assert second["position"] == 2

    # The console: a new civil servant is offline with every skill, and cannot call yet.
    console = await ok(plaza, "GET", "/api/center/console", clerk)
    assert console["me"]["status"] == "offline" and console["me"]["desk"] is None
    assert console["queues"]["tax"]["waiting"] == 2
    refused = await plaza.api("POST", "/api/center/call-next", clerk, {})
    assert refused.status == 409 and "set it to available" in refused.json()["reason"]
    me = await ok(
        plaza, "POST", "/api/center/staff", clerk, {"status": "available", "skills": ["tax"]}
    )
    assert (me["status"], me["skills"], me["desk"]) == ("available", ["tax"], 1)

    # Citizens may not act as staff.
    for path, body in (
        ("/api/center/call-next", {}),
        ("/api/center/tickets/close", {"id": first["id"], "resolution": "x"}),
        ("/api/center/tickets/note", {"id": first["id"], "text": "x"}),
    ):
        denied = await plaza.api("POST", path, minji, body)
        assert denied.status == 403, (path, denied.text)

    called = (await ok(plaza, "POST", "/api/center/call-next", clerk, {}))["ticket"]
    assert (called["id"], called["state"], called["desk"]) == (first["id"], "called", 1)
    assert called["staff_name"] == "clerk"
    mine = (await ok(plaza, "GET", "/api/center/tickets/mine", minji))["tickets"]
    assert (mine[0]["state"], mine[0]["desk"]) == ("called", 1)
    assert (await ok(plaza, "GET", "/api/center/tickets/mine", jun))["tickets"][0]["position"] == 1

    await ok(
        plaza,
        "POST",
        "/api/center/tickets/message",
        clerk,
        {"id": first["id"], "text": "안녕하세요"},
    )
    await ok(
        plaza, "POST", "/api/center/tickets/message", minji, {"id": first["id"], "text": "Hello"}
    )
    await ok(
        plaza, "POST", "/api/center/tickets/note", clerk, {"id": first["id"], "text": "internal"}
    )
    # Another citizen neither reads nor writes in the consultation.
    assert (await plaza.api("GET", f"/api/center/tickets?id={first['id']}", jun)).status == 403
    peek = await plaza.api(
        "POST", "/api/center/tickets/message", jun, {"id": first["id"], "text": "hi"}
    )
    assert peek.status == 403
    unknown = await plaza.api(
        "POST",
        "/api/center/tickets/transfer",
        clerk,
        {"id": first["id"], "to_staff": "local:nobody"},
    )
    assert unknown.status == 400 and "no civil servant" in unknown.json()["reason"]
    parking = await plaza.api(
        "POST",
        "/api/center/tickets/transfer",
        clerk,
        {"id": first["id"], "category": "parking"},
    )
    assert parking.status == 400 and "unknown category 'parking'" in parking.json()["reason"]

    console = await ok(plaza, "GET", "/api/center/console", clerk)
    assert console["me"]["status"] == "busy"
    [serving] = console["serving"]
    assert serving["state"] == "in_consultation"
    assert [e["kind"] for e in serving["events"]] == [
        "created",
        "called",
        "message",
        "message",
        "note",
    ]

    closed = await ok(
        plaza,
        "POST",
        "/api/center/tickets/close",
        clerk,
        {"id": first["id"], "resolution": "Paid in full"},
    )
    assert closed["state"] == "closed"
    twice = await plaza.api(
        "POST", "/api/center/tickets/close", clerk, {"id": first["id"], "resolution": "x"}
    )
    assert twice.status == 409 and "already closed" in twice.json()["reason"]
    assert (await ok(plaza, "GET", "/api/center/console", clerk))["me"]["status"] == "available"

    rated = await ok(
        plaza, "POST", "/api/center/tickets/rate", minji, {"id": first["id"], "stars": 5}
    )
    assert rated["rating"] == 5
    rerate = await plaza.api(
        "POST", "/api/center/tickets/rate", minji, {"id": first["id"], "stars": 4}
    )
    assert rerate.status == 409 and "already rated" in rerate.json()["reason"]

    own = await ok(plaza, "GET", f"/api/center/tickets?id={first['id']}", minji)
    assert [e["kind"] for e in own["events"]] == [
        "created",
        "called",
        "message",
        "message",
        "closed",
        "rated",
    ]
    assert own["resolution"] == "Paid in full"

    # The figures, for supervisors only, here and on /metrics.
    assert (await plaza.api("GET", "/api/center/stats", clerk)).status == 403
    stats = await ok(plaza, "GET", "/api/center/stats", boss)
    assert stats["waiting"]["tax"] == 1
    assert stats["tickets"] == {"created": 2, "closed": 1, "cancelled": 0}
    assert stats["satisfaction"]["mean"] == 5 and stats["satisfaction"]["stars"]["5"] == 1
    assert stats["handling_s"]["count"] == 1 and stats["wait_s"]["count"] == 1
    assert stats["staff"]["available"] == 1
    [row] = stats["per_staff"]
    assert (row["subject"], row["called"], row["closed"]) == ("local:clerk", 1, 1)
    day = (await ok(plaza, "GET", "/api/center/console", clerk))["day"]
    assert (day["called"], day["closed"], day["rating_mean"]) == (1, 1, 5)
    await plaza.wait_metric(lambda m: m.get('plaza_center_waiting{category="tax"}') == 1, TIMEOUT)

    # Every staff read and change of the ticket is in the audit trail.
    conn = await asyncpg.connect(plaza.database_url)
    try:
        actions = [
            r["action"]
            for r in await conn.fetch(
                "SELECT action FROM audit_log WHERE target = $1 ORDER BY id",
                f"ticket:{first['id']}",
            )
        ]
    finally:
        await conn.close()
    assert actions == [
        "center.call_next",
        "center.message",
        "center.note",
        "center.view_ticket",
        "center.close",
    ]


async def test_bad_center_requests_get_clear_errors(plaza: Any) -> None:
    minji = plaza.mint("minji")
    cases = [
        (
            {"category": "parking", "description": "x", "key": "k-000001"},
            "unknown category 'parking'",
        ),
        ({"category": "tax", "description": "", "key": "k-000002"}, "description"),
        ({"category": "tax", "description": "x"}, "idempotency key"),
        (
            {"category": "tax", "description": "x", "key": "k-3", "needs": ["braille"]},
            "unknown 'braille'",
        ),
        ({"category": "tax", "description": "x", "key": "k-4", "callback": True}, "contact"),
    ]
    for body, reason in cases:
        response = await plaza.api("POST", "/api/center/tickets", minji, body)
        assert response.status == 400, (body, response.text)
        assert reason in response.json()["reason"], response.json()
    assert (await plaza.api("POST", "/api/center/tickets", None, cases[0][0])).status == 401
    missing = await plaza.api("GET", "/api/center/tickets?id=999", minji)
    assert missing.status == 404 and "no ticket 999" in missing.json()["reason"]
    bad = await plaza.api(
        "POST", "/api/center/staff", plaza.mint("clerk", Role.STAFF), {"status": "asleep"}
    )
    assert bad.status == 400 and "available" in bad.json()["reason"]


async def test_outside_staffed_hours_a_callback_request_waits_for_the_next_shift(
    plaza_factory: Any,
) -> None:
    # Staffed one minute a week, at a time that is never now in this test.
    plaza = await plaza_factory(
        center_hours="sun 03:00-03:01", center_timezone="Pacific/Kiritimati"
    )
    info = (await plaza.api("GET", "/api/center/info")).json()
    if info["hours"]["open"]:
        pytest.skip("the test ran in the one staffed minute")
    minji = plaza.mint("minji")
    body = {"category": "welfare", "description": "Benefit question", "key": "after-hours"}
    closed = await plaza.api("POST", "/api/center/tickets", minji, body)
    assert closed.status == 409
    assert "closed now" in closed.json()["reason"] and "callback" in closed.json()["reason"]
    ticket = await ok(
        plaza,
        "POST",
        "/api/center/tickets",
        minji,
        {**body, "callback": True, "contact": "010-1234-5678"},
    )
    assert (ticket["callback"], ticket["contact"], ticket["state"]) == (
        True,
        "010-1234-5678",
        "waiting",
    )
    clerk = plaza.mint("clerk", Role.STAFF)
    await ok(plaza, "POST", "/api/center/staff", clerk, {"status": "available"})
    console = await ok(plaza, "GET", "/api/center/console", clerk)
    assert console["queues"]["welfare"]["callbacks"] == 1
    called = (await ok(plaza, "POST", "/api/center/call-next", clerk, {}))["ticket"]
    assert called["id"] == ticket["id"] and called["contact"] == "010-1234-5678"


async def test_a_restart_loses_no_ticket_and_no_place(plaza_factory: Any) -> None:
    plaza = await plaza_factory()
    tokens = [plaza.mint(f"citizen{i}") for i in range(4)]
    taken = []
    for i, token in enumerate(tokens):
        body = {"category": "housing", "description": f"Lease {i}", "key": f"lease-{i}"}
        taken.append(await ok(plaza, "POST", "/api/center/tickets", token, body))
    await plaza.aclose()

    restarted = await plaza_factory(data_dir=plaza.data_dir, database_url=plaza.database_url)
    info = (await restarted.api("GET", "/api/center/info")).json()
    assert info["queues"]["housing"]["waiting"] == 4
    for i, token in enumerate(tokens):
        [ticket] = (await ok(restarted, "GET", "/api/center/tickets/mine", token))["tickets"]
        assert (ticket["id"], ticket["position"]) == (taken[i]["id"], i + 1)
    clerk = restarted.mint("clerk", Role.STAFF)
    await ok(restarted, "POST", "/api/center/staff", clerk, {"status": "available"})
    called = (await ok(restarted, "POST", "/api/center/call-next", clerk, {}))["ticket"]
    assert called["id"] == taken[0]["id"]


async def test_postgresql_down_while_taking_a_number_then_one_ticket_on_retry(
    plaza: Any, postgres: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if postgres.embedded is None:
        pytest.skip("DATABASE_URL names an external PostgreSQL; this test stops the embedded one")
    from server import center_tickets

    # Give up quickly, while PostgreSQL is still away.
    monkeypatch.setattr(center_rules, "DEADLINE_S", 1.0)
    monkeypatch.setattr(center_tickets, "DEADLINE_S", 1.0)
    minji = plaza.mint("minji")
    await plaza.place_in("local:jun", "center_120")
    jun = await plaza.client(token=plaza.mint("jun"))
    assert jun.zone == "center_120"
    body = {"category": "transport", "description": "Bus pass", "key": "bus-pass-1"}
    kiosk = {**body, "key": "kiosk-jun-1"}
    stopped = False
    try:
        await asyncio.to_thread(postgres.stop_server)
        stopped = True
        failed = await plaza.api("POST", "/api/center/tickets", minji, body)
        assert failed.status == 503
        assert "nothing was saved" in failed.json()["reason"]
        in_3d = await jun.zone_request("center.take", kiosk, timeout=TIMEOUT)
        assert not in_3d.ok
        assert in_3d.detail == "the database is unavailable; nothing was changed; try again"
    finally:
        if stopped:
            await asyncio.to_thread(postgres.start_server)
    retried = None
    for _ in range(40):
        retried = await plaza.api("POST", "/api/center/tickets", minji, body)
        if retried.status == 201:
            break
        await asyncio.sleep(0.5)
    assert retried is not None and retried.status == 201, retried.text
    again = await ok(plaza, "POST", "/api/center/tickets", minji, body)
    assert again["id"] == retried.json()["id"]
    first = await jun.zone_request("center.take", kiosk, timeout=TIMEOUT)
    second = await jun.zone_request("center.take", kiosk, timeout=TIMEOUT)
    assert first.ok and second.ok and first.detail["id"] == second.detail["id"]
    conn = await asyncpg.connect(plaza.database_url)
    try:
        counts = await conn.fetch("SELECT subject, count(*) AS n FROM tickets GROUP BY subject")
    finally:
        await conn.close()
    assert {r["subject"]: r["n"] for r in counts} == {"local:minji": 1, "local:jun": 1}


def events(client: Any, kind: str) -> list[Any]:
    return [e.data for e in client.zone_events if e.type == kind]


def near(correction: Any, spot: Any, within: float = 0.5) -> bool:
    """A CORRECTION lands within ``within`` m of a layout spot."""
    x, z = correction.x, correction.z
    return abs(x - spot.position[0]) < within and abs(z - spot.position[2]) < within


async def test_the_3d_center_takes_numbers_seats_staff_and_keeps_consultations_private(
    plaza: Any,
) -> None:
    layout = plaza.server.city.layout("center_120")
    for name in ("minji", "bystander", "clerk"):
        await plaza.place_in(f"local:{name}", "center_120")
    clerk_token = plaza.mint("clerk", Role.STAFF)
    minji = await plaza.client(token=plaza.mint("minji"))
    bystander = await plaza.client(token=plaza.mint("bystander"))
    clerk = await plaza.client(token=clerk_token)
    # Jun waits in the plaza: the call reaches him there too.
    jun_token = plaza.mint("jun")
    jun = await plaza.client(token=jun_token)
    assert minji.zone == "center_120" and jun.zone == "seoul_plaza"
    await minji.wait_for(lambda c: events(c, "center.info"), TIMEOUT)
    assert events(minji, "center.info")[-1]["categories"][0] == "transport"

    take = {"category": "tax", "description": "세금 문의", "key": "kiosk-minji-1", "needs": []}
    result = await minji.zone_request("center.take", take)
    assert result.ok, result.detail
    ticket = result.detail
    assert (ticket["state"], ticket["position"]) == ("waiting", 1)
    again = await minji.zone_request("center.take", take)
    assert again.ok and again.detail["id"] == ticket["id"]
    jun_ticket = await ok(
        plaza, "POST", "/api/center/tickets", jun_token, {**take, "key": "http-jun-1"}
    )
    assert jun_ticket["position"] == 2
    bad = await minji.zone_request("center.take", {**take, "category": "parking", "key": "k-2"})
    assert not bad.ok and "unknown category 'parking'" in bad.detail
    early = await minji.zone_request("center.go", {})
    assert not early.ok and early.detail == "no desk has called your ticket yet"

    # The clerk opens desk 1: the room sees it open, and the clerk is seated behind it.
    await ok(plaza, "POST", "/api/center/staff", clerk_token, {"status": "available"})
    await bystander.wait_for(
        lambda c: any(
            d["open"] and d["staff_name"] == "clerk"
            for e in events(c, "center.info")
            for d in e["desks"]
        ),
        TIMEOUT,
    )
    staff_spot = layout.spot("desk_1_staff")
    await clerk.wait_for(lambda c: any(near(k, staff_spot) for k in c.corrections), TIMEOUT)

    # Called: Minji is told the desk and goes there; Jun, in the plaza, moves up to first.
    called = (await ok(plaza, "POST", "/api/center/call-next", clerk_token, {}))["ticket"]
    assert called["id"] == ticket["id"]
    await minji.wait_for(
        lambda c: any(e["ticket"]["state"] == "called" for e in events(c, "center.ticket")),
        TIMEOUT,
    )
    told = [e for e in events(minji, "center.ticket") if e["ticket"]["state"] == "called"][-1]
    assert (told["ticket"]["desk"], told["ticket"]["staff_name"]) == (1, "clerk")
    await jun.wait_for(
        lambda c: any(e["ticket"]["position"] == 1 for e in events(c, "center.ticket")), TIMEOUT
    )
    went = await minji.zone_request("center.go", {})
    assert went.ok and went.detail == {"desk": 1}
    desk_spot = layout.spot("desk_1")
    await minji.wait_for(lambda c: any(near(k, desk_spot) for k in c.corrections), TIMEOUT)

    # The consultation: only Minji and the clerk hear it.
    said = await minji.zone_request("center.say", {"id": ticket["id"], "text": "세금 고지서요"})
    assert said.ok, said.detail
    await ok(
        plaza,
        "POST",
        "/api/center/tickets/message",
        clerk_token,
        {"id": ticket["id"], "text": "확인해 드릴게요"},
    )
    await minji.wait_for(
        lambda c: (
            [m["text"] for m in events(c, "center.message")] == ["세금 고지서요", "확인해 드릴게요"]
        ),
        TIMEOUT,
    )
    await clerk.wait_for(lambda c: len(events(c, "center.message")) == 2, TIMEOUT)
    console = await ok(plaza, "GET", "/api/center/console", clerk_token)
    lines = [e["detail"]["text"] for e in console["serving"][0]["events"] if e["kind"] == "message"]
    assert lines == ["세금 고지서요", "확인해 드릴게요"]
    prying = await bystander.zone_request("center.say", {"id": ticket["id"], "text": "hi"})
    assert not prying.ok and "not yours" in prying.detail
    assert events(bystander, "center.message") == []
    assert events(bystander, "center.ticket") == []
    assert all(e.type != "center.message" for e in jun.zone_events)

    await ok(
        plaza,
        "POST",
        "/api/center/tickets/close",
        clerk_token,
        {"id": ticket["id"], "resolution": "고지서 재발급"},
    )
    await minji.wait_for(
        lambda c: any(e["ticket"]["state"] == "closed" for e in events(c, "center.ticket")),
        TIMEOUT,
    )
    rated = await minji.zone_request("center.rate", {"id": ticket["id"], "stars": 5})
    assert rated.ok and rated.detail["rating"] == 5
    twice = await minji.zone_request("center.rate", {"id": ticket["id"], "stars": 1})
    assert not twice.ok and "already rated" in twice.detail
    mine = await minji.zone_request("center.mine", {})
    assert mine.ok and mine.detail["tickets"][0]["state"] == "closed"
    left = await jun.zone_request("center.cancel", {"id": jun_ticket["id"]})
    # Jun is in the plaza, whose zone does not take center requests: he uses the API there.
    assert not left.ok
    cancelled = await ok(
        plaza, "POST", "/api/center/tickets/cancel", jun_token, {"id": jun_ticket["id"]}
    )
    assert cancelled["state"] == "cancelled"


async def test_a_civil_servant_elsewhere_in_the_city_is_seated_when_their_desk_opens(
    plaza: Any,
) -> None:
    token = plaza.mint("clerk", Role.STAFF)
    clerk = await plaza.client(token=token)
    assert clerk.zone == "seoul_plaza"
    me = await ok(plaza, "POST", "/api/center/staff", token, {"status": "available"})
    assert me["desk"] == 1
    await clerk.wait_for(lambda c: c.zone == "center_120", TIMEOUT)
    spot = plaza.server.city.layout("center_120").spot("desk_1_staff")
    assert clerk.zones_entered[-1]["position"] == pytest.approx(list(spot.position), abs=0.1)
    # Going on break keeps the desk (and the seat); nothing moves.
    await ok(plaza, "POST", "/api/center/staff", token, {"status": "on_break"})
    assert len(clerk.zones_entered) == 1


async def test_a_civil_servant_signing_in_while_their_desk_is_open_starts_at_it(
    plaza: Any,
) -> None:
    token = plaza.mint("clerk", Role.STAFF)
    await ok(plaza, "POST", "/api/center/staff", token, {"status": "available"})
    clerk = await plaza.client(token=token)
    assert clerk.zone == "center_120"
    spot = plaza.server.city.layout("center_120").spot("desk_1_staff")
    assert clerk.welcome["position"] == pytest.approx(list(spot.position), abs=0.1)
    await clerk.close()
    # Offline gives the desk back; a colleague who takes it starts there.
    gone = await ok(plaza, "POST", "/api/center/staff", token, {"status": "offline"})
    assert gone["desk"] is None
    await ok(
        plaza, "POST", "/api/center/staff", plaza.mint("other", Role.STAFF), {"status": "busy"}
    )
    other = await plaza.client(token=plaza.mint("other", Role.STAFF))
    assert other.zone == "center_120"
    assert other.welcome["position"] == pytest.approx(list(spot.position), abs=0.1)
