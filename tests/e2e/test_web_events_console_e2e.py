"""The festival organizer's console (/events/console) in a real browser (Debian's chromium
through playwright) against a real server and PostgreSQL: an organizer signs in with a token,
schedules and edits an event, opens its gates and sets its capacity, runs a countdown (a countdown
moment, listed and counting down on the server's clock), fires a quick cue, fills in and
schedules the Bosingak bell preset and cancels it, sees a bot's avatar in the festival
grounds' attendance, announces to the grounds, sets chat slow mode, kicks the bot, and is
told the API's reason when something is refused. Nothing is mocked; the page gets an
axe-core check and a screenshot (copied to /tmp/plaza-events-console.png)."""

from __future__ import annotations

import asyncio
import pathlib
import re
import shutil
import time
from typing import Any

import pytest

from tests.e2e.web_pages import (
    TIMEOUT,
    axe_violations,
    colours,
    image_of,
    open_page,
    serious,
    sign_in_with_token,
    wait_text,
)
from world.roles import Role

pytestmark = pytest.mark.e2e

MS = TIMEOUT * 1000
SCREENSHOT = pathlib.Path("/tmp/plaza-events-console.png")
# A browser-local <input type=datetime-local> value, `seconds` from now.
LOCAL_INPUT = """(seconds) => {
  const d = new Date(Date.now() + seconds * 1000);
  const p = (n) => String(n).padStart(2, "0");
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return `${day}T${p(d.getHours())}:${p(d.getMinutes())}`;
}"""


async def until(probe: Any, timeout: float = TIMEOUT) -> Any:
    """Ask ``probe()`` every 0.2 s until it returns something truthy; that value."""
    async with asyncio.timeout(timeout):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(0.2)


async def events_of(plaza: Any) -> list[dict[str, Any]]:
    answer = await plaza.api("GET", "/api/events")
    assert answer.status == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


async def moments_of(plaza: Any) -> list[dict[str, Any]]:
    answer = await plaza.api("GET", "/api/events/moments")
    assert answer.status == 200, answer.text
    moments: list[dict[str, Any]] = answer.json()["moments"]
    return moments


async def refused(page: Any, text: str) -> None:
    """The alert region shows the API's reason."""
    await wait_text(page, "#error", text)


async def said(page: Any, text: str) -> None:
    """The polite status line says ``text``."""
    await wait_text(page, "#status", text)


