"""A real PostgreSQL for the whole suite: the embedded one by default, DATABASE_URL when set.

The session starts one server (pgserver in a temporary folder, unless DATABASE_URL names
one) and builds a template database with every migration applied. Each test that asks for
``database_url`` gets its own database copied from that template, dropped afterwards, so
tests never see each other's rows. With DATABASE_URL the role needs CREATEDB.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import pathlib
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

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
def postgres() -> Iterator[PostgresForTests]:
    """The suite's PostgreSQL server (started once)."""
    embedded: EmbeddedPostgres | None = None
    url = os.environ.get("DATABASE_URL")
    # Not under pytest's basetemp: pytest prunes old basetemps, and a second test run on
    # the same machine would delete this one's live cluster.
    folder = pathlib.Path(tempfile.mkdtemp(prefix="plaza-test-pg-"))
    if not url:
        embedded = EmbeddedPostgres(folder)
        url = run_sync(embedded.start())
    template = f"plaza_template_{os.getpid()}"
    run_sync(_build_template(url, template))
    pg = PostgresForTests(url, template, embedded)
    yield pg
    with_template = PostgresForTests(url, template, None)
    with_template.drop(template)
    if embedded is not None:
        run_sync(embedded.stop())
    shutil.rmtree(folder, ignore_errors=True)


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


# -- a real (small) OpenID Connect provider on loopback -------------------------------------

OIDC_AUDIENCE = "plaza"
OIDC_REALM_PATH = "/realms/plaza"


def _new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    """An OIDC provider on 127.0.0.1 serving discovery and JWKS from memory.

    Tests tweak its state (keys, overrides, delays) between requests; the HTTP
    handler runs in the server's threads, hence the lock.
    """

    def __init__(self, issuer_path: str = OIDC_REALM_PATH) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.issuer = self.base + issuer_path
        self.discovery_path = issuer_path.rstrip("/") + "/.well-known/openid-configuration"
        self.jwks_path = issuer_path.rstrip("/") + "/jwks"
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.jwk_alg: str | None = "RS256"
        self.discovery_overrides: dict[str, Any] = {}
        self.raw_responses: dict[str, tuple[int, bytes]] = {}
        self.redirects: dict[str, str] = {}
        self.jwks_document: dict[str, Any] | None = None
        self.jwks_delay_s = 0.0
        self._jwks_fetches = 0
        self._counter = 0
        self.add_key()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def jwks_fetches(self) -> int:
        with self._lock:
            return self._jwks_fetches

    @property
    def kid(self) -> str:
        """The newest key id."""
        return list(self.keys)[-1]

    def add_key(self) -> str:
        self._counter += 1
        kid = f"key-{self._counter}"
        self.keys[kid] = _new_rsa_key()
        return kid

    def rotate(self) -> str:
        """Add a new key and drop all older ones, as providers do after a grace period."""
        kid = self.add_key()
        self.keys = {kid: self.keys[kid]}
        return kid

    def public_jwks(self) -> dict[str, Any]:
        keys = []
        for kid, private_key in self.keys.items():
            jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
            jwk.update({"kid": kid, "use": "sig"})
            if self.jwk_alg is not None:
                jwk["alg"] = self.jwk_alg
            keys.append(jwk)
        return {"keys": keys}

    def discovery(self) -> dict[str, Any]:
        document = {
            "issuer": self.issuer,
            "jwks_uri": self.base + self.jwks_path,
            "id_token_signing_alg_values_supported": ["RS256"],
        }
        document.update(self.discovery_overrides)
        return document

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": OIDC_AUDIENCE,
            "sub": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
            "name": "김민수",
            "preferred_username": "minsu",
            "locale": "ko-KR",
            "iat": now,
            "exp": now + 300,
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}

    def mint(self, kid: str | None = None, alg: str = "RS256", **overrides: Any) -> str:
        """A token signed with key ``kid`` (default: newest); ``None`` overrides drop a claim."""
        kid = kid or self.kid
        return jwt.encode(
            self.claims(**overrides), self.keys[kid], algorithm=alg, headers={"kid": kid}
        )

    def public_pem(self, kid: str | None = None) -> bytes:
        return (
            self.keys[kid or self.kid]
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _respond(self, path: str) -> tuple[int, bytes]:
        if path in self.raw_responses:
            return self.raw_responses[path]
        if path == self.discovery_path:
            return 200, json.dumps(self.discovery()).encode()
        if path == self.jwks_path:
            with self._lock:
                self._jwks_fetches += 1
            if self.jwks_delay_s:
                time.sleep(self.jwks_delay_s)
            document = self.jwks_document if self.jwks_document is not None else self.public_jwks()
            return 200, json.dumps(document).encode()
        return 404, b'{"error": "not found"}'

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path in provider.redirects:
                    self.send_response(302)
                    self.send_header("Location", provider.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, body = provider._respond(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        return Handler


@pytest.fixture
def oidc_provider() -> Iterator[Provider]:
    """An OIDC provider serving discovery and JWKS on 127.0.0.1 (closed after the test)."""
    served = Provider()
    try:
        yield served
    finally:
        served.close()


@pytest.fixture
def oidc_provider_class() -> type[Provider]:
    """The provider class, for tests that need one with other settings (close it yourself)."""
    return Provider
