"""`plaza serve` refuses bad settings at start with a message, never a traceback."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # Ports come from the environment (0: any free port), so that a case that wrongly
    # started the server would not take a fixed port; options given in `args` override.
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", *args],
        cwd=ROOT,
        env={**os.environ, "PLAZA_HTTP_PORT": "0", "PLAZA_WS_PORT": "0", **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {"PLAZA_HTTP_PORT": "abc"}, "argument --http-port: invalid int value: 'abc'"),
        (("--tick-rate", "500"), {}, "--tick-rate must be within 1..120"),
        (("--capacity", "0"), {}, "--capacity must be within 1.."),
        (("--ws-port", "70000"), {}, "--ws-port must be a port number"),
        (
            ("--zones-dir", "/no/such/dir"),
            {},
            "cannot read layout /no/such/dir/center_120.json: No such file or directory",
        ),
        (("--entrance", "atlantis"), {}, "the entrance zone 'atlantis' is not registered"),
        (("--zone", "x.json"), {}, "unrecognized arguments: --zone"),
        (("--instance-capacity", "0"), {}, "--instance-capacity must be within 1.."),
        (("--center-hours", "weekdays"), {}, "expected e.g. 'mon-fri 09:00-18:00'"),
        (("--center-timezone", "Mars/Olympus"), {}, "time zone 'Mars/Olympus' is not known"),
        (("--center-categories", "tax,tax"), {}, "--center-categories must list distinct"),
        ((), {"PLAZA_CENTER_RETENTION_DAYS": "0"}, "--center-retention-days must be within"),
        ((), {"PLAZA_GUESTS": "maybe"}, "must be on or off, got 'maybe'"),
        (("--oidc-issuer", "https://id.example.org/realms/plaza"), {}, "PLAZA_OIDC_AUDIENCE"),
        (
            ("--oidc-issuer", "http://id.example.org/plaza", "--oidc-audience", "plaza"),
            {},
            "must be an https:// URL",
        ),
        (
            ("--oidc-issuer", "http://127.0.0.1:1/realms/plaza", "--oidc-audience", "plaza"),
            {},
            "http://127.0.0.1:1/realms/plaza/.well-known/openid-configuration",
        ),
        (
            ("--oidc-issuer", "https://id.example.org/r", "--oidc-audience", "p"),
            {"PLAZA_OIDC_ALGORITHMS": "HS256"},
            "not allowed",
        ),
    ],
)
def test_bad_settings_are_refused_with_a_reason(
    args: tuple[str, ...], env: dict[str, str], message: str, tmp_path: pathlib.Path
) -> None:
    result = serve("--data-dir", str(tmp_path), *args, env=env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def zones_dir_with(
    tmp_path: pathlib.Path, name: str, edit: Callable[[dict[str, Any]], None]
) -> pathlib.Path:
    """A copy of the zone layouts with one of them edited."""
    folder = tmp_path / "zones"
    shutil.copytree(ROOT / "assets" / "zones", folder)
    path = folder / f"{name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return folder


def test_a_layout_with_a_bad_field_names_the_file_and_the_field(tmp_path: pathlib.Path) -> None:
    def break_bounds(data: dict[str, Any]) -> None:
        data["bounds"]["max"] = [10, 10]

    folder = zones_dir_with(tmp_path, "tourism", break_bounds)
    result = serve("--data-dir", str(tmp_path), "--zones-dir", str(folder))
    assert result.returncode != 0
    assert f"zone tourism: layout {folder / 'tourism.json'}: bounds.max: expected [x, y, z]" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_portal_to_a_missing_zone_stops_the_start(tmp_path: pathlib.Path) -> None:
    def retarget(data: dict[str, Any]) -> None:
        data["portals"][0]["target"] = "atlantis"

    folder = zones_dir_with(tmp_path, "seoul_plaza", retarget)
    result = serve("--data-dir", str(tmp_path), "--zones-dir", str(folder))
    assert result.returncode != 0
    assert (
        "zone seoul_plaza: portals[0] (to_center_120): target 'atlantis' is not a registered zone"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_portal_to_a_missing_spot_stops_the_start(tmp_path: pathlib.Path) -> None:
    def respot(data: dict[str, Any]) -> None:
        data["portals"][0]["destination"] = "nowhere"

    folder = zones_dir_with(tmp_path, "seoul_plaza", respot)
    result = serve("--data-dir", str(tmp_path), "--zones-dir", str(folder))
    assert result.returncode != 0
    assert "destination 'nowhere' is not a spot of zone center_120" in result.stderr
