"""The grid kNN of the interest bench must give the k-d tree's answer exactly."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from server.bench.interest import (
    add_arguments,
    grid_nearest,
    kd_nearest,
    run,
    sorted_distances,
)
from world.avatars import AvatarDescription, AvatarTable
from world.interest import InterestManager

RADIUS = 15.0
K = 8


def _crowd() -> tuple[AvatarTable, np.ndarray]:
    rng = np.random.default_rng(7)
    n = 300
    pts = rng.uniform(-60.0, 60.0, (n, 2))
    pts[1] = pts[0]  # two avatars on the same spot
    pts[2] = pts[0]  # and a third
    pts[3] = (500.0, 500.0)  # nobody within the radius
    pts[4:10] = pts[10]  # a pile of ties
    table = AvatarTable(n)
    for x, z in pts:
        table.add(AvatarDescription("a"), (x, 0.0, z))
    points = table.position[:n][:, [0, 2]].astype(np.float64)
    return table, points


@pytest.mark.parametrize("cell", [RADIUS, RADIUS / 2])
def test_grid_matches_kd_tree(cell: float) -> None:
    table, points = _crowd()
    rows = np.arange(table.count, dtype=np.int64)
    manager = InterestManager(table.count, k=K, radius=RADIUS, hysteresis=0)
    kd = kd_nearest(table, manager, rows, K)
    grid = grid_nearest(points, rows, K, RADIUS, cell)
    assert grid.shape == kd.shape == (table.count, K)
    assert not (grid == rows[:, None]).any()
    assert np.array_equal(grid >= 0, kd >= 0)
    np.testing.assert_allclose(
        sorted_distances(points, rows, grid), sorted_distances(points, rows, kd)
    )
    # Nearest first.
    d = np.linalg.norm(points[np.maximum(grid, 0)] - points[:, None, :], axis=2)
    d = np.where(grid >= 0, d, 1e9)
    assert (np.diff(d, axis=1) >= 0).all()
    # The lonely avatar sees nobody; the co-located ones see each other at distance 0.
    assert (grid[3] == -1).all()
    assert {1, 2} <= set(grid[0].tolist())


def test_run_reports_exact() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--avatars", "400", "--k", "8", "--radius", "15", "--repeats", "1"])
    figures = run(args)
    assert figures["exact"] is True
    assert set(figures["variants"]) == {"grid_r", "grid_r2"}
