"""The world step: one tick of the simulation, pure and synchronous.

``World.step(now)`` drains the inbox and runs, in order: leaves, join attempts and joins,
movement validation, pose updates, requantisation (bumping versions where the wire bytes
changed), interest (departures pruned, then the amortised recompute, then every view
resolved to table rows) and delta encoding. It returns a
``StepResult``: per-client frames and direct messages for the server to send. It never
awaits and never touches a socket; the server owns time and I/O and passes ``now`` in.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from world.avatar_ids import IdSpace
from world.avatars import AvatarDescription, AvatarTable
from world.codec import encode_correction, encode_welcome
from world.deltas import DeltaEncoder, Frames
from world.inbox import MAX_JOINS_PER_TICK, Inbox, JoinRequest, ResumeRequest
from world.interest import InterestEvents, InterestManager
from world.movement import MoveBatch, MovementRules, apply_moves, refill_budgets
from world.protocol import (
    MAX_CLIENT_FRAME_BYTES,
    MAX_NAME_CHARS,
    MAX_POSE_REACH_M,
    POSITION_QUANTUM_M,
    SUBPROTOCOL,
)
from world.quantize import POSE_JOINTS, quantize_body, quantize_pose
from world.zone_layout import ZoneLayout

__all__ = ["StepResult", "StepTimings", "World", "WorldConfig"]

IntArray = npt.NDArray[np.int64]

# A tick that arrives after a long pause (a suspended laptop, a debugger) must not hand out
# seconds of movement allowance at once.
_MAX_DT_S = 0.25
# Newcomers appear in a small ring around a spawn point rather than on top of each other.
_SPAWN_SPREAD_M = 3.0


@dataclass(frozen=True)
class WorldConfig:
    """Tunable parameters of one world (one zone instance)."""

    capacity: int = 20_000
    tick_rate: float = 20.0
    max_visible: int = 50
    view_radius_m: float = 60.0
    recompute_period: int = 8
    # Extra neighbours an already visible avatar may fall behind before it leaves the view.
    hysteresis: int = 10
    near_slots: int = 16
    far_interval: int = 2
    pose_slots: int = 8
    movement: MovementRules = field(default_factory=MovementRules)
    seed: int = 0


@dataclass
class StepTimings:
    """Seconds spent in each phase of the last step."""

    inputs: float = 0.0
    interest: float = 0.0
    encode: float = 0.0
    total: float = 0.0


@dataclass
class StepResult:
    """What one tick produced, for the server to carry out."""

    tick: int
    server_time: float
    frames: Frames
    messages: list[tuple[int, bytes]]
    joined: list[tuple[int, int, bytes]]
    refused: list[tuple[int, str]]
    events: int
    timings: StepTimings


class World:
    """One zone's simulation: avatar table, interest, movement and delta encoding."""

    def __init__(
        self, layout: ZoneLayout, config: WorldConfig | None = None, ids: IdSpace | None = None
    ) -> None:
        self.layout = layout
        self.config = config or WorldConfig()
        c = self.config
        self.table = AvatarTable(c.capacity, ids)
        self.interest = InterestManager(
            c.capacity, c.max_visible, c.view_radius_m, c.recompute_period, c.hysteresis
        )
        self.encoder = DeltaEncoder(
            c.capacity, c.max_visible, c.near_slots, c.far_interval, c.pose_slots
        )
        self.inbox = Inbox()
        self.tick = 0
        self._last_time: float | None = None
        self._bounds_min = np.asarray(layout.bounds_min, dtype=np.float64)
        self._bounds_max = np.asarray(layout.bounds_max, dtype=np.float64)
        self._origin = layout.origin
        self._rng = np.random.default_rng(c.seed)
        self._spawn_cursor = 0

    def step(self, now: float, tick: int | None = None) -> StepResult:
        """Advance one tick at server time ``now`` (seconds since the Unix epoch). A city
        passes its own ``tick`` so every instance numbers frames alike."""
        t0 = time.perf_counter()
        self.tick = self.tick + 1 if tick is None else tick
        dt = 0.0 if self._last_time is None else min(max(now - self._last_time, 0.0), _MAX_DT_S)
        self._last_time = now
        inbox = self.inbox
        table = self.table

        for avatar_id in inbox.leaves:
            self._remove(avatar_id)
        inbox.leaves.clear()
        joined, refused = self._admit(now)
        if inbox.resumes:
            self._resume(inbox.resumes, now, joined, refused)
            inbox.resumes.clear()

        refill_budgets(table, self.config.movement, dt)
        messages = self._apply_moves()
        self._apply_poses()
        t1 = time.perf_counter()

        departed = self.interest.prune_departed(table)
        recomputed = self.interest.recompute(table, self.interest.due_rows(table))
        events = InterestEvents.concat([departed, recomputed])
        visible_rows = self.interest.visible_rows(table)
        t2 = time.perf_counter()

        held = np.zeros(table.capacity, dtype=np.bool_)
        if inbox.held:
            rows = table.rows_of(np.fromiter(inbox.held, dtype=np.int64, count=len(inbox.held)))
            held[table.handles[rows[rows >= 0]]] = True
            inbox.held.clear()
        frames = self.encoder.encode(
            self.tick, now, table, self.interest, visible_rows, events, held
        )
        t3 = time.perf_counter()
        timings = StepTimings(t1 - t0, t2 - t1, t3 - t2, t3 - t0)
        return StepResult(self.tick, now, frames, messages, joined, refused, events.count, timings)

    def welcome_info(self, avatar_id: int, now: float, resumed: bool = False) -> dict[str, Any]:
        """The WELCOME map for an avatar: its id and place, and the world's wire parameters."""
        row = self.table.row_of(avatar_id)
        c = self.config
        return {
            "protocol": SUBPROTOCOL,
            "avatar_id": avatar_id,
            "resumed": resumed,
            "position": [float(v) for v in self.table.position[row]],
            "yaw": float(self.table.yaw[row]),
            "server_time": now,
            "tick": self.tick,
            "tick_rate": c.tick_rate,
            "zone": self.layout.to_wire(),
            "quantum": POSITION_QUANTUM_M,
            "max_visible": c.max_visible,
            "view_radius": c.view_radius_m,
            "limits": {
                "max_frame_bytes": MAX_CLIENT_FRAME_BYTES,
                "max_name_chars": MAX_NAME_CHARS,
                "max_speed_mps": c.movement.max_speed_mps,
                "max_pose_reach_m": MAX_POSE_REACH_M,
            },
        }

    def _remove(self, avatar_id: int) -> None:
        handle = self.table.handle_of(avatar_id)
        if handle < 0:
            return
        self.table.remove(avatar_id)
        self.interest.forget(handle)
        self.encoder.reset(handle)

    def _admit(self, now: float) -> tuple[list[tuple[int, int, bytes]], list[tuple[int, str]]]:
        joined: list[tuple[int, int, bytes]] = []
        refused: list[tuple[int, str]] = []
        joins = self.inbox.joins
        admitted: list[int] = []
        tickets: list[int] = []
        for _ in range(min(len(joins), MAX_JOINS_PER_TICK)):
            request = joins.popleft()
            reason = self._join_refusal(request)
            if reason is not None:
                refused.append((request.ticket, reason))
                continue
            position, yaw = self.start_position(request.place)
            tickets.append(request.ticket)
            admitted.append(self._place(request.description, position, yaw, 0))
        if admitted:
            # Rows do not move within this loop (no removals), so one requantise serves all.
            rows = self.table.rows_of(np.asarray(admitted, dtype=np.int64))
            self._requantize(rows)
            self._requantize_poses(rows)
        for ticket, avatar_id in zip(tickets, admitted, strict=True):
            joined.append((ticket, avatar_id, encode_welcome(self.welcome_info(avatar_id, now))))
        return joined, refused

    def add_avatar(
        self,
        description: AvatarDescription,
        position: npt.ArrayLike,
        yaw: float,
        avatar_id: int = 0,
        instance: int = 0,
    ) -> int:
        """Place an avatar now (outside the join queue; a city moving it between instances
        uses this). With a shared id space ``avatar_id`` is the id it keeps; ``instance`` is
        the zone instance it joins when the world holds several (interest keeps them apart)."""
        avatar_id = self._place(description, position, yaw, avatar_id)
        rows = self.table.rows_of(np.asarray([avatar_id], dtype=np.int64))
        self.table.instance[rows] = instance
        self._requantize(rows)
        self._requantize_poses(rows)
        return avatar_id

    def remove_avatar(self, avatar_id: int) -> bool:
        """Take an avatar out now; False if it is not here."""
        if self.table.row_of(avatar_id) < 0:
            return False
        self._remove(avatar_id)
        return True

    def teleport(
        self, avatar_id: int, position: npt.ArrayLike, yaw: float | None = None
    ) -> bytes | None:
        """Move an avatar at once; returns the CORRECTION its client must get (None if the
        avatar is not here). The position is clamped to the zone."""
        table = self.table
        row = table.row_of(avatar_id)
        if row < 0:
            return None
        target = np.clip(np.asarray(position, dtype=np.float64), self._bounds_min, self._bounds_max)
        table.position[row] = target
        if yaw is not None:
            table.yaw[row] = yaw
        self._requantize(np.asarray([row], dtype=np.int64))
        x, y, z = (float(v) for v in table.position[row])
        return encode_correction(int(max(table.last_seq[row], 0)), (x, y, z), "teleport")

    def _place(
        self, description: AvatarDescription, position: npt.ArrayLike, yaw: float, avatar_id: int
    ) -> int:
        avatar_id = self.table.add(description, position, yaw, avatar_id)
        row = self.table.row_of(avatar_id)
        self.table.move_budget[row] = self.config.movement.max_budget_m
        handle = int(self.table.handles[row])
        self.interest.reset(handle)
        self.encoder.reset(handle)
        return avatar_id

    def _join_refusal(self, request: JoinRequest) -> str | None:
        """The join attempt: None to allow, or the reason for refusing."""
        if self.table.full:
            return "the world is full; try again shortly"
        return None

    def _resume(
        self,
        requests: list[ResumeRequest],
        now: float,
        joined: list[tuple[int, int, bytes]],
        refused: list[tuple[int, str]],
    ) -> None:
        """Give live avatars to new connections: same id, same place, a fresh view.

        The new client knows nothing yet, so its view and "last sent" state start empty
        (it gets enters for everyone it sees), and its MOVE and POSE sequence numbers may
        start again from zero.
        """
        for request in requests:
            if not self.refresh_view(request.avatar_id):
                refused.append((request.ticket, "the avatar to resume has left; join again"))
                continue
            welcome = encode_welcome(self.welcome_info(request.avatar_id, now, resumed=True))
            joined.append((request.ticket, request.avatar_id, welcome))

    def refresh_view(self, avatar_id: int) -> bool:
        """Start the avatar's view afresh for a new connection (or a client that dropped
        its state): it gets enters for everyone it sees, and its MOVE and POSE sequence
        numbers may start again from zero. False if the avatar is not here."""
        table = self.table
        row = table.row_of(avatar_id)
        if row < 0:
            return False
        handle = int(table.handles[row])
        self.interest.reset(handle)
        self.encoder.reset(handle)
        table.last_seq[row] = -1
        table.last_pose_seq[row] = -1
        return True

    def start_position(
        self, place: tuple[float, float, float, float] | None
    ) -> tuple[npt.NDArray[np.float64], float]:
        """Where a newcomer starts: ``place`` (x, y, z, yaw) clamped to the zone, or a spawn
        point (in turn, with a little spread) when there is none or it is not finite."""
        if place is None:
            return self._spawn_position()
        x, y, z, yaw = place
        position = np.asarray([x, y, z], dtype=np.float64)
        if not np.all(np.isfinite(position)) or not math.isfinite(yaw):
            return self._spawn_position()
        return np.clip(position, self._bounds_min, self._bounds_max), yaw

    def _spawn_position(self) -> tuple[npt.NDArray[np.float64], float]:
        spawns = self.layout.spawns
        spawn = spawns[self._spawn_cursor % len(spawns)]
        self._spawn_cursor += 1
        angle = self._rng.uniform(0.0, 2.0 * math.pi)
        radius = self._rng.uniform(0.0, _SPAWN_SPREAD_M)
        offset = np.array([math.cos(angle) * radius, 0.0, math.sin(angle) * radius])
        position = np.clip(np.asarray(spawn.position) + offset, self._bounds_min, self._bounds_max)
        return position, spawn.yaw

    def _apply_moves(self) -> list[tuple[int, bytes]]:
        moves = self.inbox.moves
        if not moves:
            return []
        table = self.table
        ids = np.fromiter(moves.keys(), dtype=np.int64, count=len(moves))
        # Moves are flat tuples of 7 numbers; one pass over them is the cheapest conversion.
        values = np.fromiter(
            itertools.chain.from_iterable(moves.values()), np.float64, count=7 * len(moves)
        ).reshape(-1, 7)
        moves.clear()
        rows = table.rows_of(ids)
        live = rows >= 0
        values = values[live]
        batch = MoveBatch(
            rows=rows[live],
            seq=values[:, 0].astype(np.int64),
            position=values[:, 1:4],
            yaw=values[:, 4],
            anim=values[:, 5].astype(np.int64),
            flags=values[:, 6].astype(np.int64),
        )
        walkable = self.layout.walkable_mask if self.layout.walkable else None
        changed, corrections = apply_moves(
            table, self.config.movement, batch, self._bounds_min, self._bounds_max, walkable
        )
        self._requantize(changed)
        out: list[tuple[int, bytes]] = []
        for row, seq, pos, reason in zip(
            corrections.rows.tolist(),
            corrections.seq.tolist(),
            corrections.position.tolist(),
            corrections.reasons,
            strict=True,
        ):
            out.append((int(table.ids[row]), encode_correction(seq, tuple(pos), reason)))
        return out

    def _apply_poses(self) -> None:
        poses = self.inbox.poses
        if not poses:
            return
        table = self.table
        ids = np.fromiter(poses.keys(), dtype=np.int64, count=len(poses))
        values = np.array(list(poses.values()), dtype=np.float64)
        poses.clear()
        rows = table.rows_of(ids)
        seq = values[:, 0].astype(np.int64)
        # Stale (reordered or replayed) poses are ignored, as stale moves are.
        keep = rows >= 0
        keep[keep] = seq[keep] > table.last_pose_seq[rows[keep]]
        rows, values = rows[keep], values[keep]
        table.last_pose_seq[rows] = seq[keep]
        table.pose[rows] = values[:, 1:].reshape(-1, POSE_JOINTS, 7)
        self._requantize_poses(rows)

    def _requantize_poses(self, rows: IntArray) -> None:
        """Refresh the pose wire bytes of ``rows`` and bump the pose version where they changed."""
        table = self.table
        packed = quantize_pose(table.pose[rows])
        differs = np.any(packed != table.pose_rows[rows, 1:], axis=1)
        table.pose_rows[rows, 1:] = packed
        table.pose_version[rows[differs]] += 1

    def _requantize(self, rows: IntArray) -> None:
        """Refresh the wire bytes of ``rows`` and bump the version where they changed."""
        if rows.size == 0:
            return
        table = self.table
        packed = quantize_body(
            table.position[rows], table.yaw[rows], table.anim[rows], table.flags[rows], self._origin
        )
        differs = np.any(packed != table.body_rows[rows, 1:], axis=1)
        table.body_rows[rows, 1:] = packed
        table.version[rows[differs]] += 1
