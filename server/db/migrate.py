"""Numbered SQL migrations, applied in order and recorded, so applying them twice is a no-op.

Files are ``NNNN_name.sql`` in ``server/db/migrations``. One run applies every pending
file in one transaction, each in a savepoint together with its row in
``schema_migrations`` (version, name, checksum): a failing file is named, and the whole run
is rolled back, so the schema is always at a recorded version. A transaction-level
advisory lock makes concurrent starts (several processes, one database) take turns. A
recorded migration whose file has changed since is an error: the schema would no longer
match the files.
"""

from __future__ import annotations

import hashlib
import logging
import pathlib
import re
from dataclasses import dataclass

import asyncpg

from server.db.database import Database

__all__ = ["MIGRATIONS_DIR", "Migration", "MigrationError", "apply_migrations", "load_migrations"]

log = logging.getLogger("plaza.db")

MIGRATIONS_DIR = pathlib.Path(__file__).resolve().parent / "migrations"
# Any fixed number; all Plaza processes on one database agree on it.
_LOCK_KEY = 0x706C617A61  # "plaza"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    """The migration files or the recorded history are inconsistent."""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file's text."""
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def load_migrations(directory: pathlib.Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in ``directory``, by version; gaps and duplicates are errors."""
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name}: expected version "
                f"{expected:04d} (versions start at 1 with no gaps)"
            )
    return found


async def apply_migrations(
    db: Database, migrations: list[Migration] | None = None
) -> list[Migration]:
    """Apply every migration not yet recorded; return the ones applied now."""
    pending = load_migrations() if migrations is None else migrations

    async def work(conn: asyncpg.Connection) -> list[Migration]:
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        recorded = {
            row["version"]: row
            for row in await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
        }
        newer = sorted(set(recorded) - {m.version for m in pending})
        if newer:
            raise MigrationError(
                f"the database has migrations this version of Plaza does not know: {newer}; "
                "run a newer Plaza"
            )
        applied: list[Migration] = []
        for migration in pending:
            row = recorded.get(migration.version)
            if row is not None:
                if row["checksum"] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} changed after it "
                        "was applied; add a new migration instead of editing an applied one"
                    )
                continue
            # Each in a savepoint: an error names the file and applies nothing of it.
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) "
                        "VALUES ($1, $2, $3)",
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
            except asyncpg.PostgresError as exc:
                if isinstance(exc, asyncpg.PostgresConnectionError):
                    raise
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} failed: {exc}"
                ) from None
            applied.append(migration)
            log.info("applied migration %04d_%s", migration.version, migration.name)
        return applied

    return await db.run(work, deadline_s=60.0)
