"""Opening the database the way the server does: embedded or external, migrated."""

from __future__ import annotations

import pathlib

from server.db.database import Database
from server.db.embedded import EmbeddedPostgres
from server.db.migrate import apply_migrations

__all__ = ["DatabaseSession", "migrate_only"]


class DatabaseSession:
    """The process's database: the embedded server (when no URL is given) and the pool."""

    def __init__(self, data_dir: pathlib.Path, url: str | None) -> None:
        self.embedded = None if url else EmbeddedPostgres(data_dir)
        self._url = url
        self.db: Database | None = None

    async def open(self) -> Database:
        """Start the embedded server if needed, connect, and apply pending migrations."""
        url = self._url
        if self.embedded is not None:
            url = await self.embedded.start()
        assert url is not None
        self.db = Database(url)
        try:
            await self.db.open()
            await apply_migrations(self.db)
        except BaseException:
            await self.close()
            raise
        return self.db

    async def close(self) -> None:
        """Close the pool and stop the embedded server."""
        if self.db is not None:
            await self.db.close()
        if self.embedded is not None:
            await self.embedded.stop()


async def migrate_only(data_dir: pathlib.Path, url: str | None) -> list[str]:
    """``plaza migrate``: apply what is pending; returns the names applied."""
    session = DatabaseSession(data_dir, url)
    if session.embedded is not None:
        url = await session.embedded.start()
    assert url is not None
    db = Database(url)
    try:
        await db.open()
        applied = await apply_migrations(db)
    finally:
        await db.close()
        if session.embedded is not None:
            await session.embedded.stop()
    return [f"{m.version:04d}_{m.name}" for m in applied]
