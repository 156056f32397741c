"""The plaza.v1 codec: exact bytes, round trips, and every way ``decode_client`` refuses input."""

from __future__ import annotations

import math

import msgpack
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from world.codec import (
    Correction,
    ErrorMessage,
    Moderate,
    Move,
    Ping,
    Pong,
    Pose,
    ProtocolError,
    Renew,
    Result,
    TokenExpiring,
    Welcome,
    WorldFrame,
    decode_client,
    decode_server,
    encode_client,
    encode_correction,
    encode_error,
    encode_pong,
    encode_result,
    encode_token_expiring,
    encode_welcome,
)
from world.deltas import encode_world_frame
from world.protocol import (
    FLAG_MASK_CLIENT,
    MAX_CLIENT_FRAME_BYTES,
    MAX_POSE_REACH_M,
    MAX_REASON_CHARS,
    MAX_STRING_BYTES,
    MAX_TOKEN_FIELD_BYTES,
    AvatarFlag,
    ErrorCode,
    Opcode,
)

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

U32 = 0xFFFFFFFF
IDENTITY = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)


def pack(obj: object) -> bytes:
    data: bytes = msgpack.packb(obj, use_bin_type=True)
    return data


def move_list(**overrides: object) -> list[object]:
    """A valid MOVE as a raw msgpack list, with some fields replaced."""
    fields: dict[str, object] = {
        "seq": 1,
        "x": 1.0,
        "y": 0.0,
        "z": 2.0,
        "yaw": 0.5,
        "anim": 0,
        "flags": 0,
    }
    fields.update(overrides)
    return [int(Opcode.MOVE), *fields.values()]


def pose_list(**overrides: object) -> list[object]:
    fields: dict[str, object] = {
        "seq": 1,
        "head": list(IDENTITY),
        "left": list(IDENTITY),
        "right": list(IDENTITY),
    }
    fields.update(overrides)
    return [int(Opcode.POSE), *fields.values()]


def refused(data: bytes | str, code: ErrorCode) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        decode_client(data)
    assert info.value.code == code, info.value.reason
    return info.value


# --------------------------------------------------------------------------- byte fixtures


def test_move_bytes() -> None:
    data = encode_client(Move(seq=7, x=1.5, y=0.0, z=-2.25, yaw=0.5, anim=3, flags=1))
    assert data == bytes.fromhex(
        "98"  # fixarray of 8
        "01"  # opcode MOVE
        "07"  # seq
        "cb3ff8000000000000"  # x = 1.5 (float 64)
        "cb0000000000000000"  # y = 0.0
        "cbc002000000000000"  # z = -2.25
        "cb3fe0000000000000"  # yaw = 0.5
        "03"  # anim
        "01"  # flags (VR)
    )


def test_move_bytes_large_seq() -> None:
    data = encode_client(Move(seq=U32, x=0.0, y=0.0, z=0.0, yaw=0.0, anim=255, flags=15))
    assert data == bytes.fromhex(
        "9801ceffffffffcb0000000000000000cb0000000000000000cb0000000000000000"
        "cb0000000000000000ccff0f"
    )


def test_ping_bytes() -> None:
    assert encode_client(Ping(1234.5)) == bytes.fromhex("9203cb40934a0000000000")


def test_pose_bytes() -> None:
    pose = Pose(1, (0, 0, 0, 0, 0, 0, 1), (0.5, 0, 0, 0, 0, 0, 1), (0, 0, 0, 1, 0, 0, 0))
    assert encode_client(pose) == bytes.fromhex(
        "95"
        "02"
        "01"
        "9700000000000001"  # head: ints pack as positive fixints
        "97cb3fe0000000000000000000000001"
        "9700000001000000"
    )


def test_pong_bytes() -> None:
    assert encode_pong(1.0, 2.5) == bytes.fromhex("9343cb3ff0000000000000cb4004000000000000")


def test_error_bytes() -> None:
    assert encode_error(ErrorCode.BAD_FIELD, "bad", 1) == bytes.fromhex("944403a362616401")
    # No opcode: nil.
    assert encode_error(ErrorCode.MALFORMED, "x") == bytes.fromhex("944401a178c0")


