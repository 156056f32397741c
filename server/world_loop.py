"""The fixed-rate tick: step the city, deliver the result, keep time.

Ticks are scheduled against an absolute timeline (start + n / rate), so small delays do not
accumulate into drift. A tick that overruns its slot is followed immediately by the next;
when the loop falls more than one slot behind, the missed slots are skipped (counted in
``plaza_tick_overruns_total``) rather than run back to back, because a burst of catch-up
ticks would only deliver stale frames faster.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from server.gateway import Gateway
from server.metrics import Registry
from world.city import City

__all__ = ["TICK_BUCKETS_S", "WorldLoop"]

log = logging.getLogger("plaza.tick")

# Fine buckets up to the 50 ms budget of a 20 Hz tick, so quantiles read from the histogram
# (as `plaza bench load` does) are within a few milliseconds.
TICK_BUCKETS_S = (
    0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.025,
    0.03, 0.035, 0.04, 0.045, 0.05, 0.06, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0,
)  # fmt: skip


class WorldLoop:
    """Runs ``City.step`` at ``tick_rate`` Hz and hands the result to the gateway."""

    def __init__(
        self,
        city: City,
        gateway: Gateway,
        metrics: Registry,
        tick_rate: float,
        after_tick: Callable[[], None] | None = None,
    ) -> None:
        self.city = city
        self.gateway = gateway
        # A node shares its tick with the others (server.cluster_bus) right after the step.
        self.after_tick = after_tick
        self.interval = 1.0 / tick_rate
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._m_tick = metrics.histogram(
            "plaza_tick_seconds", "Time to step the world and deliver frames", TICK_BUCKETS_S
        )
        self._m_step = metrics.histogram(
            "plaza_step_seconds", "Time inside City.step", TICK_BUCKETS_S
        )
        self._m_overruns = metrics.counter(
            "plaza_tick_overruns_total", "Tick slots skipped because a tick ran late"
        )
        self._m_ticks = metrics.counter("plaza_ticks_total", "Ticks run")
        avatars = metrics.gauge("plaza_avatars", "Avatars in the world")
        avatars.set_function(lambda: float(self.city.count))
        instances = metrics.gauge("plaza_zone_instances", "Zone instances open")
        instances.set_function(lambda: float(sum(len(z.instances) for z in city.zones.values())))
        counters = city.inbox.counters
        # The inbox's drop policy, visible: inputs replaced by newer ones, joins turned away.
        coalesced = metrics.gauge(
            "plaza_inbox_coalesced", "Moves and poses replaced by a newer one before a tick, so far"
        )
        coalesced.set_function(lambda: float(city.coalesced))
        refused = metrics.gauge(
            "plaza_inbox_joins_refused", "Join requests refused because the queue was full, so far"
        )
        refused.set_function(lambda: float(counters.refused))

    def start(self) -> None:
        """Start ticking in a background task."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="plaza-tick")

    async def stop(self) -> None:
        """Finish the current tick and stop."""
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        slot = 0
        while not self._stopping.is_set():
            deadline = start + slot * self.interval
            delay = deadline - loop.time()
            if delay > 0:
                try:
                    await asyncio.wait_for(self._stopping.wait(), delay)
                    break
                except TimeoutError:
                    pass
            t0 = time.perf_counter()
            try:
                self.tick_once(time.time())
            except Exception:
                # A bug in one tick must not take the world down; it is logged loudly.
                log.exception("tick %d failed", self.city.tick)
            self._m_tick.observe(time.perf_counter() - t0)
            slot += 1
            behind = int((loop.time() - start) / self.interval) - slot
            if behind > 0:
                self._m_overruns.inc(behind)
                slot += behind

    def tick_once(self, now: float) -> None:
        """One tick: hold busy clients, step, deliver."""
        self.gateway.hold_busy(now)
        result = self.city.step(now)
        self._m_step.observe(result.timings.total)
        if self.after_tick is not None:
            self.after_tick()
        self.gateway.deliver(result)
        self._m_ticks.inc()
