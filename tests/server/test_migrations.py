"""Migrations against a real PostgreSQL: applied once, recorded, checked."""

from __future__ import annotations

import pathlib

import asyncpg
import pytest

from server.db.database import Database
from server.db.migrate import Migration, MigrationError, apply_migrations, load_migrations


async def _open(url: str) -> Database:
    db = Database(url)
    await db.open()
    return db


async def test_migrations_apply_once_and_are_recorded(empty_database_url: str) -> None:
    db = await _open(empty_database_url)
    try:
        files = load_migrations()
        first = await apply_migrations(db)
        assert [m.version for m in first] == [m.version for m in files]
        second = await apply_migrations(db)
        assert second == []
        rows = await db.fetch("SELECT version, name, checksum FROM schema_migrations ORDER BY 1")
        assert [(r["version"], r["name"], r["checksum"]) for r in rows] == [
            (m.version, m.name, m.checksum) for m in files
        ]
        tables = {r["tablename"] for r in await db.fetch("SELECT tablename FROM pg_tables")}
        assert {"profiles", "last_places", "sanctions", "audit_log", "idempotency_keys"} <= tables
    finally:
        await db.close()


async def test_an_edited_migration_is_refused(database_url: str) -> None:
    db = await _open(database_url)
    try:
        files = load_migrations()
        edited = [Migration(files[0].version, files[0].name, files[0].sql + "\n-- edited\n")]
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await apply_migrations(db, edited + files[1:])
    finally:
        await db.close()


async def test_a_failing_migration_applies_nothing_and_names_itself(database_url: str) -> None:
    db = await _open(database_url)
    try:
        files = load_migrations()
        bad = Migration(
            len(files) + 1,
            "broken",
            "CREATE TABLE half_done (id int); SELECT no_such_function();",
        )
        with pytest.raises(MigrationError, match=f"{bad.version:04d}_broken failed"):
            await apply_migrations(db, [*files, bad])
        tables = {r["tablename"] for r in await db.fetch("SELECT tablename FROM pg_tables")}
        assert "half_done" not in tables
        versions = [r["version"] for r in await db.fetch("SELECT version FROM schema_migrations")]
        assert bad.version not in versions
    finally:
        await db.close()


async def test_a_database_newer_than_the_code_is_refused(database_url: str) -> None:
    db = await _open(database_url)
    try:
        files = load_migrations()
        with pytest.raises(MigrationError, match="does not know"):
            await apply_migrations(db, files[:-1] or [])
    finally:
        await db.close()


def test_migration_files_are_numbered_without_gaps(tmp_path: pathlib.Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="expected version 0002"):
        load_migrations(tmp_path)
    (tmp_path / "0003_c.sql").unlink()
    (tmp_path / "2_bad.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"named NNNN_name\.sql"):
        load_migrations(tmp_path)


async def test_the_audit_log_is_append_only(database_url: str) -> None:
    db = await _open(database_url)
    try:
        await db.fetch(
            "INSERT INTO audit_log (actor, actor_role, action, target) "
            "VALUES ('local:mod', 'moderator', 'ban', 'guest:x') RETURNING id"
        )
        for statement in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await db.fetch(statement)
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await db.fetch("TRUNCATE audit_log")
        rows = await db.fetch("SELECT action FROM audit_log")
        assert [r["action"] for r in rows] == ["ban"]
    finally:
        await db.close()
