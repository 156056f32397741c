"""``plaza serve --nodes 2``: two node processes on one port, sharing the festival over NATS.

The server runs as a real subprocess (the supervisor, its two nodes and its NATS server) on
the suite's PostgreSQL; clients connect over real sockets, and the kernel decides which
node each connection reaches. The test connects until it has a performer on one node and a
fan on the other, then checks that the festival is one crowd across them.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from plaza_client.client import PlazaClient

from server.auth import TokenIssuer
from tests.e2e.conftest import HttpResult, http_request
from world.protocol import CloseCode, ReactionKind
from world.roles import Role

ROOT = pathlib.Path(__file__).resolve().parents[2]
READY = re.compile(r"^plaza: ready on (http://\S+) and (ws://\S+) \(2 nodes\)$")
# Bounded waits: the server's start, each client, and the attempts to reach both nodes.
START_TIMEOUT_S = 90.0
IO_TIMEOUT_S = 15.0
MAX_ATTEMPTS = 40
STAGE = (0.0, 1.2, -35.0)  # the festival layout's spot "stage"
AUDIENCE = (0.0, 0.0, 10.0)


@dataclass
class Nodes:
    """The running supervisor: where it listens and how to mint its tokens."""

    process: asyncio.subprocess.Process
    http: str
    ws: str
    issuer: TokenIssuer
    database_url: str
    output: list[str]


@pytest.fixture
async def nodes(tmp_path: pathlib.Path, database_url: str) -> AsyncIterator[Nodes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAZA_")}
    env["DATABASE_URL"] = database_url
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "serve", "--nodes", "2",
        "--http-port", "0", "--ws-port", "0", "--data-dir", str(tmp_path / "data"),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    output: list[str] = []

    async def ready() -> re.Match[str]:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            output.append(line.decode(errors="replace").rstrip())
            if found := READY.match(output[-1]):
                return found
        raise AssertionError("plaza serve --nodes 2 stopped:\n" + "\n".join(output[-30:]))

    found = await asyncio.wait_for(ready(), START_TIMEOUT_S)

    async def drain() -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            output.append(line.decode(errors="replace").rstrip())

    draining = asyncio.create_task(drain())
    issuer = TokenIssuer.load_or_create(tmp_path / "data")
    yield Nodes(process, found[1], found[2], issuer, database_url, output)
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()
    await draining


async def api(nodes: Nodes, method: str, path: str, token: str, body: dict[str, Any]) -> HttpResult:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return await http_request(method, nodes.http + path, json.dumps(body).encode(), headers)


async def sign_in_at(
    nodes: Nodes, name: str, role: Role, where: tuple[float, float, float]
) -> PlazaClient:
    """A client whose user last stood at ``where`` in the festival grounds."""
    subject = f"local:{name}"
    conn = await asyncpg.connect(nodes.database_url)
    try:
        await conn.execute(
            "INSERT INTO last_places (subject, zone, x, y, z, yaw) "
            "VALUES ($1, 'festival', $2, $3, $4, 0) ON CONFLICT (subject) DO UPDATE "
            "SET zone = 'festival', x = $2, y = $3, z = $4",
            subject,
            *where,
        )
    finally:
        await conn.close()
    token = nodes.issuer.mint(subject=subject, name=name, role=role, locale="en")
    client = PlazaClient(nodes.ws, token)
    await client.connect(timeout=IO_TIMEOUT_S)
    assert client.zone == "festival"
    return client


async def on_node(
    nodes: Nodes, node: str, name: str, role: Role, where: tuple[float, float, float]
) -> tuple[PlazaClient, str, list[PlazaClient]]:
    """Connect new users until one lands on ``node``: (its client, its subject, the other
    clients, to close)."""
    others = []
    for attempt in range(MAX_ATTEMPTS):
        client = await sign_in_at(nodes, f"{name}{attempt}", role, where)
        if client.welcome["instance"]["node"] == node:
            return client, f"local:{name}{attempt}", others
        others.append(client)
    pytest.fail(f"no connection reached {node} in {MAX_ATTEMPTS} attempts")


async def test_two_nodes_serve_one_festival_on_one_port(nodes: Nodes) -> None:
    singer, singer_subject, spare = await on_node(nodes, "node-0", "Singer", Role.PERFORMER, STAGE)
    fan, fan_subject, more = await on_node(nodes, "node-1", "Fan", Role.CITIZEN, AUDIENCE)
    spare += more
    try:
        # Both nodes answered on the same port, each with its own instance numbering.
        assert singer.welcome["instance"]["node"] == "node-0"
        assert fan.welcome["instance"]["node"] == "node-1"
        assert singer.avatar_id != fan.avatar_id  # the nodes split the ids

        # Whichever node answers GET /api/zones (the organizer console's attendance)
        # counts the whole festival, instance by instance on both nodes.
        in_festival = 2 + len(spare)

        async def festival() -> dict[str, Any]:
            zones = (await http_request("GET", nodes.http + "/api/zones")).json()["zones"]
            (zone,) = [z for z in zones if z["name"] == "festival"]
            return zone

        # The other node's newest arrivals reach this one with its next tick.
        for _ in range(50):
            if (await festival())["avatars"] == in_festival:
                break
            await asyncio.sleep(0.1)
        for _ in range(6):  # new connections: the answers come from either node
            zone = await festival()
            assert zone["avatars"] == in_festival
            assert sum(i["avatars"] for i in zone["instances"]) == in_festival
            assert {i["node"] for i in zone["instances"]} == {"node-0", "node-1"}

        # The performer stands on node 0's stage: the fan on node 1 is shown it.
        await fan.wait_for(
            lambda c: (
                c.stage is not None
                and singer.avatar_id in [p.avatar_id for p in c.stage.performers]
            ),
            IO_TIMEOUT_S,
        )

        # The fan cheers on node 1; the performer on node 0 hears the whole zone's count.
        await fan.react(ReactionKind.CHEER)
        await singer.wait_for(lambda c: c.reactions_zone[ReactionKind.CHEER] >= 1, IO_TIMEOUT_S)
        await asyncio.sleep(0.5)
        assert singer.reactions_zone[ReactionKind.CHEER] == 1  # counted once

        # An emergency alert, sent to whichever node the HTTP request reaches, reaches the
        # users of both nodes, each in their language.
        admin = nodes.issuer.mint(subject="local:admin", name="admin", role=Role.ADMIN)
        body = {
            "title": {"ko": "대피 안내", "en": "Evacuation"},
            "body": {"ko": "북쪽 출구로", "en": "North exit."},
        }
        sent = await api(nodes, "POST", "/api/alerts", admin, body)
        assert sent.status == 201, sent.text
        for client in (singer, fan):
            await client.wait_for(lambda c: bool(c.alerts), IO_TIMEOUT_S)
            assert client.alerts[0]["title"] == "Evacuation"

        # An organizer's kick reaches the user's avatar on either node: one of the two
        # kicks is taken by the node that does not hold the user.
        organizer = nodes.issuer.mint(subject="local:org", name="org", role=Role.ORGANIZER)
        for client, subject in ((fan, fan_subject), (singer, singer_subject)):
            kick = {"subject": subject, "reason": "crowd safety"}
            kicked = await api(nodes, "POST", "/api/moderation/kick", organizer, kick)
            assert kicked.status == 200, kicked.text
            await client.wait_for(lambda c: c.zone == "seoul_plaza", IO_TIMEOUT_S)
    finally:
        for client in spare:
            await client.close()

    # SIGTERM: every node closes its clients as a single server does, and all stop.
    nodes.process.send_signal(signal.SIGTERM)
    await singer.wait_for(lambda c: c.closed, 30)
    await fan.wait_for(lambda c: c.closed, 30)
    assert singer.close_code == fan.close_code == CloseCode.GOING_AWAY
    assert await asyncio.wait_for(nodes.process.wait(), 60) == 0


async def test_signing_in_on_one_node_closes_the_older_connection_on_the_other(
    nodes: Nodes,
) -> None:
    older = await sign_in_at(nodes, "Twice", Role.CITIZEN, AUDIENCE)
    home = older.welcome["instance"]["node"]
    for _ in range(MAX_ATTEMPTS):
        newer = await sign_in_at(nodes, "Twice", Role.CITIZEN, AUDIENCE)
        if newer.welcome["instance"]["node"] != home:
            break
        # The same node: it closed the older connection itself, as one server does.
        await older.wait_for(lambda c: c.closed, IO_TIMEOUT_S)
        older = newer
    else:
        pytest.fail(f"no connection reached the other node in {MAX_ATTEMPTS} attempts")
    try:
        # The other node heard of the sign-in and closed its connection the same way.
        await older.wait_for(lambda c: c.closed, IO_TIMEOUT_S)
        assert older.close_code == CloseCode.SESSION_REPLACED
        assert not newer.closed
        frames = newer.frames
        await newer.wait_for(lambda c: c.frames > frames, IO_TIMEOUT_S)
    finally:
        await newer.close()
