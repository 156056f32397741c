"""`plaza serve` refuses bad settings at start with a message, never a traceback."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

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
        (("--zone", "/no/such/zone.json"), {}, "cannot load zone layout /no/such/zone.json"),
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


def test_a_layout_with_a_bad_field_names_it(tmp_path: pathlib.Path) -> None:
    zone = tmp_path / "zone.json"
    zone.write_text('{"name": "x", "bounds": {"min": [0, 0, 0], "max": [10, 10]}, "spawns": []}')
    result = serve("--data-dir", str(tmp_path), "--zone", str(zone))
    assert result.returncode != 0
    assert "bounds.max: expected [x, y, z] numbers" in result.stderr
