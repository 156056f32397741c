"""Signing in with the city's OpenID Connect provider, end to end at the WebSocket upgrade.

A real provider (tests/conftest.py) serves discovery and JWKS on loopback; the server is
configured with its issuer, verifies its tokens at the upgrade, picks up a key rotation
without a restart, and keeps guest sign-in through the built-in issuer unless turned off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from world.protocol import SUBPROTOCOL
from world.roles import Role

TIMEOUT = 10.0


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(value: Any) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


async def _refused(plaza: Any, token: str) -> tuple[int, str]:
    url = f"ws://127.0.0.1:{plaza.ws_port}/ws?token={token}"
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, subprotocols=[SUBPROTOCOL], open_timeout=TIMEOUT):  # type: ignore[list-item]
            pytest.fail("the upgrade was accepted")
    response = info.value.response
    return response.status_code, response.body.decode().strip()


async def _oidc_plaza(plaza_factory: Any, provider: Any, **config: Any) -> Any:
    return await plaza_factory(oidc_issuer=provider.issuer, oidc_audience="plaza", **config)


async def test_a_provider_token_enters_the_plaza_as_a_citizen(
    plaza_factory: Any, oidc_provider: Any
) -> None:
    plaza = await _oidc_plaza(plaza_factory, oidc_provider)
    token = oidc_provider.mint(sub="user-1", name="김민수", plaza_role="staff")
    client = await plaza.client(token=token)
    session = plaza.server.gateway.sessions[client.avatar_id]
    assert session.identity.subject == "oidc:user-1"
    assert session.identity.name == "김민수"
    assert str(session.identity.role) == "staff"
    # A second user sees the name the provider gave.
    other = await plaza.client(token=oidc_provider.mint(sub="user-2", name="이서연"))
    await other.wait_for(lambda c: client.avatar_id in c.mirror.by_id(), TIMEOUT)
    assert other.mirror.by_id()[client.avatar_id].description["name"] == "김민수"


async def test_key_rotation_is_picked_up_at_the_upgrade_without_a_restart(
    plaza_factory: Any, oidc_provider: Any
) -> None:
    plaza = await _oidc_plaza(plaza_factory, oidc_provider)
    old_token = oidc_provider.mint(sub="before")
    await plaza.client(token=old_token)
    fetches = oidc_provider.jwks_fetches
    oidc_provider.rotate()
    # Signed by a key the server has not seen: the upgrade waits for one key refresh.
    client = await plaza.client(token=oidc_provider.mint(sub="after"))
    assert client.welcome["avatar_id"] > 0
    assert oidc_provider.jwks_fetches == fetches + 1
    # The old key is gone from the provider, and so from the server.
    assert await _refused(plaza, old_token) == (401, "token key id not recognized")


async def test_bad_provider_tokens_are_refused_at_the_upgrade_with_a_reason_in_the_log(
    plaza_factory: Any, oidc_provider: Any, caplog: pytest.LogCaptureFixture
) -> None:
    plaza = await _oidc_plaza(plaza_factory, oidc_provider)
    kid = oidc_provider.kid
    claims = oidc_provider.claims()
    none_token = (
        f"{_b64url_json({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64url_json(claims)}."
    )
    hs_input = f"{_b64url_json({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{_b64url_json(claims)}"
    hs_signature = hmac.new(oidc_provider.public_pem(), hs_input.encode(), hashlib.sha256).digest()
    cases = {
        "alg none": (none_token, "token algorithm not allowed"),
        "HMAC keyed with the public key": (
            f"{hs_input}.{_b64url(hs_signature)}",
            "token algorithm not allowed",
        ),
        "wrong audience": (oidc_provider.mint(aud="another-app"), "token audience not accepted"),
        "prefix-matching issuer": (
            oidc_provider.mint(iss=oidc_provider.issuer + "-evil"),
            "token issuer not accepted",
        ),
        "issuer with a longer path": (
            oidc_provider.mint(iss=oidc_provider.issuer + "/extra"),
            "token issuer not accepted",
        ),
        "expired": (
            oidc_provider.mint(iat=int(time.time()) - 600, exp=int(time.time()) - 120),
            "token expired",
        ),
        "unknown key id, even after a refresh": (
            _foreign_token(oidc_provider),
            "token key id not recognized",
        ),
    }
    with caplog.at_level(logging.INFO, logger="plaza.gateway"):
        for name, (token, reason) in cases.items():
            assert await _refused(plaza, token) == (401, reason), name
    logged = [r.getMessage() for r in caplog.records if r.name == "plaza.gateway"]
    for _, reason in cases.values():
        assert any(reason in line and "401" in line for line in logged), reason


def _foreign_token(provider: Any) -> str:
    """Signed by a key the provider never published, under a key id it does not have."""
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(provider.claims(), stranger, algorithm="RS256", headers={"kid": "k-x"})


async def test_guests_keep_signing_in_through_the_built_in_issuer(
    plaza_factory: Any, oidc_provider: Any
) -> None:
    plaza = await _oidc_plaza(plaza_factory, oidc_provider)
    guest = await plaza.guest("손님")
    client = await plaza.client(token=guest.token)
    assert plaza.server.gateway.sessions[client.avatar_id].identity.subject.startswith("guest:")


async def test_with_guests_off_only_the_provider_signs_people_in(
    plaza_factory: Any, oidc_provider: Any
) -> None:
    plaza = await _oidc_plaza(plaza_factory, oidc_provider, guests=False)
    response = await plaza.post("/api/auth/guest", b'{"name": "x"}')
    assert response.status == 403
    assert response.json()["reason"] == "guest sign-in is turned off here; sign in as a citizen"
    local = plaza.server.issuer.mint(subject="local:x", name="x", role=Role.ADMIN)
    status, reason = await _refused(plaza, local)
    assert status == 401
    assert reason == "token issuer not accepted"
    await plaza.client(token=oidc_provider.mint(sub="citizen-1"))


async def test_a_banned_provider_user_is_refused_with_403(
    plaza_factory: Any, oidc_provider: Any, e2e: Any
) -> None:
    plaza = await _oidc_plaza(plaza_factory, oidc_provider)
    moderator = plaza.mint("mod", Role.MODERATOR)
    response = await e2e.http_request(
        "POST",
        plaza.http_url + "/api/moderation/sanctions",
        json.dumps({"kind": "ban", "subject": "oidc:troll", "reason": "spam"}).encode(),
        {"Authorization": f"Bearer {moderator}", "Idempotency-Key": "ban-troll"},
    )
    assert response.status == 201, response
    status, reason = await _refused(plaza, oidc_provider.mint(sub="troll"))
    assert status == 403
    assert reason == "banned until lifted: spam"
