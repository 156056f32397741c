"""The 120 center's tickets against a real PostgreSQL: lifecycle, retries, races, privacy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from server.auth import Identity
from server.center_casework import Casework
from server.center_roster import Roster
from server.center_rules import MAX_DESCRIPTION_CHARS, TicketError
from server.center_tickets import Tickets
from server.db.database import Database
from server.idempotency import IdempotencyError
from server.permissions import PermissionDenied
from world.roles import Role

CALLING_STAFF = 10
WAITING_TICKETS = 20
RACE_ROUNDS = 3


def person(subject: str, role: Role = Role.CITIZEN) -> Identity:
    return Identity(subject, subject.split(":")[-1], role, "ko", time.time() + 600)


ALICE = person("local:alice")
BOB = person("local:bob")
GUEST = person("guest:g1", Role.GUEST)
CLERK = person("local:clerk", Role.STAFF)
OTHER_CLERK = person("local:other-clerk", Role.STAFF)
SUPERVISOR = person("local:boss", Role.ADMIN)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def tickets(db: Database) -> Tickets:
    return Tickets(db)


@pytest.fixture
def work(tickets: Tickets) -> Casework:
    return Casework(tickets.db, tickets.categories)


async def test_center_lifecycle_from_number_to_rating(
    work: Casework, tickets: Tickets, db: Database
) -> None:
    first = await tickets.take_number(ALICE, "tax", "Question about my tax bill", None, "k-1")
    assert first["state"] == "waiting"
    assert first["position"] == 1
    assert first["category"] == "tax"
    second = await tickets.take_number(
        BOB, "tax", "  Another tax question  ", ["large_text", "sign_language"], "k-1"
    )
    assert second["position"] == 2
    assert second["description"] == "Another tax question"
    assert second["needs"] == ["sign_language", "large_text"]
    elsewhere = await tickets.take_number(GUEST, "housing", "Lease help", [], "g-1")
    assert elsewhere["position"] == 1
    assert await tickets.position(second["id"]) == 2

    called = await work.call_next(CLERK, ["tax"], desk=3)
    assert called is not None
    assert called["id"] == first["id"]
    assert (called["state"], called["assigned_to"], called["desk"]) == ("called", CLERK.subject, 3)
    assert await tickets.position(first["id"]) is None
    assert await tickets.position(second["id"]) == 1

    await work.add_note(CLERK, first["id"], "Needs the 2023 statement")
    moved = await work.transfer(CLERK, first["id"], category="housing", note="housing tax")
    assert moved["state"] == "waiting"
    assert moved["assigned_to"] is None
    # The transferred ticket keeps its place in time: it was taken before the housing one.
    assert moved["position"] == 1
    assert await tickets.position(elsewhere["id"]) == 2

    await Roster(db, tickets.categories, desks=6).me(CLERK)
    again = await work.call_next(OTHER_CLERK, ["housing"])
    assert again is not None and again["id"] == first["id"]
    handed = await work.transfer(OTHER_CLERK, first["id"], to_staff=CLERK.subject)
    assert (handed["state"], handed["assigned_to"]) == ("called", CLERK.subject)

    closed = await work.close(CLERK, first["id"], "Explained the bill")
    assert closed["state"] == "closed"
    assert closed["closed_at"] is not None
    rated = await tickets.rate(ALICE, first["id"], 5, "Very kind")
    assert (rated["rating"], rated["rating_comment"]) == (5, "Very kind")

    seen = await tickets.get(SUPERVISOR, first["id"])
    assert [e["kind"] for e in seen["events"]] == [
        "created",
        "called",
        "note",
        "transferred",
        "called",
        "transferred",
        "closed",
        "rated",
    ]
    assert seen["events"][2]["detail"] == {"text": "Needs the 2023 statement"}
    assert seen["events"][3]["detail"]["to_category"] == "housing"
    assert seen["events"][5]["detail"]["to_staff"] == CLERK.subject

    # The citizen sees the history without internal notes.
    own = await tickets.get(ALICE, first["id"])
    assert "note" not in [e["kind"] for e in own["events"]]
    assert all("note" not in e["detail"] for e in own["events"])
    assert own["resolution"] == "Explained the bill"

    actions = [
        r["action"]
        for r in await db.fetch(
            "SELECT action FROM audit_log WHERE target = $1 ORDER BY id", f"ticket:{first['id']}"
        )
    ]
    assert actions == [
        "center.call_next",
        "center.note",
        "center.transfer",
        "center.call_next",
        "center.transfer",
        "center.close",
        "center.view_ticket",
    ]

    queue = await tickets.waiting()
    assert [(t["id"], t["position"]) for t in queue] == [
        (second["id"], 1),
        (elsewhere["id"], 1),
    ]


async def test_center_same_key_twice_makes_one_ticket(
    work: Casework, tickets: Tickets, db: Database
) -> None:
    one = await tickets.take_number(ALICE, "welfare", "Benefit form", ["easy_language"], "same")
    two = await tickets.take_number(ALICE, "welfare", "Benefit form", ["easy_language"], "same")
    assert one["id"] == two["id"]
    # A retry after the ticket moved on returns it as it stands now.
    await work.call_next(CLERK, ["welfare"])
    three = await tickets.take_number(ALICE, "welfare", "Benefit form", None, "same")
    assert (three["id"], three["state"]) == (one["id"], "called")
    assert [r["id"] for r in await db.fetch("SELECT id FROM tickets")] == [one["id"]]
    events = await db.fetch("SELECT kind FROM ticket_events WHERE kind = 'created'")
    assert len(events) == 1
    # The key is the actor's own: another citizen's same key is another ticket.
    other = await tickets.take_number(BOB, "welfare", "Benefit form", None, "same")
    assert other["id"] != one["id"]


async def test_center_concurrent_first_attempts_with_one_key_make_one_ticket(
    tickets: Tickets, db: Database
) -> None:
    results = await asyncio.gather(
        *(tickets.take_number(ALICE, "tax", "Twice at once", None, "race") for _ in range(5))
    )
    assert len({r["id"] for r in results}) == 1
    assert len(await db.fetch("SELECT id FROM tickets")) == 1


async def test_center_staff_calling_at_once_never_share_a_ticket(database_url: str) -> None:
    # One pool per desk, as if each desk were served by its own process.
    pools = [Database(database_url) for _ in range(CALLING_STAFF)]
    for pool in pools:
        await pool.open()
    try:
        desks = [Tickets(pool) for pool in pools]
        staff = [person(f"local:staff{i}", Role.STAFF) for i in range(CALLING_STAFF)]
        seen: set[int] = set()
        for round_no in range(RACE_ROUNDS):
            for i in range(WAITING_TICKETS):
                citizen = person(f"local:c{round_no}-{i}")
                await desks[0].take_number(citizen, "transport", f"trip {i}", None, "k")
            called = await asyncio.gather(
                *(
                    Casework(desk.db, desk.categories).call_next(member, ["transport", "other"])
                    for desk, member in zip(desks, staff, strict=True)
                )
            )
            assert all(c is not None for c in called)
            ids = [c["id"] for c in called if c is not None]
            assert len(set(ids)) == CALLING_STAFF
            assert not seen & set(ids)
            seen |= set(ids)
            for ticket, member in zip(called, staff, strict=True):
                assert ticket is not None and ticket["assigned_to"] == member.subject
        # Oldest first: the tickets called are exactly the oldest ones.
        rows = await pools[0].fetch(
            "SELECT t.id, count(e.id) AS calls FROM tickets t "
            "LEFT JOIN ticket_events e ON e.ticket_id = t.id AND e.kind = 'called' "
            "GROUP BY t.id ORDER BY t.id"
        )
        assert all(r["calls"] <= 1 for r in rows)
        assert {r["id"] for r in rows if r["calls"] == 1} == seen
        assert seen == {r["id"] for r in rows[: len(seen)]}
        waiting = await desks[0].waiting()
        assert len(waiting) == RACE_ROUNDS * (WAITING_TICKETS - CALLING_STAFF)
        assert [t["position"] for t in waiting] == list(range(1, len(waiting) + 1))
    finally:
        for pool in pools:
            await pool.close()


async def test_center_ticket_is_private(work: Casework, tickets: Tickets, db: Database) -> None:
    ticket = await tickets.take_number(ALICE, "welfare", "Personal matter", None, "p")
    await work.call_next(CLERK, ["welfare"])
    with pytest.raises(PermissionDenied, match="visible only"):
        await tickets.get(BOB, ticket["id"])
    with pytest.raises(PermissionDenied, match="visible only"):
        await tickets.get(OTHER_CLERK, ticket["id"])
    assert (await tickets.get(ALICE, ticket["id"]))["id"] == ticket["id"]
    assert (await tickets.get(CLERK, ticket["id"]))["assigned_to"] == CLERK.subject
    assert (await tickets.get(SUPERVISOR, ticket["id"]))["citizen"] == ALICE.subject
    # Unrelated staff cannot change it either; nor can another citizen cancel or rate it.
    with pytest.raises(PermissionDenied, match="only the staff serving"):
        await work.add_note(OTHER_CLERK, ticket["id"], "peeking")
    with pytest.raises(PermissionDenied, match="only the staff serving"):
        await work.close(OTHER_CLERK, ticket["id"], "done")
    with pytest.raises(PermissionDenied, match="not yours"):
        await tickets.cancel(BOB, ticket["id"])
    views = await db.fetch("SELECT actor FROM audit_log WHERE action = 'center.view_ticket'")
    assert sorted(r["actor"] for r in views) == sorted([CLERK.subject, SUPERVISOR.subject])
    with pytest.raises(TicketError, match="no ticket 999"):
        await tickets.get(ALICE, 999)


async def test_center_citizen_leaves_the_queue(work: Casework, tickets: Tickets) -> None:
    first = await tickets.take_number(ALICE, "other", "Never mind", None, "a")
    second = await tickets.take_number(BOB, "other", "Still here", None, "b")
    cancelled = await tickets.cancel(ALICE, first["id"])
    assert cancelled["state"] == "cancelled"
    assert await tickets.position(second["id"]) == 1
    with pytest.raises(TicketError, match="already cancelled"):
        await tickets.cancel(ALICE, first["id"])
    assert await work.call_next(CLERK, ["other"]) is not None
    assert await work.call_next(CLERK, ["other"]) is None
    with pytest.raises(TicketError, match="was cancelled"):
        await work.close(SUPERVISOR, first["id"], "done")


async def test_center_refuses_bad_requests(work: Casework, tickets: Tickets) -> None:
    with pytest.raises(PermissionDenied, match="you are citizen") as refused:
        await work.call_next(ALICE, ["tax"])
    assert "staff" in refused.value.reason
    with pytest.raises(TicketError, match="unknown category 'parking'"):
        await tickets.take_number(ALICE, "parking", "Fine", None, "c1")
    with pytest.raises(TicketError, match="unknown category 'parking'"):
        await work.call_next(CLERK, ["tax", "parking"])
    with pytest.raises(TicketError, match=f"at most {MAX_DESCRIPTION_CHARS}"):
        await tickets.take_number(ALICE, "tax", "x" * (MAX_DESCRIPTION_CHARS + 1), None, "c2")
    with pytest.raises(TicketError, match="non-empty"):
        await tickets.take_number(ALICE, "tax", "   ", None, "c3")
    with pytest.raises(TicketError, match="unknown 'braille'"):
        await tickets.take_number(ALICE, "tax", "Help", ["braille"], "c4")
    with pytest.raises(IdempotencyError):
        await tickets.take_number(ALICE, "tax", "Help", None, "")

    ticket = await tickets.take_number(ALICE, "tax", "Help", None, "c5")
    with pytest.raises(TicketError, match="only a closed ticket"):
        await tickets.rate(ALICE, ticket["id"], 4)
    with pytest.raises(TicketError, match="call it before closing"):
        await work.close(SUPERVISOR, ticket["id"], "done")
    await work.call_next(CLERK, ["tax"])
    with pytest.raises(TicketError, match="unknown category 'parking'"):
        await work.transfer(CLERK, ticket["id"], category="parking")
    with pytest.raises(TicketError, match="exactly one"):
        await work.transfer(CLERK, ticket["id"])
    await work.close(CLERK, ticket["id"], "Answered")
    with pytest.raises(TicketError, match=f"ticket {ticket['id']} is already closed"):
        await work.close(CLERK, ticket["id"], "Again")
    with pytest.raises(TicketError, match="already closed"):
        await tickets.cancel(ALICE, ticket["id"])
    with pytest.raises(TicketError, match="expected 1 to 5"):
        await tickets.rate(ALICE, ticket["id"], 6)
    with pytest.raises(PermissionDenied, match="only the citizen"):
        await tickets.rate(BOB, ticket["id"], 1)
    await tickets.rate(ALICE, ticket["id"], 4)
    with pytest.raises(TicketError, match="already rated"):
        await tickets.rate(ALICE, ticket["id"], 5)
    stored = await tickets.get(ALICE, ticket["id"])
    assert stored["rating"] == 4
