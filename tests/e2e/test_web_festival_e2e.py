"""The festival in a real browser (Debian's chromium through playwright) against a real
server: the 3D page draws a performer standing on the stage in another instance of the
grounds, shows the crowd's cheers from bots, fires an organizer's synchronized moments at
their server time, and RSVPs to an event (whose start it then tells); the 2D page's festival
panel announces a moment, keeps the crowd's summary in a polite live region, and passes
axe-core. Nothing is mocked."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
import shutil
import time
from typing import Any

import asyncpg
import pytest

from tests.e2e.web_pages import (
    TIMEOUT,
    axe_violations,
    colours,
    image_of,
    open_page,
    serious,
    sign_in_with_token,
    wait_joined,
    wait_text,
)
from world.protocol import ReactionKind
from world.roles import Role

pytestmark = pytest.mark.e2e

CHEER, CLAP, HEART = (int(k) for k in ReactionKind)
# The festival layout's stage: spot "stage" at (0, 1.2, -35), radius 10 m.
WINGS_Z = -23.0  # 12 m from the stage's centre: just off it
FRONT_Z = -10.0  # the front of the audience, facing the stage
WAIT_MS = TIMEOUT * 1000


async def _place(plaza: Any, subject: str, z: float, yaw: float = 0.0) -> None:
    """A saved place in the festival at (0, 0, z): the user's next sign-in starts there."""
    await plaza.place_in(subject, "festival")
    conn = await asyncpg.connect(plaza.database_url)
    try:
        await conn.execute(
            "UPDATE last_places SET x = 0, y = 0, z = $2, yaw = $3 WHERE subject = $1",
            subject,
            z,
            yaw,
        )
    finally:
        await conn.close()


async def _event(plaza: Any, organizer: str, starts_in: float) -> dict[str, Any]:
    now = time.time()
    created = await plaza.api(
        "POST",
        "/api/events",
        organizer,
        {
            "title": {"ko": "보신각 타종", "en": "Bosingak bell ringing"},
            "description": {"ko": "새해를 맞는 종소리", "en": "The bell rings in the new year"},
            "starts_at": now + starts_in,
            "ends_at": now + starts_in + 3600,
            "capacity": 100,
        },
    )
    assert created.status == 201, created.text
    event: dict[str, Any] = created.json()
    # The event governs the grounds from an hour before: open its gates to let people in.
    opened = await plaza.api(
        "POST", "/api/events/gates", organizer, {"id": event["id"], "open": True}
    )
    assert opened.status == 200, opened.text
    sticky = plaza.server.city.zones["festival"].sticky
    for _ in range(100):  # the grounds hear that this event's gates opened
        gates = sticky.get("gates")
        if gates is not None and gates.data["event"] == event["id"] and gates.data["open"]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"the grounds never heard the gates open: {sticky.get('gates')}")
    return event


async def _moment(plaza: Any, organizer: str, event: int, **fields: Any) -> dict[str, Any]:
    moment = await plaza.api("POST", "/api/events/moments", organizer, {"event": event, **fields})
    assert moment.status == 201, moment.text
    body: dict[str, Any] = moment.json()
    return body


async def _keep_cheering(bots: list[Any], kinds: list[int], seconds: float) -> None:
    """Each bot reacts three times a second (within the allowance of four), the kinds in
    turn."""
    end = time.monotonic() + seconds
    turn = 0
    while time.monotonic() < end:
        for bot in bots:
            await bot.react(kinds[turn % len(kinds)])
        turn += 1
        await asyncio.sleep(1 / 3)


