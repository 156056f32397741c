"""Persistence end to end: last places, a server restart, a PostgreSQL restart, start-up errors.

A real server on loopback with its own database on the suite's PostgreSQL; the outage test
stops and starts that PostgreSQL (the embedded one only) while clients are connected.
Rows are checked with asyncpg; nothing is mocked.
"""

from __future__ import annotations

import asyncio
import pathlib
import sys
import time
from typing import Any

import asyncpg
import numpy as np
import pytest
from plaza_client.client import PlazaClient

from server import moderation as moderation_mod
from server.app import PlazaServer
from server.config import ServerConfig
from server.db.database import DatabaseUnavailable
from world.codec import Moderate, Result, Welcome, encode_client
from world.protocol import CloseCode
from world.roles import Role

pytestmark = pytest.mark.e2e

TIMEOUT = 10.0
PLAZA = pathlib.Path(sys.executable).with_name("plaza")
# A tick is 50 ms at 20 Hz; 0.25 m per tick is 5 m/s, under the 6 m/s limit.
STEP_M = 0.25
STEP_S = 0.05


# -- helpers ----------------------------------------------------------------------------------


async def rows(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url, timeout=TIMEOUT)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def last_place(url: str, subject: str) -> asyncpg.Record | None:
    found = await rows(
        url, "SELECT zone, x, y, z, yaw FROM last_places WHERE subject = $1", subject
    )
    return found[0] if found else None


def place_at(record: asyncpg.Record | None, where: np.ndarray, atol: float = 0.01) -> bool:
    if record is None:
        return False
    return bool(np.allclose([record["x"], record["y"], record["z"]], where, atol=atol))


def position_of(plaza: Any, avatar_id: int) -> np.ndarray | None:
    """Where the server has ``avatar_id`` (None if it is not in the world)."""
    instance = plaza.server.city.where.get(avatar_id)
    if instance is None:
        return None
    table = instance.world.table
    row = table.row_of(avatar_id)
    if row < 0:
        return None
    return np.asarray(table.position[row], dtype=np.float64)


async def walk(
    plaza: Any, client: PlazaClient, start: np.ndarray, offset: np.ndarray, yaw: float = 0.0
) -> np.ndarray:
    """Walk from ``start`` by ``offset`` within the speed limit; returns where it ended (as the
    server has it)."""
    distance = float(np.linalg.norm(offset))
    steps = max(1, int(np.ceil(distance / STEP_M)))
    for i in range(1, steps + 1):
        await client.move(*(start + offset * (i / steps)), yaw=yaw)
        await asyncio.sleep(STEP_S)
    target = start + offset
    async with asyncio.timeout(TIMEOUT):
        while True:
            where = position_of(plaza, client.avatar_id)
            if where is not None and np.allclose(where, target, atol=1e-3):
                break
            await asyncio.sleep(0.02)
    assert client.corrections == [], client.corrections
    return target


async def wait_ready(plaza: Any, status: int, timeout: float = 15.0) -> Any:
    """Poll /readyz until it answers ``status``; returns that response."""
    async with asyncio.timeout(timeout):
        while True:
            response = await plaza.get("/readyz")
            if response.status == status:
                return response
            await asyncio.sleep(0.1)


# -- last places ------------------------------------------------------------------------------


