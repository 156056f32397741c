"""Seoul City Hall and the mayor's office."""

from __future__ import annotations

from world.zone_api import Zone

__all__ = ["CityHall"]


class CityHall(Zone):
    """The mayor's office: citizens' proposals and polls."""

    capacity = 200
