"""The inbox's drop policy is visible to operators: coalesced inputs are counted."""

from __future__ import annotations

from typing import Any

TIMEOUT = 10.0


async def test_moves_within_one_tick_coalesce_and_are_counted(plaza: Any) -> None:
    client = await plaza.client("quick")
    x, y, z = client.welcome["position"]
    before = plaza.server.city.coalesced
    # A burst well inside one 50 ms tick: only the newest MOVE is used.
    for i in range(1, 6):
        await client.move(x + 0.01 * i, y, z)
    await plaza.wait_metric(lambda m: m["plaza_inbox_coalesced"] >= before + 1, TIMEOUT)
    metrics = await plaza.metrics()
    assert metrics["plaza_inbox_joins_refused"] == 0.0
    # The newest position is the one the world took.
    await client.wait_for(lambda c: c.corrections == [] and c.frames > 2, TIMEOUT)
    table = plaza.table_of(client.avatar_id)
    row = table.row_of(client.avatar_id)
    assert abs(float(table.position[row, 0]) - (x + 0.05)) < 1e-4