def test_correction_bytes() -> None:
    assert encode_correction(5, (1.0, 0.0, -1.0), "speed limit") == bytes.fromhex(
        "96"
        "42"  # CORRECTION
        "05"
        "cb3ff0000000000000"
        "cb0000000000000000"
        "cbbff0000000000000"
        "ab7370656564206c696d6974"  # fixstr "speed limit"
    )


def test_world_frame_bytes() -> None:
    frame = encode_world_frame(9, 100.0, [2], [[1, 5, {"name": "a"}]], b"\x01" * 10, b"")
    assert frame == bytes.fromhex(
        "97"  # fixarray of 7
        "41"  # WORLD
        "09"  # tick
        "cb4059000000000000"  # server time 100.0
        "9102"  # leaves [2]
        "91930105"  # enters: [[1, 5, ...
        "81a46e616d65a161"  # ... {"name": "a"}]]
        "c40a01010101010101010101"  # body: bin 8 of 10 bytes
        "c400"  # poses: empty bin 8
    )


def test_world_frame_empty_bytes() -> None:
    frame = encode_world_frame(1, 0.5, [], [], b"", memoryview(b""))
    assert frame == bytes.fromhex("974101cb3fe00000000000009090c400c400")


def test_welcome_bytes() -> None:
    assert encode_welcome({"a": 1}) == bytes.fromhex("924081a16101")


# --------------------------------------------------------------------------- server decoding


def test_decode_server_messages() -> None:
    assert decode_server(encode_pong(1.0, 2.5)) == Pong(1.0, 2.5)
    assert decode_server(encode_error(ErrorCode.BAD_FIELD, "bad", 1)) == ErrorMessage(3, "bad", 1)
    assert decode_server(encode_correction(5, (1.0, 0.0, -1.0), "speed limit")) == Correction(
        5, 1.0, 0.0, -1.0, "speed limit"
    )
    assert decode_server(encode_welcome({"a": 1})) == Welcome({"a": 1})
    frame = encode_world_frame(9, 100.0, [2], [[1, 5, {"name": "a"}]], b"\x01" * 10, b"")
    assert decode_server(frame) == WorldFrame(
        9, 100.0, [2], [[1, 5, {"name": "a"}]], b"\x01" * 10, b""
    )


def test_decode_server_refuses_malformed() -> None:
    with pytest.raises(ProtocolError) as info:
        decode_server(pack([int(Opcode.WORLD), 1]))
    assert info.value.code == ErrorCode.MALFORMED
    with pytest.raises(ProtocolError) as info:
        decode_server(pack([int(Opcode.MOVE), 1]))
    assert info.value.code == ErrorCode.UNKNOWN_OPCODE


# --------------------------------------------------------------------------- round trips

coord = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
moves = st.builds(
    Move,
    seq=st.integers(0, U32),
    x=coord,
    y=coord,
    z=coord,
    yaw=st.floats(min_value=-1e3, max_value=1e3, allow_nan=False),
    anim=st.integers(0, 255),
    flags=st.integers(0, FLAG_MASK_CLIENT),
)
offset = st.floats(min_value=-MAX_POSE_REACH_M, max_value=MAX_POSE_REACH_M, allow_nan=False)
# Quaternions whose norm is exactly 1.0 in floating point, so normalising leaves them unchanged.
exact_unit_quats = st.one_of(
    st.sampled_from(
        [
            tuple(float(sign) if i == axis else 0.0 for i in range(4))
            for axis in range(4)
            for sign in (1, -1)
        ]
    ),
    st.tuples(*[st.sampled_from([0.5, -0.5])] * 4),
)


@st.composite
def joints(draw: st.DrawFn) -> tuple[float, ...]:
    xyz = draw(st.tuples(offset, offset, offset))
    # The reach limit is a distance from the avatar's root, not a per-axis bound.
    assume(sum(v * v for v in xyz) ** 0.5 <= MAX_POSE_REACH_M)
    return (*xyz, *draw(exact_unit_quats))


poses = st.builds(Pose, seq=st.integers(0, U32), head=joints(), left=joints(), right=joints())
pings = st.builds(
    Ping, st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False)
)


@FAST
@given(moves)
def test_move_round_trip(message: Move) -> None:
    decoded = decode_client(encode_client(message))
    assert isinstance(decoded, Move)
    assert decoded == message


