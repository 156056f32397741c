"""The Metaverse 120 Dasan Call Center."""

from __future__ import annotations

from world.zone_api import Zone

__all__ = ["Center120"]


class Center120(Zone):
    """Help desks staffed by civil servants."""

    capacity = 200
