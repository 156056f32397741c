"""Identity end to end: resume and takeover, bans and mutes, profiles and token renewal.

A real server on loopback with its own PostgreSQL database; SDK clients and plain WebSocket
connections (``Wire``: every server message kept in order, for exact checks of RESULT and
TOKEN_EXPIRING); HTTP over real sockets; rows checked with asyncpg. Nothing is mocked.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import numpy as np
import pytest
from plaza_client.client import PlazaClient
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from world.codec import (
    Moderate,
    Renew,
    Result,
    TokenExpiring,
    WorldFrame,
    encode_client,
)
from world.protocol import SUBPROTOCOL, CloseCode, ErrorCode, Opcode
from world.roles import Role

pytestmark = pytest.mark.e2e

TIMEOUT = 10.0


# -- helpers ----------------------------------------------------------------------------------


# Wire (a raw connection keeping every server message) and the ``wire``/``wire_on``
# fixtures live in tests/e2e/conftest.py, shared with the persistence tests.
Wire = Any
WireFactory = Callable[[str], Any]


async def rows(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url, timeout=TIMEOUT)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def sanction_counts(url: str, subject: str) -> tuple[int, int]:
    """(rows in ``sanctions``, rows in ``audit_log``) about ``subject``."""
    sanctions = await rows(url, "SELECT id FROM sanctions WHERE subject = $1", subject)
    audit = await rows(url, "SELECT id FROM audit_log WHERE target = $1", subject)
    return len(sanctions), len(audit)


async def refused_upgrade(url: str) -> Any:
    """An upgrade that must be refused; returns the HTTP response."""
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, subprotocols=[SUBPROTOCOL], open_timeout=TIMEOUT):  # type: ignore[list-item]
            pytest.fail("the upgrade was accepted")
    return info.value.response


def ws_url(plaza: Any, token: str) -> str:
    return f"ws://127.0.0.1:{plaza.ws_port}/ws?token={token}"


async def api(
    e2e: Any,
    plaza: Any,
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    key: str | None = None,
) -> Any:
    """One JSON API call with an optional bearer token and Idempotency-Key."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers["Idempotency-Key"] = key
    data = None if body is None else json.dumps(body).encode()
    return await e2e.http_request(method, plaza.http_url + path, data, headers)


def sees(observer: PlazaClient, avatar_id: int, where: np.ndarray, atol: float = 0.05) -> bool:
    avatar = observer.mirror.by_id().get(avatar_id)
    if avatar is None or not avatar.body:
        return False
    seen = np.asarray(avatar.state(observer.mirror.origin)["position"])
    return bool(np.allclose(seen, where, atol=atol))


class WatchPresence:
    """Follows one avatar in an observer's mirror after every frame it applies."""

    def __init__(self, plaza: Any, observer: PlazaClient, avatar_id: int) -> None:
        self.avatar_id = avatar_id
        self.observer = observer
        slots = [s for s, a in observer.mirror.slots.items() if a.avatar_id == avatar_id]
        assert slots, "start watching once the observer sees the avatar"
        self.slot = slots[0]
        self.missing_at: list[int] = []  # ticks after which the avatar was not in the mirror
        self.leaves: list[list[int]] = []
        self.log = plaza.record_frames(observer, self._check)

    def _check(self, frame: WorldFrame) -> None:
        if frame.leaves:
            self.leaves.append(list(frame.leaves))
        if self.avatar_id not in self.observer.mirror.by_id():
            self.missing_at.append(frame.tick)

    def assert_never_left(self) -> None:
        assert self.log.frames, "the observer received no frames while watching"
        assert self.missing_at == []
        assert all(self.slot not in leaves for leaves in self.leaves), self.leaves


async def more_frames(client: PlazaClient, n: int = 5) -> None:
    start = client.frames
    await client.wait_for(lambda c: c.frames >= start + n, TIMEOUT)


# -- resume and takeover ----------------------------------------------------------------------


