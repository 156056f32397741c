"""The post-upgrade frame parser, fed bytes and read back: messages, replies, closes."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.ws_frames import (
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_PROTOCOL_ERROR,
    FrameParser,
    encode_close,
    encode_frame,
)


def client_frame(
    opcode: int, payload: bytes, *, fin: bool = True, mask: bytes | None = None
) -> bytes:
    """A masked client frame, built independently of the parser."""
    mask = os.urandom(4) if mask is None else mask
    first = (0x80 if fin else 0) | opcode
    size = len(payload)
    if size < 126:
        head = bytes((first, 0x80 | size))
    elif size < 65536:
        head = bytes((first, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((first, 0x80 | 127)) + size.to_bytes(8, "big")
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


def test_rfc_example_masked_hello() -> None:
    # RFC 6455 section 5.7: a single-frame masked text message containing "Hello".
    parser = FrameParser(4096)
    messages = parser.feed(bytes.fromhex("818537fa213d7f9f4d5158"))
    assert [m.data for m in messages] == ["Hello"]
    assert parser.outgoing == [] and not parser.done


def test_server_frames_match_rfc_examples() -> None:
    # RFC 6455 section 5.7: unmasked "Hello" is 0x81 0x05 "Hello"; binary uses 0x82.
    assert encode_frame(0x1, b"Hello") == bytes.fromhex("810548656c6c6f")
    assert encode_frame(0x2, b"\x01\x02") == bytes.fromhex("82020102")
    assert encode_frame(0x2, bytes(256))[:4] == bytes.fromhex("827e0100")
    assert encode_frame(0x2, bytes(70000))[:10] == bytes.fromhex("827f0000000000011170")
    assert encode_close(1001, "bye") == bytes.fromhex("880503e9627965")


def test_a_long_close_reason_is_cut_on_a_character_boundary() -> None:
    # 3-byte Hangul syllables: 123 bytes would end inside the 42nd one.
    frame = encode_close(4003, "차단" * 40)
    payload = frame[2:]
    assert len(payload) <= 125
    reason = payload[2:].decode("utf-8")  # valid UTF-8, or this raises
    assert reason == ("차단" * 40)[:41]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=6), st.integers(1, 50))
def test_messages_survive_any_split(payloads: list[bytes], chunk: int) -> None:
    stream = b"".join(client_frame(0x2, p) for p in payloads)
    parser = FrameParser(4096)
    got = []
    for i in range(0, len(stream), chunk):
        got += [m.data for m in parser.feed(stream[i : i + chunk])]
    assert got == payloads
    assert not parser.done


def test_fragmented_message_with_a_ping_in_between() -> None:
    parser = FrameParser(4096)
    stream = (
        client_frame(0x2, b"abc", fin=False)
        + client_frame(0x9, b"are you there")
        + client_frame(0x0, b"def", fin=False)
        + client_frame(0x0, b"g")
    )
    assert [m.data for m in parser.feed(stream)] == [b"abcdefg"]
    assert parser.outgoing == [encode_frame(0xA, b"are you there")]


def test_text_is_decoded_and_bad_utf8_closes_1007() -> None:
    parser = FrameParser(4096)
    assert [m.data for m in parser.feed(client_frame(0x1, "서울광장".encode()))] == ["서울광장"]
    parser.feed(client_frame(0x1, b"\xff\xfe"))
    assert parser.done and parser.close_code == 1007


def test_peer_close_is_echoed_and_ends_the_stream() -> None:
    parser = FrameParser(4096)
    parser.feed(client_frame(0x8, (1000).to_bytes(2, "big") + b"done") + client_frame(0x2, b"late"))
    assert parser.done and parser.close_code == 1000 and parser.close_reason == "done"
    assert parser.outgoing == [encode_close(1000, "")]
    assert parser.feed(client_frame(0x2, b"after")) == []


def test_our_close_is_not_answered_twice() -> None:
    parser = FrameParser(4096)
    parser.start_close(1001, "server shutting down")
    assert parser.outgoing == [encode_close(1001, "server shutting down")]
    parser.outgoing.clear()
    parser.feed(client_frame(0x8, (1001).to_bytes(2, "big")))
    assert parser.done and parser.outgoing == []


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (bytes((0x82, 0x03)) + b"abc", CLOSE_PROTOCOL_ERROR),  # unmasked
        (bytes((0xC2, 0x80)) + bytes(4), CLOSE_PROTOCOL_ERROR),  # reserved bit
        (client_frame(0x3, b"x"), CLOSE_PROTOCOL_ERROR),  # unknown opcode
        (client_frame(0x9, b"x", fin=False), CLOSE_PROTOCOL_ERROR),  # fragmented control
        (client_frame(0x9, bytes(126)), CLOSE_PROTOCOL_ERROR),  # long control frame
        (client_frame(0x0, b"x"), CLOSE_PROTOCOL_ERROR),  # continuation out of nowhere
        (client_frame(0x8, b"\x03"), CLOSE_PROTOCOL_ERROR),  # one-byte close payload
        (client_frame(0x8, (1005).to_bytes(2, "big")), CLOSE_PROTOCOL_ERROR),  # reserved code
        (client_frame(0x2, bytes(4097)), CLOSE_MESSAGE_TOO_BIG),
    ],
)
def test_protocol_violations_close_with_the_right_code(frame: bytes, code: int) -> None:
    parser = FrameParser(4096)
    assert parser.feed(frame) == []
    assert parser.done and parser.close_code == code
    assert parser.outgoing[0][0] == 0x88
    assert int.from_bytes(parser.outgoing[0][2:4], "big") == code


def test_too_big_is_refused_from_the_header_before_the_payload_arrives() -> None:
    parser = FrameParser(4096)
    header_only = client_frame(0x2, bytes(10_000))[:8]
    parser.feed(header_only)
    assert parser.done and parser.close_code == CLOSE_MESSAGE_TOO_BIG


def test_fragments_adding_up_past_the_limit_close_1009() -> None:
    parser = FrameParser(100)
    parser.feed(client_frame(0x2, bytes(60), fin=False))
    assert not parser.done
    parser.feed(client_frame(0x0, bytes(60)))
    assert parser.done and parser.close_code == CLOSE_MESSAGE_TOO_BIG


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    parser = FrameParser(4096)
    for message in parser.feed(data):
        assert isinstance(message.data, bytes | str)
