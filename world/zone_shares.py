"""What the nodes of a cluster tell each other about their zones, once per tick.

With one process per core (docs/architecture.md, "Nodes"), every node runs its own
instances of every zone, and a festival's crowd is spread over nodes as it is over
instances. What makes it one crowd has to cross processes: the performers on stage (shown
in every instance of every node), the reactions (the zone's counts) and how many attend (the
gates and the capacity count the whole crowd). After each step a node's city hands out one
``NodeTick``: a ``ZoneShare`` per zone with a stage or reactions, and its population for the
rest. The cluster bus carries it to the other nodes, whose cities take it in
(``City.take_tick``) into each zone's ``ZonePeers``.

The merge rules:

* **Stage chat** (a performer's ``near`` line on stage, channel ``stage``) is an event like
  a reaction: each share carries the lines said on its node's stage in that tick (at most
  ``MAX_SHARED_LINES``), relayed once to every member of the zone on the other nodes.
* **Performers and population** are state: each node's latest share replaces its previous
  one; a node not heard from for ``PEER_SILENCE_S`` is dropped (it stopped or lost its link),
  so its performers leave the stage and its attendees stop counting.
* **Reactions** are events: each share carries the reactions its node accepted since its
  previous share; a node adds them to the zone's counts once, in its next tick. Ticks are
  numbered per node run (``epoch``: when the node started), and a repeated or older tick of
  the same run is ignored, so no reaction counts twice; a restarted node is a new run.

The byte layout (msgpack, below) is this module's alone; both ends are Plaza nodes of the
same version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgpack

from world.protocol import ReactionKind

__all__ = [
    "MAX_NODE_TICK_BYTES",
    "MAX_SHARED_LINES",
    "PEER_SILENCE_S",
    "NodeTick",
    "SharedLine",
    "SharedPerformer",
    "ZonePeers",
    "ZoneShare",
    "decode_node_tick",
    "encode_node_tick",
]

# A node silent this long is taken for gone: twenty ticks at 20 Hz, long enough to ride out
# a slow tick or a garbage collection, short enough that a stopped node's performers do not
# stand on every stage for long.
PEER_SILENCE_S = 1.0
# A node's tick is a few hundred bytes (eight performers of 60 bytes, a handful of zones);
# anything far larger is not from a Plaza node and is dropped unread.
MAX_NODE_TICK_BYTES = 64 * 1024

# Stage lines one node shares per tick: a band's captions and its interpreters' lines fit
# many times over; a flood from the stage does not grow the tick without bound.
MAX_SHARED_LINES = 16

_KINDS = len(ReactionKind)
_NO_REACTIONS = (0,) * _KINDS


@dataclass(frozen=True)
class SharedPerformer:
    """A performer on stage on another node: its id (unique in the cluster), name, role and
    packed STAGE entry (``world.codec_stage.encode_stage_performer``), as that node packed
    it this tick."""

    avatar_id: int
    name: str
    role: str
    entry: bytes


@dataclass(frozen=True)
class SharedLine:
    """A line said on stage on another node (``world.chat.ChatLine``'s public part)."""

    id: int
    speaker: int
    speaker_subject: str
    name: str
    text: str
    time: float


@dataclass(frozen=True)
class ZoneShare:
    """One zone as one node has it after a tick."""

    zone: str
    population: int
    # Reactions accepted since the node's previous tick, per ``ReactionKind``.
    reactions: tuple[int, ...] = _NO_REACTIONS
    performers: tuple[SharedPerformer, ...] = ()
    # Lines said on this node's stage in the tick.
    lines: tuple[SharedLine, ...] = ()
    # (instance number, avatars) of each of this node's instances of the zone.
    instances: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class NodeTick:
    """Everything one node shares after one tick: its name, when it started (its run), its
    tick number in that run and its zones."""

    node: str
    epoch: float
    tick: int
    zones: tuple[ZoneShare, ...]


def encode_node_tick(message: NodeTick) -> bytes:
    """The bytes the bus carries."""
    data: bytes = msgpack.packb(
        [
            message.node,
            message.epoch,
            message.tick,
            [
                [
                    share.zone,
                    share.population,
                    list(share.reactions),
                    [[p.avatar_id, p.name, p.role, p.entry] for p in share.performers],
                    [
                        [
                            line.id,
                            line.speaker,
                            line.speaker_subject,
                            line.name,
                            line.text,
                            line.time,
                        ]
                        for line in share.lines
                    ],
                    [list(instance) for instance in share.instances],
                ]
                for share in message.zones
            ],
        ],
        use_bin_type=True,
    )
    return data


def decode_node_tick(data: bytes) -> NodeTick:
    """A ``NodeTick`` from the bus. Raises ``ValueError`` on anything malformed."""
    if len(data) > MAX_NODE_TICK_BYTES:
        raise ValueError(f"a node tick is at most {MAX_NODE_TICK_BYTES} bytes")
    try:
        node, epoch, tick, raw_zones = msgpack.unpackb(data, raw=False)
        zones = []
        for zone, population, reactions, performers, lines, instances in raw_zones:
            counts = tuple(int(n) for n in reactions)
            if len(counts) != _KINDS or min(counts, default=0) < 0 or int(population) < 0:
                raise ValueError("bad counts")
            shared = tuple(
                SharedPerformer(int(a), str(name), str(role), bytes(entry))
                for a, name, role, entry in performers
            )
            said = tuple(
                SharedLine(int(i), int(a), str(subject), str(name), str(text), float(at))
                for i, a, subject, name, text, at in lines[:MAX_SHARED_LINES]
            )
            rooms = tuple((int(number), int(n)) for number, n in instances)
            if any(number < 1 or n < 0 for number, n in rooms):
                raise ValueError("bad instances")
            zones.append(ZoneShare(str(zone), int(population), counts, shared, said, rooms))
        return NodeTick(str(node), float(epoch), int(tick), tuple(zones))
    except (TypeError, ValueError, msgpack.UnpackException) as error:
        raise ValueError(f"malformed node tick: {type(error).__name__} {error}") from error


@dataclass
class _Peer:
    epoch: float
    tick: int
    heard_at: float
    share: ZoneShare


@dataclass
class ZonePeers:
    """One zone as the other nodes have it: their latest shares and the reactions they
    sent that this node has not counted yet."""

    _peers: dict[str, _Peer] = field(default_factory=dict)
    _pending: list[int] = field(default_factory=lambda: [0] * _KINDS)
    _lines: list[SharedLine] = field(default_factory=list)

    def take(self, node: str, epoch: float, tick: int, share: ZoneShare, now: float) -> bool:
        """Take in another node's share of its tick ``tick`` of run ``epoch``; False (and
        nothing changes) when that run's tick was not newer than the last one heard."""
        peer = self._peers.get(node)
        if peer is not None and peer.epoch == epoch and tick <= peer.tick:
            return False
        self._peers[node] = _Peer(epoch, tick, now, share)
        for kind, n in enumerate(share.reactions):
            self._pending[kind] += n
        # Bounded even if this node stops stepping the zone for a while.
        self._lines = [*self._lines, *share.lines][-MAX_SHARED_LINES * 4 :]
        return True

    def forget_silent(self, now: float) -> list[str]:
        """Drop the nodes not heard from for ``PEER_SILENCE_S``; returns their names."""
        silent = [n for n, p in self._peers.items() if now - p.heard_at > PEER_SILENCE_S]
        for node in silent:
            del self._peers[node]
        return silent

    def population(self) -> int:
        """Avatars of this zone on the other nodes."""
        return sum(p.share.population for p in self._peers.values())

    def performers(self) -> list[SharedPerformer]:
        """Performers on stage on the other nodes (by node name, then in their order)."""
        return [perf for _, p in sorted(self._peers.items()) for perf in p.share.performers]

    def take_reactions(self) -> tuple[int, ...]:
        """The other nodes' reactions not yet counted here; counting them empties the tally."""
        pending = tuple(self._pending)
        self._pending = [0] * _KINDS
        return pending

    def instances(self) -> list[tuple[str, int, int]]:
        """(node, instance number, avatars) of the zone's instances on the other nodes."""
        return [
            (node, number, n)
            for node, p in sorted(self._peers.items())
            for number, n in p.share.instances
        ]

    def take_lines(self) -> list[SharedLine]:
        """The other nodes' stage lines not yet relayed here; taking them empties the list."""
        lines, self._lines = self._lines, []
        return lines

    def nodes(self) -> list[str]:
        """The other nodes heard from."""
        return sorted(self._peers)

    def snapshot(self) -> dict[str, Any]:
        """Per node: its population and performers (the zone directory, tests)."""
        return {
            node: {
                "population": p.share.population,
                "performers": [perf.avatar_id for perf in p.share.performers],
            }
            for node, p in sorted(self._peers.items())
        }
