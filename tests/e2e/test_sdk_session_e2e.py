"""The Python SDK's session features against a real server: reconnect, renewal, moderation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from plaza_client.client import PlazaClient, refresh_token

from world.protocol import CloseCode
from world.roles import Role

pytestmark = pytest.mark.e2e

TIMEOUT = 10.0


async def test_reconnect_takes_the_same_avatar_back(plaza: Any) -> None:
    client = await plaza.client("하늘")
    avatar_id = client.avatar_id
    position = client.welcome["position"]
    welcome = await client.reconnect(timeout=TIMEOUT)
    assert welcome["avatar_id"] == avatar_id
    assert welcome["resumed"] is True
    assert welcome["position"] == pytest.approx(position, abs=0.05)
    await client.wait_for(lambda c: c.frames >= 2, TIMEOUT)


async def test_a_token_source_keeps_the_session_past_its_first_token(plaza: Any) -> None:
    issuer = plaza.server.issuer
    short = issuer.mint(subject="local:minho", name="민호", role=Role.CITIZEN, ttl_s=3)
    renewed: list[str] = []

    async def fresh() -> str:
        token = await refresh_token(plaza.http_url, short)
        renewed.append(token)
        return token

    client = PlazaClient(plaza.ws_url, short, token_source=fresh)
    await client.connect(timeout=TIMEOUT)
    try:
        # The server warns at once (less than a minute is left); the client renews by itself.
        await client.wait_for(lambda c: c.result("renew") is not None, TIMEOUT)
        assert renewed and client.token == renewed[0]
        frames = client.frames
        await asyncio.sleep(3.5)  # past the first token's expiry
        assert not client.closed
        await client.wait_for(lambda c: c.frames > frames + 5, TIMEOUT)
    finally:
        await client.close()


async def test_a_moderator_bans_through_the_sdk(plaza: Any) -> None:
    moderator = await plaza.client("mod", token=plaza.mint("mod", Role.MODERATOR))
    troll = await plaza.client("troll", token=plaza.mint("troll"))
    result = await moderator.moderate("ban", avatar=troll.avatar_id, reason="spam", minutes=60)
    assert result.ok, result.detail
    assert result.detail["subject"] == "local:troll"
    await troll.wait_for(lambda c: c.closed, TIMEOUT)
    assert troll.close_code == CloseCode.BANNED
    refused = await moderator.moderate("ban", avatar=troll.avatar_id, reason="again")
    assert not refused.ok
    assert refused.detail == f"no avatar {troll.avatar_id} here"