async def test_the_3d_page_shows_the_stage_the_crowd_and_the_moments(
    plaza_factory: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    # Instances of one: everyone is alone in their room of the grounds, yet one audience.
    plaza = await plaza_factory(instance_capacity=1)
    await _place(plaza, "local:mina", FRONT_Z, yaw=3.141592653589793)
    await _place(plaza, "local:Singer", WINGS_Z)
    for name in ("Fan1", "Fan2"):
        await plaza.place_in(f"local:{name}", "festival")
    organizer = plaza.mint("organizer", Role.ORGANIZER)
    event = await _event(plaza, organizer, starts_in=12.0)

    page = await open_page(browser, plaza.http_url + "/")
    mina = plaza.server.issuer.mint(
        subject="local:mina", name="mina", role=Role.CITIZEN, locale="en"
    )
    await sign_in_with_token(page, mina, "en")
    await wait_joined(page)
    assert await page.evaluate("() => window.__plaza.visit.zone.name") == "festival"
    await page.wait_for_selector("#festival-bar:not([hidden])", timeout=WAIT_MS)
    await wait_text(page, "#zone-panel-title", "Festival Grounds")

    # A performer walks onto the stage in another room: the page draws it, named.
    singer = await plaza.client(token=plaza.mint("Singer", Role.PERFORMER))
    fans = [await plaza.client(token=plaza.mint(name)) for name in ("Fan1", "Fan2")]
    rooms = {singer.welcome["instance"]["number"], *(f.welcome["instance"]["number"] for f in fans)}
    mine = await page.evaluate("() => window.__plaza.visit.instance.number")
    assert len(rooms | {mine}) == 4, "everyone in a room of their own"
    for step in range(1, 6):
        await singer.move(0.0, 0.0, WINGS_Z - step, yaw=0.0)
        await asyncio.sleep(0.1)
    # Named, and come to rest where the last move put it (the view interpolates a tick or
    # two behind the server, longer on a loaded machine).
    await page.wait_for_function(
        """([id, z]) => { const d = window.__plaza.plaza.stage.drawn.get(id);
            return d?.name === 'Singer' && Math.abs(d.z - z) < 0.2; }""",
        arg=[singer.avatar_id, WINGS_Z - 5],
        timeout=WAIT_MS,
    )
    drawn = await page.evaluate(
        """(id) => { const { plaza, visit } = window.__plaza;
            return { ...plaza.stage.drawn.get(id), count: plaza.stage.drawn.size,
                     inView: visit.connection.mirror.byId().has(id) }; }""",
        singer.avatar_id,
    )
    assert drawn["count"] == 1 and not drawn["inView"]
    assert drawn["x"] == 0.0 and abs(drawn["z"] - (WINGS_Z - 5)) < 0.2
    assert drawn["y"] == pytest.approx(1.2), "standing on the stage's floor"
    await wait_text(page, "#festival-panel", "On stage: Singer")

    # The crowd cheers from other rooms: the page shows the counts and the meter rises.
    cheering = asyncio.create_task(_keep_cheering(fans, [CHEER], 4.0))
    try:
        await page.wait_for_function(
            """() => /Crowd: [1-9]\\d* cheering/.test(
                document.querySelector('#festival-bar .festival-summary').textContent)""",
            timeout=WAIT_MS,
        )
        await page.wait_for_function(
            "() => window.__plaza.plaza.effects.stats.meter[0] > 0", timeout=WAIT_MS
        )
        particles = await page.evaluate("() => window.__plaza.plaza.effects.stats.particles")
        assert particles > 0, "sparks rise over the audience"
    finally:
        await cheering
    # The page's own buttons: a heart goes out; then claps pressed six times at once, of
    # which four go out (the allowance: four a second).
    await page.get_by_role("button", name="Heart", exact=True).click()
    await fans[0].wait_for(lambda c: c.reactions_zone[HEART] >= 1, TIMEOUT)
    await page.wait_for_timeout(1100)
    sent = await page.evaluate(
        "() => [1, 1, 1, 1, 1, 1].map((k) => window.__plaza.festival.react(k))"
    )
    assert sent == [True, True, True, True, False, False]
    assert await page.evaluate("() => window.__plaza.festival.sent") == {
        "cheer": 0,
        "clap": 4,
        "heart": 1,
    }
    await fans[0].wait_for(lambda c: c.reactions_zone[CLAP] >= 4, TIMEOUT)
    await asyncio.sleep(0.3)
    assert fans[0].reactions_zone[CLAP] == 4 and fans[0].reactions_zone[HEART] == 1

    # RSVP from the schedule: the server has it, and the start is told when it comes.
    await wait_text(page, "#festival-panel", "Bosingak bell ringing")
    await page.get_by_role("button", name="I'll be there: Bosingak bell ringing").click()
    await wait_text(page, "#festival-panel", "You're going to Bosingak bell ringing")
    mine_now = await plaza.api("GET", f"/api/events?id={event['id']}", mina)
    assert mine_now.json()["going"] is True and mine_now.json()["rsvps"] == 1
    await page.get_by_role("button", name="Cancel RSVP: Bosingak bell ringing").wait_for(
        timeout=WAIT_MS
    )

    # The organizer schedules three strokes of the bell and fireworks, 3 s ahead: the page
    # fires each at its server time (while the crowd cheers and sends hearts).
    cheering = asyncio.create_task(_keep_cheering(fans, [CHEER, HEART, CLAP], 8.0))
    at = time.time() + 3.0
    bell = await _moment(
        plaza, organizer, event["id"], kind="bell", at=at, count=3, every_s=1.0,
        label={"ko": "타종", "en": "Bell"},
    )  # fmt: skip
    fireworks = await _moment(plaza, organizer, event["id"], kind="fireworks", at=at + 2.2)
    await page.wait_for_function(
        "() => window.__plaza.festival.moments.moments.length === 2", timeout=WAIT_MS
    )
    await page.wait_for_function("() => window.__plaza.festival.fired.length >= 4", timeout=WAIT_MS)
    fired = await page.evaluate("() => window.__plaza.festival.fired")
    assert [(f["id"], f["index"]) for f in fired] == [
        (bell["id"], 0),
        (bell["id"], 1),
        (bell["id"], 2),
        (fireworks["id"], 0),
    ]
    for entry in fired:
        # Fired by the page's estimate of the server clock, once it read `at` (a software
        # renderer keeps the page's timers waiting a frame or two).
        assert 0 <= entry["firedAt"] - entry["at"] < 1.0, entry
    assert abs(fired[0]["at"] - at) < 1e-3
    assert await page.get_attribute("#festival-panel", "data-fired") == "4"
    await wait_text(page, "#festival-countdown", "Fireworks!")  # after "Bell: stroke 3 of 3"
    await page.wait_for_timeout(400)  # the fireworks open up
    stats = await page.evaluate("() => window.__plaza.plaza.effects.stats")
    assert stats["fired"] == 4 and stats["bursts"] > 0 and stats["rings"] > 0

    shot = tmp_path / "festival-3d.png"
    await page.screenshot(path=str(shot))
    pixels = image_of(shot.read_bytes())
    assert colours(pixels, 37) > 50, "a blank screen"
    shutil.copy(shot, pathlib.Path("/tmp") / "plaza-festival-3d.png")
    # With reduced motion nothing rises any more, though the crowd still cheers; the meter
    # still shows it.
    await page.evaluate("() => document.documentElement.classList.add('reduced-motion')")
    await page.wait_for_function(
        "() => { const s = window.__plaza.plaza.effects.stats; return s.reduced && !s.particles; }",
        timeout=WAIT_MS,
    )
    await cheering

    # The event starts: those who RSVPed are told (the toast and the panel's notice).
    await wait_text(page, "#festival-toast", "Bosingak bell ringing has started")
    await wait_text(page, "#festival-panel", "Bosingak bell ringing has started")
    assert page.errors == []


async def test_the_2d_festival_panel_announces_moments_and_passes_axe(
    plaza: Any, browser: Any
) -> None:
    await plaza.place_in("local:jun", "festival")
    await plaza.place_in("local:fan", "festival")
    organizer = plaza.mint("organizer", Role.ORGANIZER)
    event = await _event(plaza, organizer, starts_in=1800.0)
    jun = plaza.server.issuer.mint(subject="local:jun", name="jun", role=Role.CITIZEN, locale="en")

    page = await open_page(browser, plaza.http_url + "/2d")
    await sign_in_with_token(page, jun, "en")
    await wait_joined(page)
    festival = page.get_by_role("region", name="Festival Grounds")
    await festival.wait_for(timeout=WAIT_MS)
    await festival.get_by_role("heading", name="Bosingak bell ringing").wait_for(timeout=WAIT_MS)
    assert "The bell rings in the new year" in (await festival.text_content() or "")
    await festival.get_by_role("group", name="Cheer the stage").wait_for(timeout=WAIT_MS)

    # The crowd's summary: a polite live region, rewritten at most once a second.
    summary = festival.locator(".festival-summary")
    assert await summary.get_attribute("role") == "status"
    assert await summary.get_attribute("aria-live") == "polite"
    fan = await plaza.client(token=plaza.mint("fan"))
    cheering = asyncio.create_task(_keep_cheering([fan], [CHEER], 3.0))
    try:
        await wait_text(page, "#festival .festival-summary", "cheering")
        await page.wait_for_function(
            """() => /Crowd: [1-9]/.test(
                document.querySelector('#festival .festival-summary').textContent)""",
            timeout=WAIT_MS,
        )
    finally:
        await cheering

    # A moment: counted down, then announced in words in a live region.
    announce = festival.locator(".festival-announce")
    assert await announce.get_attribute("aria-live") == "polite"
    await _moment(
        plaza, organizer, event["id"], kind="bell", at=time.time() + 3.0, count=2, every_s=1.0
    )
    await wait_text(page, "#festival .festival-announce", "The bell in")
    await wait_text(page, "#festival .festival-announce", "The bell: stroke 2 of 2")
    assert await page.get_attribute("#festival-body", "data-fired") == "2"

    await page.screenshot(path="/tmp/plaza-festival-2d.png", full_page=True)
    violations = await axe_violations(page)
    assert serious(violations) == [], violations
    with contextlib.suppress(Exception):
        await fan.close()
    assert page.errors == []
