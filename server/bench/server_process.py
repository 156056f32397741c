"""A ``plaza serve`` subprocess for the benchmarks: free loopback ports, a temporary data
folder with its own embedded PostgreSQL, never the operator's DATABASE_URL or PLAZA_*
settings. Stopped with SIGTERM (then SIGKILL) when the block ends; its log's last lines are
printed if the block fails."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from server.nats_server import free_port

__all__ = ["RunningServer", "free_port", "running_server"]

_READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class RunningServer:
    """Where the server listens, and its process id (for CPU readings)."""

    http: str
    pid: int


def _wait_ready(http: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(http + "/readyz", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server not ready within {_READY_TIMEOUT_S:g} s")


@contextlib.contextmanager
def running_server(*options: str) -> Iterator[RunningServer]:
    """Run ``plaza serve`` with ``options`` for the duration of the block."""
    http_port, ws_port = free_port(), free_port()
    http = f"http://127.0.0.1:{http_port}"
    with tempfile.TemporaryDirectory(prefix="plaza-bench-") as data_dir:
        command = [
            sys.executable, "-m", "server.cli", "serve",
            "--http-port", str(http_port), "--ws-port", str(ws_port),
            "--data-dir", data_dir, *options,
        ]  # fmt: skip
        env = {
            k: v
            for k, v in os.environ.items()
            if k != "DATABASE_URL" and not k.startswith("PLAZA_")
        }
        # The server's log goes to a file: a pipe nobody drains would block its writes.
        log_path = os.path.join(data_dir, "server.log")
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=env)
            try:
                _wait_ready(http, process)
                yield RunningServer(http, process.pid)
            except BaseException:
                with open(log_path, errors="replace") as f:
                    sys.stderr.write("server log (last lines):\n" + "".join(f.readlines()[-20:]))
                raise
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
