"""A node's link to the other nodes of its cluster, over NATS.

After every tick the node publishes what its city shares about its zones
(``world.zone_shares.NodeTick``: performers on stage, reactions, population) on
``TICKS_SUBJECT``; the other nodes' ticks arrive between two steps and go into the city
(``City.take_tick``), which folds them into its next step. NATS runs with ``no_echo``, so a
node never hears itself. A node that loses its link keeps ticking alone (its own instances
are whole; the crowd on other nodes fades from its stages after ``PEER_SILENCE_S``) and the
client reconnects in the background.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError

from world.city import City
from world.zone_shares import decode_node_tick, encode_node_tick

__all__ = ["NATS_CONNECT_TIMEOUT_S", "TICKS_SUBJECT", "ClusterBus", "ClusterUnavailable"]

log = logging.getLogger("plaza.cluster")

# Every node's per-tick share of its zones.
TICKS_SUBJECT = "plaza.node.ticks"
# A node starting with its NATS away waits this long, then starts alone and keeps trying.
NATS_CONNECT_TIMEOUT_S = 5.0
# Between two attempts to reach NATS again after losing it.
_RECONNECT_WAIT_S = 0.5
_NATS_PORT = 4222


class ClusterUnavailable(RuntimeError):
    """The node's NATS could not be reached at start."""


class ClusterBus:
    """Publishes this node's ticks and takes in the others' (see the module docstring)."""

    def __init__(
        self, url: str, node: str, city: City, clock: Callable[[], float] = time.time
    ) -> None:
        self.url = url
        self.node = node
        self.city = city
        self._clock = clock
        self._nc: NatsClient | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._closing = False
        # An outage is logged once, not at every attempt to reconnect.
        self._error_logged = False
        self.ticks_sent = 0
        self.ticks_taken = 0
        self.ticks_refused = 0
        self.malformed = 0

    @property
    def connected(self) -> bool:
        """Whether the link to NATS is up now."""
        return self._nc is not None and self._nc.is_connected

    async def connect(self) -> None:
        """Connect and subscribe. Raises ``ClusterUnavailable`` when NATS cannot be
        reached within ``NATS_CONNECT_TIMEOUT_S``; later losses are ridden out by
        reconnecting."""
        # The client retries for ever (right for a link lost later), also when the first
        # connection fails: so reachability is checked once, with a deadline, first.
        where = urllib.parse.urlsplit(self.url)
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(where.hostname, where.port or _NATS_PORT),
                NATS_CONNECT_TIMEOUT_S,
            )
            writer.close()
            self._nc = await asyncio.wait_for(
                nats.connect(
                    self.url,
                    name=f"plaza-node-{self.node}",
                    no_echo=True,
                    connect_timeout=NATS_CONNECT_TIMEOUT_S,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=_RECONNECT_WAIT_S,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                ),
                NATS_CONNECT_TIMEOUT_S,
            )
        except (OSError, TimeoutError, NatsError, ValueError) as exc:
            raise ClusterUnavailable(
                f"NATS at {self.url} could not be reached: {exc or type(exc).__name__}"
            ) from exc
        await self._nc.subscribe(TICKS_SUBJECT, cb=self._on_tick)
        await self._nc.flush()

    async def close(self) -> None:
        """Send what is queued, then leave."""
        self._closing = True
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        nc, self._nc = self._nc, None
        if nc is not None and not nc.is_closed:
            await nc.drain()

    def publish_tick(self) -> None:
        """Share the city's tick (call right after ``City.step``); never blocks the tick."""
        if self.publish(TICKS_SUBJECT, encode_node_tick(self.city.node_tick())):
            self.ticks_sent += 1

    def publish(self, subject: str, data: bytes) -> bool:
        """Send ``data`` to the other nodes on ``subject`` without waiting; False while the
        link is down (what is not sent then is lost: ticks are state, resent every tick)."""
        nc = self._nc
        if nc is None or not nc.is_connected:
            return False
        task = asyncio.get_running_loop().create_task(nc.publish(subject, data))
        self._sending.add(task)
        task.add_done_callback(self._sent)
        return True

    async def subscribe(self, subject: str, handler: Callable[[bytes], None]) -> None:
        """Call ``handler`` with the data of every message the other nodes send on
        ``subject`` (after ``connect``)."""
        assert self._nc is not None, "connect first"

        async def on_message(msg: Any) -> None:
            handler(msg.data)

        await self._nc.subscribe(subject, cb=on_message)
        await self._nc.flush()

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("a message to the other nodes was not sent: %s", task.exception())

    async def _on_tick(self, msg: Any) -> None:
        try:
            tick = decode_node_tick(msg.data)
        except ValueError as error:
            self.malformed += 1
            log.warning("dropped a node tick: %s", error)
            return
        if tick.node == self.node:
            return
        if self.city.take_tick(tick, self._clock()):
            self.ticks_taken += 1
        else:
            self.ticks_refused += 1

    async def _on_error(self, error: Exception) -> None:
        if not self._error_logged and not self._closing:
            self._error_logged = True
            log.warning("NATS: %s", error)

    async def _on_disconnected(self) -> None:
        if self._closing:
            return
        log.warning("lost the link to NATS at %s; ticking alone until it is back", self.url)

    async def _on_reconnected(self) -> None:
        self._error_logged = False
        log.info("back on NATS at %s", self.url)
