"""The 120 Center's ticket rules and records: limits, states, roles, checks, and how a
ticket and its events are read, written and shown (``server.center_tickets`` uses them)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import asyncpg

from server.auth import Identity
from server.permissions import PermissionDenied
from world.roles import Role

__all__ = [
    "ACCESSIBILITY_NEEDS",
    "CATEGORIES",
    "CENTER_STAFF",
    "DEADLINE_S",
    "IDEMPOTENT_ACTION",
    "INTERNAL_KINDS",
    "MAX_CATEGORY_CHARS",
    "MAX_COMMENT_CHARS",
    "MAX_CONTACT_CHARS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_DESK",
    "MAX_MESSAGE_CHARS",
    "MAX_NOTE_CHARS",
    "MAX_RESOLUTION_CHARS",
    "MAX_STAFF_SUBJECT_CHARS",
    "MAX_STARS",
    "MIN_STARS",
    "OPEN_STATES",
    "SERVED_STATES",
    "STAFF_STATUSES",
    "SUPERVISORS",
    "TAKERS",
    "TICKET_STATES",
    "TicketConflict",
    "TicketError",
    "TicketNotFound",
    "add_event",
    "audit_target",
    "check_category",
    "check_needs",
    "check_text",
    "check_ticket_id",
    "event_map",
    "for_citizen",
    "load_ticket",
    "lock_ticket",
    "optional_text",
    "queue_position",
    "require_open",
    "require_serving",
    "ticket_map",
    "with_position",
]

CATEGORIES: tuple[str, ...] = ("transport", "tax", "welfare", "housing", "other")
"""The default queues; a deployment passes its own to ``Tickets``."""

ACCESSIBILITY_NEEDS = ("sign_language", "easy_language", "large_text")
"""What a citizen may ask the desk to prepare for (the migration checks the same list)."""

TICKET_STATES = ("waiting", "called", "in_consultation", "closed", "cancelled")
OPEN_STATES = ("waiting", "called", "in_consultation")
# States in which a member of staff is serving the ticket.
SERVED_STATES = ("called", "in_consultation")
# A civil servant's status at the console (the migration checks the same list).
STAFF_STATUSES = ("available", "busy", "on_break", "offline")

# The migration's CHECK holds descriptions to the same length.
MAX_DESCRIPTION_CHARS = 500
MAX_NOTE_CHARS = 2000
MAX_RESOLUTION_CHARS = 2000
MAX_COMMENT_CHARS = 500
MAX_MESSAGE_CHARS = 1000
# A phone number or e-mail address for a callback (the migration checks the same).
MAX_CONTACT_CHARS = 100
MAX_CATEGORY_CHARS = 40
MAX_STAFF_SUBJECT_CHARS = 128
MAX_DESK = 999
MIN_STARS = 1
MAX_STARS = 5
# A unit of work gives up (DatabaseUnavailable) after this long without PostgreSQL.
DEADLINE_S = 10.0

# The 120 center serves everyone: a guest may take a number like a citizen.
TAKERS = frozenset(Role)
CENTER_STAFF = frozenset({Role.STAFF, Role.ADMIN})
SUPERVISORS = frozenset({Role.ADMIN})

IDEMPOTENT_ACTION = "center.take_number"
# Event kinds a citizen does not see, and event fields kept from them.
INTERNAL_KINDS = frozenset({"note"})
_INTERNAL_FIELDS = frozenset({"note"})


class TicketError(ValueError):
    """A ticket request is malformed; the message says which field and why."""


class TicketConflict(TicketError):
    """The request is well formed but the ticket's state does not allow it (already
    closed, already rated, not called yet...); the message says why."""


class TicketNotFound(TicketError):
    """No ticket has that id."""


def _when(value: Any) -> float | None:
    return None if value is None else float(value.timestamp())


def ticket_map(row: asyncpg.Record, position: int | None = None) -> dict[str, Any]:
    """A ticket row as the API returns it."""
    return {
        "id": int(row["id"]),
        "citizen": row["subject"],
        "citizen_name": row["citizen_name"],
        "category": row["category"],
        "description": row["description"],
        "needs": list(row["needs"]),
        "state": row["state"],
        "position": position,
        "assigned_to": row["assigned_to"],
        "desk": row["desk"],
        "resolution": row["resolution"],
        "rating": row["rating"],
        "rating_comment": row["rating_comment"],
        "callback": bool(row["callback"]),
        "contact": row["contact"],
        "staff_name": row["staff_name"],
        "wait_s": None,
        "purged": row["purged_at"] is not None,
        "created_at": _when(row["created_at"]),
        "called_at": _when(row["called_at"]),
        "closed_at": _when(row["closed_at"]),
        "updated_at": _when(row["updated_at"]),
    }


def event_map(row: asyncpg.Record) -> dict[str, Any]:
    """An event row as the API returns it."""
    detail: dict[str, Any] = json.loads(row["detail"])
    return {
        "id": int(row["id"]),
        "at": _when(row["at"]),
        "actor": row["actor"],
        "kind": row["kind"],
        "detail": detail,
    }


def check_text(value: Any, field: str, limit: int) -> str:
    """A trimmed text of 1 to ``limit`` characters, or ``TicketError`` naming the field."""
    if not isinstance(value, str) or not value.strip():
        raise TicketError(f"{field}: expected a non-empty string")
    text = value.strip()
    if len(text) > limit:
        raise TicketError(f"{field}: {len(text)} characters; at most {limit}")
    return text


def optional_text(value: Any, field: str, limit: int) -> str | None:
    """``check_text`` for an optional field (None stays None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_text(value, field, limit)


def check_category(value: Any, categories: tuple[str, ...]) -> str:
    """``value`` if it is one of ``categories``, else ``TicketError`` listing them."""
    if not isinstance(value, str) or value not in categories:
        raise TicketError(f"unknown category {value!r}; expected one of {', '.join(categories)}")
    return value


def check_ticket_id(value: Any) -> int:
    """A positive ticket id, or ``TicketError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TicketError("ticket id: expected a positive integer")
    return value


def check_needs(value: Any) -> list[str]:
    """The accessibility needs, each one of ``ACCESSIBILITY_NEEDS``."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TicketError(f"needs: expected a list drawn from {', '.join(ACCESSIBILITY_NEEDS)}")
    needs = list(value)
    unknown = [n for n in needs if n not in ACCESSIBILITY_NEEDS]
    if unknown:
        raise TicketError(
            f"needs: unknown {unknown[0]!r}; expected some of {', '.join(ACCESSIBILITY_NEEDS)}"
        )
    # Stable and without repeats, in the order of ACCESSIBILITY_NEEDS.
    return [n for n in ACCESSIBILITY_NEEDS if n in needs]


def audit_target(ticket_id: int) -> str:
    """The audit trail's name for a ticket."""
    return f"ticket:{ticket_id}"


def for_citizen(event: dict[str, Any]) -> dict[str, Any]:
    """An event as its citizen sees it: internal fields left out."""
    detail = {k: v for k, v in event["detail"].items() if k not in _INTERNAL_FIELDS}
    return {**event, "detail": detail}


def require_serving(staff: Identity, row: asyncpg.Record, verb: str) -> None:
    """Only the staff member serving the ticket, or a supervisor, may act on it."""
    if row["assigned_to"] != staff.subject and staff.role not in SUPERVISORS:
        raise PermissionDenied(
            f"only the staff serving ticket {row['id']} or a supervisor may {verb} it"
        )


def require_open(row: asyncpg.Record, ticket_id: int) -> None:
    """Refuse changes to a closed or cancelled ticket, saying which."""
    if row["state"] == "closed":
        raise TicketConflict(f"ticket {ticket_id} is already closed")
    if row["state"] == "cancelled":
        raise TicketConflict(f"ticket {ticket_id} was cancelled")


async def lock_ticket(conn: asyncpg.Connection, ticket_id: int) -> asyncpg.Record:
    """The ticket's row, locked for this transaction; ``TicketError`` if there is none."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM tickets WHERE id = $1 FOR UPDATE", ticket_id
    )
    if row is None:
        raise TicketNotFound(f"no ticket {ticket_id}")
    return row


async def load_ticket(conn: asyncpg.Connection, ticket_id: int) -> dict[str, Any] | None:
    """The ticket as a map, or None."""
    row = await conn.fetchrow("SELECT * FROM tickets WHERE id = $1", ticket_id)
    return None if row is None else ticket_map(row)


async def queue_position(conn: asyncpg.Connection, ticket_id: int) -> int | None:
    """The 1-based place of a waiting ticket in its category's queue, or None."""
    place: int | None = await conn.fetchval(
        "SELECT count(*) FROM tickets AS other, tickets AS mine "
        "WHERE mine.id = $1 AND mine.state = 'waiting' AND other.state = 'waiting' "
        "AND other.category = mine.category "
        "AND (other.created_at, other.id) <= (mine.created_at, mine.id) "
        "HAVING count(*) > 0",
        ticket_id,
    )
    return None if place is None else int(place)


async def with_position(conn: asyncpg.Connection, ticket: dict[str, Any]) -> dict[str, Any]:
    """``ticket`` with its queue position when it is waiting."""
    if ticket["state"] == "waiting":
        ticket["position"] = await queue_position(conn, ticket["id"])
    return ticket


async def add_event(
    conn: asyncpg.Connection, ticket_id: int, actor: str, kind: str, detail: dict[str, Any]
) -> dict[str, Any]:
    """Append one event to a ticket's history (in the caller's transaction)."""
    row = await conn.fetchrow(
        "INSERT INTO ticket_events (ticket_id, actor, kind, detail) "
        "VALUES ($1, $2, $3, $4::jsonb) RETURNING *",
        ticket_id,
        actor,
        kind,
        json.dumps(detail, ensure_ascii=False),
    )
    return event_map(row)
