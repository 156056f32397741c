"""One zone at run time: its world, its instances, its portal watch, records and sticky events.

The city asks a ``ZoneRuntime`` which instance a newcomer enters (``choose``, following
``world.instance_plan``), opens instances as crowds grow and closes extra ones that stayed
empty. Instances share the city's id space, so an avatar keeps its id between them.

Every instance of a zone lives in one ``World``: each avatar's row carries its instance
number, and interest never looks across instances (``world.interest``), so the instances
stay apart for their members while the tick steps the whole zone at once. A festival of
twenty-six instances costs one step over ten thousand rows, not twenty-six small steps
each paying numpy's fixed cost per call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import InitVar, dataclass, field, replace
from typing import Any

from world.avatar_ids import IdSpace
from world.instance import Effects, Instance
from world.instance_plan import FULL, OPEN_NEW, choose_instance
from world.members import Member
from world.portals import PortalWatch
from world.world import World, WorldConfig
from world.zone_api import ServerEvent
from world.zone_shares import ZonePeers
from world.zone_specs import ZoneSpec

__all__ = ["ZoneRuntime"]


@dataclass
class ZoneRuntime:
    """A registered zone's live state."""

    spec: ZoneSpec
    # Avatars per instance.
    capacity: int
    ids: InitVar[IdSpace]
    world_config: InitVar[WorldConfig]
    # Avatars in all instances together (the city's capacity bounds it too).
    world_capacity: InitVar[int]
    instances: list[Instance] = field(default_factory=list)
    records: dict[str, Any] = field(default_factory=dict)
    # The latest event of each sticky topic, handed to instances that open later.
    sticky: dict[str, ServerEvent] = field(default_factory=dict)
    # The zone on the other nodes of a cluster (nobody, on a node alone).
    peers: ZonePeers = field(default_factory=ZonePeers)
    world: World = field(init=False)
    portals: PortalWatch = field(init=False)

    def __post_init__(self, ids: IdSpace, world_config: WorldConfig, world_capacity: int) -> None:
        config = replace(world_config, capacity=max(1, world_capacity))
        self.world = World(self.spec.layout, config, ids)
        self.portals = PortalWatch(self.spec.layout)

    def population(self) -> int:
        """Avatars in every instance of the zone, on every node of the cluster."""
        return self.local_population() + self.peers.population()

    def local_population(self) -> int:
        """Avatars in this node's instances of the zone."""
        return sum(i.count() for i in self.instances)

    def local_instances(self) -> tuple[tuple[int, int], ...]:
        """(instance number, avatars) of this node's instances of the zone."""
        return tuple((i.instance, i.count()) for i in self.instances)

    def choose(
        self,
        member: Member,
        leaving: Instance | None,
        can_open: bool,
        open_instance: Callable[[], Instance],
    ) -> Instance | None:
        """The instance ``member`` enters (opened through ``open_instance()`` if new), or
        None when the zone is full. ``leaving`` (an instance of this zone the avatar is
        leaving) does not count it."""
        instances = self.instances
        counts = [i.count() - (1 if i is leaving else 0) for i in instances]
        party_at = None
        if member.party is not None:
            for index, instance in enumerate(instances):
                if any(m.party == member.party for m in instance.members.values()):
                    party_at = index
                    break
        zone_class = self.spec.zone_class
        choice = choose_instance(
            counts,
            self.capacity,
            zone_class.open_at,
            zone_class.placement,
            party_at,
            can_open=can_open,
        )
        if choice == FULL:
            return None
        if choice == OPEN_NEW:
            return open_instance()
        return instances[choice]

    def open_instance(self, effects: Effects, now: float, replay_sticky: bool) -> Instance:
        """Open the lowest free instance number; ``on_create`` runs, then (``replay_sticky``)
        the current sticky events."""
        taken = {i.instance for i in self.instances}
        number = next(n for n in range(1, len(taken) + 2) if n not in taken)
        spec = self.spec
        instance = Instance(
            spec.name, number, self.world, spec.zone_class(), self.records, effects, self.population
        )
        instance.now = now
        self.instances.append(instance)
        self.instances.sort(key=lambda i: i.instance)
        instance.call("on_create")
        if replay_sticky:
            for event in self.sticky.values():
                instance.call("on_event", event)
        return instance

    def close_idle(self, now: float, idle_s: float) -> list[Instance]:
        """Close the extra instances that have been empty for ``idle_s``; returns them."""
        closed = []
        for instance in list(self.instances[1:]):
            if instance.count():
                continue
            if instance.empty_since is None:
                instance.empty_since = now
            elif now - instance.empty_since >= idle_s:
                instance.call("on_dispose")
                self.instances.remove(instance)
                closed.append(instance)
        return closed
