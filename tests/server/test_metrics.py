"""Tests for server.metrics: exact exposition text and registration errors."""

from __future__ import annotations

import math

import pytest

from server.metrics import CONTENT_TYPE, Registry


def test_content_type() -> None:
    assert CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"


def test_counter_renders_exact_text() -> None:
    reg = Registry()
    c = reg.counter("plaza_ticks_total", "Simulation ticks run.")
    assert reg.render() == (
        "# HELP plaza_ticks_total Simulation ticks run.\n"
        "# TYPE plaza_ticks_total counter\n"
        "plaza_ticks_total 0\n"
    )
    c.inc()
    c.inc(2.5)
    assert reg.render().splitlines()[-1] == "plaza_ticks_total 3.5"


def test_counter_rejects_decrease_and_nan() -> None:
    c = Registry().counter("c_total", "c")
    with pytest.raises(ValueError):
        c.inc(-1)
    with pytest.raises(ValueError):
        c.inc(math.nan)


def test_labelled_gauge_renders_exact_text_with_escaping() -> None:
    reg = Registry()
    g = reg.gauge("plaza_zone_avatars", "Avatars per zone.", labels=("zone", "shard"))
    assert reg.render() == (
        "# HELP plaza_zone_avatars Avatars per zone.\n# TYPE plaza_zone_avatars gauge\n"
    )
    g.set(3, zone="harbour", shard="1")
    g.inc(zone="harbour", shard="1")
    g.set(7, shard="2", zone='old "town"\\\n')
    g.dec(2, shard="2", zone='old "town"\\\n')
    assert reg.render() == (
        "# HELP plaza_zone_avatars Avatars per zone.\n"
        "# TYPE plaza_zone_avatars gauge\n"
        'plaza_zone_avatars{zone="harbour",shard="1"} 4\n'
        'plaza_zone_avatars{zone="old \\"town\\"\\\\\\n",shard="2"} 5\n'
    )


def test_help_text_escaping() -> None:
    reg = Registry()
    reg.gauge("g", 'a "quoted" back\\slash\nnewline')
    assert reg.render().splitlines()[0] == '# HELP g a "quoted" back\\\\slash\\nnewline'


def test_set_function_gauge_is_read_at_render_time() -> None:
    reg = Registry()
    g = reg.gauge("plaza_connections", "Open connections.")
    current = [1.0]
    g.set_function(lambda: current[0])
    current[0] = 0.25
    assert reg.render() == (
        "# HELP plaza_connections Open connections.\n"
        "# TYPE plaza_connections gauge\n"
        "plaza_connections 0.25\n"
    )
    with pytest.raises(ValueError):
        g.set(1)


def test_set_function_rejected_for_labelled_gauge() -> None:
    g = Registry().gauge("g", "g", labels=("zone",))
    with pytest.raises(ValueError):
        g.set_function(lambda: 1.0)


def test_failing_gauge_function_does_not_break_render(caplog: pytest.LogCaptureFixture) -> None:
    reg = Registry()
    reg.gauge("broken", "b").set_function(lambda: 1 / 0)
    reg.counter("ok_total", "o")
    text = reg.render()
    assert not [line for line in text.splitlines() if line.startswith("broken")]
    assert "ok_total 0\n" in text
    assert "gauge function for broken failed" in caplog.text


def test_histogram_renders_cumulative_buckets() -> None:
    reg = Registry()
    h = reg.histogram("plaza_tick_seconds", "Tick duration.", buckets=(0.01, 0.05, 0.1))
    for value in (0.005, 0.01, 0.03, 0.2, 0.07):
        h.observe(value)
    assert reg.render() == (
        "# HELP plaza_tick_seconds Tick duration.\n"
        "# TYPE plaza_tick_seconds histogram\n"
        'plaza_tick_seconds_bucket{le="0.01"} 2\n'
        'plaza_tick_seconds_bucket{le="0.05"} 3\n'
        'plaza_tick_seconds_bucket{le="0.1"} 4\n'
        'plaza_tick_seconds_bucket{le="+Inf"} 5\n'
        "plaza_tick_seconds_sum 0.315\n"
        "plaza_tick_seconds_count 5\n"
    )


def test_labelled_histogram_and_nan_goes_to_inf() -> None:
    reg = Registry()
    h = reg.histogram("lat", "Latency.", buckets=(1, 2, math.inf), labels=("route",))
    h.observe(1, route="/a")
    h.observe(math.nan, route="/b")
    lines = reg.render().splitlines()[2:]
    assert lines == [
        'lat_bucket{route="/a",le="1"} 1',
        'lat_bucket{route="/a",le="2"} 1',
        'lat_bucket{route="/a",le="+Inf"} 1',
        'lat_sum{route="/a"} 1',
        'lat_count{route="/a"} 1',
        'lat_bucket{route="/b",le="1"} 0',
        'lat_bucket{route="/b",le="2"} 0',
        'lat_bucket{route="/b",le="+Inf"} 1',
        'lat_sum{route="/b"} NaN',
        'lat_count{route="/b"} 1',
    ]


def test_metrics_render_in_registration_order() -> None:
    reg = Registry()
    reg.gauge("b", "b")
    reg.counter("a_total", "a")
    text = reg.render()
    assert text.index("# HELP b ") < text.index("# HELP a_total ")


def test_duplicate_registration_raises() -> None:
    reg = Registry()
    reg.counter("x_total", "x")
    with pytest.raises(ValueError):
        reg.gauge("x_total", "again")
    reg.histogram("h", "h", buckets=(1.0,))
    with pytest.raises(ValueError):
        reg.counter("h_count", "clashes with the histogram's _count series")


@pytest.mark.parametrize(
    "labels",
    [{}, {"zone": "a", "extra": "b"}, {"zon": "a"}],
    ids=["missing", "extra", "misspelt"],
)
def test_wrong_label_names_raise(labels: dict[str, str]) -> None:
    reg = Registry()
    counter = reg.counter("c_total", "c", labels=("zone",))
    gauge = reg.gauge("g", "g", labels=("zone",))
    hist = reg.histogram("h", "h", buckets=(1.0,), labels=("zone",))
    with pytest.raises(ValueError):
        counter.inc(**labels)
    with pytest.raises(ValueError):
        gauge.set(1, **labels)
    with pytest.raises(ValueError):
        hist.observe(1, **labels)


def test_labels_on_unlabelled_metric_raise() -> None:
    with pytest.raises(ValueError):
        Registry().counter("c_total", "c").inc(zone="a")


@pytest.mark.parametrize(
    ("name", "labels", "buckets"),
    [
        ("bad-name", (), (1.0,)),
        ("h", ("__reserved",), (1.0,)),
        ("h", ("a", "a"), (1.0,)),
        ("h", ("le",), (1.0,)),
        ("h", (), (2.0, 1.0)),
        ("h", (), (1.0, math.nan)),
    ],
)
def test_invalid_definitions_raise(
    name: str, labels: tuple[str, ...], buckets: tuple[float, ...]
) -> None:
    with pytest.raises(ValueError):
        Registry().histogram(name, "h", buckets=buckets, labels=labels)
