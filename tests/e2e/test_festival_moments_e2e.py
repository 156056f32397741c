"""Synchronized moments and emergency alerts with real clients: bots behind links of
different delays fire a moment together; an alert reaches every connected client in its
own language, in every zone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from plaza_client.client import PlazaClient

from world.roles import Role

pytestmark = pytest.mark.e2e

TIMEOUT = 20.0
# One-way delays of the bots' links: a neighbour, a phone across the country, a far VR user.
DELAYS_S = (0.0, 0.08, 0.2)
# How far apart the bots may fire one moment (the bound).
TOGETHER_S = 0.05


class DelayLink:
    """A loopback TCP relay that holds every chunk ``delay`` seconds each way, in order:
    a slow network without losing or reordering anything."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port = target_port
        self.delay = delay
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in self.tasks:
            task.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.get_running_loop().create_task(self._pipe(source, sink))
            self.tasks.add(task)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if not data:
                    sink.close()
                    return
                sink.write(data)
                await sink.drain()

        sender = asyncio.get_running_loop().create_task(deliver())
        self.tasks.add(sender)
        while True:
            data = await source.read(65536)
            queue.put_nowait((time.monotonic() + self.delay, data))
            if not data:
                return


@pytest.fixture
async def links() -> AsyncIterator[list[DelayLink]]:
    made: list[DelayLink] = []
    yield made
    for link in made:
        await link.close()


def through(ws_url: str, port: int) -> str:
    parts = urlsplit(ws_url)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))


async def test_bots_behind_different_delays_fire_a_moment_together(
    plaza: Any, links: list[DelayLink]
) -> None:
    bots: list[PlazaClient] = []
    for i, delay in enumerate(DELAYS_S):
        link = DelayLink(plaza.ws_port, delay)
        links.append(link)
        port = await link.start()
        await plaza.place_in(f"local:bot{i}", "festival")
        bot = PlazaClient(through(plaza.ws_url, port), plaza.mint(f"bot{i}"))
        await bot.connect(timeout=TIMEOUT)
        assert bot.zone == "festival"
        await bot.sync_clock(samples=5, timeout=TIMEOUT)
        bots.append(bot)
    try:
        organizer = plaza.mint("organizer", Role.ORGANIZER)
        event = await plaza.api(
            "POST",
            "/api/events",
            organizer,
            {
                "title": {"ko": "타종", "en": "Bell"},
                "description": {"ko": "자정"},
                "starts_at": time.time(),
                "ends_at": time.time() + 3600,
                "capacity": 100,
            },
        )
        assert event.status == 201, event.text
        at = time.time() + 3.0
        moment = await plaza.api(
            "POST",
            "/api/events/moments",
            organizer,
            {"event": event.json()["id"], "kind": "bell", "at": at},
        )
        assert moment.status == 201, moment.text
        moment_id = moment.json()["id"]

        async def fire(bot: PlazaClient) -> float:
            def heard(c: PlazaClient) -> bool:
                return any(
                    m["id"] == moment_id
                    for e in c.zone_events
                    if e.type == "moments"
                    for m in e.data["moments"]
                )

            await bot.wait_for(heard, TIMEOUT)
            [shown] = [
                m
                for e in bot.zone_events
                if e.type == "moments"
                for m in e.data["moments"]
                if m["id"] == moment_id
            ][-1:]
            # The client's own clock, turned to the server's by the clock sync.
            await asyncio.sleep(max(0.0, shown["at"] - bot.server_now()))
            return time.time()

        fired = await asyncio.gather(*(fire(bot) for bot in bots))
        assert max(fired) - min(fired) <= TOGETHER_S, fired
        # And at the moment's server time (this machine's clock is the server's).
        assert all(abs(t - at) <= TOGETHER_S for t in fired), (fired, at)
    finally:
        for bot in bots:
            await bot.close()


async def test_an_emergency_alert_reaches_everyone_in_their_language(plaza: Any) -> None:
    admin = plaza.mint("mayor", Role.ADMIN)
    await plaza.place_in("local:visitor", "festival")
    await plaza.place_in("local:caller", "center_120")
    ko = await plaza.client(token=plaza.mint("minji"))
    en = await plaza.client(token=(await plaza.guest("Jun", "en")).token)
    visitor = await plaza.client(token=plaza.mint("visitor"))
    center = await plaza.client(token=plaza.mint("caller"))
    assert {ko.zone, visitor.zone, center.zone} == {"seoul_plaza", "festival", "center_120"}
    body = {
        "title": {"ko": "대피 안내", "en": "Evacuation notice"},
        "body": {"ko": "광장 북쪽 출구로 이동하세요.", "en": "Leave by the north exit."},
        "image": "/alerts/exit-north.png",
    }
    refused = await plaza.api("POST", "/api/alerts", plaza.mint("organizer", Role.ORGANIZER), body)
    assert refused.status == 403 and "admin" in refused.json()["reason"]
    sent = await plaza.api("POST", "/api/alerts", admin, body)
    assert sent.status == 201, sent.text
    assert sent.json()["reached"] == 4
    for client in (ko, en, visitor, center):
        await client.wait_for(lambda c: bool(c.alerts), TIMEOUT)
    assert ko.alerts[0]["title"] == "대피 안내" and ko.alerts[0]["locale"] == "ko"
    assert en.alerts[0]["body"] == "Leave by the north exit." and en.alerts[0]["locale"] == "en"
    assert visitor.alerts[0]["image"] == "/alerts/exit-north.png"
    recent = (await plaza.api("GET", "/api/alerts")).json()["alerts"]
    assert [a["id"] for a in recent] == [sent.json()["id"]] and recent[0]["reached"] == 4
    bad = await plaza.api("POST", "/api/alerts", admin, {**body, "image": "javascript:x"})
    assert bad.status == 400 and "image" in bad.json()["reason"]