async def test_a_dropped_client_reconnecting_in_the_grace_period_gets_its_avatar_back(
    plaza: Any,
) -> None:
    token = plaza.mint("ana")
    a = await plaza.client("ana", token=token)
    observer = await plaza.client("observer")
    await observer.wait_for(lambda c: a.avatar_id in c.mirror.by_id(), TIMEOUT)
    target = np.asarray(a.welcome["position"]) + np.array([1.5, 0.0, -1.0])
    await a.move(*target, yaw=0.5)
    await observer.wait_for(lambda c: sees(c, a.avatar_id, target), TIMEOUT)
    watch = WatchPresence(plaza, observer, a.avatar_id)
    assert (await plaza.metrics())["plaza_avatars"] == 2.0

    assert a.connection is not None
    a.connection.transport.abort()  # the network went away: no closing handshake
    samples = await plaza.wait_metric(lambda m: m["plaza_avatars_detached"] == 1.0)
    assert samples["plaza_connections"] == 1.0
    assert samples["plaza_avatars"] == 2.0
    await more_frames(observer)  # the avatar waits in plain view

    back = await plaza.client("ana", token=token)
    assert back.avatar_id == a.avatar_id
    assert back.welcome["resumed"] is True
    assert np.allclose(back.welcome["position"], target, atol=0.05), back.welcome["position"]
    samples = await plaza.wait_metric(lambda m: m["plaza_connections"] == 2.0)
    assert samples["plaza_avatars"] == 2.0  # still one avatar for ana
    assert samples["plaza_avatars_detached"] == 0.0
    assert samples["plaza_resumes_total"] == 1.0
    # Ana's MOVE sequence starts again from 1 on the new connection, and it is accepted.
    onward = target + np.array([0.0, 0.0, 1.25])
    await back.move(*onward)
    await observer.wait_for(lambda c: sees(c, a.avatar_id, onward), TIMEOUT)
    assert back.corrections == [] and back.errors == []
    watch.assert_never_left()
    # The resumed client sees the observer again (its view started afresh).
    await back.wait_for(lambda c: observer.avatar_id in c.mirror.by_id(), TIMEOUT)


async def test_a_second_connection_of_the_same_user_takes_over_the_avatar(plaza: Any) -> None:
    token = plaza.mint("bora")
    first = await plaza.client("bora", token=token)
    observer = await plaza.client("observer")
    await observer.wait_for(lambda c: first.avatar_id in c.mirror.by_id(), TIMEOUT)
    watch = WatchPresence(plaza, observer, first.avatar_id)
    before = await plaza.metrics()
    assert before["plaza_avatars"] == 2.0

    second = await plaza.client("bora", token=token)
    await first.wait_for(lambda c: c.closed, TIMEOUT)
    assert first.close_code == CloseCode.SESSION_REPLACED
    assert first.close_reason == "signed in on another connection"
    assert second.avatar_id == first.avatar_id
    assert second.welcome["resumed"] is True
    samples = await plaza.wait_metric(lambda m: m["plaza_connections"] == 2.0)
    assert samples["plaza_avatars"] == before["plaza_avatars"]
    assert samples["plaza_avatars_detached"] == 0.0
    assert samples['plaza_closes_total{code="4006"}'] == 1.0

    target = np.asarray(second.welcome["position"]) + np.array([-1.0, 0.0, 0.75])
    await second.move(*target)
    await observer.wait_for(lambda c: sees(c, second.avatar_id, target), TIMEOUT)
    await more_frames(observer)
    watch.assert_never_left()
    assert not second.closed


async def test_a_takeover_while_a_resume_is_in_flight_keeps_one_avatar(
    plaza: Any, wire_on: Callable[[Any], Any]
) -> None:
    """Two reconnects of one user inside one tick: the later wins, the avatar never waits."""
    token = plaza.mint("dahye")
    first = await plaza.client("dahye", token=token)
    avatar_id = first.avatar_id
    assert first.connection is not None
    first.connection.transport.abort()
    await plaza.wait_metric(lambda m: m["plaza_avatars_detached"] == 1.0)
    # Stop the clock so both reconnects land between the same two ticks.
    await plaza.server.loop.stop()
    resuming = wire_on(await plaza.raw(token))
    taking_over = wire_on(await plaza.raw(token))
    await resuming.wait_closed()
    assert resuming.close_code == CloseCode.SESSION_REPLACED
    plaza.server.loop.tick_once(time.time())
    welcome = await taking_over.welcome()
    assert welcome["avatar_id"] == avatar_id
    assert welcome["resumed"] is True
    gateway = plaza.server.gateway
    assert len(gateway.presence) == 0  # not waiting: it belongs to the newer connection
    assert gateway.sessions[avatar_id].connection is not None
    plaza.server.loop.tick_once(time.time())
    assert plaza.server.city.count == 1


