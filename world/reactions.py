"""Reactions: cheers, claps and hearts, counted per instance per tick instead of relayed.

Ten thousand people cheering must cost each client a few bytes, not ten thousand messages:
a REACT is queued here when it arrives, and at the tick each one is checked (the zone takes
reactions; the avatar's allowance is not spent) and added to its instance's counts. STAGE
(``world.stage``) carries the counts to every member of the zone. The work is O(reactions)
per tick: nothing here looks at avatars that did not react.

A refused reaction is dropped, never counted; its sender gets at most one ERROR a second
(``REFUSAL_INTERVAL_S``) saying why, so a client pressing a button in the wrong place learns
of it without the server answering a flood with a flood.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from world.codec import encode_error
from world.protocol import ErrorCode, Opcode, ReactionKind
from world.zone_api import Zone

__all__ = [
    "MAX_PENDING_REACTIONS",
    "REACTION_BURST",
    "REACTION_RATE_PER_S",
    "REFUSAL_INTERVAL_S",
    "ReactionCounts",
    "Reactions",
    "takes_reactions",
]

# Four a second with a burst of eight: a fan clapping along to a song is never stopped; a
# script pressing the button in a loop is, and its surplus is simply not counted.
REACTION_RATE_PER_S = 4.0
REACTION_BURST = 8.0
# Reactions waiting for the next tick, all avatars together. The gateway's input limit
# (60 messages a second per connection) already bounds them; this bounds the memory even
# so, and a REACT past it is refused at once like any input the world has no room for.
MAX_PENDING_REACTIONS = 100_000
# A refused reaction's sender hears about it at most this often.
REFUSAL_INTERVAL_S = 1.0

_KINDS = len(ReactionKind)
_OPCODE = int(Opcode.REACT)
_RATE_REASON = f"more than {REACTION_RATE_PER_S:g} reactions a second; reaction dropped"


class _Place(Protocol):
    """Where an avatar is: its instance, as the city keeps it (``world.instance.Instance``)."""

    @property
    def zone(self) -> str: ...

    @property
    def script(self) -> Zone: ...


def takes_reactions(zone_class: Zone | type[Zone]) -> bool:
    """Whether a zone (class or script object) takes reactions: its class attribute
    ``reactions`` is true (``world.zones.festival.Festival``)."""
    return bool(zone_class.reactions)


@dataclass
class ReactionCounts:
    """One tick's accepted reactions per kind (index ``ReactionKind``), per instance, and the
    ERRORs for the refused ones."""

    by_place: dict[_Place, list[int]] = field(default_factory=dict)
    refusals: list[tuple[int, bytes]] = field(default_factory=list)

    def of(self, place: _Place) -> list[int]:
        """The counts of one instance (zeros when nobody there reacted)."""
        return self.by_place.get(place) or [0] * _KINDS


class _Allowance:
    """A token bucket of reactions, refilled at ``REACTION_RATE_PER_S``."""

    __slots__ = ("level", "refused_at", "stamp")

    def __init__(self, now: float) -> None:
        self.level = REACTION_BURST
        self.stamp = now
        self.refused_at = -REFUSAL_INTERVAL_S


class Reactions:
    """The city's reactions: queued between ticks, checked and counted in the tick."""

    def __init__(self) -> None:
        self._queue: list[tuple[int, int]] = []
        self._allowances: dict[int, _Allowance] = {}

    def __len__(self) -> int:
        return len(self._queue)

    def push(self, avatar_id: int, kind: int) -> bool:
        """Queue a decoded REACT for the next tick; False when too many are waiting."""
        if len(self._queue) >= MAX_PENDING_REACTIONS:
            return False
        self._queue.append((avatar_id, kind))
        return True

    def forget(self, avatar_id: int) -> None:
        """The avatar left the city."""
        self._allowances.pop(avatar_id, None)

    def count(self, now: float, where: Mapping[int, _Place]) -> ReactionCounts:
        """Count the queued reactions into their senders' instances (where they are now),
        dropping those of departed avatars, of zones that take none, and past an avatar's
        allowance. The refusals' ERRORs come back with the counts."""
        counts = ReactionCounts()
        queue, self._queue = self._queue, []
        by_place = counts.by_place
        allowances = self._allowances
        takes: dict[str, bool] = {}
        for avatar_id, kind in queue:
            place = where.get(avatar_id)
            if place is None:
                continue  # it left before the tick: nobody is left to cheer for
            allowance = allowances.get(avatar_id)
            if allowance is None:
                allowance = allowances[avatar_id] = _Allowance(now)
            zone = place.zone
            accepted = takes.get(zone)
            if accepted is None:
                accepted = takes[zone] = takes_reactions(place.script)
            if not accepted:
                reason = f"zone {zone!r} takes no reactions"
                self._refuse(counts, avatar_id, allowance, now, ErrorCode.NOT_ALLOWED, reason)
                continue
            level = min(
                REACTION_BURST, allowance.level + (now - allowance.stamp) * REACTION_RATE_PER_S
            )
            allowance.stamp = now
            if level < 1.0:
                allowance.level = level
                self._refuse(
                    counts, avatar_id, allowance, now, ErrorCode.RATE_LIMITED, _RATE_REASON
                )
                continue
            allowance.level = level - 1.0
            tally = by_place.get(place)
            if tally is None:
                tally = by_place[place] = [0] * _KINDS
            tally[kind] += 1
        return counts

    @staticmethod
    def _refuse(
        counts: ReactionCounts,
        avatar_id: int,
        allowance: _Allowance,
        now: float,
        code: ErrorCode,
        reason: str,
    ) -> None:
        if now - allowance.refused_at < REFUSAL_INTERVAL_S:
            return
        allowance.refused_at = now
        counts.refusals.append((avatar_id, encode_error(code, reason, _OPCODE)))
