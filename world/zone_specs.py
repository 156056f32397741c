"""Zone specifications and the start-up checks that they fit together.

A ``ZoneSpec`` is what the server found for one registered zone: its script class, its
validated layout and its saved records. ``check_zones`` refuses a set of zones whose
portals lead nowhere, so a broken configuration never serves anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from world.instance_plan import PLACEMENTS
from world.zone_api import Zone
from world.zone_layout import ZoneLayout

__all__ = ["CityError", "ZoneSpec", "check_zones"]


class CityError(ValueError):
    """The zones do not fit together (a portal to a missing zone, an unknown spot): found
    at start-up, so a broken configuration never serves anyone."""


@dataclass(frozen=True)
class ZoneSpec:
    """A registered zone: its script class, its validated layout and its saved records."""

    name: str
    zone_class: type[Zone]
    layout: ZoneLayout
    records: Mapping[str, Any] = field(default_factory=dict)


def check_zones(
    specs: Iterable[ZoneSpec], entrance: str, instance_capacity: int | None = None
) -> None:
    """Raise ``CityError`` unless every portal leads to a registered zone and an existing
    spot there, the entrance is registered, and each zone's instance settings make sense."""
    by_name = {spec.name: spec for spec in specs}
    if entrance not in by_name:
        known = ", ".join(sorted(by_name)) or "none"
        raise CityError(f"the entrance zone {entrance!r} is not registered (known: {known})")
    for name, spec in by_name.items():
        zone_class = spec.zone_class
        if zone_class.placement not in PLACEMENTS:
            raise CityError(
                f"zone {name}: placement must be one of {', '.join(PLACEMENTS)}, "
                f"not {zone_class.placement!r}"
            )
        if not (0.0 < zone_class.open_at <= 1.0):
            raise CityError(f"zone {name}: open_at must be within (0, 1]")
        if (instance_capacity or zone_class.capacity) < 1:
            raise CityError(f"zone {name}: capacity must be at least 1")
        for index, portal in enumerate(spec.layout.portals):
            where = f"zone {name}: portals[{index}] ({portal.id})"
            target = by_name.get(portal.target)
            if target is None:
                known = ", ".join(sorted(by_name))
                raise CityError(
                    f"{where}: target {portal.target!r} is not a registered zone (known: {known})"
                )
            if portal.destination is not None and target.layout.spot(portal.destination) is None:
                raise CityError(
                    f"{where}: destination {portal.destination!r} is not a spot of zone "
                    f"{portal.target}"
                )
