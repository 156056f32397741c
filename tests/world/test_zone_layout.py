"""Zone layouts: the shipped Seoul Plaza, the scene clients draw, and every validation rule."""

from __future__ import annotations

import copy
import json
import math
import pathlib
from collections.abc import Callable
from typing import Any

import pytest

import world.zone_layout as zone_layout
from world.zone_layout import (
    DEFAULT_SIGN_SIZE_M,
    MAX_BUILDINGS,
    MAX_GROUND_AREAS,
    MAX_ID_CHARS,
    MAX_LOCALES_PER_TEXT,
    MAX_POINTS_OF_INTEREST,
    MAX_PORTAL_RADIUS_M,
    MAX_PORTALS,
    MAX_SCENE_BYTES,
    MAX_SIGNS,
    MAX_TEXT_CHARS,
    Building,
    GroundArea,
    LayoutError,
    ZoneLayout,
)

SEOUL_PLAZA = pathlib.Path(__file__).resolve().parents[2] / "assets" / "zones" / "seoul_plaza.json"
SECTIONS = ("ground", "buildings", "portals", "signs", "points_of_interest", "spots", "walkable")
FOUR_LOCALES = {"ko", "en", "ja", "zh"}
SPAWN_SPREAD_M = 3.0  # world.py's ring around each spawn point


def text(ko: str = "시험", en: str = "Test") -> dict[str, str]:
    return {"ko": ko, "en": en}


def base() -> dict[str, Any]:
    """A small valid layout with one entry in every section."""
    return {
        "name": "yard",
        "title": {"ko": "마당", "en": "Yard"},
        "bounds": {"min": [-50.0, -5.0, -50.0], "max": [50.0, 40.0, 50.0]},
        "spawns": [{"position": [0.0, 0.0, 10.0], "yaw": math.pi}],
        "ground": [
            {
                "id": "lawn",
                "kind": "lawn",
                "shape": "ellipse",
                "center": [0.0, 0.0],
                "size": [30.0, 20.0],
            }
        ],
        "buildings": [
            {
                "id": "hall",
                "title": text("시청", "City Hall"),
                "position": [0.0, 0.0, -30.0],
                "size": [20.0, 12.0, 10.0],
                "yaw": 0.0,
                "color": "#C9BDA5",
                "roof": "hip",
            }
        ],
        "portals": [
            {
                "id": "to_center",
                "title": text("120 다산콜센터", "120 Dasan Call Center"),
                "description": text("상담", "Ask us"),
                "position": [10.0, 0.0, -10.0],
                "radius": 2.5,
                "target": "center_120",
            }
        ],
        "signs": [
            {
                "id": "sign_hall",
                "text": text("서울시청", "Seoul City Hall"),
                "position": [0.0, 2.0, -24.0],
                "yaw": 0.0,
                "size": [4.0, 1.0],
            }
        ],
        "points_of_interest": [
            {
                "id": "poi_lawn",
                "title": text("잔디", "Lawn"),
                "description": text("잔디밭입니다.", "A lawn."),
                "position": [0.0, 0.0, 0.0],
                "kind": "landmark",
            }
        ],
        "spots": [{"id": "door", "position": [0.0, 0.0, -18.0], "yaw": 0.0, "radius": 2.0}],
        "walkable": [{"shape": "rect", "center": [0.0, 0.0], "size": [90.0, 90.0]}],
    }


def minimal() -> dict[str, Any]:
    return {
        "name": "yard",
        "bounds": {"min": [-10.0, 0.0, -10.0], "max": [10.0, 5.0, 10.0]},
        "spawns": [{"position": [0.0, 0.0, 0.0]}],
    }


@pytest.fixture(scope="module")
def plaza() -> ZoneLayout:
    with SEOUL_PLAZA.open(encoding="utf-8") as f:
        return ZoneLayout.from_dict(json.load(f))


# -- the shipped Seoul Plaza --------------------------------------------------------------------