@FAST
@given(poses)
def test_pose_round_trip(message: Pose) -> None:
    decoded = decode_client(encode_client(message))
    assert isinstance(decoded, Pose)
    assert decoded == message


@FAST
@given(pings)
def test_ping_round_trip(message: Ping) -> None:
    decoded = decode_client(encode_client(message))
    assert decoded == message


@FAST
@given(
    st.lists(
        st.floats(min_value=-2.0, max_value=2.0, allow_nan=False), min_size=4, max_size=4
    ).filter(lambda q: 0.5 <= math.sqrt(sum(c * c for c in q)) <= 1.5)
)
def test_pose_quaternion_is_normalised(quat: list[float]) -> None:
    raw = pose_list(head=[0.1, 0.2, 0.3, *quat])
    decoded = decode_client(pack(raw))
    assert isinstance(decoded, Pose)
    assert decoded.head[:3] == (0.1, 0.2, 0.3)
    assert math.isclose(math.sqrt(sum(c * c for c in decoded.head[3:])), 1.0, rel_tol=1e-9)
    norm = math.sqrt(sum(c * c for c in quat))
    for got, want in zip(decoded.head[3:], quat, strict=True):
        assert math.isclose(got, want / norm, rel_tol=1e-12, abs_tol=1e-15)


def test_decode_accepts_bytearray_and_memoryview() -> None:
    data = encode_client(Ping(2.0))
    assert decode_client(bytearray(data)) == Ping(2.0)
    assert decode_client(memoryview(data)) == Ping(2.0)


def test_integer_fields_accept_ints_for_reals() -> None:
    assert decode_client(pack(move_list(x=3, y=-4, z=0, yaw=1))) == Move(
        1, 3.0, -4.0, 0.0, 1.0, 0, 0
    )
    assert decode_client(pack([3, 7])) == Ping(7.0)


def test_limits_are_inclusive() -> None:
    assert decode_client(pack(move_list(seq=U32, x=1e6, z=-1e6, yaw=-1e3, anim=255))) == Move(
        U32, 1e6, 0.0, -1e6, -1e3, 255, 0
    )
    pose = decode_client(pack(pose_list(left=[0, -MAX_POSE_REACH_M, 0, 0, 0, 0, 1])))
    assert isinstance(pose, Pose)
    assert pose.left[:3] == (0.0, -MAX_POSE_REACH_M, 0.0)
    assert decode_client(pack([3, 1e15])) == Ping(1e15)


def test_all_client_flags_accepted() -> None:
    for flag in AvatarFlag:
        assert isinstance(decode_client(pack(move_list(flags=int(flag)))), Move)
    assert decode_client(pack(move_list(flags=FLAG_MASK_CLIENT))).flags == FLAG_MASK_CLIENT


# --------------------------------------------------------------------------- refusals


def test_text_frame_refused() -> None:
    error = refused("[3, 1.0]", ErrorCode.MALFORMED)
    assert "text" in error.reason


def test_frame_over_limit_refused() -> None:
    error = refused(b"\x00" * (MAX_CLIENT_FRAME_BYTES + 1), ErrorCode.MALFORMED)
    assert str(MAX_CLIENT_FRAME_BYTES) in error.reason
    # At the limit the size check passes and the next check (trailing bytes) speaks instead.
    error = refused(b"\x00" * MAX_CLIENT_FRAME_BYTES, ErrorCode.MALFORMED)
    assert "trailing" in error.reason


def test_oversized_valid_message_refused_by_size() -> None:
    data = encode_client(Ping(1.0))
    error = refused(data + b"\x00" * (MAX_CLIENT_FRAME_BYTES + 1 - len(data)), ErrorCode.MALFORMED)
    assert "exceeds" in error.reason


@pytest.mark.parametrize(
    "data",
    [
        b"",  # nothing at all
        b"\xc1",  # the one byte msgpack never uses
        b"\x98\x01",  # truncated array
        b"\x92\x03\xcb\x40",  # truncated float
        b"\x91" * 3000 + b"\x00",  # nesting deeper than the unpacker's stack
        b"\xd4\x05\x00",  # fixext: extension types are not allowed
        b"\xc7\x00\xff",  # zero-length ext
        b"\x81\x01\x02",  # map with an integer key
    ],
)
def test_not_msgpack_refused(data: bytes) -> None:
    refused(data, ErrorCode.MALFORMED)


