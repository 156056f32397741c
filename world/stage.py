"""The stage broadcast: performers on a stage are seen in every instance of their zone.

A festival's crowd is spread over instances, but it is one audience: the avatars with a
stage role (``STAGE_ROLES``: performer, interpreter) standing on the stage (the layout spot
the zone class names in ``stage_spot``) are shown to everyone in the zone, with their
moves, gestures and VR pose, and the crowd's reactions are summed for all to see. Each tick,
for every zone with a stage or with reactions, ``StageBroadcast.step``:

* finds the stage-role avatars on stage (O(performers): their rows are looked up by id);
* when that set changed, tells every member of the zone (ZONE_EVENT ``stage.performers``,
  with names and roles; a newcomer gets the current one on arrival);
* sends each member a STAGE message with the performers it does not see in its WORLD
  frames and the reaction counts of its instance and of the zone.

"Not in its WORLD frames" means: every performer on stage in another instance, and a
performer of its own instance that is not in its view (too far, or behind the 50 nearest
in a dense crowd). Each performer is packed once per tick; every message of the tick reuses
those bytes, and members that are told the same performers share one message. A STAGE goes
to an instance in a tick when someone in the zone reacted, when some member has a performer
to be shown, or once more after that (with an empty list, so clients drop the last ones).

Chat follows the same stage: a ``near`` line from a stage-role avatar on stage also reaches
every member of every instance of the zone as channel ``stage`` (``StageBroadcast.relay``).

On a node of a cluster, the zone's other nodes count too (``world.zone_shares``): their
performers on stage are shown to every member here like performers of another instance,
their reactions are added to the zone's counts, and ``share`` says what this node adds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from world.chat import Chat, ChatLine
from world.codec_social import encode_zone_event
from world.codec_stage import encode_stage_performer, finish_stage, stage_head
from world.members import Member
from world.protocol import AvatarFlag, ReactionKind
from world.reactions import ReactionCounts, takes_reactions
from world.roles import Role
from world.zone_api import Zone
from world.zone_layout import Spot
from world.zone_shares import MAX_SHARED_LINES, SharedLine, SharedPerformer, ZoneShare
from world.zone_specs import CityError

if TYPE_CHECKING:
    from world.instance import Instance
    from world.zone_runtime import ZoneRuntime

__all__ = [
    "MAX_STAGE_PERFORMERS",
    "PERFORMERS_EVENT",
    "STAGE_CHANNEL",
    "STAGE_ROLES",
    "StageBroadcast",
    "StageBroadcasts",
    "stage_spot_of",
]

# The roles whose avatars are broadcast while they stand on a stage.
STAGE_ROLES = frozenset({Role.PERFORMER.value, Role.INTERPRETER.value})
# A band with its interpreters fits; past this, those who stepped on first are shown, so a
# crowd climbing onto the stage cannot make every client's STAGE grow without bound
# (each performer costs every client up to 18 bytes a tick, 31 more with a VR pose).
MAX_STAGE_PERFORMERS = 8
# The ZONE_EVENT naming the performers on stage, and the chat channel of their lines.
PERFORMERS_EVENT = "stage.performers"
STAGE_CHANNEL = "stage"

_NO_REACTIONS = (0,) * len(ReactionKind)


def stage_spot_of(zone_class: Zone | type[Zone]) -> str | None:
    """The layout spot a zone class names as its stage (class attribute ``stage_spot``)."""
    spot = zone_class.stage_spot
    return spot if isinstance(spot, str) and spot else None


@dataclass
class _OnStage:
    """A stage-role avatar standing on the stage this tick, and its packed STAGE entry."""

    instance: Instance
    entry: bytes


@dataclass
class StageBroadcast:
    """One zone's stage: who may appear on it, who is on it, and what the zone is told."""

    runtime: ZoneRuntime
    # The stage area (a layout spot: centre and radius), or None for reactions alone.
    spot: Spot | None
    # Stage-role avatars in the zone, wherever they stand (few: looked at every tick).
    performers: dict[int, Instance] = field(default_factory=dict)
    # Those on stage after the last step, in the order they stepped on.
    on_stage: dict[int, _OnStage] = field(default_factory=dict)
    _announced: tuple[int, ...] = ()
    _event: bytes = b""
    _newcomers: list[tuple[int, Instance]] = field(default_factory=list)
    # Instances whose members were shown a performer in the last STAGE.
    _showing: set[Instance] = field(default_factory=set)
    # Performers on stage on other nodes, after the last step (after this node's own).
    remote: dict[int, SharedPerformer] = field(default_factory=dict)
    # Reactions accepted in this node's instances in the last step (for ``share``).
    _local_reactions: tuple[int, ...] = _NO_REACTIONS
    # Stage lines said here since the last step, and those of the last step (for ``share``).
    _said: list[SharedLine] = field(default_factory=list)
    _said_last: tuple[SharedLine, ...] = ()

    @property
    def zone(self) -> str:
        """The zone's name."""
        return self.runtime.spec.name

    # -- told by the city -------------------------------------------------------------------

    def arrived(self, avatar_id: int, instance: Instance, member: Member) -> None:
        """An avatar entered an instance of this zone (a join, a portal, a transfer)."""
        if self.spot is not None and member.role in STAGE_ROLES:
            self.performers[avatar_id] = instance
        self._newcomers.append((avatar_id, instance))

    def left(self, avatar_id: int) -> None:
        """An avatar left its instance of this zone."""
        self.performers.pop(avatar_id, None)

    def stands_on_stage(self, avatar_id: int) -> bool:
        """Whether a stage-role avatar of this zone stands on the stage now."""
        instance = self.performers.get(avatar_id)
        if instance is None or self.spot is None:
            return False
        table = instance.world.table
        row = table.row_of(avatar_id)
        if row < 0:
            return False
        x, _, z = (float(v) for v in table.position[row])
        return self.spot.contains((x, 0.0, z))

    # -- once per tick ----------------------------------------------------------------------

    def step(
        self, tick: int, counts: ReactionCounts, chat: Chat | None = None
    ) -> list[tuple[int, bytes]]:
        """This tick's ``stage.performers`` events, STAGE messages and the other nodes'
        stage lines (relayed through ``chat``) for the zone."""
        out: list[tuple[int, bytes]] = []
        self._said_last, self._said = tuple(self._said[-MAX_SHARED_LINES:]), []
        remote_lines = self.runtime.peers.take_lines()
        if chat is not None and remote_lines:
            hearers = [
                (avatar_id, member)
                for instance in self.runtime.instances
                for avatar_id, member in instance.members.items()
            ]
            for said in remote_lines:
                line = ChatLine(
                    said.id,
                    STAGE_CHANNEL,
                    said.speaker,
                    said.speaker_subject,
                    said.name,
                    said.text,
                    said.time,
                    self.zone,
                )
                out.extend(chat.relay(line, STAGE_CHANNEL, hearers))
        self._find_on_stage()
        room = MAX_STAGE_PERFORMERS - len(self.on_stage)
        self.remote = {p.avatar_id: p for p in self.runtime.peers.performers()[:room]}
        self._announce(out)
        instances = [i for i in self.runtime.instances if i.members]
        local = list(_NO_REACTIONS)
        for instance in instances:
            for kind, n in enumerate(counts.of(instance)):
                local[kind] += n
        self._local_reactions = tuple(local)
        remote = self.runtime.peers.take_reactions()
        zone_counts = [a + b for a, b in zip(local, remote, strict=True)]
        reacted = any(zone_counts)
        entries = {i: on.entry for i, on in self.on_stage.items()}
        entries.update((i, p.entry) for i, p in self.remote.items())
        heads: dict[tuple[int, ...], bytes] = {}
        showing: set[Instance] = set()
        for instance in instances:
            groups = self._audiences(instance)
            if any(ids for _, ids in groups):
                showing.add(instance)
            elif not reacted and instance not in self._showing:
                continue
            here = counts.of(instance)
            for members, ids in groups:
                head = heads.get(ids)
                if head is None:
                    head = heads[ids] = stage_head(tick, [entries[i] for i in ids])
                out.extend(zip(members, repeat(finish_stage(head, here, zone_counts))))
        self._showing = showing
        return out

    def relay(self, chat: Chat, line: ChatLine, heard: Iterable[int]) -> list[tuple[int, bytes]]:
        """A ``near`` line said on stage, as channel ``stage``, for every member of the zone
        who did not hear it already (``heard``)."""
        self._said.append(
            SharedLine(line.id, line.speaker, line.speaker_subject, line.name, line.text, line.time)
        )
        skip = {*heard, line.speaker}
        hearers = [
            (avatar_id, member)
            for instance in self.runtime.instances
            for avatar_id, member in instance.members.items()
            if avatar_id not in skip
        ]
        return chat.relay(line, STAGE_CHANNEL, hearers)

    def share(self) -> ZoneShare:
        """What this node adds to the zone after its last step: its crowd, its reactions
        and its performers on stage."""
        performers = []
        for avatar_id, on in self.on_stage.items():
            description = on.instance.world.table.descriptions.get(avatar_id)
            member = on.instance.members.get(avatar_id)
            if description is None or member is None:
                continue
            performers.append(SharedPerformer(avatar_id, description.name, member.role, on.entry))
        return ZoneShare(
            self.zone,
            self.runtime.local_population(),
            self._local_reactions,
            tuple(performers),
            self._said_last,
            self.runtime.local_instances(),
        )

    # -- the parts of a step ----------------------------------------------------------------

    def _find_on_stage(self) -> None:
        """Refresh ``on_stage`` from the stage-role avatars' positions, packing each entry."""
        spot = self.spot
        if spot is None:
            return
        cx, _, cz = spot.position
        r2 = spot.radius * spot.radius
        found: dict[int, _OnStage] = {}
        for avatar_id, instance in self.performers.items():
            table = instance.world.table
            row = table.row_of(avatar_id)
            if row < 0:
                continue
            x, _, z = table.position[row].tolist()
            if (x - cx) ** 2 + (z - cz) ** 2 > r2:
                continue
            pose = None
            if table.flags[row] & AvatarFlag.VR:
                pose = table.pose_rows[row, 1:].tobytes()
            entry = encode_stage_performer(avatar_id, table.body_rows[row, 1:].tobytes(), pose)
            found[avatar_id] = _OnStage(instance, entry)
        # Keep the order in which they stepped on; newcomers to the stage go last.
        order = [i for i in self.on_stage if i in found]
        order += [i for i in found if i not in self.on_stage]
        self.on_stage = {i: found[i] for i in order[:MAX_STAGE_PERFORMERS]}

    def _announce(self, out: list[tuple[int, bytes]]) -> None:
        """``stage.performers`` to the whole zone when the set on stage changed; otherwise
        to the avatars that arrived since the last step."""
        ids = (*self.on_stage, *self.remote)
        newcomers, self._newcomers = self._newcomers, []
        if self.spot is None:
            return
        if ids != self._announced or not self._event:
            self._announced = ids
            performers = []
            for avatar_id, on in self.on_stage.items():
                description = on.instance.world.table.descriptions[avatar_id]
                performers.append(
                    {
                        "id": avatar_id,
                        "name": description.name,
                        "role": on.instance.members[avatar_id].role,
                    }
                )
            performers.extend(
                {"id": p.avatar_id, "name": p.name, "role": p.role} for p in self.remote.values()
            )
            event = encode_zone_event(self.zone, PERFORMERS_EVENT, {"performers": performers})
            changed = bool(self._event)
            self._event = event
            if changed:
                for instance in self.runtime.instances:
                    out.extend(zip(instance.members, repeat(event)))
                return
        out.extend((a, self._event) for a, instance in newcomers if a in instance.members)

    def _audiences(self, instance: Instance) -> list[tuple[Iterable[int], tuple[int, ...]]]:
        """The members of ``instance`` grouped by the performers to show them: (member ids,
        performer ids, in the order they stepped on). Performers elsewhere are shown to all;
        one of this instance only to the members that do not have it in view (and never to
        itself). Performers on other nodes come last."""
        shown_all = (*self.on_stage, *self.remote)
        own = [i for i, on in self.on_stage.items() if on.instance is instance]
        if not own:
            return [(instance.members, shown_all)]
        world = instance.world
        table = world.table
        # The world holds every instance of the zone; this instance's members are its rows.
        rows = np.flatnonzero(table.instance[: table.count] == instance.instance)
        ids = table.ids[rows]
        visible = world.interest.visible[table.handles[rows]]
        # Bit b of a member's mask: it lacks own[b] in its view (a member is not its own).
        lacks = np.zeros(rows.size, dtype=np.int64)
        for bit, performer in enumerate(own):
            missing = ~(visible == performer).any(axis=1) & (ids != performer)
            lacks |= missing.astype(np.int64) << bit
        bit_of = {performer: bit for bit, performer in enumerate(own)}
        groups: list[tuple[Iterable[int], tuple[int, ...]]] = []
        for mask in np.unique(lacks).tolist():
            shown = tuple(p for p in shown_all if p not in bit_of or mask >> bit_of[p] & 1)
            groups.append((ids[lacks == mask].tolist(), shown))
        return groups


