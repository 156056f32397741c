"""The web client's chat and zones in a real browser (Debian's chromium through playwright)
against a real server: chat lines between a page and a Python SDK client on the 3D and the
2D page, blocking and reporting from the 2D page (with axe-core), and walking through
portals, after which each page shows the zone it arrived in. Nothing is mocked."""

from __future__ import annotations

import asyncio
import math
import pathlib
import shutil
from typing import Any

import pytest

from tests.e2e.web_pages import (
    TIMEOUT,
    axe_violations,
    colours,
    image_of,
    open_page,
    serious,
    sign_in,
    wait_joined,
    wait_text,
)
from world.roles import Role

pytestmark = pytest.mark.e2e

# Steps of an SDK client walking near someone: 0.2 m per 50 ms tick is 4 m/s, under the
# server's speed limit, so no step is corrected.
STEP_M = 0.2
STEP_S = 0.05


async def walk_near(plaza: Any, client: Any, avatar_id: int, offset: float = 1.5) -> None:
    """Walk the SDK client in legal steps to ``offset`` metres east of ``avatar_id``."""
    here = plaza.server.city.place_of(client.avatar_id)
    there = plaza.server.city.place_of(avatar_id)
    assert here is not None and there is not None and here[0] == there[0]
    _, x0, _, z0, _ = here
    _, x1, _, z1, _ = there
    x1 += offset
    steps = max(1, math.ceil(math.hypot(x1 - x0, z1 - z0) / STEP_M))
    for i in range(1, steps + 1):
        await client.move(x0 + (x1 - x0) * i / steps, 0.0, z0 + (z1 - z0) * i / steps)
        await asyncio.sleep(STEP_S)


