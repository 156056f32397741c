"""The example zone of docs/zones.md, installed as its own package: found through its entry
point, served by a real server as the entrance, and tested through a fake context."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import pathlib
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from plaza_client.client import PlazaClient, sign_in_guest

from server.bench.server_process import running_server
from world.zone_layout import ZoneLayout
from world.zone_testing import FakeContext

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "docs" / "examples" / "plaza-lantern-garden"
TIMEOUT = 20.0

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The example package installed (built by pip, as a city's developers would) into a
    folder of its own."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
            "--no-build-isolation", "--target", str(target), str(PACKAGE),
        ],
        check=True,
        timeout=300,
        cwd=tmp_path_factory.mktemp("build"),
    )  # fmt: skip
    return target


@pytest.fixture
def with_package(installed: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    path = os.pathsep.join([str(installed), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    yield


def test_the_entry_point_registers_the_zone(installed: pathlib.Path) -> None:
    script = (
        "import json; from server.zone_registry import discover_zones, layout_path; "
        "import pathlib; "
        "print(json.dumps({e.name: [e.origin, str(layout_path(e, pathlib.Path('assets/zones')))]"
        " for e in discover_zones()}))"
    )
    env = {**os.environ, "PYTHONPATH": str(installed)}
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    zones = json.loads(out.stdout)
    origin, layout = zones["lantern_garden"]
    assert origin == "plaza_lantern_garden.zone:LanternGarden"
    assert layout.startswith(str(installed)) and layout.endswith("lantern_garden.json")
    # Plaza's own zones are registered the same way.
    assert {"seoul_plaza", "city_hall", "center_120", "tourism", "festival"} <= set(zones)


def test_the_zone_through_a_fake_context() -> None:
    sys.path.insert(0, str(PACKAGE))
    try:
        zone_module = importlib.import_module("plaza_lantern_garden.zone")
    finally:
        sys.path.remove(str(PACKAGE))
    layout = ZoneLayout.from_dict(
        json.loads((PACKAGE / "plaza_lantern_garden" / "lantern_garden.json").read_text())
    )
    ctx = FakeContext("lantern_garden", layout)
    zone = zone_module.LanternGarden()
    zone.on_create(ctx)
    mina = ctx.add_avatar(1, "mina")
    zone.on_join(ctx, mina)
    assert ctx.events("lanterns") == [{"lanterns": []}]
    zone.on_message(ctx, ctx.message(1, "lantern.hang", {"wish": "  건강하세요  "}, "r1"))
    assert ctx.replies == [("r1", True, {"count": 1})]
    assert ctx.events("lantern.hung") == [{"by": "mina", "wish": "건강하세요", "at": 0.0}]
    assert ctx.saved_for == [(1, "hung", True)]
    zone.on_message(ctx, ctx.message(1, "lantern.hang", {"wish": "again"}, "r2"))
    zone.on_message(ctx, ctx.message(1, "lantern.hang", {"wish": "x" * 81}, "r3"))
    assert ctx.replies[1:] == [
        ("r2", False, "you have already hung a lantern"),
        ("r3", False, "a wish is 1 to 80 characters"),
    ]
    assert ctx.advance(60.0) == 1
    assert ctx.events("glow") == [{"level": 1}]
    # Guests wait when the garden is half full.
    for i in range(2, 52):
        ctx.add_avatar(i, f"c{i}")
    guest = ctx.add_avatar(99, "guest", role="guest")
    assert "busy" in (zone.on_join_attempt(ctx, guest) or "")


async def _hang(url: str, http: str) -> dict[str, Any]:
    first = await sign_in_guest(http, "민지", "ko")
    second = await sign_in_guest(http, "Jun", "en")
    async with PlazaClient(url, first.token) as a, PlazaClient(url, second.token) as b:
        assert a.zone == b.zone == "lantern_garden"
        await a.wait_for(lambda c: any(e.type == "lanterns" for e in c.zone_events), TIMEOUT)
        hung = await a.zone_request("lantern.hang", {"wish": "새해 복 많이 받으세요"})
        again = await a.zone_request("lantern.hang", {"wish": "one more"})
        await b.wait_for(lambda c: any(e.type == "lantern.hung" for e in c.zone_events), TIMEOUT)
        seen = next(e for e in b.zone_events if e.type == "lantern.hung")
        return {"hung": hung, "again": again, "seen": seen.data}


def test_a_server_serves_the_installed_zone(with_package: None, database_url: str) -> None:
    with running_server("--entrance", "lantern_garden", "--database-url", database_url) as server:
        with urllib.request.urlopen(server.http + "/api/config", timeout=10) as response:
            config = json.loads(response.read())
        assert config["zone"]["name"] == "lantern_garden"
        out = asyncio.run(_hang(config["ws_url"], server.http))
    assert out["hung"].ok and out["hung"].detail == {"count": 1}
    assert not out["again"].ok and out["again"].detail == "you have already hung a lantern"
    assert out["seen"]["by"] == "민지" and out["seen"]["wish"] == "새해 복 많이 받으세요"