# -- moderation over the WebSocket ------------------------------------------------------------


async def test_a_moderator_bans_an_avatar_and_the_citizen_is_closed_and_refused(
    plaza: Any, wire: WireFactory
) -> None:
    moderator = await wire(plaza.mint("mod", Role.MODERATOR))
    citizen_token = plaza.mint("cheol")
    citizen = await plaza.client("cheol", token=citizen_token)
    reason = "spamming the plaza"

    mark = moderator.mark()
    sent_at = time.monotonic()
    await moderator.send(Moderate("ban-1", "ban", avatar=citizen.avatar_id, reason=reason))
    result = await moderator.result("ban-1", mark)
    assert result.ok, result
    sanction = result.detail
    assert isinstance(sanction["id"], int)
    assert {k: v for k, v in sanction.items() if k != "id"} == {
        "subject": "local:cheol",
        "kind": "ban",
        "reason": reason,
        "created_by": "local:mod",
        "expires_at": None,
    }

    await citizen.wait_for(lambda c: c.closed, 5.0)
    assert time.monotonic() - sent_at < 1.0  # the close goes out with the RESULT
    assert citizen.close_code == CloseCode.BANNED
    assert reason in citizen.close_reason
    assert "banned until lifted" in citizen.close_reason
    await plaza.wait_metric(lambda m: m["plaza_avatars"] == 1.0)  # the avatar left at once

    response = await refused_upgrade(ws_url(plaza, citizen_token))
    assert response.status_code == 403
    assert response.body == f"banned until lifted: {reason}\n".encode()

    assert await sanction_counts(plaza.database_url, "local:cheol") == (1, 1)
    (audit,) = await rows(
        plaza.database_url,
        "SELECT actor, actor_role, action, detail FROM audit_log WHERE target = $1",
        "local:cheol",
    )
    assert (audit["actor"], audit["actor_role"], audit["action"]) == (
        "local:mod",
        "moderator",
        "ban",
    )
    assert json.loads(audit["detail"]) == {"reason": reason, "minutes": None, "id": sanction["id"]}

    # The same request again (by user id, since the avatar is gone): the first result, no row.
    mark = moderator.mark()
    await moderator.send(Moderate("ban-1", "ban", subject="local:cheol", reason=reason))
    again = await moderator.result("ban-1", mark)
    assert again.ok and again.detail == sanction
    assert await sanction_counts(plaza.database_url, "local:cheol") == (1, 1)
    assert not moderator.closed


async def test_resending_a_ban_by_avatar_id_returns_the_first_result(
    plaza: Any, wire: WireFactory
) -> None:
    moderator = await wire(plaza.mint("mod", Role.MODERATOR))
    citizen = await plaza.client("dong", token=plaza.mint("dong"))
    request = Moderate("ban-avatar", "ban", avatar=citizen.avatar_id, reason="griefing")

    await moderator.send(request)
    first = await moderator.result("ban-avatar")
    assert first.ok, first
    await citizen.wait_for(lambda c: c.closed, 5.0)
    await plaza.wait_metric(lambda m: m["plaza_avatars"] == 1.0)

    # The moderator's client lost the RESULT and retries the very same message.
    mark = moderator.mark()
    await moderator.send(request)
    again = await moderator.result("ban-avatar", mark)
    assert again.ok, again.detail
    assert again.detail == first.detail
    assert await sanction_counts(plaza.database_url, "local:dong") == (1, 1)


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.GUEST])
async def test_only_moderators_may_moderate_over_the_websocket(plaza: Any, role: Role) -> None:
    victim = await plaza.client("victim", token=plaza.mint("victim"))
    if role is Role.GUEST:
        actor = await plaza.client("guesty")
    else:
        actor = await plaza.client("citizen", token=plaza.mint("citizen", role))

    await actor.send_raw(
        encode_client(Moderate("try-1", "ban", avatar=victim.avatar_id, reason="I dislike them"))
    )
    await actor.wait_for(lambda c: len(c.errors) == 1, TIMEOUT)
    (error,) = actor.errors
    assert error.code == ErrorCode.NOT_ALLOWED == 5
    assert error.opcode == Opcode.MODERATE
    assert error.reason == f"ban needs the moderator or admin role; you are {role}"
    await more_frames(actor, 3)
    assert not actor.closed and not victim.closed
    for table in ("sanctions", "audit_log", "idempotency_keys"):
        assert await rows(plaza.database_url, f"SELECT 1 FROM {table}") == [], table


