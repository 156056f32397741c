"""The 120 Center's web pages in a real browser (Debian's chromium through playwright) against
a real server and PostgreSQL: a civil servant serves a citizen's ticket from /center/console
(whose world connection keeps their avatar at their desk in the 3D center), a citizen takes a
number on /center and follows it until it is rated, a callback request is left while the
center is closed, and a supervisor reads /center/dashboard. The other side of each
conversation is a bot speaking the HTTP API (docs/center120.md); nothing is mocked. Each page
gets an axe-core check and a screenshot (copied to /tmp)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import pathlib
import re
import shutil
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.web_pages import (
    TIMEOUT,
    axe_violations,
    colours,
    image_of,
    open_page,
    serious,
    sign_in,
    sign_in_with_token,
    wait_text,
)
from world.roles import Role

pytestmark = pytest.mark.e2e

MS = TIMEOUT * 1000


async def take(plaza: Any, token: str, key: str, **fields: Any) -> dict[str, Any]:
    """A citizen bot takes a number over HTTP; the ticket."""
    body = {"category": "tax", "description": "My property tax bill looks wrong", "key": key}
    body.update(fields)
    result = await plaza.api("POST", "/api/center/tickets", token, body)
    assert result.status == 201, result.text
    ticket: dict[str, Any] = result.json()
    return ticket


async def ticket_of(plaza: Any, token: str, ticket_id: int) -> dict[str, Any]:
    """GET /api/center/tickets?id= as ``token`` (the ticket with its events)."""
    result = await plaza.api("GET", f"/api/center/tickets?id={ticket_id}", token)
    assert result.status == 200, result.text
    ticket: dict[str, Any] = result.json()
    return ticket


async def until(probe: Any, timeout: float = TIMEOUT) -> Any:
    """Ask ``probe()`` every 0.2 s until it returns something truthy; that value."""
    async with asyncio.timeout(timeout):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(0.2)


def avatar_of(plaza: Any, subject: str) -> int | None:
    """The avatar of ``subject``'s live world connection, once it has one."""
    session = plaza.server.gateway.presence.live.get(subject)
    return session.avatar_id if session is not None and session.avatar_id else None


def zone_of(plaza: Any, subject: str) -> str | None:
    """The zone ``subject``'s avatar is in, or None without a live avatar."""
    avatar_id = avatar_of(plaza, subject)
    instance = None if avatar_id is None else plaza.server.city.where.get(avatar_id)
    return None if instance is None else str(instance.zone)


def messages(ticket: dict[str, Any]) -> list[str]:
    return [e["detail"].get("text", "") for e in ticket["events"] if e["kind"] == "message"]


async def shot(page: Any, path: pathlib.Path, box_selector: str, texts: list[str]) -> None:
    """Screenshot the whole page: not blank, ``texts`` visible, the box at ``box_selector``
    drawn with text in it; kept in ``path`` and copied to /tmp."""
    for text in texts:
        assert await page.get_by_text(text, exact=False).first.is_visible(), text
    await page.screenshot(path=str(path), full_page=True)
    pixels = image_of(path.read_bytes())
    assert colours(pixels, 37) > 20, "a blank page"
    box = await page.locator(box_selector).first.bounding_box()
    assert box is not None and box["width"] > 150 and box["height"] > 60, box
    # The box is where the viewport shows it; the full-page image starts at the page's top.
    scroll_x, scroll_y = await page.evaluate("() => [window.scrollX, window.scrollY]")
    top, left = int(box["y"] + scroll_y), int(box["x"] + scroll_x)
    panel = pixels[top : top + int(box["height"]), left : left + int(box["width"])]
    assert colours(panel, 3) > 10, f"{box_selector} has no text"
    shutil.copy(path, pathlib.Path("/tmp") / path.name)


async def no_serious_violations(page: Any) -> None:
    violations = serious(await axe_violations(page))
    assert violations == [], violations


