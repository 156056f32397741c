"""Movement validation: the server, not the client, decides where an avatar may be.

Clients send absolute positions. Each avatar has a movement allowance in metres that refills
at ``max_speed_mps`` and is capped at ``burst_s`` seconds of travel, a token bucket: inputs
bunched up by network jitter still land, while a speed hack (a step longer than the allowance)
is cut short at the allowance along its direction and the client is sent a correction.
Positions are also kept inside the zone bounds.

Everything is vectorised over the tick's moves; this module is the only writer of positions
from client input, of ``move_budget`` and of ``last_seq``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from world.avatars import AvatarTable

__all__ = ["Corrections", "MoveBatch", "MovementRules", "apply_moves", "refill_budgets"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class MovementRules:
    """Speed limit and jitter allowance."""

    # A brisk run; walking is about 1.4 m/s.
    max_speed_mps: float = 6.0
    # Inputs delayed or bunched by up to this much network jitter are still accepted.
    burst_s: float = 0.5
    # Float rounding on clients plus one position quantum.
    slack_m: float = 0.05

    @property
    def max_budget_m(self) -> float:
        """The most an avatar may move in one accepted step."""
        return self.max_speed_mps * self.burst_s


@dataclass(frozen=True)
class MoveBatch:
    """The tick's moves, one per avatar (the latest it sent), as parallel arrays."""

    rows: IntArray
    seq: IntArray
    position: FloatArray  # (m, 3)
    yaw: FloatArray
    anim: IntArray
    flags: IntArray


@dataclass(frozen=True)
class Corrections:
    """Moves that were cut short or ignored: rows, the input's seq, and where the avatar is."""

    rows: IntArray
    seq: IntArray
    position: FloatArray
    reasons: list[str]


def refill_budgets(table: AvatarTable, rules: MovementRules, dt: float) -> None:
    """Grow every live avatar's allowance by ``dt`` seconds of travel, up to the cap."""
    n = table.count
    budget = table.move_budget[:n]
    np.minimum(budget + np.float32(rules.max_speed_mps * dt), rules.max_budget_m, out=budget)


def apply_moves(
    table: AvatarTable,
    rules: MovementRules,
    moves: MoveBatch,
    bounds_min: FloatArray,
    bounds_max: FloatArray,
    walkable: Callable[[FloatArray], npt.NDArray[np.bool_]] | None = None,
) -> tuple[IntArray, Corrections]:
    """Apply validated moves. Returns the rows whose body state changed, and the corrections.

    A move whose seq is not newer than the last accepted one is stale (reordered or replayed)
    and ignored without a correction. With ``walkable`` (the layout's walk areas), a step
    from walkable ground onto ground that is not stays where it started, corrected; an
    avatar already off it may always walk (back).
    """
    fresh = moves.seq > table.last_seq[moves.rows]
    rows = moves.rows[fresh]
    target = moves.position[fresh]
    seq = moves.seq[fresh]
    start = table.position[rows].astype(np.float64)
    step = target - start
    distance = np.sqrt(np.einsum("ij,ij->i", step, step))
    budget = table.move_budget[rows].astype(np.float64) + rules.slack_m
    too_far = distance > budget
    scale = np.where(too_far, budget / np.maximum(distance, 1e-9), 1.0)
    allowed = start + step * scale[:, None]
    clamped = np.clip(allowed, bounds_min, bounds_max)
    outside = np.any(clamped != allowed, axis=1)
    blocked = np.zeros(len(rows), dtype=np.bool_)
    if walkable is not None and len(rows):
        blocked = ~walkable(clamped) & walkable(start)
        clamped[blocked] = start[blocked]

    table.position[rows] = clamped
    table.yaw[rows] = moves.yaw[fresh]
    table.anim[rows] = moves.anim[fresh]
    table.flags[rows] = moves.flags[fresh]
    moved = np.sqrt(np.sum((clamped - start) ** 2, axis=1))
    table.move_budget[rows] = np.maximum(table.move_budget[rows] - moved, 0.0)
    table.last_seq[rows] = seq

    corrected = too_far | outside | blocked
    reasons = [
        "not walkable" if b else "outside zone bounds" if o else "speed limit"
        for o, b in zip(outside[corrected].tolist(), blocked[corrected].tolist(), strict=True)
    ]
    return rows, Corrections(rows[corrected], seq[corrected], clamped[corrected], reasons)
