"""The Festival Grounds: a stage and an audience larger than one instance."""

from __future__ import annotations

from world.zone_api import Zone

__all__ = ["Festival"]


class Festival(Zone):
    """Crowds are spread evenly over instances so each feels full."""

    capacity = 500
    placement = "even"
