"""Two nodes' cities sharing the festival over a real NATS server (``server.cluster_bus``)."""

from __future__ import annotations

import asyncio
import pathlib
import time
from collections.abc import Callable

import pytest

from server.cluster_bus import TICKS_SUBJECT, ClusterBus
from server.config import ServerConfig
from server.nats_server import NatsServer
from server.zone_registry import discover_zones, load_zone_specs
from world.avatars import AvatarDescription
from world.city import City, CityConfig, CityStepResult
from world.codec import decode_server
from world.codec_stage import React, Stage
from world.inbox import JoinRequest
from world.members import Member
from world.roles import Role
from world.zone_api import ServerEvent
from world.zone_shares import PEER_SILENCE_S

FESTIVAL = "festival"
# Bounded waits: every loop below stops by itself.
MAX_TICKS = 200
TICK_S = 0.02


class Node:
    """One node: a city with every registered zone, and its bus."""

    def __init__(self, name: str, index: int, url: str) -> None:
        defaults = ServerConfig()
        specs = load_zone_specs(
            discover_zones(), pathlib.Path(defaults.zones_dir), defaults.entrance
        )
        self.city = City(specs, CityConfig(capacity=64, node=name, node_index=index, nodes=2))
        self.city.open(now=time.time())
        self.bus = ClusterBus(url, name, self.city)
        self.results: list[CityStepResult] = []
        self._tickets = 0

    def tick(self) -> CityStepResult:
        result = self.city.step(time.time())
        self.bus.publish_tick()
        self.results.append(result)
        return result

    def join(self, name: str, role: str, spot: str | None = None) -> tuple[int, str]:
        """(avatar id, the zone it was let into: the festival, or the entrance when the
        festival turned it away)."""
        self._tickets += 1
        layout = self.city.layout(FESTIVAL)
        assert layout is not None
        at = layout.spot(spot) if spot else layout.spawns[0]
        assert at is not None
        x, y, z = at.position
        member = Member(f"user:{name}", role, "en")
        self.city.inbox.request_join(
            JoinRequest(
                self._tickets, AvatarDescription(name, role=role), (x, y, z, 0.0), FESTIVAL, member
            )
        )
        ((_, avatar_id, _),) = self.tick().joined
        return avatar_id, self.city.where[avatar_id].zone

    def stages(self, avatar_id: int) -> list[Stage]:
        return [
            message
            for r in self.results
            for a, data in r.messages
            if a == avatar_id and isinstance(message := decode_server(data), Stage)
        ]


async def tick_until(nodes: list[Node], done: Callable[[], bool]) -> None:
    for _ in range(MAX_TICKS):
        for node in nodes:
            node.tick()
        await asyncio.sleep(TICK_S)  # the buses send and take between ticks
        if done():
            return
    pytest.fail("the nodes did not get there within the bounded number of ticks")


async def test_two_nodes_share_the_stage_the_reactions_and_the_crowd_over_nats() -> None:
    with NatsServer() as nats_server:
        a, b = Node("a", 0, nats_server.url), Node("b", 1, nats_server.url)
        await a.bus.connect()
        await b.bus.connect()
        try:
            singer, zone = a.join("Singer", Role.PERFORMER.value, "stage")
            assert zone == FESTIVAL
            fan, zone = b.join("Fan", Role.CITIZEN.value)
            assert zone == FESTIVAL

            # The performer stands on node a's stage; node b's fan is shown it.
            await tick_until([a, b], lambda: any(s.performers for s in b.stages(fan)))
            shown = next(s for s in b.stages(fan) if s.performers)
            assert [p.avatar_id for p in shown.performers] == [singer]

            # The fan cheers twice on node b; node a's performer hears the zone count it,
            # once.
            b.city.post(fan, React(0))
            b.city.post(fan, React(0))
            await tick_until([a, b], lambda: any(s.zone[0] for s in a.stages(singer)))
            await tick_until([a, b], lambda: True)
            assert sum(s.zone[0] for s in a.stages(singer)) == 2

            # The gates count the crowd of both nodes: two are in, the capacity is two.
            gates = ServerEvent("gates", {"open": True, "capacity": 2})
            for node in (a, b):
                node.city.notify(FESTIVAL, gates, sticky=True)
            await tick_until([a, b], lambda: a.city.zones[FESTIVAL].population() == 2)
            _, zone = a.join("Late", Role.CITIZEN.value)
            assert zone == "seoul_plaza"  # turned away, so it starts at the entrance

            # Anything on the subject that is not a node's tick is dropped, counted (node a
            # sends it: NATS does not echo it back to a, so only b reads it).
            await a.bus._nc.publish(TICKS_SUBJECT, b"\xc1not a tick")  # type: ignore[union-attr]
            await tick_until([a, b], lambda: b.bus.malformed == 1)
            assert a.bus.malformed == 0
            assert a.city.zones[FESTIVAL].population() == 2

            # Node b stops: after the silence limit its fan no longer counts on node a, and a
            # newcomer gets in again.
            await b.bus.close()
            stopped = time.time()
            await tick_until(
                [a],
                lambda: (
                    time.time() - stopped > PEER_SILENCE_S
                    and a.city.zones[FESTIVAL].population() == 1
                ),
            )
            _, zone = a.join("Later", Role.CITIZEN.value)
            assert zone == FESTIVAL
        finally:
            await a.bus.close()
            await b.bus.close()