async def test_a_mute_is_recorded_and_listed_but_keeps_the_connection(
    plaza: Any, wire: WireFactory, e2e: Any
) -> None:
    moderator_token = plaza.mint("mod", Role.MODERATOR)
    moderator = await wire(moderator_token)
    citizen = await plaza.client("loud", token=plaza.mint("loud"))

    before = time.time()
    await moderator.send(
        Moderate("mute-1", "mute", avatar=citizen.avatar_id, reason="shouting", minutes=10)
    )
    result = await moderator.result("mute-1")
    assert result.ok, result
    assert result.detail["kind"] == "mute"
    assert result.detail["subject"] == "local:loud"
    assert before + 600 - 5 <= result.detail["expires_at"] <= time.time() + 600 + 5

    await more_frames(citizen, 10)  # half a second of frames later, still connected
    assert not citizen.closed
    assert (await plaza.metrics())["plaza_connections"] == 2.0

    listed = await api(e2e, plaza, "GET", "/api/moderation/sanctions", moderator_token)
    assert listed.status == 200
    (entry,) = listed.json()["sanctions"]
    assert (entry["id"], entry["kind"], entry["subject"], entry["reason"]) == (
        result.detail["id"],
        "mute",
        "local:loud",
        "shouting",
    )
    audit = await api(e2e, plaza, "GET", "/api/audit?target=local:loud", moderator_token)
    assert [(e["action"], e["target"]) for e in audit.json()["entries"]] == [("mute", "local:loud")]
    # A muted user may still sign in: the upgrade is accepted (and takes over the avatar).
    again = await plaza.client("loud", token=plaza.mint("loud"))
    assert again.avatar_id == citizen.avatar_id


# -- moderation over HTTP ---------------------------------------------------------------------


async def test_http_moderation_checks_roles_keys_and_is_idempotent_and_audited(
    plaza: Any, e2e: Any
) -> None:
    moderator = plaza.mint("mod", Role.MODERATOR)
    citizen = plaza.mint("jin")
    target_token = plaza.mint("troll")
    ban = {"kind": "ban", "subject": "local:troll", "reason": "harassment"}
    path = "/api/moderation/sanctions"

    response = await api(e2e, plaza, "POST", path, None, ban, key="k1")
    assert response.status == 401
    assert response.json() == {"error": "unauthorized", "reason": "missing bearer token"}
    response = await api(e2e, plaza, "POST", path, citizen, ban, key="k1")
    assert response.status == 403
    assert response.json()["reason"] == (
        "a ban needs the admin or moderator or organizer role; you are citizen"
    )
    response = await api(e2e, plaza, "POST", path, moderator, ban)
    assert response.status == 400
    assert "idempotency key" in response.json()["reason"]
    assert await sanction_counts(plaza.database_url, "local:troll") == (0, 0)

    created = await api(e2e, plaza, "POST", path, moderator, ban, key="ban-troll-1")
    assert created.status == 201, created
    sanction = created.json()
    assert sanction["subject"] == "local:troll" and sanction["kind"] == "ban"
    repeated = await api(e2e, plaza, "POST", path, moderator, ban, key="ban-troll-1")
    assert repeated.status == 200
    assert repeated.json() == sanction
    assert await sanction_counts(plaza.database_url, "local:troll") == (1, 1)

    listed = await api(e2e, plaza, "GET", path, moderator)
    assert listed.status == 200
    assert [s["id"] for s in listed.json()["sanctions"]] == [sanction["id"]]
    assert (await api(e2e, plaza, "GET", path, citizen)).status == 403

    response = await refused_upgrade(ws_url(plaza, target_token))
    assert response.status_code == 403
    assert b"harassment" in response.body

    lift = {"id": sanction["id"]}
    response = await api(e2e, plaza, "POST", "/api/moderation/lift", citizen, lift, key="l1")
    assert response.status == 403
    response = await api(e2e, plaza, "POST", "/api/moderation/lift", moderator, lift, key="l1")
    assert response.status == 200
    assert response.json() == {"id": sanction["id"], "lifted": True}
    listed = await api(e2e, plaza, "GET", path, moderator)
    assert listed.json()["sanctions"] == []

    back = await plaza.client("troll", token=target_token)  # may connect again
    assert back.welcome["resumed"] is False

    audit = await api(e2e, plaza, "GET", "/api/audit", moderator)
    assert audit.status == 200
    entries = audit.json()["entries"]
    assert [e["action"] for e in entries] == ["lift_ban", "ban"]  # newest first
    for entry in entries:
        assert (entry["actor"], entry["actor_role"], entry["target"]) == (
            "local:mod",
            "moderator",
            "local:troll",
        )
    assert entries[1]["detail"]["id"] == entries[0]["detail"]["id"] == sanction["id"]
    forbidden = await api(e2e, plaza, "GET", "/api/audit", citizen)
    assert forbidden.status == 403
    assert "moderator" in forbidden.json()["reason"]
    assert await sanction_counts(plaza.database_url, "local:troll") == (1, 2)


