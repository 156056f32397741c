"""The festival stage end to end: overflow instances, a performer seen from another instance,
the crowd's reactions counted exactly, stage chat, and REACT refused elsewhere."""

from __future__ import annotations

import asyncio
import json
import pathlib
import sys
from typing import Any

import asyncpg
import numpy as np
import pytest
from plaza_client.client import PlazaClient

from world.protocol import ErrorCode, Opcode, ReactionKind
from world.roles import Role

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHEER, CLAP, HEART = (int(k) for k in ReactionKind)
# The festival layout's stage: spot "stage" at (0, 1.2, -35), radius 10 m.
STAGE_Z = -35.0
WINGS_Z = -23.0  # 12 m from the stage's centre: just off it


async def _start_near_stage(plaza: Any, subject: str) -> None:
    """The performer's saved place: in the festival, a step from the stage."""
    await plaza.place_in(subject, "festival")
    conn = await asyncpg.connect(plaza.database_url)
    try:
        await conn.execute(
            "UPDATE last_places SET x = 0, y = 0, z = $2 WHERE subject = $1", subject, WINGS_Z
        )
    finally:
        await conn.close()


async def _join(plaza: Any, name: str, role: Role = Role.CITIZEN) -> PlazaClient:
    client: PlazaClient = await plaza.client(name, plaza.mint(name, role))
    return client


def _instance(client: PlazaClient) -> tuple[str, int]:
    info = client.welcome["instance"]
    return info["zone"], info["number"]


async def test_a_performer_is_seen_across_instances_and_reactions_are_counted(
    plaza_factory: Any,
) -> None:
    plaza = await plaza_factory(instance_capacity=3)
    await _start_near_stage(plaza, "local:Singer")
    for name in ("Fan1", "Fan2", "Watcher"):
        await plaza.place_in(f"local:{name}", "festival")

    # Instances of 3 open the next at 80 % (3 of 3): the singer and two fans fill the first,
    # the watcher opens the second.
    singer = await _join(plaza, "Singer", Role.PERFORMER)
    fan1 = await _join(plaza, "Fan1")
    fan2 = await _join(plaza, "Fan2")
    watcher = await _join(plaza, "Watcher")
    walker = await _join(plaza, "Walker")  # no saved place: the entrance, Seoul Plaza
    assert [_instance(c) for c in (singer, fan1, fan2, watcher, walker)] == [
        ("festival", 1),
        ("festival", 1),
        ("festival", 1),
        ("festival", 2),
        ("seoul_plaza", 1),
    ]
    zones = (await plaza.get("/api/zones")).json()["zones"]
    festival = next(z for z in zones if z["name"] == "festival")
    assert [i["avatars"] for i in festival["instances"]] == [3, 1]

    # The singer walks onto the stage (a metre a move, within the speed limit).
    for step in range(1, 6):
        await singer.move(0.0, 0.0, WINGS_Z - step, yaw=3.14, anim=2)
        await asyncio.sleep(0.1)
    on_stage = WINGS_Z - 5

    def sees_singer(client: PlazaClient) -> bool:
        stage = client.stage
        return stage is not None and any(p.avatar_id == singer.avatar_id for p in stage.performers)

    await watcher.wait_for(sees_singer)
    assert watcher.stage is not None
    (performer,) = watcher.stage.performers
    origin = np.asarray(watcher.welcome["zone"]["origin"], dtype=np.float64)
    state = performer.state(origin)
    assert state["position"][0] == 0.0 and abs(state["position"][2] - on_stage) < 0.1
    assert state["anim"] == 2
    await watcher.wait_for(
        lambda c: any(e.type == "stage.performers" and e.data["performers"] for e in c.zone_events)
    )
    event = [e for e in watcher.zone_events if e.type == "stage.performers"][-1]
    assert event.zone == "festival"
    assert event.data == {
        "performers": [{"id": singer.avatar_id, "name": "Singer", "role": "performer"}]
    }

    # A near line from the stage reaches the other instance as channel "stage".
    await singer.say("반갑습니다!")
    await watcher.wait_for(lambda c: any(line["channel"] == "stage" for line in c.chat))
    (line,) = [line for line in watcher.chat if line["channel"] == "stage"]
    assert line["text"] == "반갑습니다!" and line["from"] == singer.avatar_id

    # Reactions: counted exactly, per instance and for the whole zone.
    sent = [(fan1, [CHEER, CHEER, CHEER, HEART, HEART]), (fan2, [CLAP, CLAP]), (watcher, [HEART])]
    for client, kinds in sent:
        for kind in kinds:
            await client.react(kind)
    first, second, zone = [3, 2, 2], [0, 0, 1], [3, 2, 3]
    await fan1.wait_for(lambda c: c.reactions_zone == zone)
    await watcher.wait_for(lambda c: c.reactions_zone == zone)
    await asyncio.sleep(0.3)  # a few more ticks: nothing more is counted
    for client in (singer, fan1, fan2):
        assert client.reactions_here == first and client.reactions_zone == zone
    assert watcher.reactions_here == second and watcher.reactions_zone == zone

    # Seoul Plaza takes no reactions: the walker is told, and nobody counts it.
    await walker.react(CHEER)
    await walker.wait_for(lambda c: any(e.opcode == Opcode.REACT for e in c.errors))
    (error,) = [e for e in walker.errors if e.opcode == Opcode.REACT]
    assert error.code == ErrorCode.NOT_ALLOWED
    assert error.reason == "zone 'seoul_plaza' takes no reactions"
    await asyncio.sleep(0.2)
    assert watcher.reactions_zone == zone
    assert walker.stage is None


