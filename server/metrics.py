"""A tiny Prometheus metrics registry rendering text exposition format 0.0.4.

Updates (``inc``/``set``/``observe``) run on the simulation tick, so they only touch
numbers in dicts; every string is built in ``Registry.render()`` at scrape time.
Not thread-safe: update and render from the event-loop thread.
"""

from __future__ import annotations

import logging
import math
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import ClassVar, TypeVar

__all__ = ["CONTENT_TYPE", "Counter", "Gauge", "Histogram", "Registry"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

logger = logging.getLogger("plaza.metrics")

_METRIC_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

LabelKey = tuple[str, ...]


class _Metric:
    """Shared naming, label validation and HELP/TYPE rendering."""

    kind: ClassVar[str]

    def __init__(self, name: str, help: str, labels: tuple[str, ...]) -> None:
        if not _METRIC_NAME_RE.fullmatch(name):
            raise ValueError(f"invalid metric name: {name!r}")
        for label in labels:
            # Names starting with "__" are reserved for Prometheus itself.
            if not _LABEL_NAME_RE.fullmatch(label) or label.startswith("__"):
                raise ValueError(f"invalid label name for {name}: {label!r}")
        if len(set(labels)) != len(labels):
            raise ValueError(f"duplicate label names for {name}: {labels!r}")
        self.name = name
        self.help = help
        self.labels = labels

    def _key(self, labels: dict[str, str]) -> LabelKey:
        """Order label values by declaration; ValueError unless names match exactly."""
        # Equal length plus every declared name present implies the same name set,
        # which avoids building a set on every hot-path call.
        if len(labels) != len(self.labels):
            raise ValueError(f"{self.name} expects labels {self.labels!r}, got {tuple(labels)!r}")
        if not labels:
            return ()
        try:
            return tuple(labels[name] for name in self.labels)
        except KeyError:
            raise ValueError(
                f"{self.name} expects labels {self.labels!r}, got {tuple(labels)!r}"
            ) from None

    def render(self) -> str:
        """Render HELP, TYPE and all samples of this metric."""
        header = f"# HELP {self.name} {_escape_help(self.help)}\n# TYPE {self.name} {self.kind}\n"
        return header + "".join(self._samples())

    def _samples(self) -> Iterator[str]:
        raise NotImplementedError


class _Scalar(_Metric):
    """A metric holding one number per label set (counter or gauge)."""

    def __init__(self, name: str, help: str, labels: tuple[str, ...]) -> None:
        super().__init__(name, help, labels)
        # Unlabelled metrics are exported as 0 from the start, so the series exists
        # before the first event (absent series make rate() and alerts misbehave).
        self._values: dict[LabelKey, float] = {} if labels else {(): 0.0}

    def _samples(self) -> Iterator[str]:
        # Copy so that rendering from a callback cannot trip over concurrent inserts.
        for key, value in list(self._values.items()):
            yield f"{self.name}{_labels(self.labels, key)} {_format_value(value)}\n"


class Counter(_Scalar):
    """A monotonically increasing count."""

    kind = "counter"

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        """Add ``amount`` (must be >= 0) to the series selected by ``labels``."""
        # "not >=" also rejects NaN, which would poison the counter for good.
        if not amount >= 0:
            raise ValueError(f"counter {self.name} cannot decrease (amount={amount!r})")
        key = self._key(labels)
        self._values[key] = self._values.get(key, 0.0) + amount


class Gauge(_Scalar):
    """A value that can go up and down, or be read from a callback at render time."""

    kind = "gauge"

    def __init__(self, name: str, help: str, labels: tuple[str, ...]) -> None:
        """Create the gauge; use ``Registry.gauge`` rather than calling this directly."""
        super().__init__(name, help, labels)
        self._function: Callable[[], float] | None = None

    def set(self, value: float, **labels: str) -> None:
        """Set the series selected by ``labels`` to ``value``."""
        self._check_not_function()
        self._values[self._key(labels)] = value

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        """Add ``amount`` to the series selected by ``labels``."""
        self._check_not_function()
        key = self._key(labels)
        self._values[key] = self._values.get(key, 0.0) + amount

    def dec(self, amount: float = 1.0, **labels: str) -> None:
        """Subtract ``amount`` from the series selected by ``labels``."""
        self.inc(-amount, **labels)

    def set_function(self, fn: Callable[[], float]) -> None:
        """Read the value from ``fn()`` at render time (unlabelled gauges only)."""
        if self.labels:
            raise ValueError(f"set_function needs an unlabelled gauge; {self.name} has labels")
        self._function = fn

    def _check_not_function(self) -> None:
        # Mixing both would make the exported value depend on call order; refuse it.
        if self._function is not None:
            raise ValueError(f"gauge {self.name} is driven by a function")

    def _samples(self) -> Iterator[str]:
        if self._function is None:
            yield from super()._samples()
            return
        try:
            value = float(self._function())
        except Exception:
            # One broken callback must not take the whole scrape down with it.
            logger.exception("gauge function for %s failed", self.name)
            return
        yield f"{self.name} {_format_value(value)}\n"


class _HistogramSeries:
    """Per-bucket (non-cumulative) counts plus the running sum for one label set."""

    __slots__ = ("counts", "total")

    def __init__(self, size: int) -> None:
        self.counts = [0] * size
        self.total = 0.0


class Histogram(_Metric):
    """Counts observations into buckets, exported cumulatively with ``_sum``/``_count``."""

    kind = "histogram"

    def __init__(
        self, name: str, help: str, buckets: tuple[float, ...], labels: tuple[str, ...]
    ) -> None:
        """Create the histogram; use ``Registry.histogram`` rather than calling this."""
        super().__init__(name, help, labels)
        if "le" in labels:
            raise ValueError(f"histogram {name} cannot use the reserved label 'le'")
        bounds = [float(b) for b in buckets]
        if bounds and bounds[-1] == math.inf:
            bounds.pop()  # +Inf is always appended at render time
        if not all(math.isfinite(b) for b in bounds):
            raise ValueError(f"histogram {name} bucket bounds must be finite: {buckets!r}")
        if any(a >= b for a, b in pairwise(bounds)):
            raise ValueError(f"histogram {name} buckets must be strictly increasing: {buckets!r}")
        self._bounds = bounds
        self._series: dict[LabelKey, _HistogramSeries] = {}
        if not labels:
            self._series[()] = _HistogramSeries(len(bounds) + 1)

    def observe(self, value: float, **labels: str) -> None:
        """Record one observation in the series selected by ``labels``."""
        key = self._key(labels)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _HistogramSeries(len(self._bounds) + 1)
        # Index len(bounds) is the +Inf bucket; NaN compares false everywhere, so route
        # it there explicitly as the Go client does.
        index = bisect_left(self._bounds, value) if value == value else len(self._bounds)
        series.counts[index] += 1
        series.total += value

    def _samples(self) -> Iterator[str]:
        les = [*(_format_value(b) for b in self._bounds), "+Inf"]
        for key, series in list(self._series.items()):
            cumulative = 0
            for le, count in zip(les, series.counts, strict=True):
                cumulative += count
                labels = _labels((*self.labels, "le"), (*key, le))
                yield f"{self.name}_bucket{labels} {cumulative}\n"
            base = _labels(self.labels, key)
            yield f"{self.name}_sum{base} {_format_value(series.total)}\n"
            yield f"{self.name}_count{base} {cumulative}\n"


_M = TypeVar("_M", bound=_Metric)


class Registry:
    """Owns metrics and renders them in registration order."""

    def __init__(self) -> None:
        """Create an empty registry."""
        self._metrics: list[_Metric] = []
        # Includes histogram suffixes so e.g. a counter "x_count" cannot clash with "x".
        self._taken: set[str] = set()

    def counter(self, name: str, help: str, labels: tuple[str, ...] = ()) -> Counter:
        """Register and return a counter."""
        return self._register(Counter(name, help, labels), ())

    def gauge(self, name: str, help: str, labels: tuple[str, ...] = ()) -> Gauge:
        """Register and return a gauge."""
        return self._register(Gauge(name, help, labels), ())

    def histogram(
        self, name: str, help: str, buckets: tuple[float, ...], labels: tuple[str, ...] = ()
    ) -> Histogram:
        """Register and return a histogram with the given upper bucket bounds."""
        return self._register(Histogram(name, help, buckets, labels), ("_bucket", "_sum", "_count"))

    def render(self) -> str:
        """Render every metric in text exposition format 0.0.4."""
        return "".join(metric.render() for metric in self._metrics)

    def _register(self, metric: _M, suffixes: tuple[str, ...]) -> _M:
        names = {metric.name, *(metric.name + s for s in suffixes)}
        clash = names & self._taken
        if clash:
            raise ValueError(f"metric name already registered: {', '.join(sorted(clash))}")
        self._taken |= names
        self._metrics.append(metric)
        return metric


def _labels(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    """Format a ``{name="value",...}`` label block (empty string when unlabelled)."""
    if not names:
        return ""
    pairs = ",".join(f'{n}="{_escape_label(str(v))}"' for n, v in zip(names, values, strict=True))
    return "{" + pairs + "}"


def _escape_label(value: str) -> str:
    """Escape a label value: backslash, double quote and newline."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    """Escape HELP text: backslash and newline (quotes are literal there)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _format_value(value: float) -> str:
    """Format a sample value the way Prometheus parses it (+Inf, -Inf, NaN)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    # Whole numbers print without ".0" so counts and le="1" read naturally; beyond
    # 2**53 floats are no longer exact integers, so keep repr there.
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))
