"""VR poses through World.step: what an observer sees before and after POSE messages."""

from __future__ import annotations

import numpy as np
from plaza_client.mirror import WorldMirror

from world.avatars import AvatarDescription
from world.codec import Move, Pose, Welcome, decode_server
from world.inbox import JoinRequest
from world.protocol import AvatarFlag
from world.world import World, WorldConfig
from world.zone_layout import ZoneLayout

IDENTITY = (0.0, 0.0, 0.0, 1.0)


def _world() -> tuple[World, dict[int, WorldMirror], list[int]]:
    layout = ZoneLayout.from_dict(
        {
            "name": "t",
            "bounds": {"min": [-50, 0, -50], "max": [50, 10, 50]},
            "spawns": [{"position": [0, 0, 0]}],
        }
    )
    world = World(layout, WorldConfig(capacity=8, max_visible=4, view_radius_m=30, pose_slots=4))
    for ticket in range(2):
        world.inbox.request_join(JoinRequest(ticket, AvatarDescription(f"a{ticket}")))
    mirrors: dict[int, WorldMirror] = {}
    result = world.step(100.0)
    for _, avatar_id, welcome in result.joined:
        info = decode_server(welcome)
        assert isinstance(info, Welcome)
        mirrors[avatar_id] = WorldMirror(origin=np.asarray(info.info["zone"]["origin"]))
    for avatar_id, frame in result.frames:
        mirrors[avatar_id].apply(decode_server(bytes(frame)))  # type: ignore[arg-type]
    return world, mirrors, sorted(mirrors)


def _step(world: World, mirrors: dict[int, WorldMirror], now: float) -> None:
    for avatar_id, frame in world.step(now).frames:
        mirrors[avatar_id].apply(decode_server(bytes(frame)))  # type: ignore[arg-type]


def test_vr_avatar_without_a_pose_yet_shows_identity_rotations() -> None:
    world, mirrors, (a, b) = _world()
    row = world.table.row_of(a)
    x, y, z = (float(v) for v in world.table.position[row])
    world.inbox.push_move(a, Move(1, x, y, z, 0.0, 0, int(AvatarFlag.VR)))
    _step(world, mirrors, 100.05)
    joints = mirrors[b].by_id()[a].joints()
    assert joints is not None
    for joint in joints:
        assert joint[:3] == [0.0, 0.0, 0.0]
        assert joint[3:] == list(IDENTITY)


def test_stale_pose_is_ignored() -> None:
    world, mirrors, (a, b) = _world()
    row = world.table.row_of(a)
    x, y, z = (float(v) for v in world.table.position[row])
    world.inbox.push_move(a, Move(1, x, y, z, 0.0, 0, int(AvatarFlag.VR)))
    head = (0.0, 1.6, 0.0, *IDENTITY)
    newer = (0.25, 1.1, 0.3, *IDENTITY)
    world.inbox.push_pose(a, Pose(5, head, newer, newer))
    _step(world, mirrors, 100.05)
    seen = mirrors[b].by_id()[a].joints()
    assert seen is not None and abs(seen[1][0] - 0.25) < 1e-3
    older = (-0.25, 1.1, 0.3, *IDENTITY)
    world.inbox.push_pose(a, Pose(3, head, older, older))
    _step(world, mirrors, 100.10)
    assert mirrors[b].by_id()[a].joints() == seen
    assert world.table.last_pose_seq[world.table.row_of(a)] == 5
