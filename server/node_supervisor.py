"""``plaza serve --nodes N``: one machine's city served by N node processes, one per core.

The supervisor prepares what the nodes share, then runs them:

1. the built-in issuer's signing key (created once here, so the nodes do not race to
   create it, and a token from one node is good on all);
2. the database: the embedded PostgreSQL (or DATABASE_URL), migrated once here and handed
   to every node as DATABASE_URL;
3. a NATS server on loopback (``server.nats_server``), unless ``--nats-url`` names one;
4. N ``plaza serve`` processes with ``--node-index 0 … N-1``, all bound to the same HTTP and
   WebSocket ports (SO_REUSEPORT: the kernel spreads new connections over them).

Each node runs the whole server for the clients that reach it, with its own instances of
every zone; what makes a zone one across nodes crosses NATS (``server.cluster_bus``). The
nodes' output is passed through, each line prefixed with the node's name. A node that stops
on its own is started again (after 1 s, doubling to 30 s while it keeps failing); SIGTERM or
SIGINT stops every node (each closes its clients as a single server does), then NATS and
the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence

from server.auth import TokenIssuer
from server.config import ServerConfig
from server.db.database import DatabaseUnavailable
from server.db.embedded import EmbeddedPostgresError
from server.db.migrate import MigrationError
from server.db.session import DatabaseSession
from server.gateway import WS_PATH
from server.nats_server import NatsServer, NatsServerError, free_port

__all__ = ["RESTART_MAX_S", "STOP_TIMEOUT_S", "run_nodes"]

log = logging.getLogger("plaza.nodes")

# A node that keeps failing is started again at most this often.
RESTART_MAX_S = 30.0
_RESTART_FIRST_S = 1.0
# A node that ran this long before stopping was not failing: its next restart waits 1 s.
_HEALTHY_RUN_S = 60.0
# Nodes get this long to close their clients and stop after SIGTERM, then are killed.
STOP_TIMEOUT_S = 30.0
_READY = "plaza: ready on "


class _Node:
    """One node process and what the supervisor knows of it."""

    def __init__(self, index: int, name: str) -> None:
        self.index = index
        self.name = name
        self.process: asyncio.subprocess.Process | None = None
        self.started = 0.0
        self.backoff = _RESTART_FIRST_S
        self.ready = asyncio.Event()


class _Supervisor:
    def __init__(self, config: ServerConfig, argv: Sequence[str]) -> None:
        self.config = config
        self.argv = list(argv)
        self.stopping = asyncio.Event()
        self.nodes = [_Node(i, f"node-{i}") for i in range(config.nodes)]
        self.env: dict[str, str] = {}
        self.http_port = config.http_port
        self.ws_port = config.ws_port

    async def run(self) -> None:
        config = self.config
        # Port 0 would give every node its own free port: pick one for all instead.
        if self.http_port == 0:
            self.http_port = free_port(config.host)
        if self.ws_port == 0:
            self.ws_port = free_port(config.host)
        TokenIssuer.load_or_create(config.data_dir)
        database = DatabaseSession(config.data_dir, config.database_url)
        try:
            db = await database.open()
        except (DatabaseUnavailable, EmbeddedPostgresError, MigrationError) as exc:
            await database.close()
            raise SystemExit(f"plaza: {exc}") from None
        nats_server = None if config.nats_url else NatsServer()
        try:
            if nats_server is not None:
                try:
                    await asyncio.to_thread(nats_server.start)
                except NatsServerError as exc:
                    raise SystemExit(f"plaza: {exc}") from None
            self.env = {
                **os.environ,
                "DATABASE_URL": db.url,
                "PLAZA_NATS_URL": config.nats_url or (nats_server.url if nats_server else ""),
            }
            await self._serve()
        finally:
            if nats_server is not None:
                await asyncio.to_thread(nats_server.stop)
            await database.close()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.stopping.set)
        keepers = [asyncio.create_task(self._keep(node)) for node in self.nodes]
        announce = asyncio.create_task(self._announce_ready())
        await self.stopping.wait()
        announce.cancel()
        log.info("stopping %d nodes", len(self.nodes))
        await asyncio.gather(*keepers, return_exceptions=True)

    def _command(self, node: _Node) -> list[str]:
        return [
            sys.executable, "-m", "server.cli", *self.argv,
            "--node-index", str(node.index),
            "--node-name", node.name,
            "--http-port", str(self.http_port),
            "--ws-port", str(self.ws_port),
        ]  # fmt: skip

    async def _keep(self, node: _Node) -> None:
        """Run the node; start it again when it stops on its own; stop it on shutdown."""
        while not self.stopping.is_set():
            node.started = time.monotonic()
            node.ready.clear()
            node.process = await asyncio.create_subprocess_exec(
                *self._command(node),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=self.env,
            )
            relay = asyncio.create_task(self._relay(node, node.process))
            stop = asyncio.create_task(self.stopping.wait())
            exited = asyncio.create_task(node.process.wait())
            await asyncio.wait({stop, exited}, return_when=asyncio.FIRST_COMPLETED)
            if self.stopping.is_set():
                exited.cancel()
                await self._stop(node.process)
                await relay
                return
            stop.cancel()
            await relay
            ran = time.monotonic() - node.started
            if ran > _HEALTHY_RUN_S:
                node.backoff = _RESTART_FIRST_S
            log.error(
                "%s stopped with code %s after %.0f s; starting it again in %.0f s",
                node.name,
                node.process.returncode,
                ran,
                node.backoff,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), node.backoff)
            node.backoff = min(node.backoff * 2, RESTART_MAX_S)

    async def _stop(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def _relay(self, node: _Node, process: asyncio.subprocess.Process) -> None:
        """The node's output, each line prefixed with its name; notes when it is ready."""
        assert process.stdout is not None
        while line := await process.stdout.readline():
            text = line.decode(errors="replace").rstrip("\n")
            if text.startswith(_READY):
                node.ready.set()
            print(f"[{node.name}] {text}", flush=True)

    async def _announce_ready(self) -> None:
        await asyncio.gather(*(node.ready.wait() for node in self.nodes))
        host = self.config.host
        ws = self.config.public_ws_url or f"ws://{host}:{self.ws_port}{WS_PATH}"
        print(
            f"{_READY}http://{host}:{self.http_port} and {ws} ({len(self.nodes)} nodes)",
            flush=True,
        )


def run_nodes(config: ServerConfig, argv: Sequence[str]) -> None:
    """Serve the city with ``config.nodes`` node processes until SIGTERM or SIGINT.
    ``argv`` is the ``serve`` command line, passed on to every node."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_Supervisor(config, argv).run())
