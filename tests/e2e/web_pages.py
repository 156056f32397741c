"""Helpers for the browser tests: open a page, sign in, wait for the avatar, read pixels,
run axe-core. Shared by every test_web_*_e2e.py file."""

from __future__ import annotations

import io
import pathlib
from typing import Any

import numpy as np
from PIL import Image

__all__ = [
    "AXE",
    "TIMEOUT",
    "axe_violations",
    "colours",
    "image_of",
    "open_page",
    "serious",
    "sign_in",
    "sign_in_with_token",
    "wait_joined",
    "wait_text",
]

TIMEOUT = 20.0
WEB = pathlib.Path(__file__).resolve().parents[2] / "clients" / "web"
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"


async def open_page(browser: Any, url: str, init_script: str | None = None) -> Any:
    """A page in a fresh context (profile); ``page.errors`` collects uncaught errors."""
    context = await browser.new_context(viewport={"width": 960, "height": 600})
    if init_script is not None:
        await context.add_init_script(script=init_script)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    await page.goto(url)
    return page


async def sign_in(page: Any, name: str, locale: str = "ko") -> None:
    """Sign in as a guest through the page's form, in the language chosen there."""
    await page.fill("#name-input", name)
    await page.select_option("#locale-select", locale)
    await page.click("#sign-in-form button[type=submit]")


async def sign_in_with_token(page: Any, token: str, locale: str) -> None:
    """The sign-in form's token field (staff, citizens), with the language chosen there."""
    await page.select_option("#locale-select", locale)
    await page.click("details summary")
    await page.fill("#token-input", token)
    await page.click("#sign-in-form button[type=submit]")


async def wait_joined(page: Any) -> int:
    """Wait until the page's connection has its avatar; returns the avatar id."""
    await page.wait_for_function(
        "() => window.__plaza && window.__plaza.visit.connection.state === 'joined'",
        timeout=TIMEOUT * 1000,
    )
    avatar_id: int = await page.evaluate("() => window.__plaza.visit.connection.avatarId")
    return avatar_id


async def wait_text(page: Any, selector: str, text: str) -> None:
    """Wait until the element at ``selector`` contains ``text``."""
    await page.wait_for_function(
        "([selector, text]) => document.querySelector(selector).textContent.includes(text)",
        arg=[selector, text],
        timeout=TIMEOUT * 1000,
    )


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length}))"
    )
    return violations


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The serious and critical ones."""
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def image_of(png: bytes) -> np.ndarray:
    """A screenshot as an RGB array."""
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"))


def colours(image: np.ndarray, stride: int = 7) -> int:
    """How many distinct colours a sample of the pixels has (a blank area has one or two)."""
    return len({tuple(p) for p in image.reshape(-1, image.shape[-1])[::stride]})