def test_trailing_bytes_refused() -> None:
    error = refused(encode_client(Ping(1.0)) + b"\x00", ErrorCode.MALFORMED)
    assert "trailing" in error.reason
    refused(encode_client(Ping(1.0)) * 2, ErrorCode.MALFORMED)


@pytest.mark.parametrize("obj", [3, 1.5, "move", b"\x01", None, True, {"op": 1}])
def test_not_an_array_refused(obj: object) -> None:
    error = refused(pack(obj), ErrorCode.MALFORMED)
    assert "array" in error.reason


def test_empty_array_refused() -> None:
    refused(b"\x90", ErrorCode.MALFORMED)


@pytest.mark.parametrize("opcode", [1.0, "1", b"\x01", None, [1], {"a": 1}])
def test_non_int_opcode_refused(opcode: object) -> None:
    error = refused(pack([opcode, 1.0]), ErrorCode.MALFORMED)
    assert "opcode" in error.reason


@pytest.mark.parametrize("opcode", [True, False])
def test_bool_opcode_refused(opcode: bool) -> None:
    # True == 1 == MOVE in Python; msgpack's true is not an integer.
    refused(pack([opcode, *move_list()[1:]]), ErrorCode.MALFORMED)


@pytest.mark.parametrize(
    "opcode",
    [0, 11, 63, int(Opcode.WELCOME), int(Opcode.WORLD), int(Opcode.PONG), 255, -1, 2**64 - 1],
)
def test_unknown_opcode_refused(opcode: int) -> None:
    error = refused(pack([opcode, 1.0]), ErrorCode.UNKNOWN_OPCODE)
    assert error.opcode == opcode


@pytest.mark.parametrize(
    "raw",
    [
        move_list()[:-1],
        [*move_list(), 0],
        [int(Opcode.MOVE)],
        pose_list()[:-1],
        [*pose_list(), list(IDENTITY)],
        [int(Opcode.PING)],
        [int(Opcode.PING), 1.0, 2.0],
    ],
)
def test_wrong_arity_refused(raw: list[object]) -> None:
    error = refused(pack(raw), ErrorCode.MALFORMED)
    assert error.opcode == raw[0]


@pytest.mark.parametrize("seq", [U32 + 1, 2**64 - 1, -1, -(2**63), True, False, 1.0, "1", None])
@pytest.mark.parametrize("kind", ["move", "pose"])
def test_bad_seq_refused(seq: object, kind: str) -> None:
    raw = move_list(seq=seq) if kind == "move" else pose_list(seq=seq)
    error = refused(pack(raw), ErrorCode.BAD_FIELD)
    assert error.opcode == raw[0]


@pytest.mark.parametrize("field", ["x", "y", "z", "yaw"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_move_refused(field: str, value: float) -> None:
    refused(pack(move_list(**{field: value})), ErrorCode.BAD_FIELD)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e15 * 1.0001, "1.0", None])
def test_bad_ping_time_refused(value: object) -> None:
    refused(pack([int(Opcode.PING), value]), ErrorCode.BAD_FIELD)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("x", 1e6 + 1),
        ("y", -1e6 - 1),
        ("z", 2**63),
        ("x", -(2**63)),
        ("yaw", 1000.5),
        ("yaw", -1e4),
        ("x", "1.0"),
        ("y", None),
        ("z", True),
        ("x", [1.0]),
    ],
)
def test_bad_coordinate_refused(field: str, value: object) -> None:
    refused(pack(move_list(**{field: value})), ErrorCode.BAD_FIELD)


@pytest.mark.parametrize("flags", [16, 32, 64, 128, 0x10 | int(AvatarFlag.VR), 255])
def test_server_flag_bits_refused(flags: int) -> None:
    error = refused(pack(move_list(flags=flags)), ErrorCode.BAD_FIELD)
    assert "flags" in error.reason


@pytest.mark.parametrize("flags", [256, -1, 1.0, True])
def test_flags_out_of_range_refused(flags: object) -> None:
    refused(pack(move_list(flags=flags)), ErrorCode.BAD_FIELD)


