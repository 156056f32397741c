"""Zone layouts: the static description of a place, loaded from ``assets/zones/<name>.json``.

The server reads the file; this module only validates the parsed JSON, so that a broken
layout fails at start with the path of the bad field rather than in the middle of a tick.

A layout has the zone's name, title, bounds and spawn points (all that the simulation needs
and all that WELCOME carries, see ``ZoneLayout.to_wire``) and, optionally, what clients draw
and list: ground areas, buildings, portals to the city's services, signs and points of
interest (``ZoneLayout.scene``). docs/zones.md describes the format field by field.

Conventions: metres; zone coordinates with x east, y up and z south. ``yaw`` is radians
about +y, counter-clockwise seen from above: yaw 0 faces +z (south), pi/2 faces +x (east),
pi faces -z (north). Text that people read is a map of locale -> string with at least "ko".
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from world.protocol import POSITION_QUANTUM_M, POSITION_RANGE_M

__all__ = [
    "BUILDING_ROOFS",
    "DEFAULT_SIGN_SIZE_M",
    "GROUND_KINDS",
    "GROUND_SHAPES",
    "MAX_BUILDINGS",
    "MAX_EXTENT_M",
    "MAX_GROUND_AREAS",
    "MAX_ID_CHARS",
    "MAX_LOCALES_PER_TEXT",
    "MAX_POINTS_OF_INTEREST",
    "MAX_PORTALS",
    "MAX_PORTAL_RADIUS_M",
    "MAX_SCENE_BYTES",
    "MAX_SIGNS",
    "MAX_SPOTS",
    "MAX_SPOT_RADIUS_M",
    "MAX_TEXT_CHARS",
    "MAX_WALK_AREAS",
    "MAX_YAW_RAD",
    "POI_KINDS",
    "REQUIRED_LOCALE",
    "Building",
    "BuildingRoof",
    "GroundArea",
    "GroundKind",
    "GroundShape",
    "LayoutError",
    "LocaleText",
    "PoiKind",
    "PointOfInterest",
    "Portal",
    "Sign",
    "SpawnPoint",
    "Spot",
    "WalkArea",
    "ZoneLayout",
]

# -- limits -----------------------------------------------------------------------------------
# They keep a bad file from making the server hold or send megabytes: the scene goes to every
# client that opens the zone.

MAX_GROUND_AREAS = 64
"""Most entries in ``ground``."""
MAX_BUILDINGS = 256
"""Most entries in ``buildings``."""
MAX_PORTALS = 64
"""Most entries in ``portals``."""
MAX_SIGNS = 256
"""Most entries in ``signs``."""
MAX_POINTS_OF_INTEREST = 256
"""Most entries in ``points_of_interest``."""
MAX_SPOTS = 256
"""Most named spots per layout (desks, stops, arrival points)."""
MAX_WALK_AREAS = 32
"""Most walk areas per layout; each is one vectorised test per moving avatar."""
MAX_SPOT_RADIUS_M = 50.0
"""Largest spot radius: a stage or a bus stop, not a district."""
MAX_SCENE_BYTES = 512 * 1024
"""Most bytes of ``ZoneLayout.scene()`` as compact UTF-8 JSON."""

MAX_ID_CHARS = 64
"""Longest id (and longest portal target)."""
MAX_TEXT_CHARS = 200
"""Longest text in one locale."""
MAX_LOCALES_PER_TEXT = 8
"""Most locales in one locale map."""
REQUIRED_LOCALE = "ko"
"""Every locale map of the scene (except the zone's legacy ``title``) has this locale."""

MAX_EXTENT_M = POSITION_RANGE_M
"""Largest size along any axis (the widest zone the wire can address)."""
MAX_PORTAL_RADIUS_M = 20.0
"""Largest portal radius."""
MAX_YAW_RAD = 2.0 * math.pi
"""Largest ``|yaw|`` of a ground area, building or sign (larger values are likely degrees)."""
DEFAULT_SIGN_SIZE_M = (2.0, 1.0)
"""A sign's ``[w, h]`` when the layout gives none."""

GroundKind = Literal["lawn", "paving", "water", "road"]
GroundShape = Literal["rect", "ellipse"]
BuildingRoof = Literal["flat", "hip", "gable"]
PoiKind = Literal["service", "landmark", "info"]

GROUND_KINDS: tuple[GroundKind, ...] = ("lawn", "paving", "water", "road")
"""What a ground area is made of."""
GROUND_SHAPES: tuple[GroundShape, ...] = ("rect", "ellipse")
"""The outline of a ground area."""
BUILDING_ROOFS: tuple[BuildingRoof, ...] = ("flat", "hip", "gable")
"""Roof shapes; ``flat`` when the layout gives none."""
POI_KINDS: tuple[PoiKind, ...] = ("service", "landmark", "info")
"""Kinds of point of interest."""

LocaleText = dict[str, str]
"""Text that people read: locale tag (``ko``, ``en``, ``ja``, ``zh``, ...) -> string."""

_ID = re.compile(rf"[a-z0-9_-]{{1,{MAX_ID_CHARS}}}")
_ZONE_NAME = re.compile(rf"[a-z0-9_]{{1,{MAX_ID_CHARS}}}")
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

_TOP_LEVEL_FIELDS = frozenset(
    {
        "name",
        "title",
        "bounds",
        "spawns",
        "ground",
        "buildings",
        "portals",
        "signs",
        "points_of_interest",
        "spots",
        "walkable",
    }
)

_T = TypeVar("_T", bound=str)

Vec3 = tuple[float, float, float]


class LayoutError(ValueError):
    """A zone layout is invalid; the message names the field."""


@dataclass(frozen=True)
class SpawnPoint:
    """Where a newcomer appears, facing ``yaw`` radians."""

    position: Vec3
    yaw: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the layout file's format."""
        return {"position": list(self.position), "yaw": self.yaw}


@dataclass(frozen=True)
class GroundArea:
    """A flat area on the ground plane (y = 0): lawn, paving, water or road.

    ``center`` is ``(x, z)``; ``size`` is ``(w, d)``, the full extent along the area's own x
    and z before it is turned by ``yaw``. An ellipse's axes are ``w`` and ``d``.
    """

    id: str
    kind: GroundKind
    shape: GroundShape
    center: tuple[float, float]
    size: tuple[float, float]
    yaw: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the layout file's format."""
        return {
            "id": self.id,
            "kind": self.kind,
            "shape": self.shape,
            "center": list(self.center),
            "size": list(self.size),
            "yaw": self.yaw,
        }


@dataclass(frozen=True)
class Building:
    """A box with a roof. ``position`` is the centre of its base; ``size`` is ``(w, h, d)``.

    Its front (the face at +d/2 in its own axes) faces the direction ``yaw``.
    """

    id: str
    title: LocaleText
    position: Vec3
    size: Vec3
    yaw: float
    color: str
    roof: BuildingRoof = "flat"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the layout file's format."""
        return {
            "id": self.id,
            "title": dict(self.title),
            "position": list(self.position),
            "size": list(self.size),
            "yaw": self.yaw,
            "color": self.color,
            "roof": self.roof,
        }


@dataclass(frozen=True)
class Portal:
    """The way to a service: stepping within ``radius`` of ``position`` leads to ``target``."""

    id: str
    title: LocaleText
    position: Vec3
    radius: float
    target: str
    description: LocaleText | None = None
    destination: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the layout file's format (no ``description`` or ``destination``
        key when it has none)."""
        out: dict[str, Any] = {
            "id": self.id,
            "title": dict(self.title),
            "position": list(self.position),
            "radius": self.radius,
            "target": self.target,
        }
        if self.description is not None:
            out["description"] = dict(self.description)
        if self.destination is not None:
            out["destination"] = self.destination
        return out


@dataclass(frozen=True)
class Spot:
    """A named place in the zone: where a portal arrives, a desk, a bus stop, a stage.

    Zone scripts find spots by id; ``radius`` is how near counts as "at" the spot.
    """

    id: str
    position: Vec3
    yaw: float = 0.0
    radius: float = 2.0
    title: LocaleText | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the layout file's format (no ``title`` key when it has none)."""
        out: dict[str, Any] = {
            "id": self.id,
            "position": list(self.position),
            "yaw": self.yaw,
            "radius": self.radius,
        }
        if self.title is not None:
            out["title"] = dict(self.title)
        return out

    def contains(self, position: Vec3) -> bool:
        """True when ``position`` is within ``radius`` on the ground plane."""
        dx, dz = position[0] - self.position[0], position[2] - self.position[2]
        return dx * dx + dz * dz <= self.radius * self.radius


