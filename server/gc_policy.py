"""How the process's cycle collector is set for a ticking world.

The tick allocates numpy arrays (not tracked by the cycle collector) and many short-lived
bytes, tuples and memoryviews; with CPython's defaults the young generation is collected
every 700 allocations and every so often a full collection walks every live object (every
session, every avatar description), pausing the tick. Measured with ``plaza bench tick``,
that pause is the difference between a p99 of about 70 ms and of about 110 ms at 10,000
avatars (docs/performance.md). Objects alive once the server is up are frozen out of
collections, and the young generation is collected less often.
"""

from __future__ import annotations

import gc

__all__ = ["GC_GEN0_THRESHOLD", "tune_gc"]

# Allocations between young-generation collections (CPython's default is 700).
GC_GEN0_THRESHOLD = 50_000


def tune_gc() -> None:
    """Collect what start-up left behind, freeze the survivors, raise the gen-0 threshold."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, 20, 20)