@pytest.mark.parametrize("anim", [256, 1000, -1, 1.0, True, None])
def test_bad_anim_refused(anim: object) -> None:
    refused(pack(move_list(anim=anim)), ErrorCode.BAD_FIELD)


@pytest.mark.parametrize("joint", ["head", "left", "right"])
@pytest.mark.parametrize(
    "offset",
    [
        [MAX_POSE_REACH_M + 0.001, 0, 0],
        [0, -MAX_POSE_REACH_M - 0.001, 0],
        [0, 0, 100.0],
        [math.nan, 0, 0],
        [0, math.inf, 0],
    ],
)
def test_pose_offset_beyond_reach_refused(joint: str, offset: list[float]) -> None:
    refused(pack(pose_list(**{joint: [*offset, 0, 0, 0, 1]})), ErrorCode.BAD_FIELD)


@pytest.mark.parametrize("joint", ["head", "left", "right"])
@pytest.mark.parametrize(
    "quat",
    [
        [0, 0, 0, 0],
        [0, 0, 0, 0.4],
        [0.2, 0.2, 0.2, 0.2],  # norm 0.4
        [0, 0, 0, 1.6],
        [1.2, 1.0, 0, 0.5],  # norm about 1.64, every component within 2
        [0, 0, 0, 3.0],  # a component past 2
        [math.nan, 0, 0, 1],
        [0, 0, math.inf, 1],
    ],
)
def test_non_unit_quaternion_refused(joint: str, quat: list[float]) -> None:
    refused(pack(pose_list(**{joint: [0, 0, 0, *quat]})), ErrorCode.BAD_FIELD)


def test_nearly_unit_quaternions_accepted() -> None:
    for quat in ([0, 0, 0, 0.5], [0, 0, 0, 1.5], [1.0, 1.0, 0, 0.5]):
        pose = decode_client(pack(pose_list(right=[0, 0, 0, *quat])))
        assert isinstance(pose, Pose)
        assert math.isclose(math.hypot(*pose.right[3:]), 1.0)


@pytest.mark.parametrize("joint_value", [[0, 0, 0, 0, 0, 1], [*IDENTITY, 0], 1.0, None, "head"])
def test_malformed_joint_refused(joint_value: object) -> None:
    refused(pack(pose_list(left=joint_value)), ErrorCode.MALFORMED)


def test_over_long_string_refused() -> None:
    # The unpacker stops any string past the longest field (a RENEW's token); within that,
    # each text field has its own limit.
    token = "x" * MAX_TOKEN_FIELD_BYTES
    assert decode_client(pack([int(Opcode.RENEW), token])) == Renew(token)
    error = refused(pack([int(Opcode.RENEW), token + "x"]), ErrorCode.MALFORMED)
    assert "max_str_len" in error.reason
    refused(pack([int(Opcode.PING), "x" * MAX_STRING_BYTES]), ErrorCode.BAD_FIELD)
    reason = "x" * (MAX_REASON_CHARS + 1)
    error = refused(
        pack([int(Opcode.MODERATE), "r1", "ban", {"avatar": 5, "reason": reason}]),
        ErrorCode.BAD_FIELD,
    )
    assert "reason longer than" in error.reason


def test_over_long_bin_refused() -> None:
    error = refused(pack([int(Opcode.PING), b"x" * (MAX_STRING_BYTES + 1)]), ErrorCode.MALFORMED)
    assert "max_bin_len" in error.reason


def test_too_long_array_refused() -> None:
    # 16 elements is within the unpacker limit (then wrong arity); 17 is not msgpack we accept.
    error = refused(pack([int(Opcode.PING), *[0] * 15]), ErrorCode.MALFORMED)
    assert "expected" in error.reason
    error = refused(pack([int(Opcode.PING), *[0] * 16]), ErrorCode.MALFORMED)
    assert "max_array_len" in error.reason
    error = refused(pack(pose_list(head=[0.0] * 17)), ErrorCode.MALFORMED)
    assert "max_array_len" in error.reason


def test_too_long_map_refused() -> None:
    error = refused(pack([int(Opcode.PING), {str(i): i for i in range(17)}]), ErrorCode.MALFORMED)
    assert "max_map_len" in error.reason