def test_seoul_plaza_loads_with_every_section(plaza: ZoneLayout) -> None:
    assert plaza.name == "seoul_plaza"
    assert plaza.bounds_min == (-400.0, -10.0, -400.0)
    assert plaza.bounds_max == (400.0, 90.0, 400.0)
    for section in SECTIONS:
        assert getattr(plaza, section), f"{section} is empty"
    scene = plaza.scene()
    for section in SECTIONS:
        assert scene[section], section


def test_seoul_plaza_texts_are_in_four_languages(plaza: ZoneLayout) -> None:
    maps: list[dict[str, str]] = [plaza.titles]
    maps += [b.title for b in plaza.buildings]
    maps += [p.title for p in plaza.portals]
    maps += [p.description for p in plaza.portals if p.description is not None]
    maps += [s.text for s in plaza.signs]
    maps += [p.title for p in plaza.points_of_interest]
    maps += [p.description for p in plaza.points_of_interest]
    for m in maps:
        assert set(m) == FOUR_LOCALES, m
    assert all(p.description is not None for p in plaza.portals)
    signs = {s.text["ko"] for s in plaza.signs}
    assert {"서울광장", "서울시청", "서울도서관", "덕수궁 대한문", "120 다산콜센터"} <= signs
    assert {p.kind for p in plaza.points_of_interest} >= {"landmark", "info"}


def test_seoul_plaza_has_a_portal_to_each_service(plaza: ZoneLayout) -> None:
    assert {p.target for p in plaza.portals} == {"center_120", "city_hall", "tourism", "festival"}


def _ground(plaza: ZoneLayout, ident: str) -> GroundArea:
    (area,) = (a for a in plaza.ground if a.id == ident)
    return area


def _building(plaza: ZoneLayout, ident: str) -> Building:
    (building,) = (b for b in plaza.buildings if b.id == ident)
    return building


def test_seoul_plaza_is_laid_out_like_the_real_one(plaza: ZoneLayout) -> None:
    lawn = _ground(plaza, "seoul_plaza_lawn")
    assert (lawn.kind, lawn.shape) == ("lawn", "ellipse")
    assert lawn.size == pytest.approx((60.0, 45.0), abs=6.0)
    assert lawn.center == pytest.approx((0.0, 0.0), abs=5.0)
    # City Hall to the north (-z), the library in front of the new building.
    library = _building(plaza, "seoul_library")
    city_hall = _building(plaza, "seoul_city_hall")
    assert library.size[0] == pytest.approx(40.0, abs=5.0)
    assert city_hall.position[2] < library.position[2] < lawn.center[1] - lawn.size[1] / 2
    assert city_hall.size[1] > 2 * library.size[1]  # 13 storeys of glass behind 4 of stone
    # Sejong-daero to the east, Taepyeong-ro to the west, both roads.
    assert _ground(plaza, "sejong_daero").kind == _ground(plaza, "taepyeong_ro").kind == "road"
    assert _ground(plaza, "sejong_daero").center[0] > lawn.size[0] / 2
    assert _ground(plaza, "taepyeong_ro").center[0] < -lawn.size[0] / 2
    # Daehanmun to the south-west across Taepyeong-ro; the stage to the south.
    gate = _building(plaza, "daehanmun")
    road = _ground(plaza, "taepyeong_ro")
    assert gate.position[0] < road.center[0] - road.size[0] / 2 and gate.position[2] > 0
    assert _building(plaza, "festival_stage").position[2] > lawn.size[1] / 2
    # The tourism portal is toward Gwanghwamun: north of the lawn.
    (tourism,) = (p for p in plaza.portals if p.target == "tourism")
    assert tourism.position[2] < lawn.center[1] - lawn.size[1] / 2


def _corners(x: float, z: float, w: float, d: float, yaw: float) -> list[tuple[float, float]]:
    """Corners of a w x d rectangle centred at (x, z), turned by yaw about +y."""
    c, s = math.cos(yaw), math.sin(yaw)
    out = []
    for u, v in ((-w / 2, -d / 2), (w / 2, -d / 2), (w / 2, d / 2), (-w / 2, d / 2)):
        # Rotation about +y: local x -> (cos, -sin), local z -> (sin, cos) in (x, z).
        out.append((x + u * c + v * s, z - u * s + v * c))
    return out


