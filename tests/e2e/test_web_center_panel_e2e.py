"""The 120 Center's panel on the 2D page in a real browser: take a number at the kiosk, follow
the queue, be called to a desk, talk in private, rate."""

from __future__ import annotations

import asyncio
import pathlib
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

MS = TIMEOUT * 1000


async def test_the_center_panel_takes_a_number_follows_the_call_and_rates(
    plaza: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    kim = plaza.mint("kim", Role.STAFF)
    assert (
        await plaza.api("POST", "/api/center/staff", kim, {"status": "available"})
    ).status == 200
    page = await open_page(browser, plaza.http_url + "/2d")
    await sign_in(page, "Mina", "en")
    avatar_id = await wait_joined(page)
    assert await page.is_hidden("#center")
    assert plaza.server.city.summon(avatar_id, "center_120", "kiosk")
    await page.wait_for_selector("#center:not([hidden])", timeout=MS)
    body = page.locator("#center-body")
    await wait_text(page, "#center-body .center-hours", "Open now")
    await wait_text(page, "#center-body .center-desks", "Desk")
    assert await body.locator(".center-ticket").is_hidden()
    form = body.locator("form.center-take")
    # Refused at once: no category.
    await form.get_by_role("button", name="Take a number").click()
    await wait_text(page, "#center-body .center-take .form-note", "Please choose a category")
    await form.get_by_label("Category").select_option("tax")
    await form.get_by_label("Easy language").check()
    # A redraw (another language) keeps what was typed.
    await page.evaluate("() => window.__plaza.center.render()")
    form = body.locator("form.center-take")
    assert await form.get_by_label("Category").input_value() == "tax"
    assert await form.get_by_label("Easy language").is_checked()
    await form.locator("textarea").fill("I need a parking permit for my street.")
    await form.get_by_role("button", name="Take a number").click()
    await wait_text(page, "#center-body .center-ticket > .form-note", "You have number")
    assert await form.is_hidden()
    head = await body.locator(".center-ticket-head").text_content()
    assert "Number" in head and "Tax" in head and "waiting" in head, head
    await wait_text(page, "#center-body .center-ticket-place", "Place in the queue: 1")
    await wait_text(page, "#center-toast .center-toast-status", "1")
    assert await body.get_by_role("button", name="Leave the queue").is_visible()
    assert await body.get_by_role("button", name="Go to the desk").is_hidden()
    assert await body.locator(".center-consultation").is_hidden()
    assert await body.locator(".center-rating").is_hidden()

    got = (await plaza.api("POST", "/api/center/call-next", kim, {})).json()["ticket"]
    await wait_text(page, "#center-toast .center-toast-alert", str(got["desk"]))
    await wait_text(page, "#center-body .center-called", str(got["desk"]))
    assert await body.locator(".center-consultation").is_visible()
    await wait_text(page, "#center-body .center-messages", "No messages yet")
    await body.get_by_role("button", name="Go to the desk").click()
    await wait_text(page, "#center-body .center-ticket > .form-note", "desk")
    said = await plaza.api(
        "POST", "/api/center/tickets/message", kim, {"id": got["id"], "text": "Hello Mina"}
    )
    assert said.status == 201, said.text
    await wait_text(page, "#center-body .center-messages", "kim: Hello Mina")
    await body.get_by_label("Message to the civil servant").fill("Sejong-daero")
    await body.get_by_role("button", name="Send", exact=True).click()
    await wait_text(page, "#center-body .center-messages", "Mina: Sejong-daero")
    await asyncio.sleep(1.0)
    items = await body.locator(".center-messages li").all_text_contents()
    assert len(items) == 2, items  # the answer and its push count once
    assert await body.locator(".center-messages li.chat-mine").count() == 1
    await page.evaluate("() => window.__plaza.center.render()")
    items = await body.locator(".center-messages li").all_text_contents()
    assert len(items) == 2, items

    closed = await plaza.api(
        "POST",
        "/api/center/tickets/close",
        kim,
        {"id": got["id"], "resolution": "Permit issued."},
    )
    assert closed.status == 200, closed.text
    rating = body.locator(".center-rating")
    await rating.wait_for(state="visible", timeout=MS)
    await wait_text(page, "#center-body .center-resolution", "Permit issued.")
    assert await body.get_by_role("button", name="Leave the queue").is_hidden()
    await rating.get_by_role("button", name="Send rating").click()
    await wait_text(page, "#center-body .center-rating .form-note", "Please choose the stars")
    await rating.get_by_label("4 stars").check()
    await rating.get_by_label("Comment (optional)").fill("Kind")
    await rating.get_by_role("button", name="Send rating").click()
    await wait_text(page, "#center-body .center-rated", "4")
    assert await rating.locator("form").is_hidden()
    # The consultation stays to be read again.
    assert await body.locator(".center-consultation").is_visible()
    assert await body.locator("form.center-talk").is_hidden()
    # The form is back for the next number.
    assert await body.locator("form.center-take").is_visible()
    violations = serious(await axe_violations(page))
    assert violations == [], violations
    shot = tmp_path / "center-panel.png"
    await page.screenshot(path=str(shot))
    image = image_of(shot.read_bytes())
    assert colours(image) > 20  # a drawn page, not a blank one
    assert page.errors == []
