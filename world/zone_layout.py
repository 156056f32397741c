"""Zone layouts: the static description of a place, loaded from ``assets/zones/<name>.json``.

The server reads the file; this module only validates the parsed JSON, so that a broken
layout fails at start with the path of the bad field rather than in the middle of a tick.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from world.protocol import POSITION_QUANTUM_M, POSITION_RANGE_M

__all__ = ["LayoutError", "SpawnPoint", "ZoneLayout"]


class LayoutError(ValueError):
    """A zone layout is invalid; the message names the field."""


@dataclass(frozen=True)
class SpawnPoint:
    """Where a newcomer appears, facing ``yaw`` radians."""

    position: tuple[float, float, float]
    yaw: float = 0.0


@dataclass(frozen=True)
class ZoneLayout:
    """Bounds and spawn points of one zone; positions are metres in zone coordinates."""

    name: str
    titles: dict[str, str]
    bounds_min: tuple[float, float, float]
    bounds_max: tuple[float, float, float]
    spawns: tuple[SpawnPoint, ...]

    @property
    def origin(self) -> npt.NDArray[np.float64]:
        """The quantisation origin: the minimum corner of the bounds."""
        return np.asarray(self.bounds_min, dtype=np.float64)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ZoneLayout:
        """Validate parsed JSON. Raises ``LayoutError`` naming the offending field."""
        if not isinstance(data, dict):
            raise LayoutError("layout: expected an object")
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise LayoutError("name: expected a non-empty string")
        titles = data.get("title", {})
        if not isinstance(titles, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in titles.items()
        ):
            raise LayoutError("title: expected an object of language -> string")
        bounds = data.get("bounds")
        if not isinstance(bounds, dict):
            raise LayoutError("bounds: expected an object with min and max")
        lo = _vec3(bounds.get("min"), "bounds.min")
        hi = _vec3(bounds.get("max"), "bounds.max")
        for axis in range(3):
            if not lo[axis] < hi[axis]:
                raise LayoutError(f"bounds: max must exceed min on axis {'xyz'[axis]}")
            # The largest quantised step is 65535, so the far edge must be at most that.
            if hi[axis] - lo[axis] > POSITION_RANGE_M - POSITION_QUANTUM_M:
                raise LayoutError(
                    f"bounds: the zone spans more than {POSITION_RANGE_M:.0f} m on axis "
                    f"{'xyz'[axis]}, which the wire cannot address"
                )
        raw_spawns = data.get("spawns")
        if not isinstance(raw_spawns, list) or not raw_spawns:
            raise LayoutError("spawns: expected a non-empty list")
        spawns = []
        for i, raw in enumerate(raw_spawns):
            if not isinstance(raw, dict):
                raise LayoutError(f"spawns[{i}]: expected an object")
            pos = _vec3(raw.get("position"), f"spawns[{i}].position")
            if not all(lo[a] <= pos[a] <= hi[a] for a in range(3)):
                raise LayoutError(f"spawns[{i}].position: outside the bounds")
            yaw = raw.get("yaw", 0.0)
            if not isinstance(yaw, int | float) or not math.isfinite(yaw):
                raise LayoutError(f"spawns[{i}].yaw: expected a number")
            spawns.append(SpawnPoint(pos, float(yaw)))
        return cls(name, dict(titles), lo, hi, tuple(spawns))

    def to_wire(self) -> dict[str, Any]:
        """What a client is told about the zone in WELCOME."""
        return {
            "name": self.name,
            "title": self.titles,
            "origin": list(self.bounds_min),
            "size": [h - lo for lo, h in zip(self.bounds_min, self.bounds_max, strict=True)],
        }


def _vec3(value: Any, where: str) -> tuple[float, float, float]:
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(isinstance(v, int | float) and math.isfinite(v) for v in value)
    ):
        raise LayoutError(f"{where}: expected [x, y, z] numbers")
    return (float(value[0]), float(value[1]), float(value[2]))
