"""The ``plaza`` console script, run as a real process: ``plaza serve`` and ``plaza token``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import signal
import socket
import sys
import urllib.error
from typing import Any

import pytest
from plaza_client.client import PlazaClient, sign_in_guest
from websockets.exceptions import InvalidStatus

from world.protocol import CloseCode

pytestmark = pytest.mark.e2e

TIMEOUT = 10.0
# A cold start imports numpy, scipy and the crypto stack; allow for a slow machine.
STARTUP_TIMEOUT_S = 30.0
PLAZA = pathlib.Path(sys.executable).with_name("plaza")


def free_port() -> int:
    """A port that was free a moment ago (bind to 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env() -> dict[str, str]:
    """The environment without PLAZA_* settings, so only the command line configures it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAZA_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def run_plaza(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(PLAZA),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(),
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), STARTUP_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def wait_ready(e2e: Any, http_url: str, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(STARTUP_TIMEOUT_S):
        while True:
            if process.returncode is not None:
                raise AssertionError(f"plaza serve exited early with {process.returncode}")
            with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
                result = await e2e.http_request("GET", http_url + "/readyz", timeout=2.0)
                if result.status == 200:
                    return
            await asyncio.sleep(0.1)


async def start_serve(
    tmp_path: pathlib.Path, e2e: Any
) -> tuple[asyncio.subprocess.Process, int, int]:
    """``plaza serve`` on two free ports, ready; retried if a port was taken meanwhile."""
    for attempt in range(3):
        http_port, ws_port = free_port(), free_port()
        out_path, err_path = tmp_path / "stdout.log", tmp_path / "stderr.log"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = await asyncio.create_subprocess_exec(
                str(PLAZA),
                "serve",
                "--host",
                "127.0.0.1",
                "--http-port",
                str(http_port),
                "--ws-port",
                str(ws_port),
                "--data-dir",
                str(tmp_path / "data"),
                stdout=out,
                stderr=err,
                env=clean_env(),
            )
        try:
            await wait_ready(e2e, f"http://127.0.0.1:{http_port}", process)
            return process, http_port, ws_port
        except BaseException:
            if process.returncode is None:
                process.kill()
            await process.wait()
            if attempt == 2 or "address already in use" not in err_path.read_text().lower():
                raise
    raise AssertionError("unreachable")


async def test_plaza_serve_serves_and_exits_cleanly_on_sigterm(
    tmp_path: pathlib.Path, e2e: Any
) -> None:
    process, http_port, ws_port = await start_serve(tmp_path, e2e)
    try:
        http_url = f"http://127.0.0.1:{http_port}"
        await wait_ready(e2e, http_url, process)
        config = (await e2e.http_request("GET", http_url + "/api/config")).json()
        assert config["ws_url"] == f"ws://127.0.0.1:{ws_port}/ws"
        session = await sign_in_guest(http_url, "민지")
        client = PlazaClient(session.ws_url, session.token)
        await client.connect(timeout=TIMEOUT)
        try:
            await client.wait_for(lambda c: c.frames >= 2, TIMEOUT)
            process.send_signal(signal.SIGTERM)
            await client.wait_for(lambda c: c.closed, TIMEOUT)
            assert client.close_code == CloseCode.GOING_AWAY
            assert client.close_reason == "server shutting down"
        finally:
            await asyncio.wait_for(client.close(), TIMEOUT)
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    # The embedded PostgreSQL ran in the data folder and was stopped with the server.
    pgdata = tmp_path / "data" / "postgres"
    assert (pgdata / "PG_VERSION").exists()
    assert not (pgdata / "postmaster.pid").exists()
    stdout = (tmp_path / "stdout.log").read_text()
    stderr = (tmp_path / "stderr.log").read_text()
    assert f"plaza: ready on http://127.0.0.1:{http_port} and ws://127.0.0.1:{ws_port}/ws" in (
        stdout
    )
    assert "received SIGTERM, shutting down" in stderr
    assert "Traceback" not in stderr
    assert (tmp_path / "data" / "issuer" / "signing-key.pem").exists()


async def test_plaza_token_mints_a_staff_token_the_server_accepts(
    tmp_path: pathlib.Path, plaza_factory: Any
) -> None:
    data_dir = tmp_path / "shared"
    code, out, err = await run_plaza(
        "token", "--name", "alice", "--role", "staff", "--data-dir", str(data_dir)
    )
    assert code == 0, err
    token = out.strip()
    assert out == token + "\n" and token.count(".") == 2

    # A server on the same data folder (it loads the key the command created) accepts it.
    plaza = await plaza_factory(data_dir=data_dir)
    observer = await plaza.client("observer")
    alice = await plaza.client(token=token)
    await observer.wait_for(lambda c: alice.avatar_id in c.mirror.by_id(), TIMEOUT)
    description = observer.mirror.by_id()[alice.avatar_id].description
    assert description == {"name": "alice", "appearance": {}, "role": "staff"}

    # A server with its own data folder does not.
    other = await plaza_factory(data_dir=tmp_path / "other")
    with pytest.raises(InvalidStatus) as info:
        await PlazaClient(other.ws_url, token).connect(timeout=TIMEOUT)
    assert info.value.response.status_code == 401
    assert info.value.response.body == b"token key id not recognized\n"


async def test_plaza_token_refuses_an_unknown_role(tmp_path: pathlib.Path) -> None:
    code, out, err = await run_plaza(
        "token", "--name", "alice", "--role", "king", "--data-dir", str(tmp_path / "d")
    )
    assert code != 0
    assert out == ""
    assert "unknown role 'king'" in err
    assert "staff" in err and "organizer" in err  # the message lists the valid roles
    assert "Traceback" not in err
