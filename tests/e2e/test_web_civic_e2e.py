"""The zones' civic services in the web client, in a real browser (Debian's chromium through
playwright) against a real server: Seoul Plaza's notice board on the 3D and the 2D page, a
landmark of the Tourism District greeting a Japanese visitor in Japanese, and City Hall's
proposals and polls on the 2D page (with axe-core). Staff act over the HTTP API; nothing is
mocked."""

from __future__ import annotations

import asyncio
import json
import pathlib
import shutil
from typing import Any

import asyncpg
import pytest

from tests.e2e.conftest import http_request
from tests.e2e.test_tourism_e2e import save_place, walk
from tests.e2e.web_pages import (
    TIMEOUT,
    axe_violations,
    colours,
    image_of,
    open_page,
    serious,
    sign_in,
    sign_in_with_token,
    wait_joined,
    wait_text,
)
from world.roles import Role

pytestmark = pytest.mark.e2e

NOTICE = {
    "title": {"ko": "새해 타종 행사", "en": "New Year bell ceremony"},
    "body": {
        "ko": "자정에 보신각에서 타종 행사가 열립니다.",
        "en": "The Bosingak bell rings at midnight.",
    },
}
POLL = {
    "question": {"ko": "축제는 언제 열까요?", "en": "When should the festival be?"},
    "options": [{"ko": "5월", "en": "May"}, {"ko": "10월", "en": "October"}],
}


async def api(plaza: Any, path: str, token: str, body: Any) -> Any:
    """POST ``body`` as JSON with a Bearer token."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return await http_request("POST", plaza.http_url + path, json.dumps(body).encode(), headers)


async def shot_of(page: Any, path: pathlib.Path, box_selector: str) -> None:
    """Screenshot the page; the scene is drawn and the overlay at ``box_selector`` has text."""
    await page.screenshot(path=str(path))
    pixels = image_of(path.read_bytes())
    assert colours(pixels, 37) > 50, "a blank page"
    box = await page.locator(box_selector).bounding_box()
    assert box is not None and box["width"] > 150 and box["height"] > 60, box
    top, left = int(box["y"]), int(box["x"])
    panel = pixels[top : top + int(box["height"]), left : left + int(box["width"])]
    assert colours(panel, 3) > 20, f"{box_selector} has no text"
    shutil.copy(path, pathlib.Path("/tmp") / path.name)


async def test_the_notice_board_on_both_pages_in_the_chosen_language(
    plaza: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    staff_token = plaza.mint("김주무관", Role.STAFF)
    page3d = await open_page(browser, plaza.http_url + "/")
    page2d = await open_page(browser, plaza.http_url + "/2d")
    await sign_in(page3d, "Mina", "en")
    await sign_in(page2d, "Jun", "en")
    await wait_joined(page3d)
    await wait_joined(page2d)

    # The 3D page: a panel titled "Notice board" while in the plaza, empty at first.
    await page3d.wait_for_selector("#zone-panel:not([hidden])", timeout=TIMEOUT * 1000)
    assert await page3d.text_content("#zone-panel-title") == "Notice board"
    await wait_text(page3d, "#notices-panel", "No notices")
    notices = page2d.get_by_role("region", name="Notices")
    await notices.wait_for(timeout=TIMEOUT * 1000)
    assert await notices.get_by_role("button", name="Post").count() == 0  # guests do not post

    # Staff post a notice over HTTP: both pages show it at once, in English.
    posted = await api(plaza, "/api/notices", staff_token, NOTICE)
    assert posted.status == 201, posted.text
    await wait_text(page3d, "#notices-panel", "New Year bell ceremony")
    await wait_text(page3d, "#notices-panel", "The Bosingak bell rings at midnight.")
    await notices.get_by_role("heading", name="New Year bell ceremony").wait_for(
        timeout=TIMEOUT * 1000
    )
    assert "새해" not in (await notices.text_content() or "")
    violations = serious(await axe_violations(page2d))
    assert violations == [], violations

    # The panel folds away and opens again.
    await page3d.click("#zone-panel-toggle")
    assert await page3d.is_hidden("#zone-panel-body")
    assert await page3d.get_attribute("#zone-panel-toggle", "aria-expanded") == "false"
    await page3d.click("#zone-panel-toggle")
    assert await page3d.is_visible("#notices-panel")
    await shot_of(page3d, tmp_path / "plaza-civic-notices-3d.png", "#zone-panel")

    # Staff post from the 2D page's own form, in their language (Korean here).
    staff = await open_page(browser, plaza.http_url + "/2d")
    await sign_in_with_token(staff, staff_token, "ko")
    await wait_joined(staff)
    board = staff.get_by_role("region", name="알림")
    await board.get_by_label("제목").fill("분실물 안내")
    await board.get_by_label("내용").fill("안내 데스크로 오세요.")
    await board.get_by_role("button", name="올리기").click()
    await wait_text(staff, "#notices", "알림을 올렸습니다")
    # Untranslated, the English reader sees it in Korean, newest first.
    await notices.get_by_role("heading", name="분실물 안내").wait_for(timeout=TIMEOUT * 1000)
    titles = await notices.get_by_role("heading", level=3).all_text_contents()
    assert titles[:2] == ["분실물 안내", "New Year bell ceremony"], titles
    stored = (await plaza.get("/api/notices")).json()["notices"]
    assert stored[0]["title"] == {"ko": "분실물 안내"}
    assert page3d.errors == [] and page2d.errors == [] and staff.errors == []


async def japanese_visitor(plaza: Any, name: str) -> tuple[str, Any, Any]:
    """A Japanese guest whose last place is 4 m outside Deoksugung's area: (token, area, poi)."""
    layout = plaza.server.city.layout("tourism")
    area = layout.spot("area_deoksugung")
    poi = next(p for p in layout.points_of_interest if p.id == "poi_deoksugung")
    session = await plaza.guest(name, "ja")
    ax, _, az = area.position
    await save_place(plaza, session.subject, ax, az + area.radius + 4.0)
    return session.token, area, poi


