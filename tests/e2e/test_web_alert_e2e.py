"""An emergency alert in a real browser: over the 3D and the 2D page, in the reader's
language, read out (role="alert"), and still shown to a page that connects later."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.web_pages import TIMEOUT, axe_violations, open_page, serious, sign_in, wait_joined
from world.roles import Role

pytestmark = pytest.mark.e2e

MS = TIMEOUT * 1000
ALERT = {
    "title": {"ko": "대피 안내", "en": "Evacuation notice"},
    "body": {"ko": "북쪽 출구로 이동하세요.", "en": "Leave by the north exit."},
}


async def test_an_alert_is_shown_over_the_pages_and_to_late_comers(
    plaza: Any, browser: Any
) -> None:
    page2d = await open_page(browser, plaza.http_url + "/2d")
    await sign_in(page2d, "Jun", "en")
    await wait_joined(page2d)
    page3d = await open_page(browser, plaza.http_url + "/")
    await sign_in(page3d, "민지", "ko")
    await wait_joined(page3d)

    sent = await plaza.api("POST", "/api/alerts", plaza.mint("mayor", Role.ADMIN), ALERT)
    assert sent.status == 201, sent.text
    assert sent.json()["reached"] == 2

    box2d = page2d.locator("#alert[role=alert] .alert-box")
    await box2d.wait_for(timeout=MS)
    assert await box2d.locator("h2").text_content() == "Evacuation notice"
    assert "north exit" in (await box2d.text_content() or "")
    box3d = page3d.locator("#alert .alert-box")
    await box3d.wait_for(timeout=MS)
    assert await box3d.locator("h2").text_content() == "대피 안내"
    # Over everything: the topmost element at the alert's centre is the alert.
    on_top = await page3d.evaluate(
        """() => {
            const box = document.querySelector('#alert .alert-box').getBoundingClientRect();
            const hit = document.elementFromPoint(box.x + box.width / 2, box.y + 10);
            return document.getElementById('alert').contains(hit);
        }"""
    )
    assert on_top
    assert serious(await axe_violations(page2d)) == []

    # A page opened after the alert still shows it; closing it takes it away.
    late = await open_page(browser, plaza.http_url + "/2d")
    await sign_in(late, "Ara", "en")
    await wait_joined(late)
    box = late.locator("#alert .alert-box")
    await box.wait_for(timeout=MS)
    await box.get_by_role("button", name="Close").click()
    await late.locator("#alert").wait_for(state="hidden", timeout=MS)
    for page in (page2d, page3d, late):
        assert page.errors == []