@dataclass(frozen=True)
class WalkArea:
    """Part of the walkable ground: avatars may stand where any walk area covers.

    ``center`` is ``(x, z)``; ``size`` the full extent ``(w, d)`` along the area's own axes,
    turned by ``yaw``. Without walk areas the whole of the bounds is walkable.
    """

    shape: GroundShape
    center: tuple[float, float]
    size: tuple[float, float]
    yaw: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the layout file's format."""
        return {
            "shape": self.shape,
            "center": list(self.center),
            "size": list(self.size),
            "yaw": self.yaw,
        }

    def covers(
        self, x: npt.NDArray[np.float64], z: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        """Which of the points ``(x, z)`` lie inside (vectorised)."""
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        dx, dz = x - self.center[0], z - self.center[1]
        # Into the area's own axes: the inverse of a turn by yaw about +y.
        u = dx * c - dz * s
        v = dx * s + dz * c
        hw, hd = self.size[0] / 2.0, self.size[1] / 2.0
        if self.shape == "rect":
            inside: npt.NDArray[np.bool_] = (np.abs(u) <= hw) & (np.abs(v) <= hd)
            return inside
        ellipse: npt.NDArray[np.bool_] = (u / hw) ** 2 + (v / hd) ** 2 <= 1.0
        return ellipse


@dataclass(frozen=True)
class Sign:
    """A board with text. ``position`` is the centre of the board; ``size`` is ``(w, h)``.

    Its readable face faces the direction ``yaw``.
    """

    id: str
    text: LocaleText
    position: Vec3
    yaw: float
    size: tuple[float, float] = DEFAULT_SIGN_SIZE_M

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the layout file's format."""
        return {
            "id": self.id,
            "text": dict(self.text),
            "position": list(self.position),
            "yaw": self.yaw,
            "size": list(self.size),
        }


@dataclass(frozen=True)
class PointOfInterest:
    """A place worth knowing about, with a title and a short description."""

    id: str
    title: LocaleText
    description: LocaleText
    position: Vec3
    kind: PoiKind

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the layout file's format."""
        return {
            "id": self.id,
            "title": dict(self.title),
            "description": dict(self.description),
            "position": list(self.position),
            "kind": self.kind,
        }


@dataclass(frozen=True)
class ZoneLayout:
    """One zone: bounds and spawn points, and what clients draw; metres, zone coordinates."""

    name: str
    titles: LocaleText
    bounds_min: Vec3
    bounds_max: Vec3
    spawns: tuple[SpawnPoint, ...]
    ground: tuple[GroundArea, ...] = ()
    buildings: tuple[Building, ...] = ()
    portals: tuple[Portal, ...] = ()
    signs: tuple[Sign, ...] = ()
    points_of_interest: tuple[PointOfInterest, ...] = ()
    spots: tuple[Spot, ...] = ()
    walkable: tuple[WalkArea, ...] = ()

    def spot(self, spot_id: str) -> Spot | None:
        """The spot named ``spot_id``, or None."""
        for spot in self.spots:
            if spot.id == spot_id:
                return spot
        return None

    def walkable_mask(self, positions: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
        """Which of ``positions`` (n x 3) stand on walkable ground."""
        if not self.walkable:
            return np.ones(len(positions), dtype=np.bool_)
        x = np.asarray(positions[:, 0], dtype=np.float64)
        z = np.asarray(positions[:, 2], dtype=np.float64)
        mask = np.zeros(len(positions), dtype=np.bool_)
        for area in self.walkable:
            mask |= area.covers(x, z)
        return mask

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
        # The zone title predates the required "ko" and stays optional: older layouts have
        # none, or only some locales.
        titles = _locale_text(data.get("title", {}), "title", require_ko=False)
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
        reader = _Reader(lo, hi)
        spawns = []
        for i, raw in enumerate(raw_spawns):
            if not isinstance(raw, dict):
                raise LayoutError(f"spawns[{i}]: expected an object")
            pos = reader.position(raw.get("position"), f"spawns[{i}].position")
            yaw = _finite(raw.get("yaw", 0.0))
            if yaw is None:
                raise LayoutError(f"spawns[{i}].yaw: expected a number")
            spawns.append(SpawnPoint(pos, yaw))
        for key in data:
            if key not in _TOP_LEVEL_FIELDS:
                raise LayoutError(f"{_key_path('', key)}: unknown field")
        layout = cls(
            name,
            titles,
            lo,
            hi,
            tuple(spawns),
            ground=tuple(
                reader.ground(raw, f"ground[{i}]")
                for i, raw in enumerate(_section(data, "ground", MAX_GROUND_AREAS))
            ),
            buildings=tuple(
                reader.building(raw, f"buildings[{i}]")
                for i, raw in enumerate(_section(data, "buildings", MAX_BUILDINGS))
            ),
            portals=tuple(
                reader.portal(raw, f"portals[{i}]")
                for i, raw in enumerate(_section(data, "portals", MAX_PORTALS))
            ),
            signs=tuple(
                reader.sign(raw, f"signs[{i}]")
                for i, raw in enumerate(_section(data, "signs", MAX_SIGNS))
            ),
            points_of_interest=tuple(
                reader.point_of_interest(raw, f"points_of_interest[{i}]")
                for i, raw in enumerate(
                    _section(data, "points_of_interest", MAX_POINTS_OF_INTEREST)
                )
            ),
            spots=tuple(
                reader.spot(raw, f"spots[{i}]")
                for i, raw in enumerate(_section(data, "spots", MAX_SPOTS))
            ),
            walkable=tuple(
                reader.walk_area(raw, f"walkable[{i}]")
                for i, raw in enumerate(_section(data, "walkable", MAX_WALK_AREAS))
            ),
        )
        if layout.walkable:
            points = np.asarray([spawn.position for spawn in layout.spawns], dtype=np.float64)
            for i, ok in enumerate(layout.walkable_mask(points).tolist()):
                if not ok:
                    raise LayoutError(f"spawns[{i}].position: not on any walkable area")
        size = len(_compact_json(layout.scene()))
        if size > MAX_SCENE_BYTES:
            raise LayoutError(
                f"layout: the scene is {size} bytes of JSON, more than {MAX_SCENE_BYTES}; "
                "shorten the texts or remove entries"
            )
        return layout

    def to_wire(self) -> dict[str, Any]:
        """What a client is told about the zone in WELCOME."""
        return {
            "name": self.name,
            "title": self.titles,
            "origin": list(self.bounds_min),
            "size": [h - lo for lo, h in zip(self.bounds_min, self.bounds_max, strict=True)],
        }

    def scene(self) -> dict[str, Any]:
        """Everything a client draws or lists, JSON-ready.

        The result is itself a valid layout file (``from_dict(scene())`` gives back an equal
        layout) with every default filled in: ``ground[].yaw``, ``buildings[].roof`` and
        ``signs[].size`` are always present; ``portals[].description`` only when given.
        """
        return {
            "name": self.name,
            "title": dict(self.titles),
            "bounds": {"min": list(self.bounds_min), "max": list(self.bounds_max)},
            "spawns": [spawn.to_dict() for spawn in self.spawns],
            "ground": [area.to_dict() for area in self.ground],
            "buildings": [building.to_dict() for building in self.buildings],
            "portals": [portal.to_dict() for portal in self.portals],
            "signs": [sign.to_dict() for sign in self.signs],
            "points_of_interest": [poi.to_dict() for poi in self.points_of_interest],
            "spots": [spot.to_dict() for spot in self.spots],
            "walkable": [area.to_dict() for area in self.walkable],
        }


# -- validation -------------------------------------------------------------------------------


class _Reader:
    """Validates the entries of the optional sections against the bounds and each other."""

    def __init__(self, lo: Vec3, hi: Vec3) -> None:
        self.lo = lo
        self.hi = hi
        # id -> the entry that took it, for the duplicate message.
        self.ids: dict[str, str] = {}

    def ground(self, raw: Any, where: str) -> GroundArea:
        fields = _fields(raw, where, ("id", "kind", "shape", "center", "size"), ("yaw",))
        ident = self.ident(fields["id"], where)
        kind = _choice(fields["kind"], f"{where}.kind", GROUND_KINDS)
        shape = _choice(fields["shape"], f"{where}.shape", GROUND_SHAPES)
        center = _vec2(fields["center"], f"{where}.center", "[x, z]")
        if not (self.lo[0] <= center[0] <= self.hi[0] and self.lo[2] <= center[1] <= self.hi[2]):
            raise LayoutError(
                f"{where}.center: outside the bounds (x {_fmt(self.lo[0])} .. "
                f"{_fmt(self.hi[0])}, z {_fmt(self.lo[2])} .. {_fmt(self.hi[2])})"
            )
        size = _size2(fields["size"], f"{where}.size", "[x, z]")
        yaw = _yaw(fields.get("yaw", 0.0), f"{where}.yaw")
        return GroundArea(ident, kind, shape, center, size, yaw)

    def building(self, raw: Any, where: str) -> Building:
        fields = _fields(raw, where, ("id", "title", "position", "size", "yaw", "color"), ("roof",))
        ident = self.ident(fields["id"], where)
        title = _locale_text(fields["title"], f"{where}.title")
        position = self.position(fields["position"], f"{where}.position")
        size = _size3(fields["size"], f"{where}.size")
        yaw = _yaw(fields["yaw"], f"{where}.yaw")
        color = fields["color"]
        if not isinstance(color, str) or not _COLOR.fullmatch(color):
            raise LayoutError(f'{where}.color: expected "#rrggbb" (six hex digits)')
        roof = _choice(fields.get("roof", "flat"), f"{where}.roof", BUILDING_ROOFS)
        return Building(ident, title, position, size, yaw, color.lower(), roof)

    def portal(self, raw: Any, where: str) -> Portal:
        fields = _fields(
            raw,
            where,
            ("id", "title", "position", "radius", "target"),
            ("description", "destination"),
        )
        ident = self.ident(fields["id"], where)
        title = _locale_text(fields["title"], f"{where}.title")
        position = self.position(fields["position"], f"{where}.position")
        radius = _finite(fields["radius"])
        if radius is None or not 0.0 < radius <= MAX_PORTAL_RADIUS_M:
            raise LayoutError(
                f"{where}.radius: expected a positive number of metres, at most "
                f"{_fmt(MAX_PORTAL_RADIUS_M)}"
            )
        target = fields["target"]
        if not isinstance(target, str) or not _ZONE_NAME.fullmatch(target):
            raise LayoutError(
                f"{where}.target: expected a zone name of 1 to {MAX_ID_CHARS} characters "
                "a-z, 0-9 and _"
            )
        description = None
        if "description" in fields:
            description = _locale_text(fields["description"], f"{where}.description")
        destination = fields.get("destination")
        if destination is not None and (
            not isinstance(destination, str) or not _ID.fullmatch(destination)
        ):
            raise LayoutError(f"{where}.destination: expected the id of a spot in zone {target!r}")
        return Portal(ident, title, position, radius, target, description, destination)

    def spot(self, raw: Any, where: str) -> Spot:
        fields = _fields(raw, where, ("id", "position"), ("yaw", "radius", "title"))
        ident = self.ident(fields["id"], where)
        position = self.position(fields["position"], f"{where}.position")
        yaw = _yaw(fields.get("yaw", 0.0), f"{where}.yaw")
        radius = _finite(fields.get("radius", 2.0))
        if radius is None or not 0.0 < radius <= MAX_SPOT_RADIUS_M:
            raise LayoutError(
                f"{where}.radius: expected a positive number of metres, at most "
                f"{_fmt(MAX_SPOT_RADIUS_M)}"
            )
        title = None
        if "title" in fields:
            title = _locale_text(fields["title"], f"{where}.title")
        return Spot(ident, position, yaw, radius, title)

    def walk_area(self, raw: Any, where: str) -> WalkArea:
        fields = _fields(raw, where, ("shape", "center", "size"), ("yaw",))
        shape = _choice(fields["shape"], f"{where}.shape", GROUND_SHAPES)
        center = _vec2(fields["center"], f"{where}.center", "[x, z]")
        size = _size2(fields["size"], f"{where}.size", "[x, z]")
        yaw = _yaw(fields.get("yaw", 0.0), f"{where}.yaw")
        return WalkArea(shape, center, size, yaw)

    def sign(self, raw: Any, where: str) -> Sign:
        fields = _fields(raw, where, ("id", "text", "position", "yaw"), ("size",))
        ident = self.ident(fields["id"], where)
        text = _locale_text(fields["text"], f"{where}.text")
        position = self.position(fields["position"], f"{where}.position")
        yaw = _yaw(fields["yaw"], f"{where}.yaw")
        size = DEFAULT_SIGN_SIZE_M
        if "size" in fields:
            size = _size2(fields["size"], f"{where}.size", "[x, y]")
        return Sign(ident, text, position, yaw, size)

    def point_of_interest(self, raw: Any, where: str) -> PointOfInterest:
        fields = _fields(raw, where, ("id", "title", "description", "position", "kind"), ())
        ident = self.ident(fields["id"], where)
        title = _locale_text(fields["title"], f"{where}.title")
        description = _locale_text(fields["description"], f"{where}.description")
        position = self.position(fields["position"], f"{where}.position")
        kind = _choice(fields["kind"], f"{where}.kind", POI_KINDS)
        return PointOfInterest(ident, title, description, position, kind)

    def ident(self, value: Any, where: str) -> str:
        """A well-formed id not used before in this layout."""
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise LayoutError(
                f"{where}.id: expected 1 to {MAX_ID_CHARS} characters a-z, 0-9, _ and -"
            )
        earlier = self.ids.get(value)
        if earlier is not None:
            raise LayoutError(f"{where}.id: {value!r} is already the id of {earlier}")
        self.ids[value] = where
        return value

    def position(self, value: Any, where: str) -> Vec3:
        """``[x, y, z]`` within the bounds (inclusive)."""
        pos = _vec3(value, where)
        if not all(self.lo[a] <= pos[a] <= self.hi[a] for a in range(3)):
            raise LayoutError(
                f"{where}: outside the bounds (min {_fmt_vec(self.lo)}, max {_fmt_vec(self.hi)})"
            )
        return pos


def _section(data: dict[str, Any], key: str, limit: int) -> list[Any]:
    """The entries of an optional list section, at most ``limit`` of them."""
    if key not in data:
        return []
    raw = data[key]
    if not isinstance(raw, list):
        raise LayoutError(f"{key}: expected a list")
    if len(raw) > limit:
        raise LayoutError(f"{key}: at most {limit} entries, got {len(raw)}")
    return raw


def _fields(
    raw: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...]
) -> dict[str, Any]:
    """``raw`` as an object with every required field and no unknown one."""
    if not isinstance(raw, dict):
        raise LayoutError(f"{where}: expected an object")
    for key in required:
        if key not in raw:
            raise LayoutError(f"{where}.{key}: required")
    for key in raw:
        if key not in required and key not in optional:
            raise LayoutError(f"{_key_path(where, key)}: unknown field")
    return raw


def _key_path(where: str, key: Any) -> str:
    """``where.key``, quoting keys that are not plain names."""
    if isinstance(key, str) and re.fullmatch(r"[A-Za-z0-9_$-]{1,64}", key):
        return f"{where}.{key}" if where else key
    return f"{where}[{key!r}]" if where else f"[{key!r}]"


def _locale_text(value: Any, where: str, *, require_ko: bool = True) -> LocaleText:
    """A map of locale tag -> one line of text, with Korean unless ``require_ko`` is off."""
    if not isinstance(value, dict):
        raise LayoutError(
            f'{where}: expected an object of locale -> text, e.g. {{"ko": "...", "en": "..."}}'
        )
    if len(value) > MAX_LOCALES_PER_TEXT:
        raise LayoutError(f"{where}: at most {MAX_LOCALES_PER_TEXT} locales, got {len(value)}")
    for locale, text in value.items():
        if not isinstance(locale, str) or not _LOCALE.fullmatch(locale):
            raise LayoutError(
                f"{_key_path(where, locale)}: not a locale tag like ko, en, ja, zh or zh-Hant"
            )
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT_CHARS:
            raise LayoutError(
                f"{where}.{locale}: expected text of 1 to {MAX_TEXT_CHARS} characters"
            )
        if not text.strip():
            raise LayoutError(f"{where}.{locale}: the text is blank")
        if _CONTROL.search(text):
            raise LayoutError(
                f"{where}.{locale}: control characters (such as line breaks) are not allowed"
            )
    if require_ko and REQUIRED_LOCALE not in value:
        raise LayoutError(f"{where}.{REQUIRED_LOCALE}: required (every text has Korean)")
    return dict(value)


def _choice(value: Any, where: str, options: tuple[_T, ...]) -> _T:
    """``value`` if it is one of ``options``."""
    for option in options:
        if value == option and isinstance(value, str):
            return option
    raise LayoutError(f"{where}: expected one of {', '.join(options)}")


def _finite(value: Any) -> float | None:
    """``value`` as a float if it is a finite JSON number (never a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) else None


def _numbers(value: Any, count: int) -> list[float] | None:
    """A list of exactly ``count`` finite numbers, else None."""
    if not isinstance(value, list) or len(value) != count:
        return None
    numbers = [_finite(v) for v in value]
    if any(n is None for n in numbers):
        return None
    return [n for n in numbers if n is not None]


def _vec3(value: Any, where: str) -> Vec3:
    numbers = _numbers(value, 3)
    if numbers is None:
        raise LayoutError(f"{where}: expected [x, y, z] numbers")
    return (numbers[0], numbers[1], numbers[2])


def _vec2(value: Any, where: str, axes: str) -> tuple[float, float]:
    numbers = _numbers(value, 2)
    if numbers is None:
        raise LayoutError(f"{where}: expected {axes} numbers")
    return (numbers[0], numbers[1])


def _check_extents(numbers: list[float] | None, where: str, axes: str) -> list[float]:
    if numbers is None or not all(n > 0.0 for n in numbers):
        raise LayoutError(f"{where}: expected {axes} positive numbers")
    if any(n > MAX_EXTENT_M for n in numbers):
        raise LayoutError(f"{where}: each side must be at most {_fmt(MAX_EXTENT_M)} m")
    return numbers


def _size2(value: Any, where: str, axes: str) -> tuple[float, float]:
    numbers = _check_extents(_numbers(value, 2), where, axes)
    return (numbers[0], numbers[1])


def _size3(value: Any, where: str) -> Vec3:
    numbers = _check_extents(_numbers(value, 3), where, "[x, y, z]")
    return (numbers[0], numbers[1], numbers[2])


def _yaw(value: Any, where: str) -> float:
    yaw = _finite(value)
    if yaw is None or abs(yaw) > MAX_YAW_RAD:
        raise LayoutError(
            f"{where}: expected radians between -2π and 2π (degrees are not accepted)"
        )
    return yaw


def _fmt(value: float) -> str:
    return f"{value:g}"


def _fmt_vec(values: Vec3) -> str:
    return "[" + ", ".join(_fmt(v) for v in values) + "]"


def _compact_json(obj: Any) -> bytes:
    """``obj`` as the server sends JSON: compact UTF-8."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )
