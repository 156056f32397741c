"""The load tools as a user runs them: small, bounded runs that must report what they did."""

from __future__ import annotations

import asyncio
import json
import pathlib
import sys
from typing import Any

PLAZA = [sys.executable, "-m", "server.cli"]
ROOT = pathlib.Path(__file__).resolve().parents[2]


async def _run(*args: str, timeout: float = 120.0) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        *PLAZA, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, err.decode()
    last = out.decode().strip().splitlines()[-1]
    figures: dict[str, Any] = json.loads(last)
    return figures


async def test_plaza_bots_walk_against_a_running_server(plaza: Any) -> None:
    http = f"http://127.0.0.1:{plaza.server.http.port}"
    figures = await _run(
        "bots", "--clients", "6", "--seconds", "2", "--probes", "2", "--http", http
    )
    assert figures["connected"] == 6 and figures["failed"] == 0
    assert figures["disconnects"] == 0
    assert figures["frames_per_client_per_s"] > 0
    assert figures["latency_samples"] > 0
    # The server saw them walk.
    metrics = await plaza.metrics()
    assert metrics['plaza_inputs_total{kind="move"}'] > 0


async def test_plaza_bots_refuse_a_remote_target() -> None:
    process = await asyncio.create_subprocess_exec(
        *PLAZA, "bots", "--clients", "1", "--seconds", "1", "--http", "http://192.0.2.1:8080",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode != 0
    assert b"loopback" in err


async def test_bench_tick_reports_its_figures_and_the_baseline() -> None:
    figures = await _run(
        "bench",
        "tick",
        "--avatars",
        "300",
        "--ticks",
        "5",
        "--warmup",
        "2",
        "--baseline-ticks",
        "1",
    )
    assert figures["bench"] == "tick" and figures["avatars"] == 300
    assert figures["tick_mean_ms"] > 0 and figures["tick_p99_ms"] >= figures["tick_p50_ms"]
    assert 0 < figures["bytes_per_observer_tick"] < figures["baseline_bytes_per_observer_tick"]
    assert figures["speedup"] > 0


async def test_bench_city_fills_instances_of_the_entrance() -> None:
    figures = await _run(
        "bench", "city", "--avatars", "50", "--instance-capacity", "20",
        "--ticks", "5", "--warmup", "2",
    )  # fmt: skip
    assert figures["bench"] == "city" and figures["avatars"] == 50
    assert figures["zones"] >= 5
    # 20 per instance, new ones opening at 80 %: 16 + 16 + 16 + 2.
    assert figures["entrance_instances"] == [16, 16, 16, 2]
    assert figures["tick_mean_ms"] > 0 and figures["bytes_per_observer_tick"] > 0


async def test_bench_load_runs_server_and_bots_and_stops_the_server() -> None:
    figures = await _run("bench", "load", "--clients", "12", "--seconds", "2", "--warmup", "1")
    assert figures["bench"] == "load"
    assert figures["connected"] == 12 and figures["disconnects"] == 0
    assert figures["ticks"] > 0 and figures["tick_p99_ms"] > 0
    assert figures["frames_per_client_per_s"] > 0


async def test_bench_center_serves_every_ticket_exactly_once() -> None:
    figures = await _run(
        "bench", "center", "--tickets", "40", "--staff", "4", "--timeout", "240",
        timeout=300.0,
    )  # fmt: skip
    assert figures["bench"] == "center" and figures["tickets"] == 40 and figures["staff"] == 4
    assert figures["lost"] == 0 and figures["duplicated"] == 0
    assert figures["taken"] == 40 and figures["closed"] == 40
    assert figures["ratings_stored"] == 40 and figures["ok"]
