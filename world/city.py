"""The city: every zone of one process, their instances, and the avatars moving between them.

``City.step(now)`` runs one tick for all of them: leaves, moves between zones (portals,
transfers, kicks), joins, resumes, client requests (chat, blocks, reports, zone messages),
the server's news for zones, timers and ``on_tick``, then each zone's world step (one for
all of its instances: movement, interest, frames), then the stage broadcast and the reaction
counts of festival
zones (``world.stage``, ``world.reactions``). Portals are checked after the step and carried
out at the start of the next tick. Like ``World`` it never awaits; the server passes ``now``
in and carries out the returned messages, frames and intents.

Avatar ids come from one ``IdSpace`` shared by every instance, so an avatar keeps its id
from zone to zone, and the gateway can route a client's input with one lookup.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from world.avatar_ids import IdSpace
from world.avatars import AvatarDescription
from world.chat import Chat
from world.city_config import (
    INSTANCE_IDLE_S,
    MAX_INSTANCES_PER_ZONE,
    MAX_PENDING_EVENTS,
    MAX_PENDING_REQUESTS,
    MAX_REQUESTS_PER_TICK,
    PORTAL_CHECK_TICKS,
    CityConfig,
    CityStepResult,
)
from world.city_requests import handle_request
from world.codec import Move as MoveInput
from world.codec import Pose, encode_welcome
from world.codec_social import encode_enter_zone, encode_zone_event
from world.codec_stage import React
from world.deltas import Frames
from world.inbox import MAX_JOINS_PER_TICK, Inbox, JoinRequest
from world.instance import Effects, Instance, Move
from world.intents import Persist
from world.members import Member
from world.protocol import ZONE_SEQ_GAP
from world.reactions import Reactions
from world.stage import StageBroadcasts
from world.world import StepTimings, World
from world.zone_api import Placement, ServerEvent
from world.zone_layout import ZoneLayout
from world.zone_runtime import ZoneRuntime
from world.zone_shares import NodeTick, ZoneShare
from world.zone_specs import CityError, ZoneSpec, check_zones

__all__ = [
    "INSTANCE_IDLE_S",
    "MAX_INSTANCES_PER_ZONE",
    "MAX_REQUESTS_PER_TICK",
    "PORTAL_CHECK_TICKS",
    "City",
    "CityConfig",
    "CityError",
    "CityStepResult",
    "ZoneSpec",
    "check_zones",
]


class City:
    """Every zone of this process and their instances; see the module docstring."""

    def __init__(self, zones: Iterable[ZoneSpec], config: CityConfig | None = None) -> None:
        self.config = config or CityConfig()
        self.zones: dict[str, ZoneRuntime] = {}
        specs = list(zones)
        names = set()
        for spec in specs:
            if spec.name in names:
                raise CityError(f"zone {spec.name!r} is registered twice")
            names.add(spec.name)
        check_zones(specs, self.config.entrance, self.config.instance_capacity)
        self.ids = IdSpace(self.config.capacity, self.config.node_index, self.config.nodes)
        for spec in specs:
            capacity = self.config.instance_capacity or spec.zone_class.capacity
            self.zones[spec.name] = ZoneRuntime(
                spec,
                capacity,
                self.ids,
                self.config.world,
                min(self.config.capacity, capacity * self.config.max_instances_per_zone),
                records=dict(spec.records),
            )
        self.inbox = Inbox()
        self.chat = Chat()
        self.reactions = Reactions()
        self.stages = StageBroadcasts(self.zones)
        self.tick = 0
        self.where: dict[int, Instance] = {}
        self._effects = Effects()
        self._moves: list[Move] = []
        self._requests: deque[tuple[int, Any]] = deque()
        self._events: deque[tuple[str, ServerEvent]] = deque()
        self.opened = False
        # When this city opened: its run, for the other nodes (world.zone_shares).
        self.epoch = 0.0

    def open(
        self, records: Mapping[str, Mapping[str, Any]] | None = None, now: float = 0.0
    ) -> None:
        """Hand each zone its saved records and open its first instance (``on_create``
        runs here, at start-up, so a broken script shows at once). Further instances open
        as crowds grow. The first step opens the city if nobody did."""
        if self.opened:
            return
        self.opened = True
        self.epoch = now
        for name, runtime in self.zones.items():
            runtime.records.update((records or {}).get(name, {}))
            self._open_instance(runtime, now)

    # -- input from the gateway -------------------------------------------------------------

    @property
    def count(self) -> int:
        """Avatars in the city."""
        return len(self.where)

    @property
    def coalesced(self) -> int:
        """Moves and poses replaced by newer ones before a tick, in every instance so far."""
        return sum(runtime.world.inbox.counters.coalesced for runtime in self.zones.values())

    @property
    def capacity(self) -> int:
        """Most avatars the city holds at once."""
        return self.config.capacity

    def push_move(self, avatar_id: int, move: MoveInput) -> None:
        """Queue a MOVE for the avatar's instance."""
        instance = self.where.get(avatar_id)
        if instance is not None:
            instance.world.inbox.push_move(avatar_id, move)

    def push_pose(self, avatar_id: int, pose: Pose) -> None:
        """Queue a POSE for the avatar's instance."""
        instance = self.where.get(avatar_id)
        if instance is not None:
            instance.world.inbox.push_pose(avatar_id, pose)

    def hold(self, avatar_id: int) -> None:
        """Skip the avatar's next frame (its connection is still busy)."""
        instance = self.where.get(avatar_id)
        if instance is not None:
            instance.world.inbox.hold(avatar_id)

    def post(self, avatar_id: int, request: Any) -> bool:
        """Queue a SAY, BLOCK, REPORT or ZONE request, or a REACT (counted at the tick, not
        in the request queue); False when too many are waiting."""
        if isinstance(request, React):
            return self.reactions.push(avatar_id, request.kind)
        if len(self._requests) >= MAX_PENDING_REQUESTS:
            return False
        self._requests.append((avatar_id, request))
        return True

    def notify(self, zone: str, event: ServerEvent, *, sticky: bool = False) -> bool:
        """Deliver ``event`` to every instance of ``zone`` at the next tick. A ``sticky``
        event is the current state of something (the notices, the open polls): it is also
        kept, per topic, and handed to instances that open later, right after on_create."""
        runtime = self.zones.get(zone)
        if runtime is None or len(self._events) >= MAX_PENDING_EVENTS:
            return False
        if sticky:
            runtime.sticky[event.topic] = event
        self._events.append((zone, event))
        return True

    def summon(self, avatar_id: int, zone: str, spot: str) -> bool:
        """Move an avatar to ``spot`` of ``zone`` at the next step, on the server's behalf
        (a civil servant's desk opening at the 120 Center). False when the avatar is not in
        the city or already in that zone (where the zone itself places it)."""
        source = self.where.get(avatar_id)
        if source is None or source.zone == zone:
            return False
        self._moves.append(Move(avatar_id, zone, Placement(spot=spot), "transfer"))
        return True

    def expel(self, avatar_id: int, zone: str, reason: str) -> bool:
        """Send an avatar in ``zone`` out to the entrance at the next step, with ``reason``
        (a moderator's or organizer's kick); False when it is not in that zone."""
        source = self.where.get(avatar_id)
        if source is None or source.zone != zone or zone == self.config.entrance:
            return False
        self._moves.append(Move(avatar_id, "", Placement(), "kick", reason))
        return True

    def set_mute(self, subject: str, until: float, reason: str) -> None:
        """A mute issued (or lifted, with ``until`` 0) while the user may be connected."""
        for avatar_id, instance in self.where.items():
            member = instance.members[avatar_id]
            if member.subject == subject:
                member.muted_until, member.mute_reason = until, reason

    # -- what the server asks ---------------------------------------------------------------

    def member(self, avatar_id: int) -> Member | None:
        """The user behind a live avatar."""
        instance = self.where.get(avatar_id)
        return None if instance is None else instance.members.get(avatar_id)

    def place_of(self, avatar_id: int) -> tuple[str, float, float, float, float] | None:
        """(zone, x, y, z, yaw) of a live avatar."""
        instance = self.where.get(avatar_id)
        if instance is None:
            return None
        table = instance.world.table
        row = table.row_of(avatar_id)
        x, y, z = (float(v) for v in table.position[row])
        return instance.zone, x, y, z, float(table.yaw[row])

    def places(self) -> list[tuple[int, str, float, float, float, float]]:
        """(avatar, zone, x, y, z, yaw) of every avatar, one gather per zone."""
        out: list[tuple[int, str, float, float, float, float]] = []
        for zone, runtime in self.zones.items():
            table = runtime.world.table
            n = table.count
            ids = table.ids[:n].tolist()
            pos = table.position[:n].tolist()
            yaws = table.yaw[:n].tolist()
            out.extend(
                (a, zone, x, y, z, w) for a, (x, y, z), w in zip(ids, pos, yaws, strict=True)
            )
        return out

    def directory(self) -> list[dict[str, Any]]:
        """Zones and their instances with occupancy (``GET /api/zones``); on a node of a
        cluster, every node's instances (named by ``node``), as of their last tick."""
        node = self.config.node
        out = []
        for name, runtime in self.zones.items():
            instances: list[dict[str, Any]] = [
                {"number": i.instance, "avatars": i.count()} for i in runtime.instances
            ]
            if node:
                for entry in instances:
                    entry["node"] = node
                instances += [
                    {"number": number, "avatars": n, "node": peer}
                    for peer, number, n in runtime.peers.instances()
                ]
                instances.sort(key=lambda e: (e["node"], e["number"]))
            out.append(
                {
                    "name": name,
                    "title": dict(runtime.spec.layout.titles),
                    "capacity": runtime.capacity,
                    "open_at": runtime.spec.zone_class.open_at,
                    "placement": runtime.spec.zone_class.placement,
                    "entrance": name == self.config.entrance,
                    "avatars": runtime.population(),
                    "instances": instances,
                }
            )
        return out

    # -- the other nodes of a cluster (world.zone_shares) ------------------------------------

    def node_tick(self) -> NodeTick:
        """What this node shares after its last step: per zone its crowd and, for zones
        with a stage or reactions, its performers on stage and its reactions."""
        zones = []
        for name, runtime in self.zones.items():
            stage = self.stages.zones.get(name)
            zones.append(
                stage.share()
                if stage
                else ZoneShare(
                    name, runtime.local_population(), instances=runtime.local_instances()
                )
            )
        return NodeTick(self.config.node, self.epoch, self.tick, tuple(zones))

    def take_tick(self, tick: NodeTick, now: float) -> bool:
        """Take in another node's tick (``now``: when it arrived); its performers and
        reactions show from the next step. False when it was this node's own, a repeat or
        an older tick of that node's run."""
        if tick.node == self.config.node:
            return False
        taken = False
        for share in tick.zones:
            runtime = self.zones.get(share.zone)
            if runtime is not None:
                taken |= runtime.peers.take(tick.node, tick.epoch, tick.tick, share, now)
        return taken

    def layout(self, zone: str) -> ZoneLayout | None:
        """A zone's layout, or None."""
        runtime = self.zones.get(zone)
        return None if runtime is None else runtime.spec.layout

    def welcome_info(self, avatar_id: int, now: float, resumed: bool = False) -> dict[str, Any]:
        """The WELCOME (or ENTER_ZONE) map of a live avatar."""
        instance = self.where[avatar_id]
        info = instance.world.welcome_info(avatar_id, now, resumed)
        info["tick"] = self.tick
        info["instance"] = {"zone": instance.zone, "number": instance.instance}
        if self.config.node:
            # Instance numbers are per node: the node's name makes the room unique.
            info["instance"]["node"] = self.config.node
        return info

    # -- the tick ---------------------------------------------------------------------------

    def step(self, now: float) -> CityStepResult:
        """Advance every zone instance by one tick at server time ``now``."""
        t0 = time.perf_counter()
        if not self.opened:
            self.open(now=now)
        self.tick += 1
        # What hooks did since the last step (on_create at start-up included) goes out now.
        effects = self._effects
        for instance in self._all_instances():
            instance.now = now
        inbox = self.inbox
        for avatar_id in inbox.leaves:
            self._depart(avatar_id)
        inbox.leaves.clear()
        moves, self._moves = self._moves, []
        for move in moves:
            self._carry_out(move, now)
        joined: list[tuple[int, int, bytes]] = []
        refused: list[tuple[int, str]] = []
        for _ in range(min(len(inbox.joins), MAX_JOINS_PER_TICK)):
            self._join(inbox.joins.popleft(), now, joined, refused)
        for request in inbox.resumes:
            owner = self.where.get(request.avatar_id)
            if owner is None or not owner.world.refresh_view(request.avatar_id):
                refused.append((request.ticket, "the avatar to resume has left; join again"))
                continue
            info = self.welcome_info(request.avatar_id, now, resumed=True)
            joined.append((request.ticket, request.avatar_id, encode_welcome(info)))
            # A resumed client knows nothing yet: it is told the stage as a newcomer is.
            self.stages.arrived(request.avatar_id, owner, owner.members[request.avatar_id])
        inbox.resumes.clear()
        for runtime in self.zones.values():
            runtime.peers.forget_silent(now)
        # The server's news first: a client answering a push it just got (a ticket called
        # to a desk) finds the zone already knowing what the push said.
        while self._events:
            zone, event = self._events.popleft()
            for instance in list(self.zones[zone].instances):
                instance.call("on_event", event)
        for _ in range(min(len(self._requests), MAX_REQUESTS_PER_TICK)):
            avatar_id, request = self._requests.popleft()
            if avatar_id in self.where:
                handle_request(self, now, avatar_id, request)
        for instance in self._all_instances():
            instance.run_timers()
            instance.call("on_tick")
        self._apply_badges(effects)

        frames: list[Frames] = []
        messages = effects.messages
        timings = StepTimings()
        events = 0
        check_portals = self.tick % PORTAL_CHECK_TICKS == 0
        for runtime in self.zones.values():
            # One step for all of the zone's instances (see world.zone_runtime).
            world = runtime.world
            result = world.step(now, self.tick)
            frames.append(result.frames)
            messages.extend(result.messages)
            events += result.events
            timings.inputs += result.timings.inputs
            timings.interest += result.timings.interest
            timings.encode += result.timings.encode
            if check_portals:
                for avatar_id, portal in runtime.portals.check(world.table):
                    placement = Placement(spot=portal.destination)
                    self._moves.append(Move(avatar_id, portal.target, placement, portal.id))
        # After every world step, so performers are where this tick put them.
        counts = self.reactions.count(now, self.where)
        messages.extend(counts.refusals)
        messages.extend(self.stages.step(self.tick, counts, self.chat))
        self._moves.extend(effects.moves)
        effects.moves.clear()
        self._close_idle(now)
        self._effects = Effects()
        for instance in self._all_instances():
            instance.effects = self._effects
        timings.total = time.perf_counter() - t0
        return CityStepResult(
            self.tick,
            now,
            frames,
            messages,
            joined,
            refused,
            effects.intents,
            effects.errors,
            events,
            timings,
        )

    # -- joining, leaving, moving -----------------------------------------------------------

    def _all_instances(self) -> list[Instance]:
        return [i for runtime in self.zones.values() for i in runtime.instances]

    def _join(
        self,
        request: JoinRequest,
        now: float,
        joined: list[tuple[int, int, bytes]],
        refused: list[tuple[int, str]],
    ) -> None:
        member = request.member or Member(
            subject=f"anonymous:{request.ticket}", role=request.description.role
        )
        entrance = self.config.entrance
        zone = request.zone if request.zone in self.zones else entrance
        place = request.place if zone == request.zone else None
        if self.ids.free == 0:
            refused.append((request.ticket, "the world is full; try again shortly"))
            return
        avatar_id = self.ids.allocate()
        description = request.description
        instance, reason = self._admit(self.zones[zone], avatar_id, member, description, now)
        if instance is None and zone != entrance:
            # The last place's zone is full or turned the user away: start at the entrance.
            zone, place = entrance, None
            instance, reason = self._admit(self.zones[zone], avatar_id, member, description, now)
        if instance is None:
            self.ids.release(avatar_id)
            refused.append((request.ticket, reason))
            return
        self._place(instance, avatar_id, member, request.description, place)
        info = self.welcome_info(avatar_id, now)
        joined.append((request.ticket, avatar_id, encode_welcome(info)))
        instance.call("on_join", instance.view(avatar_id))

    def _admit(
        self,
        runtime: ZoneRuntime,
        avatar_id: int,
        member: Member,
        description: AvatarDescription,
        now: float,
        leaving: Instance | None = None,
    ) -> tuple[Instance | None, str]:
        """Choose an instance of the zone and ask its script whether the avatar may enter;
        (instance, "") or (None, the reason to tell the user)."""
        instance = self._choose(runtime, member, now, leaving)
        if instance is None:
            title = runtime.spec.layout.titles.get(member.locale) or runtime.spec.name
            return None, f"{title} is full; try again shortly"
        view = instance.view_of(avatar_id, member, description)
        verdict = instance.call("on_join_attempt", view)
        if verdict is None:
            return instance, ""
        return None, verdict if isinstance(verdict, str) else "this place is unavailable now"

    def _place(
        self,
        instance: Instance,
        avatar_id: int,
        member: Member,
        description: AvatarDescription,
        place: tuple[float, float, float, float] | Placement | None,
    ) -> None:
        position, yaw = self._position(instance.world, place)
        instance.world.add_avatar(description, position, yaw, avatar_id, instance.instance)
        instance.members[avatar_id] = member
        instance.empty_since = None
        self.where[avatar_id] = instance
        self.stages.arrived(avatar_id, instance, member)
        self.zones[instance.zone].portals.arrived(avatar_id, float(position[0]), float(position[2]))

    def _position(
        self, world: World, place: tuple[float, float, float, float] | Placement | None
    ) -> tuple[Any, float]:
        if isinstance(place, Placement):
            spot = world.layout.spot(place.spot) if place.spot else None
            if spot is not None:
                return world.start_position((*spot.position, spot.yaw))
            if place.position is not None:
                yaw = place.yaw if place.yaw is not None else 0.0
                return world.start_position((*place.position, yaw))
            return world.start_position(None)
        return world.start_position(place)

    def _choose(
        self, runtime: ZoneRuntime, member: Member, now: float, leaving: Instance | None
    ) -> Instance | None:
        can_open = len(runtime.instances) < self.config.max_instances_per_zone
        return runtime.choose(member, leaving, can_open, lambda: self._open_instance(runtime, now))

    def _open_instance(self, runtime: ZoneRuntime, now: float) -> Instance:
        # Instances opened at start-up get the sticky events from the queue instead.
        return runtime.open_instance(self._effects, now, self.opened)

    def _close_idle(self, now: float) -> None:
        for runtime in self.zones.values():
            runtime.close_idle(now, self.config.instance_idle_s)

    def _depart(self, avatar_id: int) -> None:
        """The avatar leaves the city for good."""
        instance = self.where.get(avatar_id)
        if instance is None:
            return
        self._take_out(instance, avatar_id)
        self.chat.forget(avatar_id)
        self.reactions.forget(avatar_id)
        self.ids.release(avatar_id)

    def _take_out(self, instance: Instance, avatar_id: int) -> None:
        view = instance.view(avatar_id)
        instance.call("on_leave", view)
        instance.world.remove_avatar(avatar_id)
        del instance.members[avatar_id]
        del self.where[avatar_id]
        self.stages.left(avatar_id, instance)
        self.zones[instance.zone].portals.left(avatar_id)

    def _carry_out(self, move: Move, now: float) -> None:
        """Move an avatar to another zone (or instance); refused moves leave it in place."""
        source = self.where.get(move.avatar_id)
        if source is None:
            return
        avatar_id = move.avatar_id
        member = source.members[avatar_id]
        target = move.zone or self.config.entrance
        if target not in self.zones:
            refusal = {"zone": target, "reason": "no such zone"}
            self._tell(source, avatar_id, "travel.refused", refusal)
            return
        description = source.world.table.descriptions[avatar_id]
        source_row = source.world.table.row_of(avatar_id)
        placement = move.placement
        # Ask the destination before leaving, so a refusal leaves the avatar where it was.
        instance, reason = self._admit(
            self.zones[target], avatar_id, member, description, now, source
        )
        if instance is None:
            self._tell(source, avatar_id, "travel.refused", {"zone": target, "reason": reason})
            return
        table = source.world.table
        floor = max(int(table.last_seq[source_row]), int(table.last_pose_seq[source_row]))
        floor = (max(floor, 0) + ZONE_SEQ_GAP) & 0xFFFFFFFF
        self._take_out(source, avatar_id)
        self._place(instance, avatar_id, member, description, placement)
        new_table = instance.world.table
        row = new_table.row_of(avatar_id)
        new_table.last_seq[row] = floor
        new_table.last_pose_seq[row] = floor
        info = self.welcome_info(avatar_id, now)
        info["via"] = move.via
        info["seq_floor"] = floor
        if move.notice:
            info["notice"] = move.notice
        self._effects.messages.append((avatar_id, encode_enter_zone(info)))
        instance.call("on_join", instance.view(avatar_id))

    def close(self, now: float) -> tuple[list[Persist], list[str]]:
        """The server stops: every instance's ``on_dispose`` runs; returns the intents
        (saves made while closing included) and script errors not yet handed out."""
        for instance in self._all_instances():
            instance.now = now
            instance.call("on_dispose")
        effects, self._effects = self._effects, Effects()
        return effects.intents, effects.errors

    def _apply_badges(self, effects: Effects) -> None:
        """Badges set this tick: the description newcomers to the view get carries it, and
        everyone in the instance is told now (ZONE_EVENT ``badge``)."""
        for avatar_id, badge in effects.badges:
            instance = self.where.get(avatar_id)
            if instance is None:
                continue
            table = instance.world.table
            table.descriptions[avatar_id] = replace(table.descriptions[avatar_id], badge=badge)
            instance.broadcast("badge", {"avatar": avatar_id, "badge": badge})
        effects.badges.clear()

    def _tell(self, instance: Instance, avatar_id: int, kind: str, data: dict[str, Any]) -> None:
        self._effects.messages.append((avatar_id, encode_zone_event(instance.zone, kind, data)))
