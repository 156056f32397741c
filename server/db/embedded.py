"""The embedded default: a real PostgreSQL from the ``pgserver`` package, in the data folder.

With no DATABASE_URL, ``plaza serve`` runs its own PostgreSQL so that a newcomer needs
nothing installed: the server binaries come from pip, the cluster lives in
``<data dir>/postgres`` and listens only on a Unix socket there (no TCP port to collide
with or expose). It is started before the server opens its ports and stopped when it exits.
pgserver's calls block for a second or more (initdb on first start, then pg_ctl), so they run
in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import pathlib
import warnings
from typing import Any

__all__ = ["EmbeddedPostgres", "EmbeddedPostgresError"]

log = logging.getLogger("plaza.db")


class EmbeddedPostgresError(Exception):
    """The embedded PostgreSQL could not be started; the message says where its log is."""


class EmbeddedPostgres:
    """A PostgreSQL cluster under ``data_dir/postgres``, owned by this process."""

    def __init__(self, data_dir: pathlib.Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self._server: Any = None

    @property
    def url(self) -> str:
        """The connection URL (Unix socket, no password: the socket is the access control)."""
        if self._server is None:
            raise RuntimeError("the embedded PostgreSQL is not running")
        url: str = self._server.get_uri()
        return url

    async def start(self) -> str:
        """Initialise the cluster on first use, start it, and return its URL."""
        await asyncio.to_thread(self._start)
        return self.url

    async def stop(self) -> None:
        """Stop the cluster (a fast shutdown: committed data is safe on disk)."""
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.cleanup)

    def _start(self) -> None:
        # pgserver asks platformdirs for a runtime folder, which warns when XDG_RUNTIME_DIR is
        # unset (as under systemd services and containers); its fallback is fine.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._start_quietly()

    def _start_quietly(self) -> None:
        try:
            from pgserver.postgres_server import get_server
        except ImportError as exc:  # pragma: no cover - a dependency of the distribution
            raise EmbeddedPostgresError(
                "the embedded PostgreSQL needs the pgserver package; install it or set DATABASE_URL"
            ) from exc
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting the embedded PostgreSQL in %s", self.pgdata)
        try:
            self._server = get_server(self.pgdata, cleanup_mode="stop")
        except Exception as exc:
            raise EmbeddedPostgresError(
                f"the embedded PostgreSQL in {self.pgdata} did not start ({exc}); "
                f"see {self.pgdata / 'log'}"
            ) from exc