async def test_a_landmark_speaks_japanese_on_the_2d_page(plaza: Any, browser: Any) -> None:
    token, _, poi = await japanese_visitor(plaza, "花子")
    page = await open_page(browser, plaza.http_url + "/2d")
    await sign_in_with_token(page, token, "ja")
    await wait_joined(page)
    tourism = page.get_by_role("region", name="観光案内")
    await tourism.wait_for(timeout=TIMEOUT * 1000)
    here = page.get_by_role("region", name="ここは")
    assert "名所の中にはいません" in (await here.text_content() or "")
    await wait_text(page, "#tourism", "スタンプ 0 / 4")
    # The landmark's "Go" walks there; stepping into its area tells about it in Japanese.
    await tourism.get_by_role("button", name=f"移動: {poi.title['ja']}", exact=True).click()
    await here.get_by_role("heading", name=poi.title["ja"]).wait_for(timeout=TIMEOUT * 1000)
    assert poi.description["ja"] in (await here.text_content() or "")
    status = await page.text_content("#status")
    assert status == f"{poi.title['ja']} — {poi.description['ja']}"
    await wait_text(page, "#tourism", "スタンプ 1 / 4")
    await wait_text(page, "#chat-lines", f"{poi.title['ja']}のスタンプを押しました")
    # The bus is running (the first visitor started it) and the page says where it is.
    await wait_text(page, "#tourism", "停車中")
    violations = serious(await axe_violations(page))
    assert violations == [], violations
    assert page.errors == []


