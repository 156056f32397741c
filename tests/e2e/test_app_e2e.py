"""PlazaServer's HTTP side and its shutdown, over real sockets.

HTTP: health, readiness, metrics, client configuration, guest sign-in and the JWKS. Shutdown:
readiness goes false while connections are still open, then every client gets 1001.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.error
from typing import Any

import msgpack
import pytest
from plaza_client.client import PlazaClient, SignInError, sign_in_guest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from server import gateway as gateway_mod
from world.protocol import SUBPROTOCOL, CloseCode

pytestmark = pytest.mark.e2e

TIMEOUT = 10.0


def token_header(token: str) -> dict[str, Any]:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


# -- probes and metrics -----------------------------------------------------------------------


async def test_health_readiness_and_metrics(plaza: Any) -> None:
    health = await plaza.get("/healthz")
    assert (health.status, health.text) == (200, "ok\n")
    ready = await plaza.get("/readyz")
    assert (ready.status, ready.text) == (200, "ready\n")
    assert ready.headers["cache-control"] == "no-store"

    client = await plaza.client("counted")
    await client.wait_for(lambda c: c.frames >= 2, TIMEOUT)
    response = await plaza.get("/metrics")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE plaza_tick_seconds histogram" in response.text
    assert "# TYPE plaza_connections gauge" in response.text
    samples = plaza.parse_metrics(response.text)
    assert samples["plaza_tick_seconds_count"] >= 2
    assert samples['plaza_tick_seconds_bucket{le="+Inf"}'] == samples["plaza_tick_seconds_count"]
    assert samples["plaza_connections"] == 1.0
    assert samples["plaza_avatars"] == 1.0
    assert samples["plaza_ticks_total"] >= 2
    assert samples["plaza_frames_sent_total"] >= 2
    assert samples["plaza_frames_held_total"] == 0.0

    await client.close()
    samples = await plaza.wait_metric(lambda m: m["plaza_connections"] == 0.0)
    assert samples["plaza_avatars"] in (0.0, 1.0)  # the leave lands on the next tick
    samples = await plaza.wait_metric(lambda m: m["plaza_avatars"] == 0.0)


async def test_api_config_tells_a_client_where_and_how_to_connect(plaza: Any) -> None:
    response = await plaza.get("/api/config")
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    config = response.json()
    assert config["ws_url"] == f"ws://127.0.0.1:{plaza.server.gateway.port}/ws"
    assert config["subprotocol"] == SUBPROTOCOL == "plaza.v1"
    assert config["tick_rate"] == 20.0
    assert config["zone"]["origin"] == list(plaza.server.entrance.layout.bounds_min)

    # A client that knows only the HTTP address gets in with what it was told.
    session = await sign_in_guest(plaza.http_url, "brower")
    assert session.ws_url == config["ws_url"]
    async with connect(
        f"{config['ws_url']}?token={session.token}", subprotocols=[config["subprotocol"]]
    ) as connection:
        assert connection.subprotocol == "plaza.v1"
        welcome = msgpack.unpackb(await asyncio.wait_for(connection.recv(), TIMEOUT))
        assert welcome[0] == 64
        assert welcome[1]["zone"] == config["zone"]
        assert welcome[1]["tick_rate"] == config["tick_rate"]


async def test_routing_errors(plaza: Any) -> None:
    response = await plaza.get("/api/auth/guest")
    assert response.status == 405
    assert response.headers["allow"] == "POST"
    response = await plaza.get("/nowhere")
    assert response.status == 404
    assert response.json()["error"] == "not_found"


# -- guest sign-in ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error", "reason"),
    [
        (b'{"locale": "ko"}', "bad_request", "name and locale must be strings"),
        (b'{"name": 7}', "bad_request", "name and locale must be strings"),
        (b'{"name": "minji", "locale": null}', "bad_request", "must be strings"),
        (json.dumps({"name": "x" * 33}).encode(), "bad_request", "at most 32 characters"),
        (b'{"name": "   "}', "bad_request", "must not be empty"),
        (json.dumps({"name": "evil\u202etxt"}).encode(), "bad_request", "control characters"),
        (b'{"name": "minji", "locale": "fr"}', "bad_request", "locale must be one of"),
        (b"name=minji", "bad_json", "not valid JSON"),
        (b"", "bad_json", "not valid JSON"),
        (b'["minji", "ko"]', "bad_request", "expected a JSON object"),
    ],
)
async def test_guest_sign_in_refuses_bad_input_with_a_reason(
    plaza: Any, body: bytes, error: str, reason: str
) -> None:
    response = await plaza.post("/api/auth/guest", body)
    assert response.status == 400
    assert response.headers["content-type"] == "application/json"
    payload = response.json()
    assert payload["error"] == error
    assert reason in payload["reason"]
    assert "token" not in payload


async def test_sdk_sign_in_reports_the_reason(plaza: Any) -> None:
    with pytest.raises(SignInError) as info:
        await sign_in_guest(plaza.http_url, "x" * 33)
    assert info.value.status == 400
    assert "at most 32" in info.value.reason


async def test_guest_sign_in_returns_a_token_that_connects(plaza: Any) -> None:
    before = time.time()
    response = await plaza.post(
        "/api/auth/guest", json.dumps({"name": "  서울 시민 ", "locale": "ja"}).encode()
    )
    assert response.status == 200, response.body
    body = response.json()
    assert body["name"] == "서울 시민"  # trimmed
    assert body["role"] == "guest"
    assert body["locale"] == "ja"
    assert body["subject"].startswith("guest:")
    assert before + 800 < body["expires_at"] <= time.time() + 900 + 1
    assert body["ws_url"] == plaza.ws_url

    # The longest allowed name (32 code points, Hangul) is accepted too; each guest is new.
    longest = await plaza.guest("가" * 32)
    assert longest.name == "가" * 32
    assert longest.subject != body["subject"]

    observer = await plaza.client("observer")
    client = await plaza.client(token=body["token"])
    assert client.welcome["protocol"] == SUBPROTOCOL
    await observer.wait_for(lambda c: client.avatar_id in c.mirror.by_id(), TIMEOUT)
    description = observer.mirror.by_id()[client.avatar_id].description
    assert description == {"name": "서울 시민", "appearance": {}, "role": "guest"}

    # The JWKS publishes the key the token names (public half only).
    jwks = (await plaza.get("/.well-known/jwks.json")).json()
    (key,) = jwks["keys"]
    assert key["kid"] == token_header(body["token"])["kid"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert "d" not in key


# -- shutdown ---------------------------------------------------------------------------------


async def test_stop_goes_unready_first_then_closes_every_client_with_1001(plaza: Any) -> None:
    one = await plaza.client("one")
    two = await plaza.client("two")
    await one.wait_for(lambda c: two.avatar_id in c.mirror.by_id(), TIMEOUT)
    # Both stop reading, so the server's closing handshakes stay pending (up to its close
    # timeout) while we look at it from outside.
    for client in (one, two):
        assert client.connection is not None
        client.connection.transport.pause_reading()

    stopping = asyncio.create_task(plaza.server.stop())
    ready = await plaza.get("/readyz")
    assert (ready.status, ready.text) == (503, "not ready\n")
    health = await plaza.get("/healthz")
    assert health.status == 200  # alive, just not taking new players
    samples = await plaza.metrics()
    assert samples["plaza_connections"] == 2.0  # readiness went false before they closed
    assert one.close_code is None and two.close_code is None
    # New players are turned away while the old ones are being closed.
    with pytest.raises((OSError, InvalidStatus)):
        await PlazaClient(plaza.ws_url, plaza.mint("late")).connect(timeout=TIMEOUT)
    assert not stopping.done()

    for client in (one, two):
        assert client.connection is not None
        client.connection.transport.resume_reading()
    for client in (one, two):
        await client.wait_for(lambda c: c.closed, TIMEOUT)
        assert client.close_code == CloseCode.GOING_AWAY
        assert client.close_reason == "server shutting down"
    await asyncio.wait_for(stopping, TIMEOUT)

    # The tick has stopped and the HTTP port is closed.
    tick = plaza.server.city.tick
    await asyncio.sleep(0.2)
    assert plaza.server.city.tick == tick
    with pytest.raises(urllib.error.URLError):
        await plaza.get("/healthz")


async def test_config_and_sign_in_during_shutdown_are_not_internal_errors(plaza: Any) -> None:
    client = await plaza.client("holder")
    assert client.connection is not None
    client.connection.transport.pause_reading()  # keeps stop() in its closing handshake
    stopping = asyncio.create_task(plaza.server.stop())
    try:
        ready = await plaza.get("/readyz")
        assert ready.status == 503
        config = await plaza.get("/api/config")
        guest = await plaza.post("/api/auth/guest", b'{"name": "late"}')
    finally:
        client.connection.transport.resume_reading()
        await asyncio.wait_for(stopping, TIMEOUT)
    # Either still answered (the URL is configuration) or refused as unavailable; never a 500.
    assert config.status in (200, 503), config
    assert guest.status in (200, 503), guest


async def test_a_connection_dropped_before_welcome_does_not_hold_up_shutdown(
    plaza_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shorter than the default 10 s so the failure costs little; read when a join starts.
    monkeypatch.setattr(gateway_mod, "JOIN_TIMEOUT_S", 4.0)
    plaza = await plaza_factory()
    for _ in range(5):
        sent = (await plaza.metrics())["plaza_frames_sent_total"]
        connection = await plaza.raw(plaza.mint("flaky"))
        connection.transport.abort()  # gone between the 101 and WELCOME (a phone losing signal)
        tick = plaza.server.city.tick
        async with asyncio.timeout(TIMEOUT):
            while plaza.server.city.tick < tick + 3:  # its join is processed, avatar freed
                await asyncio.sleep(0.01)
        # If a tick slipped in before the abort, it was an ordinary join and leave: retry.
        if (await plaza.metrics())["plaza_frames_sent_total"] == sent:
            break
    else:
        pytest.fail("could not drop a connection before its WELCOME")
    assert plaza.server.city.count == 0
    stopping = asyncio.create_task(plaza.server.stop())
    done, _ = await asyncio.wait({stopping}, timeout=2.0)
    await asyncio.wait_for(stopping, TIMEOUT)  # let it finish either way
    assert stopping in done, "stop() waited for the handler of a connection that was gone"