def _inside_box(point: tuple[float, float, float], b: Building, margin: float = 0.0) -> bool:
    dx, dz = point[0] - b.position[0], point[2] - b.position[2]
    c, s = math.cos(b.yaw), math.sin(b.yaw)
    u, v = dx * c - dz * s, dx * s + dz * c
    return abs(u) < b.size[0] / 2 + margin and abs(v) < b.size[2] / 2 + margin


def _on_road(plaza: ZoneLayout, point: tuple[float, float, float]) -> bool:
    for area in plaza.ground:
        if area.kind == "road":
            corners = _corners(*area.center, *area.size, area.yaw)
            xs, zs = [x for x, _ in corners], [z for _, z in corners]
            assert area.yaw == 0.0  # the check below is for roads along the axes
            if min(xs) <= point[0] <= max(xs) and min(zs) <= point[2] <= max(zs):
                return True
    return False


def test_seoul_plaza_fits_within_its_bounds(plaza: ZoneLayout) -> None:
    lo, hi = plaza.bounds_min, plaza.bounds_max
    for b in plaza.buildings:
        for x, z in _corners(b.position[0], b.position[2], b.size[0], b.size[2], b.yaw):
            assert lo[0] <= x <= hi[0] and lo[2] <= z <= hi[2], b.id
        assert lo[1] <= b.position[1] and b.position[1] + b.size[1] <= hi[1], b.id
    for a in plaza.ground:
        for x, z in _corners(*a.center, *a.size, a.yaw):
            assert lo[0] - 1e-9 <= x <= hi[0] + 1e-9 and lo[2] - 1e-9 <= z <= hi[2] + 1e-9, a.id


def test_seoul_plaza_spawns_face_city_hall_from_the_lawns_south_edge(plaza: ZoneLayout) -> None:
    lawn = _ground(plaza, "seoul_plaza_lawn")
    south_edge = lawn.center[1] + lawn.size[1] / 2
    for spawn in plaza.spawns:
        assert spawn.yaw == pytest.approx(math.pi)  # yaw pi faces -z: north
        assert abs(spawn.position[2] - south_edge) <= 15.0
        assert abs(spawn.position[0] - lawn.center[0]) <= lawn.size[0] / 2


def test_seoul_plaza_places_are_reachable(plaza: ZoneLayout) -> None:
    """Spawns and portals are on foot, not in a building or on a road."""
    for spawn in plaza.spawns:
        assert not _on_road(plaza, spawn.position)
        assert not any(_inside_box(spawn.position, b, SPAWN_SPREAD_M) for b in plaza.buildings)
        for portal in plaza.portals:
            gap = math.dist(spawn.position, portal.position)
            assert gap > portal.radius + SPAWN_SPREAD_M, (portal.id, spawn)
    for portal in plaza.portals:
        assert not _on_road(plaza, portal.position), portal.id
        assert not any(_inside_box(portal.position, b, portal.radius) for b in plaza.buildings)
    for poi in plaza.points_of_interest:
        assert not any(_inside_box(poi.position, b) for b in plaza.buildings), poi.id


# -- the scene --------------------------------------------------------------------------------


def test_scene_round_trips_through_json(plaza: ZoneLayout) -> None:
    scene = plaza.scene()
    encoded = json.dumps(scene, ensure_ascii=False, allow_nan=False)
    assert json.loads(encoded) == scene
    assert len(encoded.encode("utf-8")) <= MAX_SCENE_BYTES
    # The scene is itself a layout file: reading it back gives the same layout.
    assert ZoneLayout.from_dict(json.loads(encoded)) == plaza
    assert set(scene) == {"name", "title", "bounds", "spawns", *SECTIONS}
    assert scene["bounds"] == {"min": [-400.0, -10.0, -400.0], "max": [400.0, 90.0, 400.0]}


