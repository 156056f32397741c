"""Seoul Plaza: the entrance every citizen enters first, with portals to every service."""

from __future__ import annotations

from world.zone_api import Zone

__all__ = ["SeoulPlaza"]


class SeoulPlaza(Zone):
    """The entrance. Large instances: the plaza is where crowds meet, and each client sees
    only its nearest avatars anyway."""

    capacity = 2000
    open_at = 0.8
