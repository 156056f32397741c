"""Chat: who hears a line, who may say it, and what moderators get when someone is reported.

Pure and synchronous like the rest of the world. The city hands each SAY here with the
speaker and the candidate hearers; this module applies the limits (mute, rate, role for
zone-wide announcements), stamps the line with an id and the server time, drops it for
hearers who blocked the speaker, and encodes it once for everyone who gets the same bytes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from world.codec_social import Say, encode_chat
from world.members import Member

__all__ = [
    "ANNOUNCE_ROLES",
    "CHAT_BURST",
    "CHAT_RATE_PER_S",
    "HEARING_RADIUS_M",
    "RECENT_LINES",
    "REPORT_CONTEXT_LINES",
    "Chat",
    "ChatLine",
]

# Proximity chat carries about as far as a raised voice across a square.
HEARING_RADIUS_M = 20.0
# One line a second with a burst of five: a fast typist is never stopped, a flood is.
CHAT_RATE_PER_S = 1.0
CHAT_BURST = 5.0
# Zone-wide announcements are for the people running the place.
ANNOUNCE_ROLES = frozenset({"staff", "organizer", "moderator", "admin", "guide"})
# Lines kept in memory for report context; older ones are gone (nothing else stores chat).
RECENT_LINES = 2000
# A report carries at most this many recent lines of the reported user (and of the
# conversation between the two).
REPORT_CONTEXT_LINES = 20


@dataclass(frozen=True)
class ChatLine:
    """One accepted line."""

    id: int
    channel: str
    speaker: int
    speaker_subject: str
    name: str
    text: str
    time: float
    zone: str
    to: int = 0
    to_subject: str = ""

    def to_wire(self) -> dict[str, Any]:
        """The CHAT map (without the speaker's own ``request_id``)."""
        info: dict[str, Any] = {
            "id": self.id,
            "channel": self.channel,
            "from": self.speaker,
            "name": self.name,
            "text": self.text,
            "time": self.time,
        }
        if self.to:
            info["to"] = self.to
        return info

    def context(self) -> dict[str, Any]:
        """How a report stores this line for moderators (subjects, not avatar ids)."""
        return {
            "id": self.id,
            "channel": self.channel,
            "from": self.speaker_subject,
            "name": self.name,
            "text": self.text,
            "time": self.time,
            "zone": self.zone,
            "to": self.to_subject or None,
        }


class _Bucket:
    __slots__ = ("level", "stamp")

    def __init__(self, now: float) -> None:
        self.level = CHAT_BURST
        self.stamp = now


class Chat:
    """Chat limits, line ids and recent lines for the whole city."""

    def __init__(self) -> None:
        self._next_id = 1
        self._buckets: dict[int, _Bucket] = {}
        # Slow mode: zone -> seconds between an avatar's lines, and each avatar's last line.
        self.slow: dict[str, float] = {}
        self._last_line: dict[int, float] = {}
        self.recent: deque[ChatLine] = deque(maxlen=RECENT_LINES)

    def forget(self, avatar_id: int) -> None:
        """The avatar left the city."""
        self._buckets.pop(avatar_id, None)
        self._last_line.pop(avatar_id, None)

    def set_slow_mode(self, zone: str, seconds: float) -> None:
        """At most one line every ``seconds`` per avatar in ``zone`` (0: off), for everyone
        but the staff roles (``ANNOUNCE_ROLES``); direct messages are not slowed."""
        if seconds > 0:
            self.slow[zone] = seconds
        else:
            self.slow.pop(zone, None)

    def refusal(
        self, now: float, avatar_id: int, member: Member, say: Say, zone: str = ""
    ) -> str | None:
        """Why this line may not be said, or None. A refused line costs no allowance."""
        if member.is_muted(now):
            return "you are muted" + (f": {member.mute_reason}" if member.mute_reason else "")
        if say.channel == "zone" and member.role not in ANNOUNCE_ROLES:
            return "zone-wide announcements are for " + ", ".join(sorted(ANNOUNCE_ROLES))
        slow = self.slow.get(zone, 0.0)
        if slow > 0 and say.channel != "direct" and member.role not in ANNOUNCE_ROLES:
            last = self._last_line.get(avatar_id)
            if last is not None and now - last < slow:
                return (
                    f"slow mode here: one line every {slow:g} s; wait {slow - (now - last):.1f} s"
                )
            self._last_line[avatar_id] = now
        bucket = self._buckets.get(avatar_id)
        if bucket is None:
            bucket = self._buckets[avatar_id] = _Bucket(now)
        bucket.level = min(CHAT_BURST, bucket.level + (now - bucket.stamp) * CHAT_RATE_PER_S)
        bucket.stamp = now
        if bucket.level < 1.0:
            wait = (1.0 - bucket.level) / CHAT_RATE_PER_S
            return f"more than {CHAT_RATE_PER_S:g} line a second; wait {wait:.1f} s"
        bucket.level -= 1.0
        return None

    def accept(
        self,
        now: float,
        zone: str,
        speaker: int,
        member: Member,
        name: str,
        say: Say,
        to_subject: str = "",
    ) -> ChatLine:
        """Stamp an allowed line and keep it for report context."""
        line = ChatLine(
            self._next_id,
            say.channel,
            speaker,
            member.subject,
            name,
            say.text,
            now,
            zone,
            say.to or 0,
            to_subject,
        )
        self._next_id += 1
        self.recent.append(line)
        return line

    def deliver(
        self, line: ChatLine, hearers: Iterable[tuple[int, Member]], request_id: str
    ) -> list[tuple[int, bytes]]:
        """The CHAT frames for ``line``: one shared encoding for every hearer who has not
        blocked the speaker, and the speaker's own copy carrying its ``request_id``."""
        info = line.to_wire()
        shared = encode_chat(info)
        out = [
            (avatar_id, shared)
            for avatar_id, member in hearers
            if avatar_id != line.speaker and line.speaker_subject not in member.blocked
        ]
        out.append((line.speaker, encode_chat({**info, "request_id": request_id})))
        return out

    def relay(
        self, line: ChatLine, channel: str, hearers: Iterable[tuple[int, Member]]
    ) -> list[tuple[int, bytes]]:
        """``line`` once more, as ``channel`` (a performer's line carried to the whole stage
        zone), for the ``hearers`` who have not blocked the speaker; encoded once. The
        speaker's own copy came with ``deliver``."""
        shared = encode_chat({**line.to_wire(), "channel": channel})
        return [
            (avatar_id, shared)
            for avatar_id, member in hearers
            if avatar_id != line.speaker and line.speaker_subject not in member.blocked
        ]

    def context_for_report(self, reporter: str, reported: str) -> list[dict[str, Any]]:
        """The reported user's recent lines, and the two users' direct messages, oldest
        first, at most ``REPORT_CONTEXT_LINES``."""
        picked: list[ChatLine] = []
        for line in reversed(self.recent):
            between = line.channel == "direct" and {line.speaker_subject, line.to_subject} == {
                reporter,
                reported,
            }
            if line.speaker_subject == reported or between:
                picked.append(line)
                if len(picked) >= REPORT_CONTEXT_LINES:
                    break
        return [line.context() for line in reversed(picked)]
