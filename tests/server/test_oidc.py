"""Tests for server.oidc against a small but real OpenID Connect provider over loopback HTTP."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import socket
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from server import oidc as oidc_module
from server.auth import (
    ACCESS_TOKEN_TTL_S,
    MAX_LEEWAY_S,
    MAX_NAME_CHARS,
    AuthError,
    Identity,
    UnknownKeyError,
)
from server.oidc import MIN_REFRESH_INTERVAL_S, OidcError, OidcVerifier
from world.roles import Role

__all__: list[str] = []

AUDIENCE = "plaza"
REALM_PATH = "/realms/plaza"


# --- a real (small) OpenID Connect provider ---------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(value: Any) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# The provider itself lives in tests/conftest.py (fixtures ``oidc_provider`` and
# ``oidc_provider_class``), shared with the end-to-end tests.
Provider = Any


@pytest.fixture
def provider(oidc_provider: Provider) -> Provider:
    return oidc_provider


def _verifier(provider: Provider, **kwargs: Any) -> OidcVerifier:
    kwargs.setdefault("fetch_timeout_s", 5.0)
    return OidcVerifier(provider.issuer, AUDIENCE, **kwargs)


async def _started(provider: Provider, **kwargs: Any) -> OidcVerifier:
    verifier = _verifier(provider, **kwargs)
    await verifier.start()
    return verifier


def _refusal(verifier: OidcVerifier, token: str) -> str:
    with pytest.raises(AuthError) as excinfo:
        verifier.verify(token)
    return excinfo.value.reason


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- accepted tokens ----------------------------------------------------------


async def test_good_token_verifies(provider: Provider) -> None:
    verifier = await _started(provider)
    now = int(time.time())
    token = provider.mint(iat=now, exp=now + 300, plaza_role="moderator")

    identity = verifier.verify(token)

    assert identity == Identity(
        subject="oidc:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        name="김민수",
        role=Role.MODERATOR,
        locale="ko",
        expires_at=float(now + 300),
    )
    assert verifier.key_ids == {provider.kid}
    assert verifier.jwks_uri == provider.base + provider.jwks_path


async def test_expiry_is_capped_at_fifteen_minutes_after_issue(provider: Provider) -> None:
    verifier = await _started(provider)
    now = int(time.time())

    identity = verifier.verify(provider.mint(iat=now, exp=now + 3600))

    assert identity.expires_at == now + ACCESS_TOKEN_TTL_S == now + 900


async def test_long_lived_token_older_than_fifteen_minutes_is_expired(provider: Provider) -> None:
    verifier = await _started(provider)
    now = int(time.time())
    token = provider.mint(iat=now - 1200, exp=now + 2400)

    assert _refusal(verifier, token) == "token expired"


@pytest.mark.parametrize(
    ("claim_value", "expected"),
    [
        ("admin", Role.ADMIN),
        ("staff", Role.STAFF),
        (["citizen", "organizer", "staff"], Role.ORGANIZER),
        (["offline_access", "moderator", "uma_authorization"], Role.MODERATOR),
        (["offline_access"], Role.CITIZEN),
        ("superuser", Role.CITIZEN),
        ("Admin", Role.CITIZEN),
        (None, Role.CITIZEN),
        (42, Role.CITIZEN),
    ],
)
async def test_role_from_claim(provider: Provider, claim_value: Any, expected: Role) -> None:
    verifier = await _started(provider)

    identity = verifier.verify(provider.mint(plaza_role=claim_value))

    assert identity.role is expected


async def test_role_from_dotted_claim_path(provider: Provider) -> None:
    verifier = await _started(provider, role_claim="realm_access.roles")
    token = provider.mint(
        realm_access={"roles": ["default-roles-plaza", "staff", "offline_access"]},
        plaza_role="admin",  # not the configured claim: must be ignored
    )

    assert verifier.verify(token).role is Role.STAFF
    assert verifier.verify(provider.mint(realm_access={"groups": ["x"]})).role is Role.CITIZEN


async def test_role_claim_with_dots_in_its_name(provider: Provider) -> None:
    verifier = await _started(provider, role_claim="https://plaza.example/role")
    token = provider.mint(**{"https://plaza.example/role": "organizer"})

    assert verifier.verify(token).role is Role.ORGANIZER


@pytest.mark.parametrize(
    ("claim_value", "expected"),
    [
        ("en", "en"),
        ("ko-KR", "ko"),
        ("ja-JP", "ja"),
        ("zh_TW", "zh"),
        ("EN-us", "en"),
        ("fr-FR", "ko"),
        (None, "ko"),
        (["en"], "ko"),
    ],
)
async def test_locale_mapping(provider: Provider, claim_value: Any, expected: str) -> None:
    verifier = await _started(provider)

    assert verifier.verify(provider.mint(locale=claim_value)).locale == expected


async def test_custom_name_and_locale_claims(provider: Provider) -> None:
    verifier = await _started(provider, name_claim="display_name", locale_claim="lang")
    token = provider.mint(display_name="Minsu Kim", lang="en")

    identity = verifier.verify(token)

    assert (identity.name, identity.locale) == ("Minsu Kim", "en")


async def test_name_falls_back_to_preferred_username_then_subject(provider: Provider) -> None:
    verifier = await _started(provider)

    assert verifier.verify(provider.mint(name=None)).name == "minsu"
    assert verifier.verify(provider.mint(name="\u202e\n ")).name == "minsu"
    no_names = provider.mint(name=None, preferred_username=None, sub="u-42")
    assert verifier.verify(no_names).name == "u-42"
    long_sub = "x" * 60
    identity = verifier.verify(provider.mint(name=None, preferred_username=None, sub=long_sub))
    assert identity.name == "x" * MAX_NAME_CHARS
    assert identity.subject == "oidc:" + long_sub


async def test_unacceptable_name_is_repaired_not_refused(provider: Provider) -> None:
    verifier = await _started(provider)

    long_name = "가" * (MAX_NAME_CHARS + 10)
    assert verifier.verify(provider.mint(name=long_name)).name == "가" * MAX_NAME_CHARS
    assert verifier.verify(provider.mint(name="  Kim\nMin\u202esu\x00 ")).name == "KimMinsu"
    # Decomposed Hangul is composed (NFC) before counting.
    decomposed = "\u1100\u1161" * 3
    assert verifier.verify(provider.mint(name=decomposed)).name == "가가가"


async def test_audience_list_containing_ours_is_accepted(provider: Provider) -> None:
    verifier = await _started(provider)

    identity = verifier.verify(provider.mint(aud=["account", AUDIENCE]))

    assert identity.subject.startswith("oidc:")


async def test_token_just_past_exp_is_within_leeway(provider: Provider) -> None:
    verifier = await _started(provider)
    now = int(time.time())
    assert MAX_LEEWAY_S > 20
    token = provider.mint(iat=now - 120, exp=now - 20)

    assert verifier.verify(token).expires_at == now - 20


async def test_trailing_slash_issuer_uses_spec_discovery_url(oidc_provider_class: Any) -> None:
    served = oidc_provider_class(issuer_path=REALM_PATH + "/")
    try:
        verifier = await _started(served)
        assert verifier.issuer.endswith("/realms/plaza/")
        assert served.discovery_path == REALM_PATH + "/.well-known/openid-configuration"
        assert verifier.verify(served.mint()).subject.startswith("oidc:")
        # iss must match exactly, trailing slash included.
        assert _refusal(verifier, served.mint(iss=served.issuer.rstrip("/"))) == (
            "token issuer not accepted"
        )
    finally:
        served.close()


async def test_jwk_without_alg_is_bound_to_first_allowed_matching_algorithm(
    provider: Provider,
) -> None:
    provider.jwk_alg = None
    verifier = await _started(provider, algorithms=("PS256", "RS256"))

    assert verifier.verify(provider.mint(alg="PS256")).subject.startswith("oidc:")
    # The same key may not be used with another algorithm, even an allowed one.
    assert _refusal(verifier, provider.mint(alg="RS256")) == "token algorithm not allowed"


# --- refused tokens -----------------------------------------------------------


# The algorithm is judged before the key id: with an unknown kid, these must not
# be reported as UnknownKeyError (which would make the caller refresh keys).
KIDS = pytest.mark.parametrize("known_kid", [True, False], ids=["known-kid", "unknown-kid"])


@KIDS
async def test_alg_none_is_refused(provider: Provider, known_kid: bool) -> None:
    verifier = await _started(provider)
    kid = provider.kid if known_kid else "unknown"
    header = _b64url_json({"alg": "none", "typ": "JWT", "kid": kid})
    token = f"{header}.{_b64url_json(provider.claims())}."

    assert _refusal(verifier, token) == "token algorithm not allowed"


@KIDS
async def test_hs256_keyed_with_public_key_is_refused(provider: Provider, known_kid: bool) -> None:
    verifier = await _started(provider)
    kid = provider.kid if known_kid else "unknown"
    header = _b64url_json({"alg": "HS256", "typ": "JWT", "kid": kid})
    signing_input = f"{header}.{_b64url_json(provider.claims())}"
    signature = hmac.new(provider.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{_b64url(signature)}"

    assert _refusal(verifier, token) == "token algorithm not allowed"


async def test_alg_other_than_the_keys_own_is_refused(provider: Provider) -> None:
    # The JWK says "alg": "RS256"; a PS256 token naming it is refused even though
    # PS256 is allowed in general.
    verifier = await _started(provider, algorithms=("RS256", "PS256"))

    assert _refusal(verifier, provider.mint(alg="PS256")) == "token algorithm not allowed"


async def test_wrong_audience_is_refused(provider: Provider) -> None:
    verifier = await _started(provider)

    assert _refusal(verifier, provider.mint(aud="other-app")) == "token audience not accepted"
    assert _refusal(verifier, provider.mint(aud=None)) == "token missing claim: aud"


@pytest.mark.parametrize(
    "issuer_suffix",
    ["-evil", "/extra", "/", ""],
    ids=["prefix-evil", "prefix-path", "trailing-slash", "other-realm"],
)
async def test_wrong_issuer_is_refused(provider: Provider, issuer_suffix: str) -> None:
    verifier = await _started(provider)
    issuer = provider.issuer + issuer_suffix if issuer_suffix else provider.base + "/realms/other"

    assert _refusal(verifier, provider.mint(iss=issuer)) == "token issuer not accepted"


async def test_expired_token_is_refused(provider: Provider) -> None:
    verifier = await _started(provider)
    now = int(time.time())
    token = provider.mint(iat=now - 600, exp=now - MAX_LEEWAY_S - 10)

    assert _refusal(verifier, token) == "token expired"


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "iss"])
async def test_missing_required_claim_is_refused(provider: Provider, claim: str) -> None:
    verifier = await _started(provider)

    assert _refusal(verifier, provider.mint(**{claim: None})) == f"token missing claim: {claim}"


async def test_future_not_before_is_refused(provider: Provider) -> None:
    verifier = await _started(provider)
    now = int(time.time())

    assert _refusal(verifier, provider.mint(nbf=now + 300)) == "token not yet valid"


async def test_signature_by_another_key_is_refused(provider: Provider) -> None:
    verifier = await _started(provider)
    forged = jwt.encode(
        provider.claims(), _new_rsa_key(), algorithm="RS256", headers={"kid": provider.kid}
    )

    assert _refusal(verifier, forged) == "token signature invalid"


@pytest.mark.parametrize("sub", ["has space", "", "x" * 200, 12345])
async def test_unusable_subject_is_refused(provider: Provider, sub: Any) -> None:
    verifier = await _started(provider)

    assert _refusal(verifier, provider.mint(sub=sub)) == "token claim invalid: sub"


async def test_numeric_string_times_are_refused(provider: Provider) -> None:
    verifier = await _started(provider)
    now = int(time.time())

    assert _refusal(verifier, provider.mint(exp=str(now + 60))) == "token claim invalid: exp"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("not-a-jwt", "malformed token"),
        ("a" * 5000, "token too large"),
        ("é.é.é", "malformed token"),
    ],
)
async def test_garbage_is_refused(provider: Provider, token: str, reason: str) -> None:
    verifier = await _started(provider)

    assert _refusal(verifier, token) == reason


async def test_unknown_kid_raises_unknown_key_error(provider: Provider) -> None:
    verifier = await _started(provider)
    stranger = _new_rsa_key()
    token = jwt.encode(provider.claims(), stranger, algorithm="RS256", headers={"kid": "nope"})
    no_kid = jwt.encode(provider.claims(), provider.keys[provider.kid], algorithm="RS256")

    for candidate in (token, no_kid):
        with pytest.raises(UnknownKeyError) as excinfo:
            verifier.verify(candidate)
        assert excinfo.value.reason == "token key id not recognized"
        assert isinstance(excinfo.value, AuthError)


# --- key rotation and refresh -------------------------------------------------


async def test_key_rotation_is_picked_up_by_refresh(provider: Provider) -> None:
    verifier = await _started(provider)
    old_kid = provider.kid
    old_token = provider.mint()
    new_kid = provider.rotate()
    new_token = provider.mint(kid=new_kid)

    with pytest.raises(UnknownKeyError):
        verifier.verify(new_token)
    assert await verifier.refresh_keys() is True

    assert verifier.verify(new_token).subject.startswith("oidc:")
    assert verifier.key_ids == {new_kid}
    # The dropped key no longer verifies anything.
    with pytest.raises(UnknownKeyError):
        verifier.verify(old_token)
    assert old_kid not in verifier.key_ids
    # A kid unknown to the provider stays unknown after the refresh.
    stranger = jwt.encode(
        provider.claims(), _new_rsa_key(), algorithm="RS256", headers={"kid": "key-999"}
    )
    with pytest.raises(UnknownKeyError):
        verifier.verify(stranger)


async def test_refresh_without_change_returns_false(provider: Provider) -> None:
    verifier = await _started(provider)
    fetches = provider.jwks_fetches

    assert await verifier.refresh_keys() is False
    assert provider.jwks_fetches == fetches + 1
    assert verifier.verify(provider.mint()).subject.startswith("oidc:")


async def test_refresh_is_rate_limited(provider: Provider) -> None:
    verifier = await _started(provider)
    assert provider.jwks_fetches == 1
    provider.rotate()

    first = await verifier.refresh_keys()
    provider.rotate()
    second = await verifier.refresh_keys()

    assert (first, second) == (True, False)
    assert provider.jwks_fetches == 2
    assert MIN_REFRESH_INTERVAL_S == 10


async def test_refresh_fetches_again_after_the_interval(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oidc_module, "MIN_REFRESH_INTERVAL_S", 0.05)
    verifier = await _started(provider)

    assert await verifier.refresh_keys() is False
    await asyncio.sleep(0.1)
    new_kid = provider.rotate()
    assert await verifier.refresh_keys() is True

    assert provider.jwks_fetches == 3
    assert verifier.key_ids == {new_kid}


async def test_concurrent_refreshes_share_one_fetch(provider: Provider) -> None:
    verifier = await _started(provider)
    new_kid = provider.rotate()
    provider.jwks_delay_s = 0.1

    results = await asyncio.gather(*(verifier.refresh_keys() for _ in range(5)))

    # Every caller got the shared fetch's answer (rate limiting alone would
    # have given all but the first False).
    assert results == [True] * 5
    assert provider.jwks_fetches == 2
    assert verifier.verify(provider.mint(kid=new_kid)).subject.startswith("oidc:")


async def test_cancelled_caller_does_not_cancel_the_shared_refresh(provider: Provider) -> None:
    verifier = await _started(provider)
    provider.rotate()
    provider.jwks_delay_s = 0.2

    impatient = asyncio.create_task(verifier.refresh_keys())
    patient = asyncio.create_task(verifier.refresh_keys())
    await asyncio.sleep(0.05)
    impatient.cancel()

    assert await patient is True
    assert impatient.cancelled()
    assert provider.jwks_fetches == 2


async def test_failed_refresh_keeps_old_keys(
    provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = await _started(provider)
    token = provider.mint()
    provider.raw_responses[provider.jwks_path] = (503, b"down for maintenance")

    with caplog.at_level(logging.WARNING, logger="server.oidc"):
        assert await verifier.refresh_keys() is False

    assert "HTTP status 503" in caplog.text
    assert verifier.verify(token).subject.startswith("oidc:")


async def test_refresh_to_unusable_key_set_keeps_old_keys(provider: Provider) -> None:
    verifier = await _started(provider)
    token = provider.mint()
    provider.jwks_document = {"keys": [{"kty": "oct", "k": _b64url(b"s" * 32), "kid": "h"}]}

    assert await verifier.refresh_keys() is False

    assert verifier.key_ids == {provider.kid}
    assert verifier.verify(token).subject.startswith("oidc:")


async def test_refresh_before_start_is_a_programming_error(provider: Provider) -> None:
    verifier = _verifier(provider)

    with pytest.raises(RuntimeError, match="start"):
        await verifier.refresh_keys()
    with pytest.raises(UnknownKeyError):
        verifier.verify(provider.mint())


# --- start() --------------------------------------------------------------------


async def test_start_unreachable_provider_names_the_url() -> None:
    issuer = f"http://127.0.0.1:{_closed_port()}/realms/plaza"
    verifier = OidcVerifier(issuer, AUDIENCE, fetch_timeout_s=2.0)

    with pytest.raises(OidcError, match="unreachable") as excinfo:
        await verifier.start()

    assert issuer + "/.well-known/openid-configuration" in str(excinfo.value)


async def test_start_refuses_issuer_mismatch(provider: Provider) -> None:
    provider.discovery_overrides["issuer"] = provider.issuer + "-evil"
    verifier = _verifier(provider)

    with pytest.raises(OidcError, match="issuer") as excinfo:
        await verifier.start()

    assert provider.issuer + "-evil" in str(excinfo.value)
    assert verifier.jwks_uri is None
    assert provider.jwks_fetches == 0


async def test_start_reports_http_status_and_non_json(provider: Provider) -> None:
    provider.raw_responses[provider.discovery_path] = (404, b"no such realm")
    with pytest.raises(OidcError, match="HTTP status 404"):
        await _verifier(provider).start()

    provider.raw_responses[provider.discovery_path] = (200, b"<html>login</html>")
    with pytest.raises(OidcError, match="not JSON"):
        await _verifier(provider).start()


async def test_start_refuses_oversized_document(provider: Provider) -> None:
    body = b"[" + b"0," * oidc_module.MAX_DOCUMENT_BYTES + b"0]"
    provider.raw_responses[provider.jwks_path] = (200, body)

    with pytest.raises(OidcError, match="larger than"):
        await _verifier(provider).start()


async def test_start_follows_redirects_only_to_safe_urls(provider: Provider) -> None:
    moved = REALM_PATH + "/moved-jwks"
    provider.raw_responses[moved] = (200, json.dumps(provider.public_jwks()).encode())
    provider.redirects[provider.jwks_path] = provider.base + moved
    verifier = await _started(provider)
    assert verifier.key_ids == {provider.kid}

    # A downgrade to plain HTTP off loopback would hand the keys to the network.
    provider.redirects[provider.jwks_path] = "http://id.example.com/jwks"
    with pytest.raises(OidcError, match="redirected"):
        await _verifier(provider).start()


async def test_start_refuses_plain_http_jwks_uri_off_loopback(provider: Provider) -> None:
    provider.discovery_overrides["jwks_uri"] = "http://id.example.com/jwks"

    with pytest.raises(OidcError, match="https"):
        await _verifier(provider).start()


@pytest.mark.parametrize(
    "keys",
    [
        [{"kty": "oct", "k": _b64url(b"k" * 32), "kid": "hs", "alg": "HS256"}],
        "enc",
        [],
    ],
    ids=["only-hs", "only-enc", "empty"],
)
async def test_start_refuses_key_set_without_usable_keys(provider: Provider, keys: Any) -> None:
    if keys == "enc":
        keys = provider.public_jwks()["keys"]
        for jwk in keys:
            jwk["use"] = "enc"
    provider.jwks_document = {"keys": keys}

    with pytest.raises(OidcError, match="no usable keys") as excinfo:
        await _verifier(provider).start()

    assert provider.jwks_path in str(excinfo.value)


async def test_start_skips_unusable_keys_but_keeps_good_ones(provider: Provider) -> None:
    good = provider.public_jwks()["keys"][0]
    enc = dict(good, kid="enc-key", use="enc")
    private = RSAAlgorithm.to_jwk(_new_rsa_key(), as_dict=True)
    private.update({"kid": "leaked", "use": "sig", "alg": "RS256"})
    hs = {"kty": "oct", "k": _b64url(b"k" * 32), "kid": "hs", "alg": "HS256"}
    provider.jwks_document = {"keys": [hs, enc, private, good]}

    verifier = await _started(provider)

    assert verifier.key_ids == {provider.kid}


async def test_start_does_not_block_the_event_loop(provider: Provider) -> None:
    provider.jwks_delay_s = 0.3
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await _verifier(provider).start()
    finally:
        task.cancel()

    # Blocking the loop for the 0.3 s delay would leave the ticker at 0 or 1.
    assert ticks >= 5


# --- construction ---------------------------------------------------------------


@pytest.mark.parametrize(
    "algorithms",
    [("HS256",), ("none",), ("RS256", "HS512"), (), "RS256"],
    ids=["hs256", "none", "mixed", "empty", "bare-string"],
)
def test_symmetric_or_missing_algorithms_are_refused(algorithms: Any) -> None:
    with pytest.raises(ValueError, match="algorithm"):
        OidcVerifier("https://id.seoul.go.kr/realms/plaza", AUDIENCE, algorithms=algorithms)


@pytest.mark.parametrize(
    "issuer",
    ["", "http://id.seoul.go.kr/realms/plaza", "file:///etc/passwd", "id.seoul.go.kr"],
)
def test_issuer_must_be_https(issuer: str) -> None:
    with pytest.raises(ValueError, match="issuer"):
        OidcVerifier(issuer, AUDIENCE)


def test_constructor_accepts_all_asymmetric_algorithms() -> None:
    verifier = OidcVerifier(
        "https://id.seoul.go.kr/realms/plaza",
        AUDIENCE,
        algorithms=oidc_module.ASYMMETRIC_ALGORITHMS,
    )

    assert verifier.algorithms == oidc_module.ASYMMETRIC_ALGORITHMS
    assert verifier.jwks_uri is None
    assert "id.seoul.go.kr" in repr(verifier)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), True])
def test_fetch_timeout_must_be_positive(timeout: Any) -> None:
    with pytest.raises(ValueError, match="fetch_timeout_s"):
        OidcVerifier("https://id.seoul.go.kr/realms/plaza", AUDIENCE, fetch_timeout_s=timeout)


def test_discovery_url_drops_the_trailing_slash() -> None:
    assert (
        oidc_module.discovery_url("https://id.seoul.go.kr/realms/plaza/")
        == "https://id.seoul.go.kr/realms/plaza/.well-known/openid-configuration"
    )
    assert (
        oidc_module.discovery_url("https://accounts.example")
        == "https://accounts.example/.well-known/openid-configuration"
    )