# -- profiles ---------------------------------------------------------------------------------


async def test_profile_is_made_from_the_token_changed_validated_and_used_at_sign_in(
    plaza: Any, e2e: Any
) -> None:
    token = plaza.mint("hana")
    created = await api(e2e, plaza, "GET", "/api/profile", token)
    assert created.status == 200
    assert created.json() == {
        "subject": "local:hana",
        "display_name": "hana",
        "locale": "ko",
        "appearance": {},
        "captions": False,
        "reduced_motion": False,
        "high_contrast": False,
        "mode_2d": False,
    }
    assert (await api(e2e, plaza, "GET", "/api/profile")).status == 401

    change = {"display_name": "하나 Park", "locale": "ja", "appearance": {"hue": 200}}
    updated = await api(e2e, plaza, "PUT", "/api/profile", token, {**change, "captions": True})
    assert updated.status == 200, updated
    expected = {**created.json(), **change, "captions": True}
    assert updated.json() == expected
    assert (await api(e2e, plaza, "GET", "/api/profile", token)).json() == expected
    (row,) = await rows(
        plaza.database_url,
        "SELECT display_name, locale, appearance, captions FROM profiles WHERE subject = $1",
        "local:hana",
    )
    assert (row["display_name"], row["locale"], row["captions"]) == ("하나 Park", "ja", True)
    assert json.loads(row["appearance"]) == {"hue": 200}

    bad = [
        ({"nickname": "x"}, "nickname"),
        ({"locale": "fr"}, "locale"),
        ({"appearance": {"skin": "x" * 1100}}, "appearance"),
        ({"display_name": "ha\x07na"}, "display_name"),
        ({"captions": "yes"}, "captions"),
    ]
    for body, field in bad:
        response = await api(e2e, plaza, "PUT", "/api/profile", token, body)
        assert response.status == 400, (body, response)
        assert field in response.json()["reason"], (body, response.json())
    assert (await api(e2e, plaza, "GET", "/api/profile", token)).json() == expected

    # The next connection's avatar carries the stored name and look.
    observer = await plaza.client("observer")
    hana = await plaza.client("hana", token=token)
    await observer.wait_for(lambda c: hana.avatar_id in c.mirror.by_id(), TIMEOUT)
    assert observer.mirror.by_id()[hana.avatar_id].description == {
        "name": "하나 Park",
        "appearance": {"hue": 200},
        "role": "citizen",
    }


# -- token renewal ----------------------------------------------------------------------------


