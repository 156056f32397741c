"""Finding the zones: entry points in the group ``plaza.zones`` and their layout files.

A zone ships as a class registered under the entry point group ``plaza.zones`` (Plaza's own
zones in its pyproject.toml, a city's zones in their own package's). The entry point's name
is the zone's name. Its layout is ``<zones dir>/<name>.json``, or the file named by the
class's ``layout_resource``, next to its module. Everything is checked before the server
serves anyone: a zone that fails to import, a layout with a bad field (named, with its
file), a portal to a zone that is not registered.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import pathlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from world.city import CityError, ZoneSpec, check_zones
from world.zone_api import Zone
from world.zone_layout import LayoutError, ZoneLayout

__all__ = ["ENTRY_POINT_GROUP", "ZoneLoadError", "discover_zones", "load_zone_specs"]

ENTRY_POINT_GROUP = "plaza.zones"
_ZONE_NAME = re.compile(r"[a-z0-9_]{1,64}")


class ZoneLoadError(Exception):
    """A zone cannot be loaded; the message names the zone, the file and the field."""


@dataclass(frozen=True)
class ZoneEntry:
    """A registered zone class and where it came from."""

    name: str
    zone_class: type[Zone]
    origin: str


def discover_zones() -> list[ZoneEntry]:
    """Every zone registered in the ``plaza.zones`` entry point group, sorted by name."""
    found: dict[str, ZoneEntry] = {}
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if not _ZONE_NAME.fullmatch(entry.name):
            raise ZoneLoadError(
                f"zone entry point {entry.name!r} ({entry.value}): a zone name is 1 to 64 "
                "characters a-z, 0-9 and _"
            )
        try:
            loaded = entry.load()
        except Exception as exc:
            raise ZoneLoadError(
                f"zone {entry.name}: cannot import {entry.value}: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(loaded, type) or not issubclass(loaded, Zone):
            raise ZoneLoadError(
                f"zone {entry.name}: {entry.value} is not a subclass of world.zone_api.Zone"
            )
        earlier = found.get(entry.name)
        if earlier is not None and earlier.zone_class is not loaded:
            raise ZoneLoadError(
                f"zone {entry.name} is registered twice: {earlier.origin} and {entry.value}"
            )
        found[entry.name] = ZoneEntry(entry.name, loaded, entry.value)
    return [found[name] for name in sorted(found)]


def layout_path(entry: ZoneEntry, zones_dir: pathlib.Path) -> pathlib.Path:
    """Where the zone's layout file is."""
    resource = entry.zone_class.layout_resource
    if resource is None:
        return zones_dir / f"{entry.name}.json"
    package = entry.zone_class.__module__.rpartition(".")[0] or entry.zone_class.__module__
    return pathlib.Path(str(importlib.resources.files(package).joinpath(resource)))


def load_layout(path: pathlib.Path, name: str) -> ZoneLayout:
    """Read and validate one layout; its ``name`` must be the zone's."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ZoneLoadError(f"zone {name}: cannot read layout {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ZoneLoadError(f"zone {name}: layout {path} is not JSON: {exc}") from None
    try:
        layout = ZoneLayout.from_dict(data)
    except LayoutError as exc:
        raise ZoneLoadError(f"zone {name}: layout {path}: {exc}") from None
    if layout.name != name:
        raise ZoneLoadError(
            f"zone {name}: layout {path}: name is {layout.name!r}, expected {name!r}"
        )
    return layout


def load_zone_specs(
    entries: Iterable[ZoneEntry],
    zones_dir: pathlib.Path,
    entrance: str,
    records: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[ZoneSpec]:
    """Layouts for every zone, checked together (portals, the entrance)."""
    specs = [
        ZoneSpec(
            entry.name,
            entry.zone_class,
            load_layout(layout_path(entry, zones_dir), entry.name),
            dict((records or {}).get(entry.name, {})),
        )
        for entry in entries
    ]
    try:
        check_zones(specs, entrance)
    except CityError as exc:
        raise ZoneLoadError(str(exc)) from None
    return specs