async def test_a_landmark_card_in_japanese_on_the_3d_page(
    plaza: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    token, area, poi = await japanese_visitor(plaza, "太郎")
    page = await open_page(browser, plaza.http_url + "/")
    await sign_in_with_token(page, token, "ja")
    await wait_joined(page)
    await page.wait_for_function(
        "() => window.__plaza.plaza.scenery.userData.zone === 'tourism'", timeout=TIMEOUT * 1000
    )
    assert await page.text_content("#zone-panel-title") == "観光案内"
    assert await page.is_hidden("#poi-card")
    # Face the palace and walk in with W (Shift: a run), as a user would.
    ax, _, az = area.position
    await page.evaluate(
        """([x, z]) => { const { visit, plaza } = window.__plaza;
            plaza.controls.yaw = Math.atan2(x - visit.self.x, z - visit.self.z); }""",
        [ax, az],
    )
    await page.keyboard.down("Shift")
    await page.keyboard.down("KeyW")
    try:
        await page.wait_for_selector("#poi-card:not([hidden])", timeout=TIMEOUT * 1000)
    finally:
        await page.keyboard.up("KeyW")
        await page.keyboard.up("Shift")
    assert await page.text_content("#poi-card-title") == poi.title["ja"]
    assert await page.text_content("#poi-card-text") == poi.description["ja"]
    await wait_text(page, "#tourism-panel", "スタンプ 1 / 4")
    await asyncio.sleep(0.5)  # the last frames of the walk
    await shot_of(page, tmp_path / "plaza-civic-landmark-3d.png", "#poi-card")
    assert page.errors == []


async def test_the_mayors_office_on_the_2d_page(plaza: Any, browser: Any) -> None:
    staff_token = plaza.mint("clerk", Role.STAFF)
    await plaza.place_in("local:minji", "city_hall")
    minji = plaza.server.issuer.mint(
        subject="local:minji", name="minji", role=Role.CITIZEN, locale="en"
    )
    # Two proposals already today (over HTTP): the page's is the third, and the last allowed.
    for i in range(2):
        early = await api(plaza, "/api/proposals", minji, {"title": f"Idea {i}", "body": "..."})
        assert early.status == 201, early.text
    created = await api(plaza, "/api/polls", staff_token, POLL)
    assert created.status == 201, created.text
    poll_id = created.json()["id"]
    market = {**POLL, "question": {"ko": "장터는?", "en": "And the market?"}}
    second = await api(plaza, "/api/polls", staff_token, market)
    voted = await api(plaza, "/api/polls/vote", minji, {"poll": second.json()["id"], "option": 0})
    assert voted.status == 201, voted.text

    page = await open_page(browser, plaza.http_url + "/2d")
    await sign_in_with_token(page, minji, "en")
    await wait_joined(page)
    office = page.get_by_role("region", name="Mayor's office")
    await office.wait_for(timeout=TIMEOUT * 1000)
    question = office.get_by_role("heading", name="When should the festival be?")
    await question.wait_for(timeout=TIMEOUT * 1000)
    poll = office.locator(
        ".poll", has=page.get_by_role("heading", name="When should the festival be?")
    )
    assert "0 votes in all" in (await poll.text_content() or "")

    # A vote: the tally moves, the choice is marked, and votes from others come in live.
    await poll.get_by_role("button", name="Vote for October").click()
    await wait_text(page, "#city-hall", "You voted for October")
    await wait_text(page, "#city-hall", "1 vote (100%) ✓ your vote")
    assert await poll.get_by_role("button", name="Vote for May").is_disabled()
    other = await api(plaza, "/api/polls/vote", plaza.mint("jun"), {"poll": poll_id, "option": 0})
    assert other.status == 201
    await poll.get_by_text("2 votes in all").wait_for(timeout=TIMEOUT * 1000)
    counts = await poll.locator(".tally-count").all_text_contents()
    assert counts == ["1 vote (50%)", "1 vote (50%) ✓ your vote"], counts
    # The poll voted in over HTTP earlier: the page says so.
    earlier = office.locator(".poll", has=page.get_by_role("heading", name="And the market?"))
    await earlier.get_by_role("button", name="Vote for October").click()
    await earlier.get_by_text("You have already voted in this poll").wait_for(
        timeout=TIMEOUT * 1000
    )

    # A proposal: submitted, listed with its author and state; the next is over the limit.
    await office.get_by_label("Title").fill("More benches")
    await office.get_by_label("Your proposal").fill("Please put more benches on the plaza.")
    await office.get_by_role("button", name="Submit proposal").click()
    await wait_text(page, "#city-hall", "Your proposal was submitted")
    proposal = office.locator(".proposal", has=page.get_by_role("heading", name="More benches"))
    await proposal.wait_for(timeout=TIMEOUT * 1000)
    assert "by minji · submitted" in (await proposal.text_content() or "")
    await office.get_by_label("Title").fill("One more")
    await office.get_by_label("Your proposal").fill("...")
    await office.get_by_role("button", name="Submit proposal").click()
    await wait_text(page, "#city-hall", "At most 3 proposals a day")

    # The city answers over HTTP; the answer is shown with the proposal.
    listing = (await plaza.get("/api/proposals")).json()["proposals"]
    benches = next(p for p in listing if p["title"] == "More benches")
    answer = {"id": benches["id"], "state": "answered", "answer": "Ten benches next month."}
    reviewed = await api(plaza, "/api/proposals/review", staff_token, answer)
    assert reviewed.status == 200, reviewed.text
    await proposal.get_by_text("Ten benches next month.").wait_for(timeout=TIMEOUT * 1000)
    assert "answered" in (await proposal.text_content() or "")
    violations = serious(await axe_violations(page))
    assert violations == [], violations
    assert page.errors == []


async def test_a_guest_in_the_mayors_office_sees_the_lists_only(plaza: Any, browser: Any) -> None:
    staff_token = plaza.mint("clerk", Role.STAFF)
    created = await api(plaza, "/api/polls", staff_token, POLL)
    assert created.status == 201, created.text
    session = await plaza.guest("Visitor", "en")
    await plaza.place_in(session.subject, "city_hall")
    page = await open_page(browser, plaza.http_url + "/2d")
    await sign_in_with_token(page, session.token, "en")
    await wait_joined(page)
    office = page.get_by_role("region", name="Mayor's office")
    await office.get_by_role("heading", name="When should the festival be?").wait_for(
        timeout=TIMEOUT * 1000
    )
    assert "Voting and proposals need a citizen sign-in" in (await office.text_content() or "")
    assert await office.get_by_role("button").count() == 0
    assert await page.is_hidden("#notices") and await page.is_hidden("#tourism")
    assert page.errors == []


async def save_stamps(plaza: Any, subject: str, stamps: list[str]) -> None:
    """Give ``subject`` the stamp tour's stamps so far, as the zone keeps them."""
    conn = await asyncpg.connect(plaza.server.config.database_url)
    try:
        await conn.execute(
            "INSERT INTO zone_user_records (zone, subject, key, value) "
            "VALUES ('tourism', $1, 'stamps', $2::jsonb)",
            subject,
            json.dumps(stamps),
        )
    finally:
        await conn.close()


async def test_a_finished_stamp_tour_puts_the_badge_on_the_name_tag(
    plaza: Any, browser: Any
) -> None:
    layout = plaza.server.city.layout("tourism")
    area = layout.spot("area_donuimun")
    ax, _, az = area.position
    outside = (ax + area.radius + 3.0, az)
    # Two onlookers just outside Donuimun's area, on the 3D and the 2D page.
    pages = []
    for name, path in (("Mina", "/"), ("Jun", "/2d")):
        session = await plaza.guest(name, "en")
        await save_place(plaza, session.subject, outside[0] + 2.0, outside[1] + 2.0)
        page = await open_page(browser, plaza.http_url + path)
        await sign_in_with_token(page, session.token, "en")
        await wait_joined(page)
        pages.append(page)
    page3d, page2d = pages
    # A collector with three stamps walks into the fourth landmark's area.
    others = [p.id for p in layout.points_of_interest if p.id != "poi_donuimun"]
    await save_stamps(plaza, "local:collector", others)
    await save_place(plaza, "local:collector", *outside)
    collector = await plaza.client(token=plaza.mint("collector"))
    assert collector.zone == "tourism"
    await wait_text(page2d, "#near-list", "collector")
    assert "🏯" not in (await page2d.text_content("#near-list") or "")
    await page3d.wait_for_function(
        "(id) => window.__plaza.plaza.crowd.tags.some(t => t.visible"
        " && t.userData.avatar?.avatarId === id)",
        arg=collector.avatar_id,
        timeout=TIMEOUT * 1000,
    )
    await walk(collector, outside, (ax, az))
    # The badge event reaches everyone in the district: the name in "Who is near" and the
    # name tag over the avatar show it.
    await wait_text(page2d, "#near-list", "collector 🏯")
    await page3d.wait_for_function(
        "(id) => window.__plaza.plaza.crowd.tags.some(t => t.visible"
        " && t.userData.avatar?.avatarId === id && t.material.map?.userData.label"
        " === 'collector 🏯')",
        arg=collector.avatar_id,
        timeout=TIMEOUT * 1000,
    )
    assert page3d.errors == [] and page2d.errors == []


async def test_the_bus_and_a_guided_tour_on_the_2d_page(plaza: Any, browser: Any) -> None:
    layout = plaza.server.city.layout("tourism")
    stop = layout.spot("bus_stop_1")
    sx, _, sz = stop.position
    guide_token = plaza.server.issuer.mint(
        subject="local:guide", name="Guide", role=Role.GUIDE, locale="en"
    )
    await save_place(plaza, "local:guide", sx + 6.0, sz)
    await save_place(plaza, "local:rider", sx + 1.0, sz)
    rider_token = plaza.server.issuer.mint(
        subject="local:rider", name="Rider", role=Role.CITIZEN, locale="en"
    )
    rider = await open_page(browser, plaza.http_url + "/2d")
    await sign_in_with_token(rider, rider_token, "en")
    await wait_joined(rider)
    tourism = rider.get_by_role("region", name="Tourist information")
    await tourism.wait_for(timeout=TIMEOUT * 1000)

    # At the stop while the bus waits there: "Board the bus" is on, and boards.
    await wait_text(rider, "#tourism", "At Gwanghwamun stop until")
    board = tourism.get_by_role("button", name="Board the bus")
    await rider.wait_for_function(
        "() => !document.querySelector('#tourism .board-bus').disabled", timeout=TIMEOUT * 1000
    )
    await board.click()
    await wait_text(rider, "#tourism", "You are on the bus. Next stop: Deoksugung stop")
    assert await board.is_disabled()

    # A guide starts a tour; the rider joins it and hears the narration in the chat.
    guide = await open_page(browser, plaza.http_url + "/2d")
    await sign_in_with_token(guide, guide_token, "en")
    await wait_joined(guide)
    tours = guide.get_by_role("region", name="Tourist information")
    await tours.get_by_label("Tour title").fill("Palace walk")
    await tours.get_by_role("button", name="Start tour").click()
    await wait_text(guide, "#tourism", "You are leading Palace walk; 0 on the tour")
    await tourism.get_by_role("button", name="Join the tour Palace walk").click()
    await wait_text(rider, "#tourism", "You are on the tour Palace walk")
    await wait_text(guide, "#tourism", "You are leading Palace walk; 1 on the tour")
    await tours.get_by_label("Narration").fill("Welcome to Gwanghwamun")
    await tours.get_by_role("button", name="Narrate").click()
    await wait_text(rider, "#chat-lines", "[tour] Guide: Welcome to Gwanghwamun")
    # Riders cannot jump to the guide: the page says why.
    await tourism.get_by_role("button", name="Go to guide").click()
    await wait_text(rider, "#tourism", "You are already on the bus")
    await tours.get_by_role("button", name="End tour").click()
    await wait_text(rider, "#chat-lines", "The tour Palace walk has ended")
    await wait_text(rider, "#tourism", "No tours right now")

    # The bus drives to the next stop, telling when it arrives, and sets the rider down.
    await wait_text(rider, "#tourism", "To Deoksugung stop, arriving in")
    async with asyncio.timeout(40.0):
        while "You got off at Deoksugung stop" not in (await rider.text_content("#tourism") or ""):
            await asyncio.sleep(0.2)
    await wait_text(rider, "#chat-lines", "You got off at Deoksugung stop")
    violations = serious(await axe_violations(rider))
    assert violations == [], violations
    assert rider.errors == [] and guide.errors == []
