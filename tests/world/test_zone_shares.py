"""What nodes share about their zones: the bytes, and how another node's shares merge."""

from __future__ import annotations

import msgpack
import pytest

from world.zone_shares import (
    MAX_NODE_TICK_BYTES,
    PEER_SILENCE_S,
    NodeTick,
    SharedLine,
    SharedPerformer,
    ZonePeers,
    ZoneShare,
    decode_node_tick,
    encode_node_tick,
)

SINGER = SharedPerformer(4097, "singer", "performer", b"\x93\xcd\x10\x01\xc4\x00\xc0")


def test_a_node_tick_survives_the_bus_byte_for_byte() -> None:
    tick = NodeTick(
        "node-1",
        1_700_000_000.5,
        42,
        (
            ZoneShare(
                "festival",
                400,
                (3, 0, 7),
                (SINGER,),
                (SharedLine(12, 4097, "oidc:singer", "singer", "함께 불러요!", 1_700_000_000.25),),
                ((1, 398), (2, 2)),
            ),
            ZoneShare("seoul_plaza", 12),
        ),
    )
    data = encode_node_tick(tick)
    assert decode_node_tick(data) == tick
    assert encode_node_tick(decode_node_tick(data)) == data


@pytest.mark.parametrize(
    "data",
    [
        b"\xc1",
        msgpack.packb(["n", 1.0, 1]),
        msgpack.packb(["n", 1.0, 1, [["festival", 3, [1, 2], [], []]]]),
        msgpack.packb(["n", 1.0, 1, [["festival", -1, [0, 0, 0], [], []]]]),
        msgpack.packb(["n", 1.0, 1, [["festival", 3, [0, -2, 0], [], []]]]),
        msgpack.packb(["n", 1.0, 1, [["festival", 3, [0, 0, 0], [[1, "a"]], []]]]),
        msgpack.packb(["n", 1.0, 1, [["festival", 3, [0, 0, 0], [], [[1, 2, "s"]], []]]]),
        msgpack.packb(["n", 1.0, 1, [["festival", 3, [0, 0, 0], [], [], [[0, 3]]]]]),
        b"\x90" + b"\x00" * MAX_NODE_TICK_BYTES,
    ],
)
def test_a_malformed_node_tick_is_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(ValueError, match="node tick"):
        decode_node_tick(data)


def test_state_is_the_latest_share_and_reactions_count_once() -> None:
    peers = ZonePeers()
    assert peers.take("a", 1.0, 1, ZoneShare("festival", 100, (1, 2, 3), (SINGER,)), now=10.0)
    assert peers.take("b", 2.0, 7, ZoneShare("festival", 50, (0, 0, 1)), now=10.0)
    assert peers.population() == 150
    assert peers.performers() == [SINGER]
    # A replayed or older tick of the same run changes nothing.
    assert not peers.take("a", 1.0, 1, ZoneShare("festival", 999, (9, 9, 9)), now=10.01)
    assert not peers.take("a", 1.0, 0, ZoneShare("festival", 999, (9, 9, 9)), now=10.01)
    assert peers.take("a", 1.0, 2, ZoneShare("festival", 120, (1, 0, 0)), now=10.05)
    assert peers.population() == 170
    assert peers.performers() == []  # the singer stepped off
    assert peers.take_reactions() == (2, 2, 4)
    assert peers.take_reactions() == (0, 0, 0)
    # A restarted node starts its ticks again from zero: a new run is taken at once.
    assert peers.take("a", 5.0, 1, ZoneShare("festival", 10, (0, 1, 0)), now=10.1)
    assert peers.population() == 60
    assert peers.take_reactions() == (0, 1, 0)


def test_a_silent_node_is_dropped_with_its_crowd_and_performers() -> None:
    peers = ZonePeers()
    peers.take("a", 1.0, 1, ZoneShare("festival", 100, (0, 0, 0), (SINGER,)), now=10.0)
    peers.take("b", 1.0, 1, ZoneShare("festival", 50), now=10.0 + PEER_SILENCE_S)
    assert peers.forget_silent(10.0 + PEER_SILENCE_S) == []
    assert peers.forget_silent(10.0 + PEER_SILENCE_S + 0.01) == ["a"]
    assert peers.nodes() == ["b"]
    assert peers.population() == 50
    assert peers.performers() == []
