"""Which instance of a zone a newcomer enters.

Pure arithmetic over occupancy, so the rules are easy to test and to read:

* never over capacity: an instance at ``capacity`` takes nobody, not even a party member;
* a party (friends who entered together) goes where its members already are, while there
  is room;
* ``fill``: the lowest-numbered instance below the opening threshold
  (``open_at`` x ``capacity``); when every instance has passed it, a new one opens;
* ``even``: the emptiest instance, while it is below the threshold; then a new one opens;
* when no new instance may open, the emptiest instance with room at all; otherwise the zone
  is full.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["FULL", "OPEN_NEW", "PLACEMENTS", "choose_instance", "open_threshold"]

OPEN_NEW = -1
"""``choose_instance`` result: open a new instance and put the newcomer there."""
FULL = -2
"""``choose_instance`` result: every instance is full and no new one may open."""
PLACEMENTS = ("fill", "even")
"""The placement policies a zone may name."""


def open_threshold(capacity: int, open_at: float) -> int:
    """The occupancy at which newcomers stop going to an instance (at least 1)."""
    return max(1, min(capacity, math.ceil(capacity * open_at)))


def choose_instance(
    counts: Sequence[int],
    capacity: int,
    open_at: float,
    placement: str = "fill",
    party_at: int | None = None,
    can_open: bool = True,
) -> int:
    """The index (into ``counts``) of the instance to enter, ``OPEN_NEW`` or ``FULL``."""
    if party_at is not None and counts[party_at] < capacity:
        return party_at
    threshold = open_threshold(capacity, open_at)
    below = [i for i, n in enumerate(counts) if n < threshold]
    if below:
        if placement == "even":
            return min(below, key=lambda i: (counts[i], i))
        return below[0]
    if can_open:
        return OPEN_NEW
    room = [i for i, n in enumerate(counts) if n < capacity]
    if room:
        return min(room, key=lambda i: (counts[i], i))
    return FULL
