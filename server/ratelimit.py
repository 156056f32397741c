"""Token buckets for per-connection input limits."""

from __future__ import annotations

import time

__all__ = ["TokenBucket"]


class TokenBucket:
    """``rate`` tokens per second, holding at most ``burst``; ``take`` spends one if it can."""

    __slots__ = ("_last", "burst", "rate", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self._last = time.monotonic()

    def take(self, now: float | None = None, cost: float = 1.0) -> bool:
        """Spend ``cost`` tokens; False (nothing spent) when the bucket is short."""
        now = time.monotonic() if now is None else now
        tokens = min(self.burst, self.tokens + (now - self._last) * self.rate)
        self._last = now
        if tokens < cost:
            self.tokens = tokens
            return False
        self.tokens = tokens - cost
        return True
