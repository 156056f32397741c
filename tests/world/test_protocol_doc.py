"""docs/protocol.md's worked example must stay true: rebuild it and compare the bytes."""

from __future__ import annotations

import math
import pathlib

from world.avatars import AvatarDescription
from world.codec import Move, Pose, encode_client
from world.inbox import JoinRequest
from world.world import World, WorldConfig
from world.zone_layout import ZoneLayout

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def _hex_block_after(text: str, marker: str) -> bytes:
    block = text[text.index(marker) :]
    block = block[block.index("```") + 3 :]
    block = block[: block.index("```")]
    return bytes.fromhex("".join("".join(line.split()[1:]) for line in block.strip().splitlines()))


def test_worked_example_frame_matches_the_code() -> None:
    layout = ZoneLayout.from_dict(
        {
            "name": "demo",
            "title": {"en": "Demo"},
            "bounds": {"min": [-50.0, -5.0, -50.0], "max": [50.0, 20.0, 50.0]},
            "spawns": [
                {"position": [1.0, 0.0, 2.0]},
                {"position": [2.5, 0.0, 2.0]},
                {"position": [0.0, 0.0, 6.0]},
            ],
        }
    )
    world = World(layout, WorldConfig(capacity=16))
    world.inbox.request_join(JoinRequest(1, AvatarDescription("Ara", {}, "guest")))
    world.inbox.request_join(JoinRequest(2, AvatarDescription("Bo", {}, "staff")))
    ara, bo = (a for _, a, _ in world.step(1767193200.0).joined)
    assert (ara, bo) == (16, 17)
    bo_move = Move(1, 2.5, 0.0, 2.0, math.pi / 2, 1, 1)
    world.inbox.push_move(ara, Move(1, 1.0, 0.0, 2.0, 0.0, 0, 0))
    world.inbox.push_move(bo, bo_move)
    identity = (0.0, 0.0, 0.0, 1.0)
    world.inbox.push_pose(
        bo,
        Pose(
            1, (0.0, 1.6, 0.0, *identity), (-0.3, 1.2, 0.2, *identity), (0.3, 1.2, 0.2, *identity)
        ),
    )
    world.inbox.request_join(JoinRequest(3, AvatarDescription("Cy", {}, "guest")))
    result = world.step(1767193200.05)
    (cy,) = (a for _, a, _ in result.joined)
    frame = bytes(dict(result.frames)[cy])

    text = DOC.read_text(encoding="utf-8")
    assert frame == _hex_block_after(text, "Cy's WORLD frame for tick 2")
    move_block = text[text.index("Bo's MOVE on the wire") :]
    move_block = move_block[move_block.index("```") + 3 :]
    move_block = move_block[: move_block.index("```")]
    documented = bytes.fromhex(
        "".join(
            "".join(
                t for t in line.split() if len(t) == 2 and all(c in "0123456789abcdef" for c in t)
            )
            for line in move_block.strip().splitlines()
        )
    )
    assert encode_client(bo_move) == documented
