"""The web client's files: served from one folder only, with the right types and caching."""

from __future__ import annotations

import pathlib

import pytest

from server.http import Request
from server.static_files import StaticFiles


def _request(path: str) -> Request:
    return Request("GET", path, {}, {}, b"", "test")


@pytest.fixture
def root(tmp_path: pathlib.Path) -> pathlib.Path:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>3D</title>")
    (dist / "2d.html").write_text("<!doctype html><title>2D</title>")
    (dist / "app3d.js").write_text("console.log(1)")
    (dist / ".hidden").write_text("secret")
    (tmp_path / "outside.txt").write_text("outside")
    return dist


async def test_pages_and_bundles_are_served_with_their_types(root: pathlib.Path) -> None:
    files = StaticFiles(root)
    page = await files(_request("/"))
    assert (page.status, page.content_type) == (200, "text/html; charset=utf-8")
    assert page.body.endswith(b"<title>3D</title>")
    assert page.headers["Cache-Control"] == "no-cache"
    two_d = await files(_request("/2d"))
    assert two_d.body.endswith(b"<title>2D</title>")
    bundle = await files(_request("/app3d.js"))
    assert bundle.content_type == "text/javascript; charset=utf-8"
    assert bundle.headers["Cache-Control"] == "public, max-age=300"
    assert bundle.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    ["/../outside.txt", "/%2e%2e/outside.txt", "/.hidden", "/nope.js", "//etc/passwd", "/a\0b"],
)
async def test_nothing_outside_the_folder_or_hidden_is_served(
    root: pathlib.Path, path: str
) -> None:
    response = await StaticFiles(root)(_request(path))
    assert response.status == 404


async def test_an_unbuilt_client_says_how_to_build_it(tmp_path: pathlib.Path) -> None:
    files = StaticFiles(tmp_path / "missing")
    page = await files(_request("/"))
    assert page.status == 503
    assert b"make" in page.body
    assert (await files(_request("/app3d.js"))).status == 404
