"""ALERT (75): an emergency alert, shown by clients above everything else and read out.

``[75, {id, title, body, image, locale, sent_at}]``: the texts are already in the reader's
language (``locale`` says which); ``image`` is a path served by Plaza, an https URL or null.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgpack

from world.protocol import Opcode

__all__ = ["Alert", "decode_alert", "encode_alert"]


@dataclass(frozen=True)
class Alert:
    """An emergency alert as one reader got it (client side of ALERT)."""

    info: dict[str, Any]


def encode_alert(alert: Mapping[str, Any]) -> bytes:
    """Encode one reader's alert."""
    data: bytes = msgpack.packb([int(Opcode.ALERT), dict(alert)], use_bin_type=True)
    return data


def decode_alert(msg: list[Any]) -> Alert:
    """ALERT from its decoded array; ``ValueError`` when it is not one."""
    if len(msg) != 2 or not isinstance(msg[1], dict):
        raise ValueError("an ALERT is [75, {id, title, body, image, locale, sent_at}]")
    return Alert(dict(msg[1]))
