"""Member: what the world keeps about the user behind an avatar, beyond what observers see.

The description (name, look, role) goes out on the wire; a member's subject, language,
party, blocks, mute and per-zone records stay in the server. One member per live avatar; it
follows the avatar from instance to instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Member"]


@dataclass
class Member:
    """The user behind one avatar, as the zones and the chat see them."""

    subject: str
    role: str = "guest"
    locale: str = "ko"
    party: str | None = None
    # Users whose chat this user does not want to see (by subject).
    blocked: set[str] = field(default_factory=set)
    # A mute in force: chat is refused until this time (Unix seconds), with this reason.
    muted_until: float = 0.0
    mute_reason: str = ""
    # Per-zone records (zone -> key -> JSON value), loaded at sign-in, kept current here.
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def is_muted(self, now: float) -> bool:
        """True while a mute is in force."""
        return now < self.muted_until