async def test_a_new_sign_in_starts_at_the_last_place_also_after_a_restart(
    plaza: Any, plaza_factory: Any
) -> None:
    token = plaza.mint("jun")
    client = await plaza.client("jun", token=token)
    start = np.asarray(client.welcome["position"])
    target = await walk(plaza, client, start, np.array([8.0, 0.0, -6.0]), yaw=1.0)
    await client.close()  # a goodbye: the avatar leaves at once, its place is noted
    assert client.close_code == CloseCode.NORMAL
    await plaza.wait_metric(lambda m: m["plaza_avatars"] == 0.0)

    await plaza.server.places.flush()
    row = await last_place(plaza.database_url, "local:jun")
    assert row is not None
    assert row["zone"] == plaza.server.entrance.layout.name == "seoul_plaza"
    assert place_at(row, target), dict(row)
    assert row["yaw"] == pytest.approx(1.0, abs=1e-5)

    again = await plaza.client("jun", token=token)
    assert again.welcome["resumed"] is False
    assert np.allclose(again.welcome["position"], target, atol=0.1), again.welcome["position"]
    assert again.welcome["yaw"] == pytest.approx(1.0, abs=1e-5)
    # Not a spawn point: every spawn (with its 3 m ring) is more than 8 m away.
    spawns = np.asarray([s.position for s in plaza.server.entrance.layout.spawns])
    assert np.min(np.linalg.norm(spawns - target, axis=1)) > 8.0

    # Walk on and let the server stop with the client still connected: the shutdown notes
    # the place and makes a last flush.
    second_target = await walk(plaza, again, target, np.array([-3.0, 0.0, -4.0]), yaw=2.0)
    await asyncio.wait_for(plaza.server.stop(), 15.0)
    await again.wait_for(lambda c: c.closed, TIMEOUT)
    assert again.close_code == CloseCode.GOING_AWAY
    assert place_at(await last_place(plaza.database_url, "local:jun"), second_target)

    restarted = await plaza_factory(data_dir=plaza.data_dir, database_url=plaza.database_url)
    back = await restarted.client("jun", token=token)
    assert back.welcome["resumed"] is False
    assert np.allclose(back.welcome["position"], second_target, atol=0.1)
    assert back.welcome["yaw"] == pytest.approx(2.0, abs=1e-5)


# -- PostgreSQL restarting under a running server ---------------------------------------------


async def test_the_world_rides_out_a_postgresql_restart(
    plaza: Any, postgres: Any, wire: Any
) -> None:
    if postgres.embedded is None:
        pytest.skip(
            "DATABASE_URL names an external PostgreSQL: this test stops and starts the "
            "embedded one, which the suite does not run then"
        )
    url = plaza.database_url
    moderator = await wire(plaza.mint("mod", Role.MODERATOR))
    await moderator.expect(lambda m: isinstance(m, Welcome))
    walker = await plaza.client("walker", token=plaza.mint("walker"))
    leaver = await plaza.client("leaver", token=plaza.mint("leaver"))
    villain = await plaza.client("villain", token=plaza.mint("villain"))
    await walker.wait_for(lambda c: leaver.avatar_id in c.mirror.by_id(), TIMEOUT)
    await wait_ready(plaza, 200)
    walker_start = np.asarray(walker.welcome["position"])
    leaver_start = np.asarray(leaver.welcome["position"])

    stopped = False
    try:
        await asyncio.to_thread(postgres.stop_server)
        stopped = True
        outage_began = time.monotonic()

        # The world keeps ticking and moving while writes fail.
        walker_frames = walker.frames
        walker_target = await walk(plaza, walker, walker_start, np.array([0.0, 0.0, 3.0]))
        leaver_target = await walk(plaza, leaver, leaver_start, np.array([2.0, 0.0, 0.0]))
        await leaver.close()  # its place is noted now, during the outage
        await plaza.wait_metric(lambda m: m["plaza_avatars"] == 3.0)
        assert walker.frames > walker_frames + 10

        # The next write-behind round finds PostgreSQL gone: readiness says so.
        response = await wait_ready(plaza, 503, timeout=10.0)
        assert response.text == "not ready: database unavailable\n"
        assert not walker.closed

        # A ban during the outage either waits for PostgreSQL or fails saying nothing happened.
        mark = len(moderator.messages)
        await moderator.connection.send(
            encode_client(
                Moderate("ban-outage", "ban", avatar=villain.avatar_id, reason="vandalism")
            )
        )
        await asyncio.sleep(max(0.0, 2.0 - (time.monotonic() - outage_began)))
        frames = walker.frames
        await walker.wait_for(lambda c: c.frames >= frames + 5, TIMEOUT)
    finally:
        if stopped:
            await asyncio.to_thread(postgres.start_server)

    result: Result = await moderator.expect(
        lambda m: isinstance(m, Result) and m.request_id == "ban-outage", mark, timeout=25.0
    )
    if not result.ok:
        assert result.detail == (
            "the database is unavailable; nothing was applied, retry with the same id"
        )
        assert await rows(url, "SELECT 1 FROM sanctions") == []
        mark = len(moderator.messages)
        await moderator.connection.send(
            encode_client(
                Moderate("ban-outage", "ban", subject="local:villain", reason="vandalism")
            )
        )
        result = await moderator.expect(
            lambda m: isinstance(m, Result) and m.request_id == "ban-outage", mark
        )
    assert result.ok, result
    assert result.detail["subject"] == "local:villain"
    await villain.wait_for(lambda c: c.closed, TIMEOUT)
    assert villain.close_code == CloseCode.BANNED

    await wait_ready(plaza, 200, timeout=10.0)
    # The places noted during the outage were kept and land now.
    async with asyncio.timeout(TIMEOUT):
        while True:
            await plaza.server.places.flush()
            leaver_row = await last_place(url, "local:leaver")
            walker_row = await last_place(url, "local:walker")
            if place_at(leaver_row, leaver_target) and place_at(walker_row, walker_target):
                break
            await asyncio.sleep(0.2)

    # Exactly one ban and one audit row, even though the work was retried.
    sanctions = await rows(url, "SELECT id, subject, kind FROM sanctions")
    assert [(r["id"], r["subject"], r["kind"]) for r in sanctions] == [
        (result.detail["id"], "local:villain", "ban")
    ]
    # (Privileged sign-ins are audited too; only the moderation rows matter here.)
    audit = await rows(url, "SELECT action, target FROM audit_log WHERE action <> 'sign_in'")
    assert [(r["action"], r["target"]) for r in audit] == [("ban", "local:villain")]
    keys = await rows(url, "SELECT actor, key FROM idempotency_keys")
    assert [(r["actor"], r["key"]) for r in keys] == [("local:mod", "ban-outage")]
    # Still running: frames flow and new sign-ins are admitted with their profile.
    newcomer = await plaza.client("newcomer", token=plaza.mint("newcomer"))
    await walker.wait_for(lambda c: newcomer.avatar_id in c.mirror.by_id(), TIMEOUT)
    assert walker.mirror.by_id()[newcomer.avatar_id].description["role"] == "citizen"
    assert await rows(url, "SELECT 1 FROM profiles WHERE subject = 'local:newcomer'") != []
    assert not walker.closed