# --------------------------------------------------------------------------- fuzzing

msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda children: (
        st.lists(children, max_size=9) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=30,
)


def nearly_valid() -> st.SearchStrategy[list[object]]:
    """Messages with a real opcode and arbitrary fields, to get past the first checks."""
    return st.builds(
        lambda op, rest: [op, *rest],
        st.sampled_from([1, 2, 3]),
        st.lists(msgpack_values, max_size=8),
    )


def decodes_or_refuses(data: bytes) -> None:
    try:
        message = decode_client(data)
    except ProtocolError as error:
        assert isinstance(error.code, ErrorCode)
        assert error.reason
    else:
        assert isinstance(message, Move | Pose | Ping)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_refuse(data: bytes) -> None:
    decodes_or_refuses(data)


@settings(max_examples=100, deadline=None)
@given(st.one_of(msgpack_values, nearly_valid()))
def test_arbitrary_msgpack_decodes_or_refuses(obj: object) -> None:
    decodes_or_refuses(pack(obj))


@settings(max_examples=60, deadline=None)
@given(st.one_of(moves, poses, pings), st.data())
def test_corrupted_valid_frames_decode_or_refuse(
    message: Move | Pose | Ping, data: st.DataObject
) -> None:
    frame = bytearray(encode_client(message))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(frame) - 1))
        frame[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(frame)))
    decodes_or_refuses(bytes(frame[:cut]))
    decodes_or_refuses(bytes(frame))


def test_pose_offset_length_beyond_reach_refused() -> None:
    # Every component is within 2.5 m, but the hand is 3.5 m from the avatar's root.
    refused(pack(pose_list(right=[2.0, 2.0, 2.0, 0, 0, 0, 1])), ErrorCode.BAD_FIELD)


@pytest.mark.parametrize(
    "message",
    [
        Renew("eyJhbGciOiJFUzI1NiJ9.e30.sig"),
        Moderate("req-1", "ban", avatar=7, reason="spam", minutes=60),
        Moderate("req-2", "mute", subject="guest:abc", reason="shouting"),
        Moderate("req-3", "lift", sanction=12),
    ],
)
def test_renew_and_moderate_round_trip(message: Renew | Moderate) -> None:
    assert decode_client(encode_client(message)) == message


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ([int(Opcode.RENEW), ""], "token must be"),
        ([int(Opcode.RENEW), 5], "token must be"),
        ([int(Opcode.RENEW), "tök"], "ASCII"),
        ([int(Opcode.MODERATE), "", "ban", {"avatar": 1, "reason": "x"}], "request_id"),
        ([int(Opcode.MODERATE), "r", "kick", {"avatar": 1, "reason": "x"}], "action must be"),
        ([int(Opcode.MODERATE), "r", "ban", [1]], "args must be a map"),
        ([int(Opcode.MODERATE), "r", "ban", {"avatar": 1, "reason": "x", "x": 1}], "unknown args"),
        ([int(Opcode.MODERATE), "r", "ban", {"reason": "x"}], "exactly one of"),
        (
            [int(Opcode.MODERATE), "r", "ban", {"avatar": 1, "subject": "s", "reason": "x"}],
            "exactly",
        ),
        ([int(Opcode.MODERATE), "r", "ban", {"avatar": 1}], "reason must be"),
        ([int(Opcode.MODERATE), "r", "ban", {"avatar": -1, "reason": "x"}], "avatar must be"),
        ([int(Opcode.MODERATE), "r", "lift", {}], "args.sanction"),
    ],
)
def test_bad_renew_and_moderate_refused(raw: list[object], needle: str) -> None:
    error = refused(pack(raw), ErrorCode.BAD_FIELD)
    assert needle in error.reason


def test_token_expiring_and_result_decode() -> None:
    assert decode_server(encode_token_expiring(1_800_000_000)) == TokenExpiring(1.8e9)
    ok = decode_server(encode_result("req-1", True, {"id": 3}))
    assert ok == Result("req-1", True, {"id": 3})
    refused_result = decode_server(encode_result("req-2", False, "needs the moderator role"))
    assert refused_result == Result("req-2", False, "needs the moderator role")