async def test_the_3d_chat_panel_shows_and_sends_lines(
    plaza: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    page = await open_page(browser, plaza.http_url + "/")
    await sign_in(page, "가람")
    avatar_id = await wait_joined(page)
    await page.wait_for_selector("#chat:not([hidden])", timeout=TIMEOUT * 1000)
    # The zone and its room, in Korean, next to the connection status.
    assert await page.text_content("#zone-status") == "서울광장 · 1번 방"
    # A guest speaks to those near only: no choice of the whole zone.
    assert await page.is_hidden("#chat-channel-row")

    neighbour = await plaza.client("이웃")
    await walk_near(plaza, neighbour, avatar_id)
    await neighbour.say("안녕하세요")
    await wait_text(page, "#chat-lines", "이웃: 안녕하세요")
    # Someone else's line can be blocked or reported, by name.
    assert await page.get_by_role("button", name="이웃 님 차단").count() == 1
    assert await page.get_by_role("button", name="이웃 님 신고").count() == 1

    # The page answers: typed into the panel, sent with Enter, heard by the SDK client.
    await page.fill("#chat-input", "반갑습니다")
    await page.press("#chat-input", "Enter")
    await neighbour.wait_for(
        lambda c: any(m["text"] == "반갑습니다" and m["from"] == avatar_id for m in c.chat),
        TIMEOUT,
    )
    await wait_text(page, "#chat-lines", "가람: 반갑습니다")
    assert await page.input_value("#chat-input") == ""
    heard = next(m for m in neighbour.chat if m["text"] == "반갑습니다")
    assert (heard["channel"], heard["name"]) == ("near", "가람")

    # The scene and the panel are on screen: neither a blank canvas nor an empty box.
    shot = tmp_path / "chat-3d.png"
    await page.screenshot(path=str(shot))
    pixels = image_of(shot.read_bytes())
    assert colours(pixels, 37) > 50
    box = await page.locator("#chat").bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    assert box["x"] < 100 and box["y"] + box["height"] > 600 - 100  # bottom left
    top, left = int(box["y"]), int(box["x"])
    panel = pixels[top : top + int(box["height"]), left : left + int(box["width"])]
    assert colours(panel, 3) > 20, "the chat panel has no text"
    shutil.copy(shot, pathlib.Path("/tmp") / "plaza-chat-3d.png")
    assert page.errors == []


async def test_the_3d_page_rebuilds_the_scene_after_a_portal(
    plaza: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    page = await open_page(browser, plaza.http_url + "/")
    await sign_in(page, "나들이")
    avatar_id = await wait_joined(page)
    assert await page.evaluate("() => window.__plaza.plaza.scenery.userData.zone") == (
        "seoul_plaza"
    )
    portal = next(
        p for p in plaza.server.entrance.layout.scene()["portals"] if p["target"] == "center_120"
    )
    px, _, pz = portal["position"]
    # Turn toward the portal and run there with Shift and W, as a user would.
    await page.evaluate(
        """([x, z]) => { const { visit, plaza } = window.__plaza;
            plaza.controls.yaw = Math.atan2(x - visit.self.x, z - visit.self.z); }""",
        [px, pz],
    )
    await page.keyboard.down("Shift")
    await page.keyboard.down("KeyW")

    async def arrived() -> None:
        while plaza.server.city.place_of(avatar_id)[0] != "center_120":
            await asyncio.sleep(0.1)

    try:
        await asyncio.wait_for(arrived(), 60.0)
    finally:
        await page.keyboard.up("KeyW")
        await page.keyboard.up("Shift")
    await page.wait_for_function(
        """() => { const s = window.__plaza.plaza.scenery;
            return s.userData.zone === 'center_120' && s.visible; }""",
        timeout=TIMEOUT * 1000,
    )
    title = plaza.server.city.layout("center_120").titles["ko"]
    assert await page.text_content("#zone-status") == f"{title} · 1번 방"
    await wait_text(page, "#chat-lines", f"{title}에 왔습니다")
    # The page stands where the server has it (once the last step is in), and walks on.
    await asyncio.sleep(0.5)
    _, x, _, z, _ = plaza.server.city.place_of(avatar_id)
    here = await page.evaluate("() => ({...window.__plaza.visit.self})")
    assert math.hypot(here["x"] - x, here["z"] - z) < 0.5
    await page.keyboard.down("KeyW")
    await asyncio.sleep(1.0)
    await page.keyboard.up("KeyW")

    async def walked() -> None:
        while True:
            place = plaza.server.city.place_of(avatar_id)
            if place[0] == "center_120" and math.hypot(place[1] - x, place[3] - z) > 0.5:
                return
            await asyncio.sleep(0.1)

    await asyncio.wait_for(walked(), TIMEOUT)
    shot = tmp_path / "center-120.png"
    await page.screenshot(path=str(shot))
    assert colours(image_of(shot.read_bytes()), 37) > 50
    shutil.copy(shot, pathlib.Path("/tmp") / "plaza-center-120.png")
    assert page.errors == []


async def test_the_2d_chat_sends_blocks_reports_and_passes_axe(
    plaza: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    page = await open_page(browser, plaza.http_url + "/2d")
    await sign_in(page, "다온", "en")
    avatar_id = await wait_joined(page)
    chat = page.get_by_role("region", name="Chat")
    await chat.wait_for(timeout=TIMEOUT * 1000)
    log = chat.get_by_role("log")
    assert await log.get_attribute("aria-live") == "polite"
    assert await log.locator("ul").count() == 1
    assert await page.is_hidden("#chat-channel-row")  # guests speak to those near

    neighbour = await plaza.client("이웃")
    await walk_near(plaza, neighbour, avatar_id)
    await neighbour.say("안녕하세요")
    await wait_text(page, "#chat-lines", "이웃: 안녕하세요")

    await chat.get_by_label("Message").fill("Nice to meet you")
    await chat.get_by_role("button", name="Send", exact=True).click()
    await neighbour.wait_for(
        lambda c: any(m["text"] == "Nice to meet you" and m["from"] == avatar_id for m in c.chat),
        TIMEOUT,
    )
    await wait_text(page, "#chat-lines", "다온: Nice to meet you")
    # Lines with their Block and Report buttons pass axe too.
    violations = serious(await axe_violations(page))
    assert violations == [], violations

    # Report: the reason is asked for under the line; the server stores it.
    await chat.get_by_role("button", name="Report 이웃").click()
    await chat.get_by_label("Why are you reporting 이웃?").fill("shouting at everyone")
    await chat.get_by_role("button", name="Send report").click()
    await wait_text(page, "#chat-lines", "You reported 이웃")
    assert plaza.server.db is not None
    reports = await plaza.server.db.fetch("SELECT reported_name, reason FROM reports")
    assert [(r["reported_name"], r["reason"]) for r in reports] == [
        ("이웃", "shouting at everyone")
    ]

    # Block: the neighbour's lines leave the log, and new ones never reach it.
    await chat.get_by_role("button", name="Block 이웃").click()
    await wait_text(page, "#chat-lines", "You blocked 이웃")
    assert "안녕하세요" not in (await page.text_content("#chat-lines") or "")
    await neighbour.say("아직 거기 있어요?")
    await neighbour.wait_for(lambda c: any(m["text"] == "아직 거기 있어요?" for m in c.chat))
    await asyncio.sleep(0.5)
    assert "아직 거기" not in (await page.text_content("#chat-lines") or "")

    violations = serious(await axe_violations(page))
    assert violations == [], violations
    shot = tmp_path / "chat-2d.png"
    await page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, pathlib.Path("/tmp") / "plaza-chat-2d.png")
    assert neighbour.corrections == [] and page.errors == []


async def test_staff_may_speak_to_the_whole_zone(plaza: Any, browser: Any) -> None:
    page = await open_page(browser, plaza.http_url + "/2d")
    await page.click("details summary")
    await page.fill("#token-input", plaza.mint("김주무관", Role.STAFF))
    await page.click("#sign-in-form button[type=submit]")
    avatar_id = await wait_joined(page)
    listener = await plaza.client("시민")
    # Staff choose between those near and the whole zone; the zone-wide line is marked.
    await page.wait_for_selector("#chat-channel-row:not([hidden])", timeout=TIMEOUT * 1000)
    await page.select_option("#chat-channel", "zone")
    await page.fill("#chat-input", "10분 뒤 광장 행사가 시작됩니다")
    await page.press("#chat-input", "Enter")
    await listener.wait_for(
        lambda c: any(m["from"] == avatar_id and m["channel"] == "zone" for m in c.chat), TIMEOUT
    )
    await wait_text(page, "#chat-lines", "[전체] 김주무관: 10분 뒤 광장 행사가 시작됩니다")
    assert page.errors == []


async def test_the_2d_page_goes_to_the_tourism_district_and_follows_there(
    plaza: Any, browser: Any
) -> None:
    page = await open_page(browser, plaza.http_url + "/2d")
    await sign_in(page, "여행자", "en")
    avatar_id = await wait_joined(page)
    where = await page.text_content("#where-text")
    assert where and where.startswith("Seoul Plaza · room 1")

    portal = next(
        p for p in plaza.server.entrance.layout.scene()["portals"] if p["target"] == "tourism"
    )
    await page.get_by_role("button", name=f"Go: {portal['title']['en']}").click()

    async def arrived() -> None:
        while plaza.server.city.place_of(avatar_id)[0] != "tourism":
            await asyncio.sleep(0.2)

    await asyncio.wait_for(arrived(), 90.0)
    tourism = plaza.server.city.layout("tourism").scene()
    title = tourism["title"]["en"]
    await page.wait_for_function(
        "(title) => document.getElementById('where-text').textContent.startsWith(title)",
        arg=title,
        timeout=TIMEOUT * 1000,
    )
    # The services are the district's now: its portals and service points, each with "Go".
    services = await page.locator("#service-list li").all_text_contents()
    expected = [p["title"]["en"] for p in tourism["portals"]] + [
        p["title"]["en"] for p in tourism["points_of_interest"] if p["kind"] == "service"
    ]
    assert expected and all(any(e in s for s in services) for e in expected), services
    assert not any(portal["title"]["en"] in s for s in services)
    await wait_text(page, "#chat-lines", f"You are now in {title}")
    # Standing still after the portal: the walk toward the plaza's portal stopped there.
    first = plaza.server.city.place_of(avatar_id)
    await asyncio.sleep(0.5)
    assert plaza.server.city.place_of(avatar_id) == first
    violations = serious(await axe_violations(page))
    assert violations == [], violations
    assert page.errors == []