async def test_requests_outliving_an_outage_fail_cleanly_and_a_retry_applies_once(
    plaza: Any, postgres: Any, wire: Any, e2e: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if postgres.embedded is None:
        pytest.skip(
            "DATABASE_URL names an external PostgreSQL: this test stops and starts the "
            "embedded one, which the suite does not run then"
        )
    # A short deadline, so the request gives up while PostgreSQL is still away.
    monkeypatch.setattr(moderation_mod, "DURABLE_DEADLINE_S", 1.0)
    url = plaza.database_url
    moderator_token = plaza.mint("mod", Role.MODERATOR)
    moderator = await wire(moderator_token)
    await moderator.expect(lambda m: isinstance(m, Welcome))
    villain = await plaza.client("villain", token=plaza.mint("villain"))
    drifter_token = plaza.mint("drifter")
    headers = {"Authorization": f"Bearer {drifter_token}", "Content-Type": "application/json"}
    changed = await e2e.http_request(
        "PUT", plaza.http_url + "/api/profile", b'{"display_name": "Drifter Kim"}', headers
    )
    assert changed.status == 200, changed
    ban = Moderate("ban-late", "ban", avatar=villain.avatar_id, reason="vandalism")
    http_ban = b'{"kind": "ban", "subject": "local:spammer", "reason": "spam"}'
    http_headers = {
        "Authorization": f"Bearer {moderator_token}",
        "Content-Type": "application/json",
        "Idempotency-Key": "http-ban",
    }
    sanctions_url = plaza.http_url + "/api/moderation/sanctions"

    stopped = False
    try:
        await asyncio.to_thread(postgres.stop_server)
        stopped = True
        await moderator.connection.send(encode_client(ban))
        failed: Result = await moderator.expect(
            lambda m: isinstance(m, Result) and m.request_id == "ban-late"
        )
        assert failed == Result(
            "ban-late",
            False,
            "the database is unavailable; nothing was applied, retry with the same id",
        )
        assert not villain.closed

        response = await e2e.http_request("POST", sanctions_url, http_ban, http_headers)
        assert response.status == 503
        assert response.json()["error"] == "database_unavailable"
        assert response.json()["reason"].endswith("; nothing was applied")
        assert "unavailable" in (await plaza.get("/readyz")).text

        # Signing in does not wait for PostgreSQL: the avatar is made from the token alone.
        observer = await plaza.client("observer")
        drifter = await plaza.client("drifter", token=drifter_token)
        await observer.wait_for(lambda c: drifter.avatar_id in c.mirror.by_id(), TIMEOUT)
        assert observer.mirror.by_id()[drifter.avatar_id].description["name"] == "drifter"
    finally:
        if stopped:
            await asyncio.to_thread(postgres.start_server)

    await wait_ready(plaza, 200, timeout=10.0)
    assert await rows(url, "SELECT 1 FROM sanctions") == []
    assert await rows(url, "SELECT 1 FROM audit_log WHERE action <> 'sign_in'") == []
    assert await rows(url, "SELECT 1 FROM idempotency_keys") == []

    # The same requests again, with the same ids: applied now, once.
    mark = len(moderator.messages)
    await moderator.connection.send(encode_client(ban))
    applied: Result = await moderator.expect(
        lambda m: isinstance(m, Result) and m.request_id == "ban-late", mark
    )
    assert applied.ok, applied
    await villain.wait_for(lambda c: c.closed, TIMEOUT)
    assert villain.close_code == CloseCode.BANNED
    created = await e2e.http_request("POST", sanctions_url, http_ban, http_headers)
    assert created.status == 201, created
    repeated = await e2e.http_request("POST", sanctions_url, http_ban, http_headers)
    assert (repeated.status, repeated.json()) == (200, created.json())

    sanctions = await rows(url, "SELECT id, subject FROM sanctions ORDER BY id")
    assert [(r["id"], r["subject"]) for r in sanctions] == [
        (applied.detail["id"], "local:villain"),
        (created.json()["id"], "local:spammer"),
    ]
    audit = await rows(
        url, "SELECT action, target FROM audit_log WHERE action <> 'sign_in' ORDER BY id"
    )
    assert [(r["action"], r["target"]) for r in audit] == [
        ("ban", "local:villain"),
        ("ban", "local:spammer"),
    ]


# -- start-up errors and the migrate command --------------------------------------------------


async def test_start_with_an_unreachable_database_names_the_url_without_the_password(
    tmp_path: pathlib.Path,
) -> None:
    server = PlazaServer(
        ServerConfig(
            host="127.0.0.1",
            http_port=0,
            ws_port=0,
            data_dir=tmp_path,
            database_url="postgresql://plaza:secret@127.0.0.1:1/plaza",
        )
    )
    with pytest.raises(DatabaseUnavailable) as info:
        await asyncio.wait_for(server.start(), 15.0)
    message = str(info.value)
    assert "postgresql://plaza:***@127.0.0.1:1/plaza" in message
    assert "secret" not in message
    assert not server.ready


async def run_migrate(url: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(PLAZA),
        "migrate",
        "--database-url",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 60.0)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_plaza_migrate_applies_once_then_reports_up_to_date(
    empty_database_url: str,
) -> None:
    code, out, err = await run_migrate(empty_database_url)
    assert code == 0, err
    assert out == (
        "applied 0001_identity\napplied 0002_zones\napplied 0003_civic\napplied 0004_center\n"
        "applied 0005_center_desks\napplied 0006_events\napplied 0007_bell_rest\n"
    )
    tables = {
        r["tablename"]
        for r in await rows(
            empty_database_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
    }
    assert {"profiles", "last_places", "sanctions", "audit_log", "idempotency_keys"} <= tables
    assert {"zone_records", "zone_user_records", "chat_blocks", "reports"} <= tables
    assert {"notices", "proposals", "polls", "poll_votes"} <= tables
    assert {"tickets", "ticket_events"} <= tables

    code, out, err = await run_migrate(empty_database_url)
    assert code == 0, err
    assert out == "the schema is up to date\n"
