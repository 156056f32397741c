"""A real PostgreSQL for the whole suite: the embedded one by default, DATABASE_URL when set.

The session starts one server (pgserver in a temporary folder, unless DATABASE_URL names
one) and builds a template database with every migration applied. Each test that asks for
``database_url`` gets its own database copied from that template, dropped afterwards, so
tests never see each other's rows. With DATABASE_URL the role needs CREATEDB.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import pathlib
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from server.db.database import Database
from server.db.embedded import EmbeddedPostgres
from server.db.migrate import apply_migrations

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a fresh loop in a worker thread (safe anywhere)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@dataclass
class PostgresForTests:
    """The suite's PostgreSQL server and how to make databases on it."""

    admin_url: str
    template: str
    embedded: EmbeddedPostgres | None

    def create(self, *, migrated: bool = True) -> tuple[str, str]:
        """A new database (a copy of the migrated template, or empty); its name and URL."""
        name = f"plaza_test_{uuid.uuid4().hex[:12]}"
        source = self.template if migrated else "template0"
        run_sync(self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        return name, with_database(self.admin_url, name)

    def drop(self, name: str) -> None:
        """Drop a test database, disconnecting anyone still on it."""
        run_sync(self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def stop_server(self) -> None:
        """Stop the embedded PostgreSQL (a fast shutdown: sessions are cut, data is kept).

        Tests use it to simulate an outage; ``start_server`` brings the same cluster back at
        the same socket, so URLs handed out before stay valid. Call them from a worker thread
        (``asyncio.to_thread``): pg_ctl blocks until the server is down or up.
        """
        from pgserver._commands import pg_ctl

        server = self._pgserver()
        with server._lock:
            pg_ctl(
                ["-w", "-m", "fast", "stop"],
                pgdata=server.pgdata,
                user=server.system_user,
                timeout=30,
            )

    def start_server(self) -> None:
        """Start the embedded PostgreSQL again after ``stop_server``, with the options pgserver
        starts it with (no TCP, the same Unix socket folder, the same log)."""
        from pgserver._commands import pg_ctl
        from pgserver.utils import PostmasterInfo

        server = self._pgserver()
        # The last known postmaster info still names the socket folder the URLs point at.
        socket_dir = server.get_postmaster_info().socket_dir
        assert socket_dir is not None, "the embedded PostgreSQL listens on a Unix socket"
        with server._lock:
            pg_ctl(
                ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(server.log), "start"],
                pgdata=server.pgdata,
                user=server.system_user,
                timeout=30,
            )
            info = PostmasterInfo.read_from_pgdata(server.pgdata)
            assert info is not None and info.is_running(), "PostgreSQL did not come back"
            # pgserver stops the server it knows of at exit: tell it about the new process.
            server._postmaster_info = info

    def _pgserver(self) -> Any:
        if self.embedded is None or self.embedded._server is None:
            raise RuntimeError("only the embedded PostgreSQL can be stopped and started")
        return self.embedded._server

    async def _execute(self, sql: str) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


async def _build_template(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    db = Database(with_database(admin_url, name))
    await db.open()
    try:
        await apply_migrations(db)
    finally:
        await db.close()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresForTests]:
    """The suite's PostgreSQL server (started once)."""
    embedded: EmbeddedPostgres | None = None
    url = os.environ.get("DATABASE_URL")
    if not url:
        embedded = EmbeddedPostgres(pathlib.Path(tmp_path_factory.mktemp("pg")))
        url = run_sync(embedded.start())
    template = f"plaza_template_{os.getpid()}"
    run_sync(_build_template(url, template))
    pg = PostgresForTests(url, template, embedded)
    yield pg
    with_template = PostgresForTests(url, template, None)
    with_template.drop(template)
    if embedded is not None:
        run_sync(embedded.stop())


@pytest.fixture
def database_url(postgres: PostgresForTests) -> Iterator[str]:
    """A fresh database with every migration applied, dropped after the test."""
    name, url = postgres.create()
    yield url
    postgres.drop(name)


@pytest.fixture
def empty_database_url(postgres: PostgresForTests) -> Iterator[str]:
    """A fresh database with nothing in it, dropped after the test."""
    name, url = postgres.create(migrated=False)
    yield url
    postgres.drop(name)