def test_scene_fills_in_defaults() -> None:
    data = base()
    data["ground"][0]["center"] = [1, 2]  # integers are numbers too
    del data["buildings"][0]["roof"]
    del data["signs"][0]["size"]
    del data["portals"][0]["description"]
    layout = ZoneLayout.from_dict(data)
    scene = layout.scene()
    assert scene["ground"][0] == {
        "id": "lawn",
        "kind": "lawn",
        "shape": "ellipse",
        "center": [1.0, 2.0],
        "size": [30.0, 20.0],
        "yaw": 0.0,
    }
    assert scene["buildings"][0]["roof"] == "flat"
    assert scene["buildings"][0]["color"] == "#c9bda5"  # normalised to lower case
    assert scene["signs"][0]["size"] == list(DEFAULT_SIGN_SIZE_M)
    assert "description" not in scene["portals"][0]
    assert ZoneLayout.from_dict(scene) == layout


def test_to_wire_is_unchanged_by_the_scene() -> None:
    layout = ZoneLayout.from_dict(base())
    assert layout.to_wire() == {
        "name": "yard",
        "title": {"ko": "마당", "en": "Yard"},
        "origin": [-50.0, -5.0, -50.0],
        "size": [100.0, 45.0, 100.0],
    }


def test_seoul_plaza_welcome_stays_small(plaza: ZoneLayout) -> None:
    assert set(plaza.to_wire()) == {"name", "title", "origin", "size"}


# -- back-compatibility -----------------------------------------------------------------------


def test_a_layout_without_the_new_sections_still_loads() -> None:
    layout = ZoneLayout.from_dict(minimal())
    assert layout.titles == {}
    for section in SECTIONS:
        assert getattr(layout, section) == ()
        assert layout.scene()[section] == []
    assert layout.to_wire()["title"] == {}


def test_the_zone_title_keeps_its_old_rules() -> None:
    """The zone's own title may lack Korean, as layouts written before the scene do."""
    data = minimal()
    data["title"] = {"en": "Demo"}
    assert ZoneLayout.from_dict(data).titles == {"en": "Demo"}


def test_an_empty_section_is_fine() -> None:
    data = minimal()
    for section in SECTIONS:
        data[section] = []
    assert ZoneLayout.from_dict(data).scene()["buildings"] == []


def test_every_count_limit_is_inclusive() -> None:
    data = minimal()
    data["bounds"] = {"min": [-1000.0, 0.0, -1000.0], "max": [1000.0, 5.0, 1000.0]}
    limits = {
        "ground": MAX_GROUND_AREAS,
        "buildings": MAX_BUILDINGS,
        "portals": MAX_PORTALS,
        "signs": MAX_SIGNS,
        "points_of_interest": MAX_POINTS_OF_INTEREST,
    }
    makers: dict[str, Callable[[str], dict[str, Any]]] = {
        "ground": lambda i: {
            "id": i,
            "kind": "paving",
            "shape": "rect",
            "center": [0, 0],
            "size": [1, 1],
        },
        "buildings": lambda i: {
            "id": i,
            "title": {"ko": "집"},
            "position": [0, 0, 0],
            "size": [1, 1, 1],
            "yaw": 0,
            "color": "#000000",
        },
        "portals": lambda i: {
            "id": i,
            "title": {"ko": "문"},
            "position": [0, 0, 0],
            "radius": 1,
            "target": "x",
        },
        "signs": lambda i: {"id": i, "text": {"ko": "글"}, "position": [0, 0, 0], "yaw": 0},
        "points_of_interest": lambda i: {
            "id": i,
            "title": {"ko": "곳"},
            "description": {"ko": "설명"},
            "position": [0, 0, 0],
            "kind": "info",
        },
    }
    for section, limit in limits.items():
        data[section] = [makers[section](f"{section[:4]}{n}") for n in range(limit)]
    layout = ZoneLayout.from_dict(data)
    assert len(layout.buildings) == MAX_BUILDINGS
    assert len(layout.points_of_interest) == MAX_POINTS_OF_INTEREST


