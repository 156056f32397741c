"""The city's settings, limits and what one city tick returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from world.deltas import Frames
from world.intents import Persist
from world.world import StepTimings, WorldConfig

__all__ = [
    "INSTANCE_IDLE_S",
    "MAX_INSTANCES_PER_ZONE",
    "MAX_PENDING_EVENTS",
    "MAX_PENDING_REQUESTS",
    "MAX_REQUESTS_PER_TICK",
    "PORTAL_CHECK_TICKS",
    "CityConfig",
    "CityStepResult",
]

# An extra instance that has been empty this long closes (the first one stays open).
INSTANCE_IDLE_S = 60.0
# Each instance preallocates its arrays; this bounds what one zone can take.
MAX_INSTANCES_PER_ZONE = 64
# Portals are checked every other tick: 100 ms is quicker than a step across a portal.
PORTAL_CHECK_TICKS = 2
# Chat, blocks, reports and zone messages handled per tick; the rest wait for the next.
MAX_REQUESTS_PER_TICK = 2000
# Past this many waiting requests a new one is refused at once (the client is told).
MAX_PENDING_REQUESTS = 20_000
# Server events (persisted outcomes, HTTP-side changes) waiting for the next tick.
MAX_PENDING_EVENTS = 10_000


@dataclass(frozen=True)
class CityConfig:
    """Parameters of one city (one process)."""

    capacity: int = 20_000
    entrance: str = "seoul_plaza"
    world: WorldConfig = field(default_factory=WorldConfig)
    instance_idle_s: float = INSTANCE_IDLE_S
    max_instances_per_zone: int = MAX_INSTANCES_PER_ZONE
    # Overrides every zone's own per-instance capacity when set (operators, benchmarks).
    instance_capacity: int | None = None
    # This process as a node of a cluster (world.zone_shares): its name, and its place
    # among ``nodes``, which splits the avatar ids. One node alone leaves them as they are.
    node: str = ""
    node_index: int = 0
    nodes: int = 1


@dataclass
class CityStepResult:
    """What one city tick produced, for the server to carry out.

    ``messages`` go out before ``frames`` (an ENTER_ZONE must precede the new zone's first
    frame); ``intents`` are for the server to persist; ``errors`` are zone-script failures
    to log.
    """

    tick: int
    server_time: float
    frames: list[Frames]
    messages: list[tuple[int, bytes]]
    joined: list[tuple[int, int, bytes]]
    refused: list[tuple[int, str]]
    intents: list[Persist]
    errors: list[str]
    events: int
    timings: StepTimings
