"""Portal triggers: which avatars stepped into a portal since the last check.

An avatar triggers a portal when it is found inside it and was not inside that portal at
the previous check, so an avatar that arrives (or spawns) on a portal does not bounce
straight back, and one standing still inside triggers once. The test is one vectorised
distance matrix (avatars x portals) per instance.
"""

from __future__ import annotations

import numpy as np

from world.avatars import AvatarTable
from world.zone_layout import Portal, ZoneLayout

__all__ = ["PortalWatch"]


class PortalWatch:
    """The portals of one layout and who stood in which at the last check."""

    def __init__(self, layout: ZoneLayout) -> None:
        self.portals: tuple[Portal, ...] = layout.portals
        self._x = np.asarray([p.position[0] for p in self.portals], dtype=np.float64)
        self._z = np.asarray([p.position[2] for p in self.portals], dtype=np.float64)
        self._r2 = np.asarray([p.radius**2 for p in self.portals], dtype=np.float64)
        self.inside: dict[int, int] = {}

    def portal_at(self, x: float, z: float) -> int:
        """The index of the portal covering ``(x, z)``, or -1."""
        if not self.portals:
            return -1
        hit = np.flatnonzero((self._x - x) ** 2 + (self._z - z) ** 2 <= self._r2)
        return int(hit[0]) if hit.size else -1

    def arrived(self, avatar_id: int, x: float, z: float) -> None:
        """An avatar appeared at ``(x, z)``: a portal under it does not fire until it has
        stepped out and back in."""
        index = self.portal_at(x, z)
        if index >= 0:
            self.inside[avatar_id] = index
        else:
            self.inside.pop(avatar_id, None)

    def left(self, avatar_id: int) -> None:
        """The avatar is no longer in this instance."""
        self.inside.pop(avatar_id, None)

    def check(self, table: AvatarTable) -> list[tuple[int, Portal]]:
        """(avatar id, portal) for every avatar that stepped into a portal."""
        n = table.count
        if not self.portals or n == 0:
            self.inside.clear()
            return []
        pos = table.position[:n]
        dx = pos[:, 0:1].astype(np.float64) - self._x
        dz = pos[:, 2:3].astype(np.float64) - self._z
        within = dx * dx + dz * dz <= self._r2
        rows = np.flatnonzero(within.any(axis=1))
        now_inside = dict(
            zip(
                table.ids[rows].tolist(),
                within[rows].argmax(axis=1).tolist(),
                strict=True,
            )
        )
        before = self.inside
        fired = [(a, self.portals[i]) for a, i in now_inside.items() if before.get(a) != i]
        self.inside = now_inside
        return fired
