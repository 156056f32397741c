"""One zone at run time: its instances, their portal watches, its records and sticky events.

The city asks a ``ZoneRuntime`` which instance a newcomer enters (``choose``, following
``world.instance_plan``), opens instances as crowds grow and closes extra ones that stayed
empty. Instances share the city's id space, so an avatar keeps its id between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from world.avatar_ids import IdSpace
from world.instance import Effects, Instance
from world.instance_plan import FULL, OPEN_NEW, choose_instance
from world.members import Member
from world.portals import PortalWatch
from world.world import World, WorldConfig
from world.zone_api import ServerEvent
from world.zone_specs import ZoneSpec

__all__ = ["ZoneRuntime"]


@dataclass
class ZoneRuntime:
    """A registered zone's live state."""

    spec: ZoneSpec
    capacity: int
    instances: list[Instance] = field(default_factory=list)
    records: dict[str, Any] = field(default_factory=dict)
    portals: dict[int, PortalWatch] = field(default_factory=dict)
    # The latest event of each sticky topic, handed to instances that open later.
    sticky: dict[str, ServerEvent] = field(default_factory=dict)

    def population(self) -> int:
        """Avatars in every instance of the zone."""
        return sum(i.count() for i in self.instances)

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

    def open_instance(
        self,
        ids: IdSpace,
        world_config: WorldConfig,
        effects: Effects,
        now: float,
        replay_sticky: bool,
    ) -> Instance:
        """Open the lowest free instance number; ``on_create`` runs, then (``replay_sticky``)
        the current sticky events."""
        taken = {i.instance for i in self.instances}
        number = next(n for n in range(1, len(taken) + 2) if n not in taken)
        spec = self.spec
        world = World(spec.layout, replace(world_config, capacity=self.capacity), ids)
        instance = Instance(
            spec.name, number, world, spec.zone_class(), self.records, effects, self.population
        )
        instance.now = now
        self.instances.append(instance)
        self.instances.sort(key=lambda i: i.instance)
        self.portals[number] = PortalWatch(spec.layout)
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
                del self.portals[instance.instance]
                closed.append(instance)
        return closed