async def test_the_console_serves_a_citizens_ticket(
    plaza: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    citizen = await plaza.guest("Minji", "en")
    ticket = await take(plaza, citizen.token, "e2e-console-minji-1", needs=["large_text"])
    ticket_id = ticket["id"]
    assert ticket["state"] == "waiting" and ticket["position"] == 1

    page = await open_page(browser, plaza.http_url + "/center/console")
    await page.set_viewport_size({"width": 1280, "height": 900})
    staff = plaza.mint("김주무관", Role.STAFF)
    await sign_in_with_token(page, staff, "en")
    await page.wait_for_selector("#desk:not([hidden])", timeout=MS)
    assert await page.is_hidden("#sign-in")
    await wait_text(page, "#me-text", "김주무관")
    # A civil servant seen for the first time is offline; the queue shows the waiting ticket.
    status = page.get_by_role("group", name="Status")
    offline = status.get_by_role("button", name="Offline")
    assert await offline.get_attribute("aria-pressed") == "true"
    # "At my desk in 3D" is on, but without a desk there is no avatar yet.
    at_desk = page.get_by_label("At my desk in 3D")
    assert await at_desk.is_checked()
    await wait_text(page, "#presence-text", "once you have a desk")
    assert avatar_of(plaza, "local:김주무관") is None
    queues = page.get_by_role("region", name="Queues", exact=True)
    tax_row = queues.get_by_role("row", name=re.compile("^Tax"))
    await tax_row.get_by_role("cell", name="1", exact=True).first.wait_for(timeout=MS)

    # Calling while offline is refused, and the API's reason is shown in the alert region.
    await page.get_by_role("button", name="Call next").click()
    await wait_text(page, "#error", "set it to available")

    # Available, then "Call next": the citizen's ticket, with its description and needs.
    available = status.get_by_role("button", name="Available")
    await available.click()
    await page.wait_for_function(
        "() => document.querySelector('#status-buttons [data-status=available]')"
        ".getAttribute('aria-pressed') === 'true'",
        timeout=MS,
    )
    await wait_text(page, "#me-text", "Desk")

    # The console's world connection brings the avatar to its desk in the 3D center.
    desk = (await plaza.api("GET", "/api/center/console", staff)).json()["me"]["desk"]
    assert desk is not None

    async def in_center() -> bool:
        return zone_of(plaza, "local:김주무관") == "center_120"

    await until(in_center)
    await wait_text(page, "#presence-text", f"Your avatar is at desk {desk} in the 120 Center")
    avatar_id = avatar_of(plaza, "local:김주무관")
    assert avatar_id is not None
    place = plaza.server.city.place_of(avatar_id)
    seat = plaza.server.city.layout("center_120").spot(f"desk_{desk}_staff")
    assert place is not None and seat is not None
    assert math.dist((place[1], place[3]), (seat.position[0], seat.position[2])) < 1.0, place

    await page.get_by_role("button", name="Call next").click()
    card = page.get_by_role("article", name=re.compile(rf"^Ticket {ticket_id} · Tax · Minji"))
    await card.wait_for(timeout=MS)
    assert await page.text_content("#error") == ""
    text = await card.text_content() or ""
    assert "My property tax bill looks wrong" in text and "Large text" in text, text
    busy = status.get_by_role("button", name="Busy")
    await page.wait_for_function(
        "() => document.querySelector('#status-buttons [data-status=busy]')"
        ".getAttribute('aria-pressed') === 'true'",
        timeout=MS,
    )
    assert await busy.get_attribute("aria-pressed") == "true"
    called = await ticket_of(plaza, citizen.token, ticket_id)
    assert called["state"] == "called" and called["staff_name"] == "김주무관"
    assert called["desk"] is not None

    # The console writes; the citizen bot reads it through its ticket's events.
    hello = "Hello Minji, I am looking at your 2025 bill now."
    await card.get_by_label("Message to the citizen").fill(hello)
    await card.get_by_role("button", name="Send", exact=True).click()

    async def citizen_read() -> bool:
        return hello in messages(await ticket_of(plaza, citizen.token, ticket_id))

    await until(citizen_read)
    assert (await ticket_of(plaza, citizen.token, ticket_id))["state"] == "in_consultation"

    # The citizen bot answers; the console shows it in the conversation.
    answer = "Thank you! The second instalment was charged twice."
    line = {"id": ticket_id, "text": answer}
    said = await plaza.api("POST", "/api/center/tickets/message", citizen.token, line)
    assert said.status == 201, said.text
    log = f"article[data-ticket='{ticket_id}'] .chat-log"
    await wait_text(page, log, f"Minji: {answer}")
    await wait_text(page, log, f"You: {hello}")

    # An internal note: on the console, never in the citizen's view.
    note = "Checked the tax system: instalment 2 was charged twice."
    await card.get_by_label("New note").fill(note)
    await card.get_by_role("button", name="Add note").click()
    await wait_text(page, f"article[data-ticket='{ticket_id}'] .notes", note)
    seen = await ticket_of(plaza, citizen.token, ticket_id)
    assert note not in json.dumps(seen) and all(e["kind"] != "note" for e in seen["events"])

    await no_serious_violations(page)
    await shot(
        page,
        tmp_path / "plaza-center-console.png",
        f"article[data-ticket='{ticket_id}']",
        [answer, note, "Call next"],
    )

    # Close with a resolution: the card goes, the API says closed, the desk is free again.
    resolution = "The double charge is refunded within 5 working days."
    await card.get_by_label("Resolution").fill(resolution)
    await card.get_by_role("button", name="Close with this resolution").click()
    await card.wait_for(state="detached", timeout=MS)
    await wait_text(page, "#status", f"Ticket {ticket_id} closed")
    closed = await ticket_of(plaza, citizen.token, ticket_id)
    assert closed["state"] == "closed" and closed["resolution"] == resolution
    assert closed["closed_at"] is not None
    await page.wait_for_function(
        "() => document.querySelector('#status-buttons [data-status=available]')"
        ".getAttribute('aria-pressed') === 'true'",
        timeout=MS,
    )
    assert await page.is_visible("#serving-empty")
    day = page.get_by_role("region", name="Your day", exact=True)
    await wait_text(page, "#day-figures", "Closed1")
    assert "Called1" in (await day.text_content() or "")

    # Nobody else waits: "Call next" says so.
    await page.get_by_role("button", name="Call next").click()
    await wait_text(page, "#status", "Nobody is waiting")
    # Serving kept the avatar at its desk; turning "At my desk in 3D" off takes it away.
    assert zone_of(plaza, "local:김주무관") == "center_120"
    await at_desk.uncheck()

    async def gone() -> bool:
        return avatar_of(plaza, "local:김주무관") is None

    await until(gone)
    await wait_text(page, "#presence-text", "Your avatar is not in the 3D center")
    # The language can be changed at any time, from the header.
    await page.select_option("#locale-select", "ko")
    await page.get_by_role("button", name="다음 번호 호출").wait_for(timeout=MS)
    assert await page.text_content("h1") == "120 센터 상담 콘솔"
    await wait_text(page, "#day-figures", "종결1")
    assert page.errors == []


async def test_a_citizen_takes_a_number_and_follows_it(
    plaza: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    # Someone is in the tax queue already.
    jun = await plaza.guest("Jun", "en")
    first = await take(plaza, jun.token, "e2e-citizen-jun-01")

    page = await open_page(browser, plaza.http_url + "/center")
    await sign_in(page, "Mina", "en")
    await page.wait_for_selector("#take:not([hidden])", timeout=MS)
    await wait_text(page, "#hours-text", "Open now")
    form = page.get_by_role("region", name="Take a number", exact=True)
    await form.get_by_label("Category").select_option("tax")
    await form.get_by_label("What is it about?").fill("I need a parking permit for my street.")
    await form.get_by_label("Easy language").check()
    await form.get_by_role("button", name="Take a number").click()
    await wait_text(page, "#status", "You have ticket number")

    # The ticket is shown with its place in line and a wait estimate.
    current = page.get_by_role("region", name="My ticket", exact=True)
    await current.wait_for(timeout=MS)
    await wait_text(page, "#current-facts", "Number 2 in line (1 ahead of you)")
    assert "Estimated wait" in (await page.text_content("#current-facts") or "")
    assert await page.text_content("#current-state") == "Waiting"
    token = await page.evaluate("() => sessionStorage.getItem('plaza.token')")
    mine = (await plaza.api("GET", "/api/center/tickets/mine", token)).json()["tickets"]
    assert len(mine) == 1, mine
    ticket = mine[0]
    assert ticket["position"] == 2 and ticket["needs"] == ["easy_language"]
    assert ticket["category"] == "tax" and ticket["citizen_name"] == "Mina"
    listed = page.get_by_role("region", name="My tickets", exact=True)
    assert str(ticket["id"]) in (await listed.text_content() or "")

    await no_serious_violations(page)
    await shot(
        page,
        tmp_path / "plaza-center-ticket.png",
        "#current",
        ["Number 2 in line (1 ahead of you)", "I need a parking permit"],
    )

    # Jun is served and leaves; Mina is next, then called: the page says which desk.
    kim, lee = plaza.mint("kim", Role.STAFF), plaza.mint("lee", Role.STAFF)
    for staff in (kim, lee):
        ok = await plaza.api("POST", "/api/center/staff", staff, {"status": "available"})
        assert ok.status == 200, ok.text
    got = (await plaza.api("POST", "/api/center/call-next", kim, {})).json()["ticket"]
    assert got["id"] == first["id"]
    await wait_text(page, "#current-facts", "You are next")
    got = (await plaza.api("POST", "/api/center/call-next", lee, {})).json()["ticket"]
    assert got["id"] == ticket["id"]
    await wait_text(page, "#current-called", f"Please go to desk {got['desk']}")
    await wait_text(page, "#status", f"Ticket {ticket['id']} is called")

    # The conversation: the civil servant's line appears, the citizen answers from the page.
    said = await plaza.api(
        "POST",
        "/api/center/tickets/message",
        lee,
        {"id": ticket["id"], "text": "Hello Mina, which street?"},
    )
    assert said.status == 201, said.text
    await wait_text(page, "#conversation-lines", "lee: Hello Mina, which street?")
    await page.get_by_label("Message to the civil servant").fill("Sejong-daero, please.")
    await page.get_by_role("button", name="Send", exact=True).click()
    await wait_text(page, "#conversation-lines", "You: Sejong-daero, please.")

    async def staff_read() -> bool:
        return "Sejong-daero, please." in messages(await ticket_of(plaza, lee, ticket["id"]))

    await until(staff_read)

    # Closed by the civil servant: the resolution shows, and a rating can be given once.
    closed = await plaza.api(
        "POST",
        "/api/center/tickets/close",
        lee,
        {"id": ticket["id"], "resolution": "Permit issued; it arrives by post."},
    )
    assert closed.status == 200, closed.text
    rating = page.get_by_role("region", name="Rate the service", exact=True)
    await rating.wait_for(timeout=MS)
    await wait_text(page, "#current-facts", "Permit issued; it arrives by post.")
    await rating.get_by_label("5 stars").check()
    await rating.get_by_label("Comment (optional)").fill("Quick and kind")
    await rating.get_by_role("button", name="Send rating").click()
    await wait_text(page, "#rated-text", "Your rating: ★★★★★ (5/5) — Quick and kind")
    assert await page.is_hidden("#rating")
    rated = await ticket_of(plaza, token, ticket["id"])
    assert rated["rating"] == 5 and rated["rating_comment"] == "Quick and kind"
    history = await page.text_content("#history-list") or ""
    assert "Rated 5 stars" in history and "Closed: Permit issued" in history, history
    await no_serious_violations(page)
    assert page.errors == []


def closed_hours() -> str:
    """Staffed hours that do not include now: one hour, three days from today (Seoul)."""
    today = dt.datetime.now(ZoneInfo("Asia/Seoul")).weekday()
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(today + 3) % 7]
    return f"{day} 09:00-10:00"


async def test_a_callback_request_while_the_center_is_closed(
    plaza_factory: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    plaza = await plaza_factory(center_hours=closed_hours())
    page = await open_page(browser, plaza.http_url + "/center")
    await sign_in(page, "민지", "ko")
    await page.wait_for_selector("#take:not([hidden])", timeout=MS)
    await wait_text(page, "#hours-text", "지금은 상담 시간이 아닙니다")
    assert await page.is_hidden("#callback-row")
    form = page.get_by_role("region", name="번호표 받기", exact=True)
    await form.get_by_label("문의 내용").fill("주차 요금 문의")
    # Without a contact, the page asks for one before sending anything.
    await form.get_by_role("button", name="연락 요청 남기기").click()
    await wait_text(page, "#error", "연락받을 전화번호나 이메일을 적어 주세요")
    await form.get_by_label("연락처 (전화번호 또는 이메일)").fill("010-1234-5678")
    await form.get_by_role("button", name="연락 요청 남기기").click()
    await wait_text(page, "#status", "연락 요청")
    await wait_text(page, "#current-number", "연락 요청")
    token = await page.evaluate("() => sessionStorage.getItem('plaza.token')")
    mine = (await plaza.api("GET", "/api/center/tickets/mine", token)).json()["tickets"]
    assert len(mine) == 1 and mine[0]["callback"] is True, mine
    assert mine[0]["contact"] == "010-1234-5678"
    await no_serious_violations(page)
    await shot(page, tmp_path / "plaza-center-callback-ko.png", "#current", ["010-1234-5678"])
    assert page.errors == []


async def test_the_dashboard_shows_the_days_figures(
    plaza: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    citizen = await plaza.guest("Minji", "en")
    staff = plaza.mint("kim", Role.STAFF)
    served = await take(plaza, citizen.token, "e2e-dash-serve-01", category="welfare")
    waiting = await take(plaza, citizen.token, "e2e-dash-wait-001")
    ready = await plaza.api("POST", "/api/center/staff", staff, {"status": "available"})
    assert ready.status == 200, ready.text
    got = (await plaza.api("POST", "/api/center/call-next", staff, {})).json()["ticket"]
    assert got["id"] == served["id"]
    body = {"id": got["id"], "resolution": "Done"}
    assert (await plaza.api("POST", "/api/center/tickets/close", staff, body)).status == 200
    rate = {"id": got["id"], "stars": 4}
    rated = await plaza.api("POST", "/api/center/tickets/rate", citizen.token, rate)
    assert rated.status == 200, rated.text

    # A civil servant is refused; a supervisor sees the figures.
    page = await open_page(browser, plaza.http_url + "/center/dashboard")
    await sign_in_with_token(page, staff, "en")
    await wait_text(page, "#error", "The dashboard is for admin accounts only")
    assert await page.is_visible("#sign-in")
    await page.fill("#token-input", plaza.mint("boss", Role.ADMIN))
    await page.click("#sign-in-form button[type=submit]")
    await page.wait_for_selector("#board:not([hidden])", timeout=MS)
    summary = page.get_by_role("region", name="Summary", exact=True)
    await wait_text(page, "#summary-figures", "Waiting now1")
    text = await summary.text_content() or ""
    assert "Taken today2" in text and "Closed today1" in text, text
    assert "Satisfaction4 / 5" in text, text
    waiting_rows = page.get_by_role("region", name="Waiting per category", exact=True)
    assert await waiting_rows.get_by_role("row", name=re.compile("^Tax 1")).count() == 1
    await wait_text(page, "#satisfaction-mean", "Mean 4 / 5 (ratings: 1)")
    per_staff = page.get_by_role("region", name="Per civil servant", exact=True)
    assert await per_staff.get_by_role("row", name=re.compile("^kim 1 1")).count() == 1
    await wait_text(page, "#staff-status-rows", "Available1")
    assert waiting["state"] == "waiting"
    await no_serious_violations(page)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await shot(page, tmp_path / "plaza-center-dashboard.png", "#per-staff", ["Mean 4 / 5"])
    assert page.errors == []