async def test_bench_festival_reports_exact_counts_and_bytes_per_client() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "bench", "festival", "--avatars", "60",
        "--instance-capacity", "20", "--ticks", "10", "--warmup", "2", "--react-chance", "0.2",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    figures = json.loads(out.decode().strip().splitlines()[-1])
    assert figures["bench"] == "festival" and figures["avatars"] == 60
    assert figures["performers"] == 2
    # 20 per instance, a new one opening at 80 %: the performers and 14 fans, then 16 each.
    assert figures["instances"] == [16, 16, 16, 14]
    assert figures["reactions_exact"] and sum(figures["reactions_sent"]) > 0
    assert figures["reactions_counted"] == figures["reactions_sent"]
    assert figures["stage_bytes_per_client_tick"] > 0
    assert figures["bytes_per_client_tick"] == pytest.approx(
        figures["world_bytes_per_client_tick"]
        + figures["stage_bytes_per_client_tick"]
        + figures["other_bytes_per_client_tick"],
        abs=0.2,
    )
    assert figures["tick_p99_ms"] >= figures["tick_p50_ms"] > 0


async def test_bench_festival_over_two_nodes_shares_the_stage_and_every_count() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "bench", "festival", "--avatars", "60",
        "--instance-capacity", "20", "--ticks", "20", "--warmup", "2", "--react-chance", "0.2",
        "--nodes", "2",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, err.decode()
    figures = json.loads(out.decode().strip().splitlines()[-1])
    assert figures["nodes"] == 2 and figures["avatars"] == 60 and figures["performers"] == 2
    # Node 0 has the performers and 30 fans, node 1 its 30 fans, each in its own instances.
    assert [sum(i) for i in figures["instances"]] == [32, 30]
    # Each node's crowd was told the whole festival's reactions, each exactly once ...
    total = figures["reactions_sent"]
    assert sum(total) > 0
    assert figures["reactions_counted"] == [total, total]
    assert figures["reactions_exact"]
    # ... and shown both performers, though both stand on node 0's stage.
    assert figures["performers_on_every_node"]
    assert all(taken > 0 for taken in figures["node_ticks_taken"])
    assert len(figures["node_tick_p99_ms"]) == 2
    assert figures["tick_p99_ms"] == max(figures["node_tick_p99_ms"])
