"""The 120 Center service against a real PostgreSQL: what citizens and desks are told, desks
handed out, and texts purged after the retention period."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.auth import Identity
from server.center_retention import purge_ended
from server.center_service import Center, CenterConfig
from server.db.database import Database
from server.metrics import Registry
from world.roles import Role
from world.zone_api import ServerEvent


def person(subject: str, role: Role = Role.CITIZEN) -> Identity:
    return Identity(subject, subject.split(":")[-1], role, "ko", time.time() + 600)


class Heard:
    """What the center told users (``tell``) and the center zone (``notify``)."""

    def __init__(self) -> None:
        self.told: list[tuple[str, str, Any]] = []
        self.published: list[tuple[str, ServerEvent, bool]] = []

    def tell(self, subject: str, zone: str, kind: str, data: Any) -> bool:
        self.told.append((subject, kind, data))
        return True

    def notify(self, zone: str, event: ServerEvent, *, sticky: bool = False) -> bool:
        self.published.append((zone, event, sticky))
        return True

    def to(self, subject: str, kind: str) -> list[Any]:
        return [d for s, k, d in self.told if s == subject and k == kind]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
def registry() -> Registry:
    return Registry()


@pytest.fixture
def center(db: Database, heard: Heard, registry: Registry) -> Center:
    return Center(db, CenterConfig(desks=6), notify=heard.notify, tell=heard.tell, metrics=registry)


def ask(category: str, key: str, text: str = "A question") -> dict[str, Any]:
    return {"category": category, "description": text, "key": key}


async def test_the_queue_is_pushed_to_waiting_citizens_and_published_to_the_zone(
    center: Center, heard: Heard
) -> None:
    citizens = [person(f"local:c{i}") for i in range(3)]
    for i, citizen in enumerate(citizens):
        await center.take(citizen, ask("tax", f"key-{i}"))
    clerk = person("local:clerk", Role.STAFF)
    await center.set_staff(clerk, "available", ["tax"])
    await center.board.refresh()
    assert [d["ticket"]["position"] for d in heard.to("local:c2", "center.ticket")] == [3]

    called = await center.call_next(clerk)
    assert called is not None and called["citizen"] == "local:c0"
    [told] = heard.to("local:c0", "center.ticket")[-1:]
    assert (told["ticket"]["state"], told["ticket"]["desk"]) == ("called", 1)
    await center.board.refresh()
    # The others moved up a place; each is told once per move.
    assert [d["ticket"]["position"] for d in heard.to("local:c1", "center.ticket")] == [2, 1]
    assert [d["ticket"]["position"] for d in heard.to("local:c2", "center.ticket")] == [3, 2]
    # One desk busy serving c0; the estimate for the next ones counts one desk.
    zone, event, sticky = heard.published[-1]
    assert (zone, event.topic, sticky) == ("center_120", "center.state", True)
    desk = event.data["desks"][0]
    assert (desk["open"], desk["staff"], desk["citizen"]) == (True, "local:clerk", "local:c0")
    assert event.data["info"]["desks"][0] == {"desk": 1, "open": True, "staff_name": "clerk"}
    assert "staff" not in event.data["info"]["desks"][0]  # subjects stay in the server
    assert event.data["info"]["queues"]["tax"]["waiting"] == 2
    # Nothing moved: a refresh tells nobody again.
    before = len(heard.told)
    await center.board.refresh()
    assert len(heard.told) == before


async def test_the_consultation_reaches_only_its_two_people(center: Center, heard: Heard) -> None:
    minji = person("local:minji")
    clerk = person("local:clerk", Role.STAFF)
    ticket = await center.take(minji, ask("welfare", "w-1"))
    await center.set_staff(clerk, "available", None)
    await center.call_next(clerk)
    heard.told.clear()
    await center.message(clerk, ticket["id"], "무엇을 도와드릴까요?")
    await center.message(minji, ticket["id"], "Housing benefit")
    lines = [(s, d["text"]) for s, k, d in heard.told if k == "center.message"]
    assert sorted(lines) == sorted(
        [
            ("local:minji", "무엇을 도와드릴까요?"),
            ("local:clerk", "무엇을 도와드릴까요?"),
            ("local:minji", "Housing benefit"),
            ("local:clerk", "Housing benefit"),
        ]
    )
    # The first line began the consultation, and the citizen was told so.
    [began] = heard.to("local:minji", "center.ticket")
    assert began["ticket"]["state"] == "in_consultation"


async def test_desks_go_to_the_first_six_and_come_back_when_offline(center: Center) -> None:
    staff = [person(f"local:s{i}", Role.STAFF) for i in range(7)]
    desks = [(await center.set_staff(s, "available", None))["desk"] for s in staff]
    assert desks == [1, 2, 3, 4, 5, 6, None]
    assert (await center.set_staff(staff[2], "on_break", None))["desk"] == 3
    assert (await center.set_staff(staff[2], "offline", None))["desk"] is None
    assert (await center.set_staff(staff[6], "busy", None))["desk"] == 3
    info = await center.info()
    assert [d["open"] for d in info["desks"]] == [True, True, True, True, True, True]


async def test_ended_tickets_lose_their_texts_after_the_retention_period(
    center: Center, db: Database
) -> None:
    minji, jun = person("local:minji"), person("local:jun")
    clerk = person("local:clerk", Role.STAFF)
    await center.set_staff(clerk, "available", None)
    old = await center.take(
        minji, {**ask("tax", "old-1", "My old address is ..."), "callback": True, "contact": "x@y"}
    )
    recent = await center.take(jun, ask("tax", "new-1", "Recent question"))
    for ticket in (old, recent):
        await center.call_next(clerk)
        await center.message(clerk, ticket["id"], "A private answer")
        await center.note(clerk, ticket["id"], "Internal")
        await center.close(clerk, ticket["id"], "Resolved privately")
    await center.rate(minji, old["id"], 4, "kind")
    await db.run(
        lambda conn: conn.execute(
            "UPDATE tickets SET closed_at = closed_at - interval '100 days' WHERE id = $1",
            old["id"],
        )
    )

    assert await purge_ended(db, 90, time.time()) == 1
    assert await purge_ended(db, 90, time.time()) == 0
    purged = await center.get(minji, old["id"])
    assert purged["purged"] is True
    assert (purged["description"], purged["contact"], purged["resolution"]) == ("", None, None)
    assert (purged["rating"], purged["rating_comment"]) == (4, None)
    texts = [e["detail"] for e in purged["events"] if e["kind"] in ("message", "closed")]
    assert texts == [{}, {}]
    assert purged["events"][-1]["kind"] == "purged"
    kept = await center.get(jun, recent["id"])
    assert kept["description"] == "Recent question" and kept["resolution"] == "Resolved privately"
    # The figures still count the purged ticket.
    stats = await center.figures.stats(0.0)
    assert stats["tickets"]["closed"] == 2 and stats["satisfaction"]["count"] == 1


async def test_the_day_s_figures_are_on_metrics_as_on_the_dashboard(
    center: Center, registry: Registry
) -> None:
    clerk = person("local:clerk", Role.STAFF)
    await center.set_staff(clerk, "available", None)
    for i, stars in enumerate((5, 3)):
        citizen = person(f"local:c{i}")
        ticket = await center.take(citizen, ask("housing", f"m-{i}"))
        await center.call_next(clerk)
        await center.close(clerk, ticket["id"], "Done")
        await center.rate(citizen, ticket["id"], stars, None)
    await center.take(person("local:late"), ask("housing", "m-late"))
    await center.board.refresh()
    await center.board.update_figures()
    text = registry.render()
    stats = await center.stats(person("local:boss", Role.ADMIN))
    assert "plaza_center_satisfaction 4" in text and stats["satisfaction"]["mean"] == 4
    assert 'plaza_center_waiting{category="housing"} 1' in text
    assert 'plaza_center_tickets_today{event="closed"} 2' in text
    assert 'plaza_center_staff{status="available"} 1' in text
    [line] = [
        x for x in text.splitlines() if x.startswith('plaza_center_handling_seconds{quantile="50"}')
    ]
    assert float(line.split()[-1]) == stats["handling_s"]["p50"]
