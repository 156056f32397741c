"""``plaza bench web``: the 3D client's frame time with N avatars in view.

A ``plaza serve`` subprocess (view limit raised so every avatar can be seen), N bots
walking around the spawn (``plaza_client.bots``), and the web client in Debian's chromium
(playwright) signed in among them. After a warm-up the page's own frame times are read for
the measured window, with how many avatars it drew and the renderer's draw calls. WebGL
runs on SwiftShader (the CPU) here, far slower than any laptop's GPU: the figures bound the
cost from above, and the draw-call count shows that it does not grow with the crowd.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
from typing import Any

import numpy as np
from plaza_client.bots import BotFleet

from server.bench.browser import CHROMIUM, CHROMIUM_ARGS
from server.bench.server_process import running_server
from world.interest import MAX_VISIBLE

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``plaza bench web``."""
    parser.add_argument("--avatars", type=int, default=200, help="bots walking in view")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)


async def _measure(http: str, args: argparse.Namespace) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    fleet = BotFleet(http, args.avatars, probes=0)
    await fleet.connect()
    walking = asyncio.create_task(fleet.walk(args.warmup + args.seconds + 30.0))
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            page = await browser.new_page(viewport={"width": args.width, "height": args.height})
            await page.goto(http + "/")
            await page.fill("#name-input", "bench")
            await page.click("#sign-in-form button[type=submit]")
            await page.wait_for_function(
                "() => window.__plaza && window.__plaza.visit.connection.state === 'joined'",
                timeout=60_000,
            )
            await asyncio.sleep(args.warmup)
            await page.evaluate(
                "() => { const p = window.__plaza.plaza; p.frameTimes.length = 0;"
                " p.workTimes.length = 0; }"
            )
            drawn: list[int] = []
            for _ in range(int(args.seconds)):
                await asyncio.sleep(1.0)
                drawn.append(await page.evaluate("() => window.__plaza.plaza.crowd.drawn.size"))
            figures = await page.evaluate(
                """() => {
                    const p = window.__plaza.plaza;
                    const info = p.renderer.info.render;
                    return {frames: p.frameTimes.slice(), work: p.workTimes.slice(),
                            calls: info.calls, triangles: info.triangles};
                }"""
            )
            await browser.close()
    finally:
        walking.cancel()
        await fleet.close()
    frames = np.asarray(figures["frames"][1:], dtype=np.float64)
    work = np.asarray(figures["work"][1:], dtype=np.float64)
    return {
        "bench": "web",
        "avatars": args.avatars,
        "bots_connected": fleet.stats.connected,
        "visible_mean": round(float(np.mean(drawn)), 1) if drawn else 0.0,
        "frames": int(frames.size),
        "frame_mean_ms": round(float(frames.mean()), 2) if frames.size else None,
        "frame_p50_ms": round(float(np.percentile(frames, 50)), 2) if frames.size else None,
        "frame_p95_ms": round(float(np.percentile(frames, 95)), 2) if frames.size else None,
        "fps": round(1000.0 / float(frames.mean()), 1) if frames.size else 0.0,
        "script_mean_ms": round(float(work.mean()), 2) if work.size else None,
        "draw_calls": figures["calls"],
        "triangles": figures["triangles"],
        "viewport": f"{args.width}x{args.height}",
        "renderer": "SwiftShader (CPU)",
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
    }


def main(args: argparse.Namespace) -> int:
    """Run the web bench; the last line printed is one JSON object."""
    view = str(min(args.avatars + 10, MAX_VISIBLE))
    with running_server("--max-visible", view, "--capacity", str(args.avatars + 64)) as server:
        summary = asyncio.run(_measure(server.http, args))
    print(
        f"web bench: {summary['visible_mean']} avatars drawn on average "
        f"({summary['bots_connected']} bots), {summary['viewport']}, {summary['renderer']}"
    )
    print(
        f"  frame mean {summary['frame_mean_ms']} ms (p50 {summary['frame_p50_ms']}, "
        f"p95 {summary['frame_p95_ms']}), {summary['fps']} fps, of which script and GL "
        f"submission {summary['script_mean_ms']} ms; "
        f"{summary['draw_calls']} draw calls, {summary['triangles']} triangles"
    )
    print(json.dumps(summary))
    return 0
