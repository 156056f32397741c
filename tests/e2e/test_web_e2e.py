"""The web client in a real browser (Debian's chromium through playwright), against a real
server: the 3D plaza (WebGL through SwiftShader), VR through the emulated WebXR runtime
(iwer), and the 2D accessible page with axe-core. Every check reads what a user would see
or what the server and other clients observe; nothing is mocked."""

from __future__ import annotations

import asyncio
import json
import math
import pathlib
from typing import Any

import pytest
from plaza_client.bots import BotFleet

from tests.e2e.web_pages import (
    TIMEOUT,
    axe_violations,
    image_of,
    open_page,
    serious,
    sign_in,
    wait_joined,
)
from world.roles import Role

pytestmark = pytest.mark.e2e

# Name tags drawn at once (clients/web/src/app3d/avatars.js NAME_TAGS).
NAME_TAGS = 24


async def drawn(page: Any, avatar_id: int) -> dict[str, Any] | None:
    result: dict[str, Any] | None = await page.evaluate(
        "(id) => { const d = window.__plaza.plaza.crowd.drawn.get(id); return d ? {...d} : null; }",
        avatar_id,
    )
    return result


async def test_two_browsers_see_each_other_move_and_the_plaza_is_drawn(
    plaza: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    a = await open_page(browser, plaza.http_url + "/")
    b = await open_page(browser, plaza.http_url + "/")
    await sign_in(a, "가은")
    await sign_in(b, "나래")
    a_id = await wait_joined(a)
    b_id = await wait_joined(b)
    await b.wait_for_function(
        "(id) => window.__plaza.plaza.crowd.drawn.has(id)", arg=a_id, timeout=TIMEOUT * 1000
    )
    await a.wait_for_function(
        "(id) => window.__plaza.plaza.crowd.drawn.has(id)", arg=b_id, timeout=TIMEOUT * 1000
    )
    before = await drawn(b, a_id)
    assert before is not None
    # A walks forward for two seconds with the W key; B sees it arrive, interpolated.
    await a.keyboard.down("KeyW")
    await asyncio.sleep(2.0)
    await a.keyboard.up("KeyW")
    await b.wait_for_function(
        """([id, x, z]) => { const d = window.__plaza.plaza.crowd.drawn.get(id);
            return d && Math.hypot(d.x - x, d.z - z) > 1.0; }""",
        arg=[a_id, before["x"], before["z"]],
        timeout=TIMEOUT * 1000,
    )
    after = await drawn(b, a_id)
    assert after is not None
    table = plaza.table_of(a_id)
    server_pos = table.position[table.row_of(a_id)]
    assert math.hypot(after["x"] - server_pos[0], after["z"] - server_pos[2]) < 1.0

    # The plaza and the other avatar are on screen, not a blank canvas.
    shot = tmp_path / "plaza.png"
    await b.screenshot(path=str(shot))
    pixels = image_of(shot.read_bytes())
    colours = {tuple(p) for p in pixels.reshape(-1, pixels.shape[-1])[::37]}
    assert len(colours) > 50, len(colours)
    assert a.errors == [] and b.errors == []
    (pathlib.Path("/tmp") / "plaza-screenshot.png").write_bytes(shot.read_bytes())


async def test_the_2d_page_lists_people_and_services_walks_there_and_passes_axe(
    plaza: Any, browser: Any
) -> None:
    page = await open_page(browser, plaza.http_url + "/2d")
    before = serious(await axe_violations(page))
    assert before == [], before
    await sign_in(page, "다온", "en")
    await page.wait_for_function(
        "() => document.getElementById('status').textContent.startsWith('Connected')",
        timeout=TIMEOUT * 1000,
    )
    # Someone nearby (a Python SDK client) shows up in "Who is near", by name.
    neighbour = await plaza.client("이웃")
    await page.wait_for_function(
        "() => document.getElementById('near-list').textContent.includes('이웃')",
        timeout=TIMEOUT * 1000,
    )
    where = await page.text_content("#where-text")
    assert where and where.startswith("Seoul Plaza")
    services = await page.locator("#service-list li").all_text_contents()
    assert any("120" in s for s in services), services
    after = serious(await axe_violations(page))
    assert after == [], after

    # "Go" walks the avatar to the 120 center's portal; stepping in takes it to the center,
    # and the page follows it there.
    scene = plaza.server.entrance.layout.scene()
    portal = next(p for p in scene["portals"] if p["target"] == "center_120")
    me = next(s for s in plaza.server.gateway.sessions.values() if s.identity.name == "다온")
    _, x0, _, z0, _ = plaza.server.city.place_of(me.avatar_id)
    px, _, pz = portal["position"]
    assert math.hypot(x0 - px, z0 - pz) > portal["radius"] + 1.0  # it has to walk
    await page.get_by_role("button", name=f"Go: {portal['title']['en']}").click()

    async def arrived() -> None:
        while plaza.server.city.place_of(me.avatar_id)[0] != "center_120":
            await asyncio.sleep(0.2)

    await asyncio.wait_for(arrived(), 60.0)
    await page.wait_for_function(
        "() => document.getElementById('where-text').textContent.includes('120')",
        timeout=TIMEOUT * 1000,
    )
    assert neighbour.corrections == [] and page.errors == []


async def test_vr_head_and_hands_reach_others_and_a_teleport_moves_the_avatar(
    plaza: Any, browser: Any, iwer_script: str
) -> None:
    page = await open_page(browser, plaza.http_url + "/", init_script=iwer_script)
    await sign_in(page, "브이알")
    avatar_id = await wait_joined(page)
    watcher = await plaza.client("관찰자")
    await watcher.wait_for(lambda c: avatar_id in c.mirror.by_id(), TIMEOUT)

    # The emulated Quest 3 offers immersive-vr: the button appears and enters VR.
    await page.wait_for_selector("#enter-vr:not([hidden])", timeout=TIMEOUT * 1000)
    await page.click("#enter-vr")
    await page.wait_for_function(
        "() => window.__plaza.plaza.renderer.xr.isPresenting", timeout=TIMEOUT * 1000
    )
    await page.evaluate(
        """() => {
            const d = window.__xrDevice;
            d.position.set(0, 1.7, 0);
            d.controllers.left.position.set(-0.35, 1.2, -0.3);
            d.controllers.right.position.set(0.35, 1.1, -0.3);
        }"""
    )

    def hands(client: Any) -> list[list[float]] | None:
        seen = client.mirror.by_id().get(avatar_id)
        return None if seen is None else seen.joints()

    def tracked(client: Any, right_y: float) -> bool:
        joints = hands(client)
        if joints is None:
            return False
        head, left, right = joints
        return abs(head[1] - 1.7) < 0.05 and abs(right[1] - right_y) < 0.05 and left[0] < right[0]

    # The head and both controllers reach the second client, and follow the hand.
    await watcher.wait_for(lambda c: tracked(c, 1.1), TIMEOUT)
    await page.evaluate("() => window.__xrDevice.controllers.right.position.set(0.35, 1.5, -0.3)")
    await watcher.wait_for(lambda c: tracked(c, 1.5), TIMEOUT)
    seen = watcher.mirror.by_id()[avatar_id]
    assert seen.state(watcher.mirror.origin)["flags"] & 1  # the VR flag

    # Teleport: the right controller points down and ahead; pulling the trigger glides the
    # avatar there (under the speed limit, so the server accepts every step).
    table = plaza.table_of(avatar_id)
    start = table.position[table.row_of(avatar_id)].copy()
    await page.evaluate(
        """() => {
            const c = window.__xrDevice.controllers.right;
            const angle = -Math.PI / 6;  // 30 degrees below the horizon
            c.quaternion.set(Math.sin(angle / 2), 0, 0, Math.cos(angle / 2));
            c.updateButtonValue('trigger', 1);
        }"""
    )
    await asyncio.sleep(0.3)
    await page.evaluate("() => window.__xrDevice.controllers.right.updateButtonValue('trigger', 0)")

    async def moved() -> float:
        while True:
            now = table.position[table.row_of(avatar_id)]
            distance = math.hypot(now[0] - start[0], now[2] - start[2])
            if distance > 1.5:
                return distance
            await asyncio.sleep(0.1)

    distance = await asyncio.wait_for(moved(), TIMEOUT)
    assert distance > 1.5

    # Snap turn: the right thumbstick pushed right turns the view 30 degrees, once.
    yaw = await page.evaluate("() => window.__plaza.plaza.controls.yaw")
    await page.evaluate("() => window.__xrDevice.controllers.right.updateAxes('thumbstick', 1, 0)")
    await page.wait_for_function(
        "(y) => Math.abs(window.__plaza.plaza.controls.yaw - (y - Math.PI / 6)) < 1e-6",
        arg=yaw,
        timeout=TIMEOUT * 1000,
    )
    await asyncio.sleep(0.3)  # held: still one turn
    assert await page.evaluate("() => window.__plaza.plaza.controls.yaw") == pytest.approx(
        yaw - math.pi / 6
    )
    await page.evaluate("() => window.__xrDevice.controllers.right.updateAxes('thumbstick', 0, 0)")
    assert page.errors == []


async def test_a_dropped_socket_reconnects_and_resumes_the_same_avatar(
    plaza: Any, browser: Any
) -> None:
    page = await open_page(browser, plaza.http_url + "/")
    await sign_in(page, "다시")
    avatar_id = await wait_joined(page)
    # The server side drops the TCP connection without a closing handshake.
    plaza.server.gateway.sessions[avatar_id].connection.abort()
    await page.wait_for_function(
        "() => window.__plaza.visit.connection.welcome?.resumed === true",
        timeout=TIMEOUT * 1000,
    )
    assert await page.evaluate("() => window.__plaza.visit.connection.avatarId") == avatar_id
    status = await page.text_content("#status")
    assert status == "연결됨"
    assert plaza.server.city.count == 1
    # A reload (same tab, same token) resumes it too.
    await page.reload()
    await page.wait_for_function(
        "() => window.__plaza && window.__plaza.visit.connection.welcome?.resumed === true",
        timeout=TIMEOUT * 1000,
    )
    assert await page.evaluate("() => window.__plaza.visit.connection.avatarId") == avatar_id
    assert page.errors == []


async def test_settings_are_saved_in_the_profile_and_a_ban_is_explained(
    plaza: Any, browser: Any, e2e: Any
) -> None:
    page = await open_page(browser, plaza.http_url + "/")
    await sign_in(page, "설정")
    avatar_id = await wait_joined(page)
    await page.click("#open-settings")
    await page.select_option("#settings-locale", "en")
    await page.check("#pref-high-contrast")
    await page.check("#pref-captions")
    await page.click("#settings-form button[type=submit]")
    await page.wait_for_function(
        "() => document.documentElement.classList.contains('high-contrast')",
        timeout=TIMEOUT * 1000,
    )
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.text_content("#open-settings") == "Settings"
    token = await page.evaluate("() => sessionStorage.getItem('plaza.token')")
    profile = (
        await e2e.http_request(
            "GET", plaza.http_url + "/api/profile", headers={"Authorization": f"Bearer {token}"}
        )
    ).json()
    assert (profile["locale"], profile["high_contrast"], profile["captions"]) == ("en", True, True)

    # A moderator bans the user: the page says so in the user's language, and stays away.
    subject = plaza.server.gateway.sessions[avatar_id].identity.subject
    moderator = plaza.mint("mod", Role.MODERATOR)
    response = await e2e.http_request(
        "POST",
        plaza.http_url + "/api/moderation/sanctions",
        json.dumps({"kind": "ban", "subject": subject, "reason": "spam"}).encode(),
        {"Authorization": f"Bearer {moderator}", "Idempotency-Key": "ban-settings"},
    )
    assert response.status == 201
    await page.wait_for_selector("#message:not([hidden])", timeout=TIMEOUT * 1000)
    message = await page.text_content("#message")
    assert message is not None and message.startswith("You have been banned")
    assert "spam" in message
    assert await page.evaluate("() => window.__plaza.visit.connection.state") == "closed"
    assert page.errors == []


async def test_a_phone_walks_with_the_touch_joystick(plaza: Any, browser: Any) -> None:
    context = await browser.new_context(
        viewport={"width": 412, "height": 800}, has_touch=True, is_mobile=True
    )
    page = await context.new_page()
    await page.goto(plaza.http_url + "/")
    await sign_in(page, "폰")
    avatar_id = await wait_joined(page)
    joystick = page.locator("#joystick")
    assert await joystick.is_visible()
    box = await joystick.bounding_box()
    assert box is not None
    table = plaza.table_of(avatar_id)
    start = table.position[table.row_of(avatar_id)].copy()
    # Push the stick forward (up) and hold it for two seconds.
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await page.mouse.move(cx, cy)
    await page.mouse.down()
    await page.mouse.move(cx, cy - 40, steps=4)
    await asyncio.sleep(2.0)
    await page.mouse.up()

    async def moved() -> None:
        while True:
            now = table.position[table.row_of(avatar_id)]
            if math.hypot(now[0] - start[0], now[2] - start[2]) > 1.0:
                return
            await asyncio.sleep(0.1)

    await asyncio.wait_for(moved(), TIMEOUT)
    now = table.position[table.row_of(avatar_id)]
    # Forward is north (the spawn faces City Hall): z decreased.
    assert now[2] < start[2] - 1.0


async def test_draw_calls_do_not_grow_with_the_crowd(plaza_factory: Any, browser: Any) -> None:
    plaza = await plaza_factory(max_visible=120)
    page = await open_page(browser, plaza.http_url + "/")
    await sign_in(page, "군중")
    await wait_joined(page)

    async def calls_with(count: int) -> int:
        await page.wait_for_function(
            "(n) => window.__plaza.plaza.crowd.drawn.size === n", arg=count, timeout=60_000
        )
        await page.wait_for_timeout(300)
        calls: int = await page.evaluate("() => window.__plaza.plaza.renderer.info.render.calls")
        return calls

    small = BotFleet(plaza.http_url, 5, probes=0)
    await small.connect()
    few = await calls_with(5)
    crowd = BotFleet(plaza.http_url, 95, probes=0)
    await crowd.connect()
    try:
        many = await calls_with(100)
    finally:
        await crowd.close()
        await small.close()
    # Bodies, heads and hands are instanced: only the name tags (24 at most) add calls.
    assert many - few <= NAME_TAGS - 5, (few, many)


async def test_staff_sign_in_with_a_token_and_a_banned_user_is_told_why(
    plaza: Any, browser: Any, e2e: Any
) -> None:
    staff_token = plaza.mint("김주무관", Role.STAFF)
    page = await open_page(browser, plaza.http_url + "/")
    await page.click("details summary")
    await page.fill("#token-input", staff_token)
    await page.click("#sign-in-form button[type=submit]")
    avatar_id = await wait_joined(page)
    identity = plaza.server.gateway.sessions[avatar_id].identity
    assert (identity.subject, str(identity.role)) == ("local:김주무관", "staff")

    # A banned user's browser cannot read the upgrade's 403; the client asks the server and
    # says why, instead of retrying.
    moderator = plaza.mint("mod", Role.MODERATOR)
    response = await e2e.http_request(
        "POST",
        plaza.http_url + "/api/moderation/sanctions",
        json.dumps({"kind": "ban", "subject": "local:troll", "reason": "spam"}).encode(),
        {"Authorization": f"Bearer {moderator}", "Idempotency-Key": "ban-troll-web"},
    )
    assert response.status == 201
    banned = await open_page(browser, plaza.http_url + "/")
    await banned.click("details summary")
    await banned.fill("#token-input", plaza.mint("troll"))
    await banned.click("#sign-in-form button[type=submit]")
    await banned.wait_for_selector("#message:not([hidden])", timeout=TIMEOUT * 1000)
    message = await banned.text_content("#message")
    # The browser speaks English here, so the page does.
    assert message == "You have been banned (banned until lifted: spam)"
    assert await banned.is_visible("#sign-in")
    check = await e2e.http_request(
        "GET",
        plaza.http_url + "/api/auth/check",
        headers={"Authorization": f"Bearer {staff_token}"},
    )
    assert check.status == 200 and check.json()["role"] == "staff"
