"""``plaza bench interest``: k-d tree against a uniform spatial hash for the interest query.

The spec asks for "a spatial hash (or KD-tree where it measures faster)". This bench settles
it on one random uniform crowd (one instance): the production path
(``InterestManager.nearest`` over a ``scipy.spatial.cKDTree`` built per tick) against
``grid_nearest``, a fully vectorised numpy uniform grid, for the recompute window of one
tick (``--observers``, by default N/8). Both answer the same question: for each observer the
``k + hysteresis`` nearest other avatars on the ground plane strictly within ``radius``,
nearest first, -1 padded. The grid is exact (its neighbourhood covers the radius; nothing is
capped), which is checked on every run by comparing each observer's sorted distances.

Two grid variants: cells of ``radius`` (3x3 neighbour cells) and of ``radius / 2`` (5x5).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from world.avatars import AvatarDescription, AvatarTable
from world.interest import InterestManager

__all__ = [
    "GridIndex",
    "add_arguments",
    "build_grid",
    "grid_nearest",
    "kd_nearest",
    "query_grid",
    "report",
    "run",
    "sorted_distances",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Cells of the padded candidate matrix per chunk of observers (float64 + int64: ~32 MB).
_CHUNK_CELLS = 2_000_000
# Grid variants: cell size as a fraction of the radius.
_VARIANTS = {"grid_r": 1.0, "grid_r2": 0.5}


@dataclass(frozen=True)
class GridIndex:
    """Avatars bucketed by a uniform grid, sorted by cell id (row-major, padded by ``reach``).

    With row-major ids the ``2 * reach + 1`` neighbour cells of one grid row are contiguous
    in the sorted order, so an observer's candidates are ``2 * reach + 1`` ranges.
    """

    points: FloatArray  # (n, 2) ground-plane points, in the caller's row order
    sorted_points: FloatArray  # the same points, sorted by cell id
    order: IntArray  # sorted position -> caller's row
    cell_of: IntArray  # caller's row -> cell id
    first: IntArray  # cell id -> first sorted position (length cells + 1)
    width: int  # cells per grid row, padding included
    reach: int  # neighbour cells each side that cover the radius
    radius: float


def build_grid(points_xz: FloatArray, radius: float, cell: float) -> GridIndex:
    """Bucket ``points_xz`` (n, 2) into square cells of side ``cell``."""
    if radius <= 0 or cell <= 0:
        raise ValueError("radius and cell must be positive")
    points = np.ascontiguousarray(points_xz, dtype=np.float64)
    reach = max(1, math.ceil(radius / cell))
    n = points.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return GridIndex(points, points, empty, empty, np.zeros(1, np.int64), 1, reach, radius)
    ij = np.floor((points - points.min(axis=0)) / cell).astype(np.int64)
    width = int(ij[:, 0].max()) + 1 + 2 * reach
    height = int(ij[:, 1].max()) + 1 + 2 * reach
    cell_of = (ij[:, 1] + reach) * width + (ij[:, 0] + reach)
    order = np.argsort(cell_of, kind="stable")
    first = np.zeros(width * height + 1, dtype=np.int64)
    np.cumsum(np.bincount(cell_of, minlength=width * height), out=first[1:])
    return GridIndex(points, points[order], order, cell_of, first, width, reach, float(radius))


def query_grid(grid: GridIndex, rows: IntArray, count: int) -> tuple[IntArray, IntArray]:
    """For each observer row, up to ``count`` nearest other rows strictly within the radius,
    nearest first, -1 padded; also the number of candidates each observer examined."""
    rows = np.asarray(rows, dtype=np.int64)
    s = rows.size
    out = np.full((s, count), -1, dtype=np.int64)
    if s == 0 or grid.points.shape[0] < 2:
        return out, np.zeros(s, dtype=np.int64)
    reach = grid.reach
    row_step = np.arange(-reach, reach + 1, dtype=np.int64) * grid.width
    base = grid.cell_of[rows][:, None] + row_step
    starts = grid.first[base - reach]
    lengths = grid.first[base + reach + 1] - starts
    totals = lengths.sum(axis=1)
    chunk = max(1, _CHUNK_CELLS // max(1, int(totals.max())))
    for c0 in range(0, s, chunk):
        c1 = min(s, c0 + chunk)
        out[c0:c1] = _query_chunk(grid, rows[c0:c1], starts[c0:c1], lengths[c0:c1], count)
    return out, totals


def _query_chunk(
    grid: GridIndex, rows: IntArray, starts: IntArray, lengths: IntArray, count: int
) -> IntArray:
    s = rows.size
    out = np.full((s, count), -1, dtype=np.int64)
    # Concatenate every (observer, grid row) range: flat sorted positions, observer index.
    span = lengths.ravel()
    total = int(span.sum())
    flat = np.arange(total, dtype=np.int64) - np.repeat(
        np.cumsum(span) - span - starts.ravel(), span
    )
    obs = np.repeat(np.arange(s, dtype=np.int64), lengths.sum(axis=1))
    diff = grid.sorted_points[flat] - grid.points[rows][obs]
    d2 = np.einsum("ij,ij->i", diff, diff)
    cand = grid.order[flat]
    keep = (d2 < grid.radius * grid.radius) & (cand != rows[obs])
    # Pack the survivors into a padded (observer, column) matrix; obs stays sorted.
    obs, d2, cand = obs[keep], d2[keep], cand[keep]
    kept = np.bincount(obs, minlength=s)
    width = int(kept.max()) if kept.size else 0
    if width == 0:
        return out
    col = np.arange(obs.size, dtype=np.int64) - np.repeat(np.cumsum(kept) - kept, kept)
    dist = np.full((s, width), np.inf)
    who = np.full((s, width), -1, dtype=np.int64)
    dist[obs, col] = d2
    who[obs, col] = cand
    if width > count:
        part = np.argpartition(dist, count - 1, axis=1)[:, :count]
        dist = np.take_along_axis(dist, part, axis=1)
        who = np.take_along_axis(who, part, axis=1)
    by = np.argsort(dist, axis=1, kind="stable")
    out[:, : by.shape[1]] = np.take_along_axis(who, by, axis=1)
    return out


def grid_nearest(
    points_xz: FloatArray, rows: IntArray, count: int, radius: float, cell: float
) -> IntArray:
    """Exact k-nearest query over a uniform grid: for each observer row, the rows of up to
    ``count`` nearest other points strictly within ``radius``, nearest first, -1 padded."""
    return query_grid(build_grid(points_xz, radius, cell), rows, count)[0]


def kd_nearest(
    table: AvatarTable, manager: InterestManager, rows: IntArray, count: int
) -> IntArray:
    """The production path: build the tree like ``world.interest`` does, then ``nearest``."""
    n = table.count
    points = np.empty((n, 2), dtype=np.float64)
    points[:, 0] = table.position[:n, 0]
    points[:, 1] = table.position[:n, 2]
    tree = cKDTree(points, balanced_tree=False, compact_nodes=False)
    return manager.nearest(table, rows, count, (tree, points))


def sorted_distances(points: FloatArray, rows: IntArray, result: IntArray) -> FloatArray:
    """Each observer's distances to its result rows, ascending, inf for empty columns."""
    d = np.linalg.norm(points[np.maximum(result, 0)] - points[rows][:, None, :], axis=2)
    return np.sort(np.where(result >= 0, d, np.inf), axis=1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``plaza bench interest``."""
    parser.add_argument("--avatars", type=int, default=10_000)
    parser.add_argument(
        "--density", type=float, default=0.05, help="avatars per square metre of the crowd"
    )
    parser.add_argument("--k", type=int, default=50, help="max visible avatars per observer")
    parser.add_argument("--hysteresis", type=int, default=10, help="extra candidates queried")
    parser.add_argument("--radius", type=float, default=60.0, help="view radius, metres")
    parser.add_argument(
        "--observers", type=int, default=None, help="observers per query (default N/8)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--seed", type=int, default=1)


def _median_ms(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    result = fn()  # warm-up, and the result checked for exactness
    times = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
    finally:
        gc.enable()
    return float(np.median(times)), result


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Time the k-d tree and both grid variants on one crowd; return the figures."""
    n = args.avatars
    side = math.sqrt(n / args.density)
    rng = np.random.default_rng(args.seed)
    count = args.k + args.hysteresis
    table = AvatarTable(n)
    desc = AvatarDescription("bot")
    for _ in range(n):
        table.add(desc, (0.0, 0.0, 0.0))
    table.position[:n, 0] = rng.uniform(-side / 2, side / 2, n)
    table.position[:n, 2] = rng.uniform(-side / 2, side / 2, n)
    points = table.position[:n][:, [0, 2]].astype(np.float64)
    manager = InterestManager(n, k=args.k, radius=args.radius, hysteresis=args.hysteresis)
    observers = args.observers if args.observers is not None else -(-n // 8)
    rows = np.arange(min(observers, n), dtype=np.int64)

    kd_ms, kd_out = _median_ms(lambda: kd_nearest(table, manager, rows, count), args.repeats)
    kd_dist = sorted_distances(points, rows, kd_out)
    figures: dict[str, Any] = {
        "bench": "interest",
        "avatars": n,
        "density_per_m2": args.density,
        "side_m": round(side, 1),
        "radius_m": args.radius,
        "count": count,
        "observers": int(rows.size),
        "repeats": args.repeats,
        "found_mean": round(float((kd_out >= 0).sum(axis=1).mean()), 1),
        "kd_ms": round(kd_ms, 3),
        "variants": {},
    }
    for name, fraction in _VARIANTS.items():
        cell = args.radius * fraction
        build_ms, grid = _median_ms(partial(build_grid, points, args.radius, cell), args.repeats)

        def build_and_query(cell: float = cell) -> tuple[Any, Any]:
            return query_grid(build_grid(points, args.radius, cell), rows, count)

        total_ms, (out, cands) = _median_ms(build_and_query, args.repeats)
        exact = bool(np.allclose(sorted_distances(points, rows, out), kd_dist))
        figures["variants"][name] = {
            "cell_m": cell,
            "neighbour_cells": (2 * grid.reach + 1) ** 2,
            "grid_ms": round(total_ms, 3),
            "grid_build_ms": round(build_ms, 3),
            "candidates_mean": round(float(cands.mean()), 1),
            "candidates_max": int(cands.max()) if cands.size else 0,
            "kd_over_grid": round(kd_ms / total_ms, 2),
            "exact": exact,
        }
    figures["exact"] = all(v["exact"] for v in figures["variants"].values())
    figures["machine"] = f"{platform.machine()} {platform.processor() or ''}".strip()
    figures["python"] = platform.python_version()
    return figures


def report(figures: dict[str, Any]) -> None:
    """Human-readable lines, then the JSON object as the last line."""
    print(
        f"interest bench: {figures['avatars']} avatars, {figures['density_per_m2']}/m² "
        f"(side {figures['side_m']} m), radius {figures['radius_m']} m, "
        f"{figures['count']} nearest for {figures['observers']} observers "
        f"({figures['found_mean']} found on average)"
    )
    print(f"  k-d tree build + query {figures['kd_ms']} ms")
    for name, v in figures["variants"].items():
        print(
            f"  {name} (cell {v['cell_m']} m, {v['neighbour_cells']} cells): "
            f"{v['grid_ms']} ms (build {v['grid_build_ms']} ms), "
            f"{v['candidates_mean']} candidates per observer, "
            f"tree/grid time {v['kd_over_grid']}, exact {v['exact']}"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(_parser)
    report(run(_parser.parse_args()))