def test_a_scene_of_megabytes_is_refused() -> None:
    data = minimal()
    long_text = "가" * MAX_TEXT_CHARS
    locales = ["ko", "en", "ja", "zh", "fr", "de", "es", "vi"][:MAX_LOCALES_PER_TEXT]
    data["points_of_interest"] = [
        {
            "id": f"p{n}",
            "title": dict.fromkeys(locales, long_text),
            "description": dict.fromkeys(locales, long_text),
            "position": [0, 0, 0],
            "kind": "info",
        }
        for n in range(MAX_POINTS_OF_INTEREST)
    ]
    with pytest.raises(LayoutError, match=r"^layout: the scene is \d+ bytes of JSON"):
        ZoneLayout.from_dict(data)


def test_existing_messages_are_unchanged() -> None:
    data = minimal()
    data["bounds"]["max"] = [10, 10]
    with pytest.raises(LayoutError, match=r"^bounds\.max: expected \[x, y, z\] numbers$"):
        ZoneLayout.from_dict(data)
    data = minimal()
    data["spawns"][0]["position"] = [0.0, 0.0, 11.0]
    with pytest.raises(LayoutError, match=r"^spawns\[0\]\.position: outside the bounds"):
        ZoneLayout.from_dict(data)


# -- every rule refuses a bad value, naming the field -----------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def setter(path: str, value: Any) -> Mutation:
    """Set ``value`` at a dotted path with [i] indices, e.g. ``buildings[0].title.ko``."""

    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        parts = path.replace("[", ".").replace("]", "").split(".")
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        last = parts[-1]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def deleter(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        parts = path.replace("[", ".").replace("]", "").split(".")
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[parts[-1]]

    return mutate


def repeat(section: str, count: int) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        entry = data[section][0]
        data["bounds"] = {"min": [-1000.0, -5.0, -1000.0], "max": [1000.0, 40.0, 1000.0]}
        data[section] = []
        for n in range(count):
            e = copy.deepcopy(entry)
            e["id"] = f"e{n}"
            data[section].append(e)

    return mutate


BAD: list[Any] = [
    # Spots, walk areas and portal destinations.
    pytest.param(
        setter("spots[0].radius", 0), "spots[0].radius: expected a positive number", id="spot-r0"
    ),
    pytest.param(
        setter("spots[0].id", "hall"), "spots[0].id: 'hall' is already the id of", id="spot-dup"
    ),
    pytest.param(
        setter("walkable[0].shape", "circle"), "walkable[0].shape: expected one of", id="walk-shape"
    ),
    pytest.param(
        setter("walkable[0].center", [47.0, 47.0]),
        "spawns[0].position: not on any walkable area",
        id="spawn-off-walkable",
    ),
    pytest.param(
        setter("portals[0].destination", "Not An Id"),
        "portals[0].destination: expected the id of a spot in zone 'center_120'",
        id="destination",
    ),
    # Wrong types.
    pytest.param(setter("buildings", {}), "buildings: expected a list", id="section-not-list"),
    pytest.param(setter("signs", None), "signs: expected a list", id="section-null"),
    pytest.param(setter("buildings[0]", "hall"), "buildings[0]: expected an object", id="entry"),
    pytest.param(
        setter("buildings[0].title", "시청"),
        "buildings[0].title: expected an object of locale -> text",
        id="title-string",
    ),
    pytest.param(
        setter("buildings[0].position", "0,0,0"),
        "buildings[0].position: expected [x, y, z] numbers",
        id="position-string",
    ),
    pytest.param(
        setter("portals[0].position", [0, 0]),
        "portals[0].position: expected [x, y, z] numbers",
        id="position-short",
    ),
    pytest.param(
        setter("signs[0].position", [0, True, 0]),
        "signs[0].position: expected [x, y, z] numbers",
        id="position-bool",
    ),
    pytest.param(
        setter("points_of_interest[0].position", [0, 10**400, 0]),
        "points_of_interest[0].position: expected [x, y, z] numbers",
        id="position-huge-int",
    ),
    pytest.param(
        setter("buildings[0].position", [0.0, math.nan, 0.0]),
        "buildings[0].position: expected [x, y, z] numbers",
        id="position-nan",
    ),
    pytest.param(
        setter("ground[0].center", [0.0, 0.0, 0.0]),
        "ground[0].center: expected [x, z] numbers",
        id="center-3d",
    ),
    pytest.param(
        setter("portals[0].radius", "3"),
        "portals[0].radius: expected a positive number",
        id="radius-string",
    ),
    pytest.param(setter("signs[0].yaw", True), "signs[0].yaw: expected radians", id="yaw-bool"),
    pytest.param(
        setter("buildings[0].yaw", 90), "buildings[0].yaw: expected radians", id="yaw-degrees"
    ),
    pytest.param(
        setter("ground[0].yaw", "north"), "ground[0].yaw: expected radians", id="yaw-string"
    ),
    pytest.param(
        setter("signs[0].text.en", 5),
        "signs[0].text.en: expected text of 1 to 200 characters",
        id="text-number",
    ),
    pytest.param(
        setter("buildings[0].color", 0xC9BDA5),
        'buildings[0].color: expected "#rrggbb"',
        id="color-number",
    ),
    pytest.param(setter("ground[0].kind", 1), "ground[0].kind: expected one of", id="kind-int"),
    # Missing fields, unknown fields.
    pytest.param(deleter("buildings[0].color"), "buildings[0].color: required", id="no-color"),
    pytest.param(deleter("buildings[0].yaw"), "buildings[0].yaw: required", id="no-yaw"),
    pytest.param(deleter("signs[0].yaw"), "signs[0].yaw: required", id="no-sign-yaw"),
    pytest.param(deleter("portals[0].target"), "portals[0].target: required", id="no-target"),
    pytest.param(
        deleter("points_of_interest[0].description"),
        "points_of_interest[0].description: required",
        id="no-poi-description",
    ),
    pytest.param(deleter("ground[0].id"), "ground[0].id: required", id="no-id"),
    pytest.param(
        setter("buildings[0].colour", "#ffffff"),
        "buildings[0].colour: unknown field",
        id="unknown-field",
    ),
    pytest.param(setter("building", []), "building: unknown field", id="unknown-section"),
    # Locale maps.
    pytest.param(
        deleter("buildings[0].title.ko"), "buildings[0].title.ko: required", id="title-no-ko"
    ),
    pytest.param(
        deleter("portals[0].description.ko"),
        "portals[0].description.ko: required",
        id="portal-description-no-ko",
    ),
    pytest.param(deleter("signs[0].text.ko"), "signs[0].text.ko: required", id="sign-no-ko"),
    pytest.param(
        deleter("points_of_interest[0].description.ko"),
        "points_of_interest[0].description.ko: required",
        id="poi-description-no-ko",
    ),
    pytest.param(setter("signs[0].text", {}), "signs[0].text.ko: required", id="text-empty-map"),
    pytest.param(
        setter("signs[0].text.ko", ""),
        "signs[0].text.ko: expected text of 1 to 200 characters",
        id="text-empty",
    ),
    pytest.param(
        setter("signs[0].text.ko", "가" * (MAX_TEXT_CHARS + 1)),
        "signs[0].text.ko: expected text of 1 to 200 characters",
        id="text-too-long",
    ),
    pytest.param(
        setter("signs[0].text.ko", "   "), "signs[0].text.ko: the text is blank", id="blank"
    ),
    pytest.param(
        setter("signs[0].text.en", "Seoul\nPlaza"),
        "signs[0].text.en: control characters",
        id="text-newline",
    ),
    pytest.param(
        setter("signs[0].text.EN", "Plaza"),
        "signs[0].text.EN: not a locale tag",
        id="locale-upper",
    ),
    pytest.param(
        setter("signs[0].text.korean", "광장"),
        "signs[0].text.korean: not a locale tag",
        id="locale-word",
    ),
    pytest.param(
        setter(
            "signs[0].text",
            {"ko": "광장", **{f"x{c}": "t" for c in "abcdefghi"[:MAX_LOCALES_PER_TEXT]}},
        ),
        f"signs[0].text: at most {MAX_LOCALES_PER_TEXT} locales",
        id="too-many-locales",
    ),
    pytest.param(
        setter("title.ko", ""), "title.ko: expected text of 1 to 200 characters", id="zone-title"
    ),
    # Positions within the bounds.
    pytest.param(
        setter("buildings[0].position", [60.0, 0.0, 0.0]),
        "buildings[0].position: outside the bounds",
        id="building-outside",
    ),
    pytest.param(
        setter("portals[0].position", [0.0, -6.0, 0.0]),
        "portals[0].position: outside the bounds",
        id="portal-below",
    ),
    pytest.param(
        setter("signs[0].position", [0.0, 41.0, 0.0]),
        "signs[0].position: outside the bounds",
        id="sign-above",
    ),
    pytest.param(
        setter("points_of_interest[0].position", [0.0, 0.0, -50.5]),
        "points_of_interest[0].position: outside the bounds",
        id="poi-outside",
    ),
    pytest.param(
        setter("ground[0].center", [0.0, 51.0]),
        "ground[0].center: outside the bounds",
        id="ground-outside",
    ),
    # Ids.
    pytest.param(
        setter("signs[0].id", "hall"),
        "signs[0].id: 'hall' is already the id of buildings[0]",
        id="duplicate-across-sections",
    ),
    pytest.param(
        setter("buildings", [base()["buildings"][0]] * 2),
        "buildings[1].id: 'hall' is already the id of buildings[0]",
        id="duplicate-in-section",
    ),
    pytest.param(setter("buildings[0].id", "Hall"), "buildings[0].id: expected", id="id-upper"),
    pytest.param(setter("buildings[0].id", "city hall"), "buildings[0].id:", id="id-space"),
    pytest.param(setter("buildings[0].id", ""), "buildings[0].id:", id="id-empty"),
    pytest.param(
        setter("buildings[0].id", "a" * (MAX_ID_CHARS + 1)), "buildings[0].id:", id="id-long"
    ),
    pytest.param(setter("buildings[0].id", 7), "buildings[0].id:", id="id-number"),
    # Colours.
    pytest.param(setter("buildings[0].color", "red"), "buildings[0].color:", id="color-name"),
    pytest.param(setter("buildings[0].color", "#fff"), "buildings[0].color:", id="color-short"),
    pytest.param(
        setter("buildings[0].color", "#12345g"), "buildings[0].color:", id="color-not-hex"
    ),
    pytest.param(setter("buildings[0].color", "c9bda5"), "buildings[0].color:", id="color-no-hash"),
    # Too many entries.
    pytest.param(
        repeat("ground", MAX_GROUND_AREAS + 1),
        f"ground: at most {MAX_GROUND_AREAS} entries, got {MAX_GROUND_AREAS + 1}",
        id="too-many-ground",
    ),
    pytest.param(
        repeat("buildings", MAX_BUILDINGS + 1),
        f"buildings: at most {MAX_BUILDINGS} entries",
        id="too-many-buildings",
    ),
    pytest.param(
        repeat("portals", MAX_PORTALS + 1),
        f"portals: at most {MAX_PORTALS} entries",
        id="too-many-portals",
    ),
    pytest.param(
        repeat("signs", MAX_SIGNS + 1), f"signs: at most {MAX_SIGNS} entries", id="too-many-signs"
    ),
    pytest.param(
        repeat("points_of_interest", MAX_POINTS_OF_INTEREST + 1),
        f"points_of_interest: at most {MAX_POINTS_OF_INTEREST} entries",
        id="too-many-pois",
    ),
    # Unknown kinds.
    pytest.param(
        setter("ground[0].kind", "grass"),
        "ground[0].kind: expected one of lawn, paving, water, road",
        id="ground-kind",
    ),
    pytest.param(
        setter("ground[0].shape", "circle"),
        "ground[0].shape: expected one of rect, ellipse",
        id="ground-shape",
    ),
    pytest.param(
        setter("buildings[0].roof", "dome"),
        "buildings[0].roof: expected one of flat, hip, gable",
        id="roof",
    ),
    pytest.param(
        setter("points_of_interest[0].kind", "shop"),
        "points_of_interest[0].kind: expected one of service, landmark, info",
        id="poi-kind",
    ),
    # Portal targets.
    pytest.param(setter("portals[0].target", "City Hall"), "portals[0].target:", id="target-sp"),
    pytest.param(setter("portals[0].target", "city-hall"), "portals[0].target:", id="target-dash"),
    pytest.param(setter("portals[0].target", ""), "portals[0].target:", id="target-empty"),
    pytest.param(
        setter("portals[0].target", "a" * (MAX_ID_CHARS + 1)),
        "portals[0].target:",
        id="target-long",
    ),
    pytest.param(
        setter("portals[0].target", ["center_120"]),
        "portals[0].target: expected a zone name",
        id="target-list",
    ),
    # Sizes.
    pytest.param(
        setter("buildings[0].size", [-1.0, 12.0, 10.0]),
        "buildings[0].size: expected [x, y, z] positive numbers",
        id="building-negative",
    ),
    pytest.param(
        setter("buildings[0].size", [20.0, 0.0, 10.0]),
        "buildings[0].size: expected [x, y, z] positive numbers",
        id="building-zero-height",
    ),
    pytest.param(
        setter("buildings[0].size", [20.0, 12.0]),
        "buildings[0].size: expected [x, y, z] positive numbers",
        id="building-2d",
    ),
    pytest.param(
        setter("buildings[0].size", [5000.0, 12.0, 10.0]),
        "buildings[0].size: each side must be at most 2048 m",
        id="building-huge",
    ),
    pytest.param(
        setter("ground[0].size", [30.0, -20.0]),
        "ground[0].size: expected [x, z] positive numbers",
        id="ground-negative",
    ),
    pytest.param(
        setter("signs[0].size", [-4.0, 1.0]),
        "signs[0].size: expected [x, y] positive numbers",
        id="sign-negative",
    ),
    pytest.param(
        setter("portals[0].radius", -1.0), "portals[0].radius: expected a positive", id="r-neg"
    ),
    pytest.param(setter("portals[0].radius", 0), "portals[0].radius:", id="radius-zero"),
    pytest.param(
        setter("portals[0].radius", MAX_PORTAL_RADIUS_M + 1),
        "portals[0].radius:",
        id="radius-huge",
    ),
]


@pytest.mark.parametrize(("mutate", "message"), BAD)
def test_a_bad_value_is_refused_naming_the_field(mutate: Mutation, message: str) -> None:
    data = base()
    ZoneLayout.from_dict(copy.deepcopy(data))  # the unmutated layout is fine
    mutate(data)
    with pytest.raises(LayoutError) as refused:
        ZoneLayout.from_dict(data)
    assert str(refused.value).startswith(message), str(refused.value)


def test_the_base_layout_of_the_bad_cases_is_valid() -> None:
    layout = ZoneLayout.from_dict(base())
    assert [len(getattr(layout, s)) for s in SECTIONS] == [1, 1, 1, 1, 1, 1, 1]
    assert layout.buildings[0].roof == "hip"
    assert layout.portals[0].description == {"ko": "상담", "en": "Ask us"}


# -- docs/zones.md ----------------------------------------------------------------------------

ZONES_DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "zones.md"


def test_the_docs_example_is_a_valid_layout() -> None:
    doc = ZONES_DOC.read_text(encoding="utf-8")
    section = doc[doc.index("## 6. A small complete example") :]
    block = section[section.index("```json") + len("```json") : section.index("\n```\n")]
    layout = ZoneLayout.from_dict(json.loads(block))
    assert layout.name == "small_square"
    assert [len(getattr(layout, s)) for s in SECTIONS] == [2, 1, 1, 1, 1, 1, 0]


def test_the_docs_list_every_limit() -> None:
    doc = ZONES_DOC.read_text(encoding="utf-8")
    limits = [n for n in zone_layout.__all__ if n.startswith(("MAX_", "DEFAULT_", "REQUIRED_"))]
    assert limits
    for name in limits:
        assert f"`{name}`" in doc, name
