"""A WebSocket session as the gateway keeps it: who it is, its avatar, its budgets and timers.

``Upgrade`` is what the HTTP upgrade established (the verified identity and the party code);
``Session`` is the connection from then on, with its input rate and abuse budgets.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from server.auth import Identity
from server.client_link import ClientLink
from server.ratelimit import TokenBucket
from server.ws_transport import WebSocketConnection

__all__ = [
    "ABUSE_BUDGET",
    "ABUSE_REFILL_PER_S",
    "INPUT_BURST",
    "INPUT_RATE_PER_S",
    "PARTY_CODE",
    "Session",
    "Upgrade",
]

# A client sends MOVE and POSE at the tick rate (20 Hz) plus an occasional PING: 60/s leaves
# headroom for a 30 Hz client, and a burst of 120 absorbs a stall on a mobile network.
INPUT_RATE_PER_S = 60.0
INPUT_BURST = 120.0
# Each refused message (over the rate, malformed) spends one unit (a malformed one five); an
# honest client with a bug spends a few, a hostile one runs dry within seconds: 1008.
ABUSE_BUDGET = 50.0
ABUSE_REFILL_PER_S = 2.0
# ?party=<code> in the WebSocket URL: friends who use the same code share an instance.
PARTY_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class Upgrade:
    """What the upgrade established: who, and the party they enter with."""

    identity: Identity
    party: str | None = None


@dataclass(eq=False)
class Session:
    """One authenticated connection and, once joined, its avatar."""

    connection: WebSocketConnection
    identity: Identity
    ticket: int
    party: str | None = None
    avatar_id: int = 0
    held_since: float | None = None
    rate: TokenBucket = field(default_factory=lambda: TokenBucket(INPUT_RATE_PER_S, INPUT_BURST))
    abuse: TokenBucket = field(
        default_factory=lambda: TokenBucket(ABUSE_REFILL_PER_S, ABUSE_BUDGET)
    )
    last_rate_error: float = 0.0
    closing: bool = False
    # Set when a newer connection of the same user took over (it keeps the avatar).
    replaced: bool = False
    # False when the avatar must leave with the connection (a ban, a shutdown).
    keep_avatar: bool = True
    # The avatar this connection is taking back, until its WELCOME.
    resuming: int = 0
    # The token-expiry warning came due before WELCOME; it is sent right after it.
    expiry_warning_due: bool = False
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    expiry: list[asyncio.TimerHandle] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def link(self) -> ClientLink:
        """Where frames go: the transport seam, as the tick sees it."""
        return self.connection
