"""The per-tick inbox: everything clients asked for since the last tick, bounded.

The gateway pushes decoded messages here as they arrive; ``World.step`` drains it once per
tick. The drop policy is explicit and counted:

* moves and poses are *coalesced*: an avatar's newer input replaces the older one, since
  only the latest position matters to the next tick (``coalesced`` counts replacements);
* join requests wait in a bounded queue and at most ``MAX_JOINS_PER_TICK`` are admitted per
  tick, so a stampede of newcomers is spread over ticks; past ``MAX_PENDING_JOINS`` the
  request is refused at once (``request_join`` returns False) and counted in ``refused``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from world.avatars import AvatarDescription
from world.codec import Move, Pose
from world.members import Member

__all__ = [
    "MAX_JOINS_PER_TICK",
    "MAX_PENDING_JOINS",
    "Inbox",
    "InboxCounters",
    "JoinRequest",
    "ResumeRequest",
]

# Each newcomer costs an immediate interest query; 64 per tick is 1,280 joins a second at 20 Hz.
MAX_JOINS_PER_TICK = 64
# About three seconds of joins at full admission rate; beyond that, say "busy" straight away.
MAX_PENDING_JOINS = 4096


@dataclass(frozen=True)
class JoinRequest:
    """A connection asking for an avatar. ``ticket`` is the gateway's name for the connection.

    ``place`` (x, y, z, yaw in zone coordinates) is where the user last stood, if known: the
    avatar starts there (clamped to the zone) instead of at a spawn point. ``zone`` names
    the zone of that place; a city starts the avatar in its entrance zone without one.
    ``member`` is the user as zones and chat see them (a standalone world ignores it).
    """

    ticket: int
    description: AvatarDescription
    place: tuple[float, float, float, float] | None = None
    zone: str | None = None
    member: Member | None = None


@dataclass(frozen=True)
class ResumeRequest:
    """A reconnected client taking back an avatar that is still in the world."""

    ticket: int
    avatar_id: int


@dataclass
class InboxCounters:
    """Running totals of the drop policy, exported as metrics (accepted inputs are counted by
    the gateway, per kind)."""

    coalesced: int = 0
    refused: int = 0


@dataclass
class Inbox:
    """Inputs collected between two ticks."""

    moves: dict[int, Move] = field(default_factory=dict)
    poses: dict[int, tuple[float, ...]] = field(default_factory=dict)
    joins: deque[JoinRequest] = field(default_factory=deque)
    leaves: list[int] = field(default_factory=list)
    resumes: list[ResumeRequest] = field(default_factory=list)
    held: set[int] = field(default_factory=set)
    counters: InboxCounters = field(default_factory=InboxCounters)

    def push_move(self, avatar_id: int, move: Move) -> None:
        """Queue a move; a newer one from the same avatar replaces it."""
        moves = self.moves
        if avatar_id in moves:
            self.counters.coalesced += 1
        moves[avatar_id] = move

    def push_pose(self, avatar_id: int, pose: Pose) -> None:
        """Queue a VR pose; a newer one from the same avatar replaces it."""
        if avatar_id in self.poses:
            self.counters.coalesced += 1
        self.poses[avatar_id] = (pose.seq, *pose.head, *pose.left, *pose.right)

    def request_join(self, request: JoinRequest) -> bool:
        """Queue a join; False (and counted) when the queue is full."""
        if len(self.joins) >= MAX_PENDING_JOINS:
            self.counters.refused += 1
            return False
        self.joins.append(request)
        return True

    def request_resume(self, request: ResumeRequest) -> None:
        """Hand a live avatar to a new connection at the next tick (one per connection, so
        bounded by the connection limit)."""
        self.resumes.append(request)

    def request_leave(self, avatar_id: int) -> None:
        """Remove the avatar at the next tick."""
        self.leaves.append(avatar_id)

    def cancel_join(self, ticket: int) -> None:
        """Forget a join whose connection went away before it was admitted."""
        self.joins = deque(j for j in self.joins if j.ticket != ticket)

    def hold(self, avatar_id: int) -> None:
        """Skip this avatar's frame at the next tick: its connection is still busy."""
        self.held.add(avatar_id)
