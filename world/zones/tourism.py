"""The Tourism District: Gwanghwamun Square, Deoksugung, Namdaemun market, Donuimun."""

from __future__ import annotations

from world.zone_api import Zone

__all__ = ["Tourism"]


class Tourism(Zone):
    """Points of interest, the city tour bus, the stamp tour and guided tours."""

    capacity = 500