class StageBroadcasts:
    """Every zone of the city with a stage or with reactions, by zone name."""

    def __init__(self, zones: Mapping[str, ZoneRuntime]) -> None:
        self.zones: dict[str, StageBroadcast] = {}
        for name, runtime in zones.items():
            zone_class = runtime.spec.zone_class
            spot_name = stage_spot_of(zone_class)
            spot = None
            if spot_name is not None:
                spot = runtime.spec.layout.spot(spot_name)
                if spot is None:
                    raise CityError(f"zone {name}: stage spot {spot_name!r} is not in the layout")
            if spot is not None or takes_reactions(zone_class):
                self.zones[name] = StageBroadcast(runtime, spot)

    def arrived(self, avatar_id: int, instance: Instance, member: Member) -> None:
        """An avatar was placed in ``instance``."""
        stage = self.zones.get(instance.zone)
        if stage is not None:
            stage.arrived(avatar_id, instance, member)

    def left(self, avatar_id: int, instance: Instance) -> None:
        """An avatar was taken out of ``instance``."""
        stage = self.zones.get(instance.zone)
        if stage is not None:
            stage.left(avatar_id)

    def on_stage(self, zone: str, avatar_id: int) -> StageBroadcast | None:
        """The stage of ``zone`` when ``avatar_id`` (a stage-role avatar) stands on it."""
        stage = self.zones.get(zone)
        return stage if stage is not None and stage.stands_on_stage(avatar_id) else None

    def step(
        self, tick: int, counts: ReactionCounts, chat: Chat | None = None
    ) -> list[tuple[int, bytes]]:
        """Every stage zone's messages of this tick (after the instances' world steps)."""
        out: list[tuple[int, bytes]] = []
        for stage in self.zones.values():
            out.extend(stage.step(tick, counts, chat))
        return out
