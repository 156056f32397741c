"""Intents: side effects the world asks the server to carry out after a step.

The world never awaits, so anything that must reach the database leaves a step as a
``Persist`` intent. The server runs the handler registered for its ``kind``, then tells the
zone the outcome (``ServerEvent``) and, when a client asked (``reply``), answers it with a
RESULT only after the change is committed, so a user is never told "done" for something
that could still be lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RECORD", "USER_RECORD", "Persist", "Reply"]

# Built-in kinds every zone may use: a zone-wide key/value record and a per-user one.
RECORD = "record"
USER_RECORD = "user_record"


@dataclass(frozen=True)
class Reply:
    """Who is waiting for the outcome: an avatar and the request id it sent."""

    avatar_id: int
    request_id: str


@dataclass(frozen=True)
class Persist:
    """Carry out ``kind`` with ``data`` on behalf of ``zone`` (and ``subject``, the user who
    caused it, when there is one)."""

    kind: str
    zone: str
    data: Mapping[str, Any]
    subject: str | None = None
    reply: Reply | None = None
