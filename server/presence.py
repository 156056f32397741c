"""Presence: which user holds which connection, and avatars waiting for their user.

A user has at most one live connection: a newer one takes over (the older is closed with
``SESSION_REPLACED``) and keeps the same avatar. When a connection drops, its avatar stays
in the world for ``RESUME_GRACE_S``; the same user reconnecting within it gets the avatar
back (same id, same place) instead of a second one. After the grace period the avatar
leaves and the user's next sign-in starts at the last saved place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["RESUME_GRACE_S", "Presence"]

# Long enough to ride out a phone switching networks or a browser reload.
RESUME_GRACE_S = 30.0

S = TypeVar("S")


@dataclass
class _Detached:
    avatar_id: int
    timer: asyncio.TimerHandle


class Presence(Generic[S]):
    """Live sessions by user, and detached avatars with their expiry timers."""

    def __init__(
        self, on_expire: Callable[[str, int], None], grace_s: float = RESUME_GRACE_S
    ) -> None:
        self.grace_s = grace_s
        self._on_expire = on_expire
        self.live: dict[str, S] = {}
        self._detached: dict[str, _Detached] = {}

    def detach(self, subject: str, avatar_id: int) -> None:
        """Keep ``avatar_id`` for ``subject`` until the grace period ends."""
        self.take(subject)
        timer = asyncio.get_running_loop().call_later(self.grace_s, self._expire, subject)
        self._detached[subject] = _Detached(avatar_id, timer)

    def take(self, subject: str) -> int | None:
        """The detached avatar of ``subject``, no longer waiting (None if there is none)."""
        entry = self._detached.pop(subject, None)
        if entry is None:
            return None
        entry.timer.cancel()
        return entry.avatar_id

    def waiting(self, subject: str) -> bool:
        """True if an avatar of ``subject`` waits for a reconnect."""
        return subject in self._detached

    def __len__(self) -> int:
        return len(self._detached)

    def detached(self) -> dict[str, int]:
        """Every detached avatar, by user."""
        return {subject: entry.avatar_id for subject, entry in self._detached.items()}

    def _expire(self, subject: str) -> None:
        entry = self._detached.pop(subject, None)
        if entry is not None:
            self._on_expire(subject, entry.avatar_id)