async def test_an_organizer_runs_a_festival_from_the_console(
    plaza: Any, browser: Any, tmp_path: pathlib.Path
) -> None:
    organizer = plaza.mint("축제기획", Role.ORGANIZER)
    page = await open_page(browser, plaza.http_url + "/events/console")
    await page.set_viewport_size({"width": 1400, "height": 1000})
    assert await page.title() in ("축제 운영 콘솔", "Festival organizer console")

    # A citizen's token is turned away with the reason; the organizer's is let in.
    await sign_in_with_token(page, plaza.mint("minji"), "en")
    await refused(page, "for organizer and admin accounts only; this account is citizen")
    assert await page.is_hidden("#console")
    await page.fill("#token-input", organizer)
    await page.click("#sign-in-form button[type=submit]")
    await page.wait_for_selector("#console:not([hidden])", timeout=MS)
    await said(page, "Signed in as 축제기획 (organizer)")
    await wait_text(page, "#events-empty", "No upcoming events")

    # Schedule an event from the form: four languages, local times sent with their offset.
    form = page.locator("#event-form")
    await form.get_by_label(re.compile(r"^Title · Korean")).fill("보신각 타종")
    await form.get_by_label(re.compile(r"^Title · English")).fill("Bosingak bell ringing")
    await form.get_by_label(re.compile(r"^Title · Japanese")).fill("普信閣の除夜の鐘")
    await form.get_by_label(re.compile(r"^Description · Korean")).fill("새해 자정의 33번 타종")
    await form.get_by_label(re.compile(r"^Description · English")).fill("33 strokes at midnight")
    await form.get_by_label("Starts").fill(await page.evaluate(LOCAL_INPUT, 120))
    await form.get_by_label("Ends").fill(await page.evaluate(LOCAL_INPUT, 2 * 3600))
    await form.get_by_label("Capacity").fill("10000")
    await form.get_by_label(re.compile("^Performers")).fill("local:drummer, local:singer")
    await form.get_by_role("button", name="Create event").click()
    await said(page, "created")
    [event] = await events_of(plaza)
    assert event["title"] == {
        "ko": "보신각 타종",
        "en": "Bosingak bell ringing",
        "ja": "普信閣の除夜の鐘",
    }
    assert event["performers"] == ["local:drummer", "local:singer"]
    assert event["stage"] == "main" and event["capacity"] == 10000
    assert 60 < event["starts_at"] - time.time() < 180, event
    events_table = page.get_by_role("region", name="Events", exact=True)
    row = events_table.get_by_role("row", name=re.compile("^Bosingak bell ringing"))
    await row.wait_for(timeout=MS)
    assert "upcoming" in (await row.text_content() or "")
    await wait_text(page, "#event-select", "Bosingak bell ringing")

    # Edit it: only what changed is sent (the start stays where it was).
    await row.get_by_role("button", name=f"Edit event {event['id']}").click()
    await wait_text(page, "#editor-title", f"Editing event {event['id']}")
    assert await page.evaluate("() => document.activeElement.id") == "editor-title"
    assert await form.get_by_label("Stage").is_disabled()
    await form.get_by_label(re.compile(r"^Title · English")).fill("Bosingak bell ringing 2027")
    await form.get_by_role("button", name="Save changes").click()
    await said(page, f"Event {event['id']} saved")
    [edited] = await events_of(plaza)
    assert edited["title"]["en"] == "Bosingak bell ringing 2027"
    assert edited["starts_at"] == event["starts_at"], (edited, event)
    await wait_text(page, "#editor-title", "New event")

    # Open the gates, then set the capacity.
    running = page.get_by_role("region", name="Running the event")
    await running.get_by_role("button", name="Open the gates").click()
    await wait_text(page, "#gates-state", "Gates: open")
    await said(page, "the gates are open")
    assert (await events_of(plaza))[0]["gates"] == "open"
    await running.get_by_label("Capacity").fill("5000")
    await running.get_by_role("button", name="Set capacity").click()
    await said(page, "capacity 5000")
    assert (await events_of(plaza))[0]["capacity"] == 5000
    await row.get_by_role("cell", name="5,000").wait_for(timeout=MS)

    # A bot walks the grounds: the attendance per instance shows it within a poll or two.
    await plaza.place_in("local:visitor", "festival")
    visitor = await plaza.client(token=plaza.mint("visitor"))
    assert visitor.zone == "festival"
    await wait_text(page, "#attendance-total", "1 in the festival grounds")
    attendance = page.get_by_role("region", name="Attendance per instance")
    await attendance.get_by_role("row", name=re.compile("^Instance 1 1")).wait_for(timeout=MS)

    # A time in the past is refused by the server, and its reason is shown.
    countdown = page.get_by_role("region", name="Countdown", exact=True)
    await countdown.get_by_label("Target time").fill(await page.evaluate(LOCAL_INPUT, -600))
    await countdown.get_by_role("button", name="Schedule the countdown").click()
    await refused(page, "Scheduling the moment failed: at: that is in the past")

    # The countdown: "In 1 min" fills the time from the server's clock; it is listed and counts.
    await countdown.get_by_role("button", name="In 1 min").click()
    await wait_text(page, "#countdown-sent", "Sent as ")
    await countdown.get_by_label("Label (Korean)").fill("새해 카운트다운")
    await countdown.get_by_label("Label (English)").fill("New Year countdown")
    await countdown.get_by_role("button", name="Schedule the countdown").click()
    await said(page, "Countdown scheduled at")
    assert await page.text_content("#error") == ""
    [counting] = [m for m in await moments_of(plaza) if m["kind"] == "countdown"]
    assert 50 < counting["at"] - time.time() < 70, counting
    assert counting["label"] == {"ko": "새해 카운트다운", "en": "New Year countdown"}
    await wait_text(page, "#countdown-what", "New Year countdown")
    moments_table = page.get_by_role("region", name="Upcoming moments")
    listed = moments_table.get_by_role("row").filter(has_text="New Year countdown")
    await listed.wait_for(timeout=MS)
    first = await page.text_content("#countdown-display") or ""
    assert re.fullmatch(r"0[01]:\d\d", first), first
    await page.wait_for_function(
        "(first) => document.querySelector('#countdown-display').textContent !== first",
        arg=first,
        timeout=MS,
    )
    shown = await page.text_content("#countdown-display") or ""
    left = int(shown[:2]) * 60 + int(shown[3:])
    assert 0 < left < int(first[:2]) * 60 + int(first[3:]), (first, shown)
    assert abs(left - (counting["at"] - time.time())) < 3, (shown, counting["at"] - time.time())
    in_cell = await listed.locator(".moment-in").text_content() or ""
    assert re.fullmatch(r"0[01]:\d\d", in_cell), in_cell

    # Fireworks in 5 s: scheduled at once on the server's clock.
    cues = page.get_by_role("region", name="Quick cues")
    await cues.get_by_role("button", name="Fireworks in 5 s").click()
    await said(page, "Fireworks scheduled at")
    [fireworks] = [m for m in await moments_of(plaza) if m["kind"] == "fireworks"]
    assert 2 < fireworks["at"] - time.time() < 7, fireworks
    await moments_table.get_by_role("row").filter(has_text="Fireworks").wait_for(timeout=MS)

    # The bell preset fills the form (33 strokes, 2.5 s apart, midnight in Seoul); schedule it,
    # then cancel it.
    await cues.get_by_role("button", name=re.compile("^Bell preset")).click()
    assert await page.input_value("#moment-kind") == "bell"
    assert await page.input_value("#moment-count") == "33"
    assert await page.input_value("#moment-every") == "2.5"
    await wait_text(page, "#moment-sent", "(Seoul 00:00:00)")
    await cues.get_by_role("button", name="Schedule", exact=True).click()
    await said(page, "Bell scheduled at")
    [bell] = [m for m in await moments_of(plaza) if m["kind"] == "bell"]
    assert (bell["count"], bell["every_s"]) == (33, 2.5)
    assert (bell["at"] + 9 * 3600) % 86400 == 0, bell
    bell_row = moments_table.get_by_role("row").filter(has_text="33 \u00d7 every 2.5 s")
    await bell_row.wait_for(timeout=MS)
    await bell_row.get_by_role("button", name=f"Cancel moment {bell['id']}").click()
    await said(page, f"Moment {bell['id']} cancelled")
    assert all(m["id"] != bell["id"] for m in await moments_of(plaza))
    await bell_row.wait_for(state="detached", timeout=MS)

    # The announcement: to everyone in the grounds, in their language.
    announce = page.get_by_role("region", name="Announcement")
    await announce.get_by_label(re.compile(r"^Announcement · Korean")).fill("곧 타종이 시작됩니다")
    await announce.get_by_label(re.compile(r"^Announcement · English")).fill("The bell rings soon")
    await announce.get_by_role("button", name="Send the announcement").click()
    await said(page, "Announcement sent (1 reached)")

    def announced(client: Any) -> bool:
        return any(e.type == "announcement" for e in client.zone_events)

    await visitor.wait_for(announced, TIMEOUT)

    # Moderation from the console: a mute (audited), slow mode, a kick.
    moderation = page.get_by_role("region", name="Moderation")
    await moderation.get_by_label("User id").fill("local:visitor")
    await moderation.get_by_label("Reason").fill("shouting in the crowd")
    await moderation.get_by_role("button", name="Mute").click()
    await said(page, "local:visitor muted")
    await moderation.get_by_label(re.compile("^Seconds between")).fill("10")
    await moderation.get_by_role("button", name="Apply").click()
    await said(page, "Slow mode: one line every 10 s")
    await moderation.get_by_role("button", name="Kick from the grounds").click()
    await said(page, "local:visitor was moved out to the entrance")
    await visitor.wait_for(lambda c: c.zone != "festival", TIMEOUT)
    await wait_text(page, "#attendance-total", "0 in the festival grounds")

    # Keyboard: the cancel of an event asks for a second press.
    cancel = row.get_by_role("button", name=f"Cancel event {event['id']}")
    await cancel.focus()
    await page.keyboard.press("Enter")
    await said(page, "Press again to cancel it")
    assert (await events_of(plaza))[0]["cancelled"] is False

    # The countdown still runs; the page in Korean; then axe and the screenshot.
    await page.select_option("#locale-select", "ko")
    await wait_text(page, "h1", "축제 운영 콘솔")
    await wait_text(page, "#countdown-what", "새해 카운트다운")
    await page.select_option("#locale-select", "en")
    await wait_text(page, "h1", "Festival organizer console")
    await page.evaluate("() => document.activeElement && document.activeElement.blur()")
    violations = serious(await axe_violations(page))
    assert violations == [], violations
    shot = tmp_path / SCREENSHOT.name
    await page.screenshot(path=str(shot), full_page=True)
    pixels = image_of(shot.read_bytes())
    assert pixels.shape[0] > 900 and colours(pixels, 37) > 20, "a blank page"
    box = await page.locator("#countdown .countdown-box").bounding_box()
    assert box is not None and box["width"] > 300, box
    scroll_x, scroll_y = await page.evaluate("() => [window.scrollX, window.scrollY]")
    top, left_px = int(box["y"] + scroll_y), int(box["x"] + scroll_x)
    panel = pixels[top : top + int(box["height"]), left_px : left_px + int(box["width"])]
    assert colours(panel, 3) > 5, "the countdown has no figures"
    shutil.copy(shot, SCREENSHOT)

    # Slow mode off again.
    await moderation.get_by_role("button", name="Turn off").click()
    await said(page, "Slow mode: off")

    assert page.errors == [], page.errors