async def test_renew_keeps_a_session_past_its_first_tokens_expiry(
    plaza: Any, wire: WireFactory
) -> None:
    issuer = plaza.server.issuer
    short = issuer.mint(subject="local:rin", name="rin", role=Role.CITIZEN, ttl_s=4)
    expires_at = issuer.verify(short).expires_at
    session = await wire(short)
    # Less than TOKEN_RENEW_NOTICE_S left: the warning comes at once.
    warning = await session.expect(lambda m: isinstance(m, TokenExpiring))
    assert warning.expires_at == expires_at

    # Another user's token is refused and the session keeps its identity.
    mark = session.mark()
    await session.send(Renew(plaza.mint("mallory")))
    error = await session.error(mark)
    assert (error.code, error.opcode) == (ErrorCode.NOT_ALLOWED, Opcode.RENEW)
    assert "another user" in error.reason
    live = plaza.server.gateway.presence.live["local:rin"]
    assert live.identity.subject == "local:rin"
    assert live.identity.expires_at == expires_at
    assert "local:mallory" not in plaza.server.gateway.presence.live

    fresh = issuer.mint(subject="local:rin", name="rin", role=Role.CITIZEN, ttl_s=120)
    fresh_expiry = issuer.verify(fresh).expires_at
    mark = session.mark()
    await session.send(Renew(fresh))
    renewed = await session.result("renew", mark)
    assert renewed == Result("renew", True, {"expires_at": fresh_expiry})

    # The old token's time passes; the connection stays and frames keep coming.
    await asyncio.sleep(max(0.0, expires_at - time.time()) + 1.0)
    frames = session.frames
    await session.expect(lambda m: isinstance(m, WorldFrame), session.mark())
    assert session.frames > frames
    assert not session.closed
    assert session.close_code is None
    assert plaza.server.gateway.presence.live["local:rin"].identity.expires_at == fresh_expiry


async def test_without_renew_the_session_closes_with_4005_at_expiry(
    plaza: Any, wire: WireFactory
) -> None:
    issuer = plaza.server.issuer
    token = issuer.mint(subject="local:sol", name="sol", role=Role.CITIZEN, ttl_s=2)
    expires_at = issuer.verify(token).expires_at
    session = await wire(token)
    await session.expect(lambda m: isinstance(m, TokenExpiring))
    await session.wait_closed(timeout=max(0.0, expires_at - time.time()) + 3.0)
    assert session.close_code == CloseCode.TOKEN_EXPIRED
    assert session.close_reason == "token expired; reconnect with a fresh token"
    assert time.time() >= expires_at - 0.1


async def test_http_refresh_returns_a_token_that_works(plaza: Any, e2e: Any) -> None:
    assert (await api(e2e, plaza, "POST", "/api/auth/refresh")).status == 401
    forged = await api(e2e, plaza, "POST", "/api/auth/refresh", "not-a-token")
    assert forged.status == 401
    issuer = plaza.server.issuer
    old = issuer.mint(subject="local:mina", name="mina", role=Role.STAFF, ttl_s=30)

    response = await api(e2e, plaza, "POST", "/api/auth/refresh", old)
    assert response.status == 200, response
    body = response.json()
    assert body["token"] != old
    renewed = issuer.verify(body["token"])
    assert (renewed.subject, renewed.name, renewed.role) == ("local:mina", "mina", Role.STAFF)
    assert body["expires_at"] == renewed.expires_at
    assert renewed.expires_at > issuer.verify(old).expires_at + 600

    client = await plaza.client("mina", token=body["token"])
    assert client.welcome["avatar_id"] > 0
    await more_frames(client, 2)
    assert not client.closed


async def test_auth_check_answers_what_the_upgrade_would(plaza_factory: Any, e2e: Any) -> None:
    plaza = await plaza_factory(capacity=1)

    async def check(token: str) -> Any:
        return await e2e.http_request(
            "GET", plaza.http_url + "/api/auth/check", headers={"Authorization": f"Bearer {token}"}
        )

    first = plaza.mint("first")
    ok = await check(first)
    assert ok.status == 200
    assert ok.json()["subject"] == "local:first"
    await plaza.client("first", token=first)
    full = await check(plaza.mint("second"))
    assert (full.status, full.json()["error"]) == (503, "full")
    # The user already in (or waiting to be resumed) is not refused as "full".
    assert (await check(first)).status == 200
    bad = await check("not-a-token")
    assert (bad.status, bad.json()["reason"]) == (401, "malformed token")
