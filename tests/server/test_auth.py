"""Tests for the built-in token issuer in server.auth."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import os
import pathlib
import re
import stat
import time
import unicodedata
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.auth import (
    ACCESS_TOKEN_TTL_S,
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    LOCALES,
    MAX_LEEWAY_S,
    MAX_NAME_CHARS,
    MAX_TOKEN_BYTES,
    AuthError,
    Identity,
    TokenIssuer,
    token_from_request,
)
from server.signing_key import create_key_file, jwk_thumbprint
from world.roles import Role

__all__: list[str] = []

POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


# --- helpers -----------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _key_path(data_dir: pathlib.Path) -> pathlib.Path:
    return data_dir / "issuer" / "signing-key.pem"


def _stored_key(data_dir: pathlib.Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(_key_path(data_dir).read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "local:alice",
        "name": "Alice",
        "role": "citizen",
        "locale": "en",
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "jti": "test-jti",
    }
    claims.update(overrides)
    return claims


def _sign(key: Any, claims: dict[str, Any], *, alg: str = ALGORITHM, kid: str | None) -> str:
    """Sign raw claims, bypassing the type checks jwt.encode applies to iss/aud/exp."""
    headers = {} if kid is None else {"kid": kid}
    return jwt.PyJWS().encode(json.dumps(claims).encode(), key, algorithm=alg, headers=headers)


def _hs256_token(secret: bytes, claims: dict[str, Any], kid: str) -> str:
    """HS256 by hand: PyJWT itself refuses PEM/DER bytes as an HMAC secret."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = _b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def _refusal(issuer: TokenIssuer, token: Any) -> str:
    with pytest.raises(AuthError) as excinfo:
        issuer.verify(token)
    assert str(excinfo.value) == excinfo.value.reason
    return excinfo.value.reason


@pytest.fixture
def data_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "data"


@pytest.fixture
def issuer(data_dir: pathlib.Path) -> TokenIssuer:
    return TokenIssuer.load_or_create(data_dir)


@pytest.fixture
def signing_key(issuer: TokenIssuer, data_dir: pathlib.Path) -> ec.EllipticCurvePrivateKey:
    return _stored_key(data_dir)


# --- key storage -------------------------------------------------------------


def test_key_is_created_then_reused(data_dir: pathlib.Path) -> None:
    first = TokenIssuer.load_or_create(data_dir)
    pem = _key_path(data_dir).read_bytes()
    second = TokenIssuer.load_or_create(data_dir)

    assert first.kid == second.kid
    assert _key_path(data_dir).read_bytes() == pem
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    # A token minted before a restart still verifies after it.
    token = first.mint(subject="local:alice", name="Alice", role=Role.CITIZEN)
    assert second.verify(token).subject == "local:alice"
    # No temp files are left behind next to the key.
    assert sorted(p.name for p in _key_path(data_dir).parent.iterdir()) == ["signing-key.pem"]


@POSIX_ONLY
def test_key_file_and_directory_are_private(data_dir: pathlib.Path) -> None:
    TokenIssuer.load_or_create(data_dir)
    TokenIssuer.load_or_create(data_dir)

    assert stat.S_IMODE(_key_path(data_dir).stat().st_mode) == 0o600
    assert stat.S_IMODE(_key_path(data_dir).parent.stat().st_mode) == 0o700


@POSIX_ONLY
def test_key_is_private_even_with_a_loose_umask(data_dir: pathlib.Path) -> None:
    previous = os.umask(0o000)
    try:
        TokenIssuer.load_or_create(data_dir)
    finally:
        os.umask(previous)

    assert stat.S_IMODE(_key_path(data_dir).stat().st_mode) == 0o600
    assert stat.S_IMODE(_key_path(data_dir).parent.stat().st_mode) == 0o700


def test_kid_is_rfc7638_thumbprint(issuer: TokenIssuer, signing_key: Any) -> None:
    numbers = signing_key.public_key().public_numbers()
    canonical = json.dumps(
        {
            "crv": "P-256",
            "kty": "EC",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        },
        separators=(",", ":"),
    )
    assert issuer.kid == _b64url(hashlib.sha256(canonical.encode()).digest())


def test_thumbprint_matches_rfc7638_example() -> None:
    # RFC 7638 section 3.1; optional members such as kid/alg must not matter.
    jwk = {
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
            "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
            "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
            "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_losing_a_creation_race_adopts_the_published_key(data_dir: pathlib.Path) -> None:
    TokenIssuer.load_or_create(data_dir)
    published = _key_path(data_dir).read_bytes()

    # As if another process linked its key between our read and our write.
    assert create_key_file(_key_path(data_dir)) == published
    assert _key_path(data_dir).read_bytes() == published
    assert sorted(p.name for p in _key_path(data_dir).parent.iterdir()) == ["signing-key.pem"]


def test_corrupt_key_file_is_reported_with_its_path(data_dir: pathlib.Path) -> None:
    _key_path(data_dir).parent.mkdir(parents=True)
    _key_path(data_dir).write_bytes(b"not a key")

    with pytest.raises(ValueError, match=re.escape("signing-key.pem")):
        TokenIssuer.load_or_create(data_dir)


def test_key_on_another_curve_is_refused(data_dir: pathlib.Path) -> None:
    _key_path(data_dir).parent.mkdir(parents=True)
    other = ec.generate_private_key(ec.SECP384R1())
    _key_path(data_dir).write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    with pytest.raises(ValueError, match="P-256"):
        TokenIssuer.load_or_create(data_dir)


@POSIX_ONLY
def test_world_readable_key_is_warned_about(
    data_dir: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    TokenIssuer.load_or_create(data_dir)
    _key_path(data_dir).chmod(0o644)

    with caplog.at_level(logging.WARNING, logger="server.auth"):
        TokenIssuer.load_or_create(data_dir)

    assert "chmod 600" in caplog.text


# --- minting -----------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_mint_verify_round_trip(issuer: TokenIssuer, role: Role) -> None:
    before = time.time()
    token = issuer.mint(subject="local:alice", name="  Alice  ", role=role, locale="ja", ttl_s=300)

    identity = issuer.verify(token)

    assert identity == Identity(
        subject="local:alice",
        name="Alice",
        role=role,
        locale="ja",
        expires_at=identity.expires_at,
    )
    assert before - 1 + 300 <= identity.expires_at <= time.time() + 300
    assert isinstance(identity.role, Role)


def test_minted_token_carries_the_documented_claims(issuer: TokenIssuer) -> None:
    token = issuer.mint(subject="local:bob", name="Bob", role=Role.STAFF)

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})

    assert header["alg"] == ALGORITHM
    assert header["kid"] == issuer.kid
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == "local:bob"
    assert claims["name"] == "Bob"
    assert claims["role"] == "staff"
    assert claims["locale"] == "ko"  # the default
    assert claims["nbf"] == claims["iat"]
    assert claims["exp"] - claims["iat"] == ACCESS_TOKEN_TTL_S
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16


def test_each_token_gets_a_fresh_jti(issuer: TokenIssuer) -> None:
    tokens = [issuer.mint(subject="local:a", name="A", role=Role.GUEST) for _ in range(3)]
    jtis = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in tokens}
    assert len(jtis) == 3


def test_mint_guest(issuer: TokenIssuer) -> None:
    token, identity = issuer.mint_guest("Visitor", "zh")
    _, other = issuer.mint_guest("Visitor", "zh")

    assert identity.role is Role.GUEST
    assert identity.name == "Visitor"
    assert identity.locale == "zh"
    prefix, _, hex_id = identity.subject.partition(":")
    assert prefix == "guest"
    assert len(hex_id) == 32 and int(hex_id, 16) >= 0
    assert other.subject != identity.subject
    assert issuer.verify(token) == identity


def test_mint_guest_validates_like_mint(issuer: TokenIssuer) -> None:
    with pytest.raises(ValueError, match="locale"):
        issuer.mint_guest("Visitor", "fr")
    with pytest.raises(ValueError, match="name"):
        issuer.mint_guest("   ", "ko")


def test_name_limits_count_characters_after_normalisation(issuer: TokenIssuer) -> None:
    longest = "가" * MAX_NAME_CHARS
    # Decomposed Hangul is three code points per syllable until NFC recombines it.
    decomposed = unicodedata.normalize("NFD", longest)
    assert len(decomposed) > MAX_NAME_CHARS

    identity = issuer.verify(issuer.mint(subject="local:k", name=decomposed, role=Role.CITIZEN))

    assert identity.name == longest


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "name must not be empty"),
        ({"name": " \t "}, "name must not be empty"),
        ({"name": "a" * (MAX_NAME_CHARS + 1)}, f"at most {MAX_NAME_CHARS} characters"),
        ({"name": "a\nb"}, "control characters"),
        ({"name": "a\x00b"}, "control characters"),
        ({"name": "a\x7fb"}, "control characters"),
        ({"name": "a\u2028b"}, "control characters"),
        ({"name": "admin\u202egnp.exe"}, "control characters"),
        ({"locale": "fr"}, "locale must be one of ko, en, ja, zh"),
        ({"locale": "KO"}, "locale must be one of"),
        ({"ttl_s": 0}, "between 1 and 900"),
        ({"ttl_s": -5}, "between 1 and 900"),
        ({"ttl_s": ACCESS_TOKEN_TTL_S + 1}, "between 1 and 900"),
        ({"ttl_s": True}, "integer number of seconds"),
        ({"ttl_s": 1.5}, "integer number of seconds"),
        ({"role": "root"}, "unknown role 'root'"),
        ({"subject": ""}, "subject must be a non-empty string"),
        ({"subject": "local:a b"}, "whitespace"),
        ({"subject": "x" * 129}, "at most 128"),
    ],
)
def test_mint_refuses_bad_input(issuer: TokenIssuer, kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"subject": "local:a", "name": "A", "role": Role.CITIZEN}
    arguments.update(kwargs)

    with pytest.raises(ValueError, match=re.escape(message)):
        issuer.mint(**arguments)


def test_mint_accepts_boundaries(issuer: TokenIssuer) -> None:
    for locale in LOCALES:
        for ttl_s in (1, ACCESS_TOKEN_TTL_S):
            token = issuer.mint(
                subject="local:a",
                name="a" * MAX_NAME_CHARS,
                role=Role.ADMIN,
                locale=locale,
                ttl_s=ttl_s,
            )
            assert issuer.verify(token).locale == locale


def test_identity_is_frozen(issuer: TokenIssuer) -> None:
    _, identity = issuer.mint_guest("Visitor", "ko")
    with pytest.raises(dataclasses.FrozenInstanceError):
        identity.role = Role.ADMIN  # type: ignore[misc]


# --- refusals ----------------------------------------------------------------


def test_expired_token_is_refused(issuer: TokenIssuer) -> None:
    an_hour_ago = time.time() - 3600
    token, _ = issuer._mint(
        subject="local:a", name="A", role=Role.CITIZEN, locale="ko", ttl_s=60, now=an_hour_ago
    )

    assert _refusal(issuer, token) == "token expired"


def test_clock_skew_within_leeway_is_tolerated(issuer: TokenIssuer) -> None:
    # Expired MAX_LEEWAY_S / 2 seconds ago: still inside the tolerated skew.
    slightly_late = time.time() - 60 - MAX_LEEWAY_S // 2
    token, _ = issuer._mint(
        subject="local:a", name="A", role=Role.CITIZEN, locale="ko", ttl_s=60, now=slightly_late
    )
    assert issuer.verify(token).subject == "local:a"

    too_late = time.time() - 60 - 2 * MAX_LEEWAY_S
    token, _ = issuer._mint(
        subject="local:a", name="A", role=Role.CITIZEN, locale="ko", ttl_s=60, now=too_late
    )
    assert _refusal(issuer, token) == "token expired"


def test_token_from_the_future_is_refused(issuer: TokenIssuer) -> None:
    later = time.time() + 4 * MAX_LEEWAY_S
    token, _ = issuer._mint(
        subject="local:a", name="A", role=Role.CITIZEN, locale="ko", ttl_s=60, now=later
    )

    assert _refusal(issuer, token) == "token not yet valid"


def test_signature_from_another_key_is_refused(issuer: TokenIssuer) -> None:
    impostor = ec.generate_private_key(ec.SECP256R1())
    # Claiming our kid does not help without our key.
    token = _sign(impostor, _claims(), kid=issuer.kid)

    assert _refusal(issuer, token) == "token signature invalid"


def test_tampered_payload_is_refused(issuer: TokenIssuer) -> None:
    token = issuer.mint(subject="local:a", name="A", role=Role.GUEST)
    header, _, signature = token.split(".")
    promoted = _claims(sub="local:a", name="A", role="admin")
    forged = f"{header}.{_b64url(json.dumps(promoted).encode())}.{signature}"

    assert _refusal(issuer, forged) == "token signature invalid"


def test_unknown_kid_is_refused(issuer: TokenIssuer, tmp_path: pathlib.Path) -> None:
    other = TokenIssuer.load_or_create(tmp_path / "elsewhere")
    token = other.mint(subject="local:a", name="A", role=Role.CITIZEN)
    assert other.kid != issuer.kid

    assert _refusal(issuer, token) == "token key id not recognized"


def test_missing_kid_is_refused(issuer: TokenIssuer, signing_key: Any) -> None:
    assert _refusal(issuer, _sign(signing_key, _claims(), kid=None)) == (
        "token key id not recognized"
    )


def test_wrong_issuer_is_refused(
    issuer: TokenIssuer, signing_key: Any, data_dir: pathlib.Path
) -> None:
    token = _sign(signing_key, _claims(iss="someone-else"), kid=issuer.kid)
    assert _refusal(issuer, token) == "token issuer not accepted"

    # Same key, different configured issuer: tokens of the default issuer are refused.
    strict = TokenIssuer.load_or_create(data_dir, issuer="plaza-prod")
    default_token = issuer.mint(subject="local:a", name="A", role=Role.CITIZEN)
    assert _refusal(strict, default_token) == "token issuer not accepted"
    assert strict.verify(strict.mint(subject="local:a", name="A", role=Role.CITIZEN))


@pytest.mark.parametrize("audience", ["other-service", ["plaza", "other-service"], 7])
def test_wrong_audience_is_refused(issuer: TokenIssuer, signing_key: Any, audience: Any) -> None:
    token = _sign(signing_key, _claims(aud=audience), kid=issuer.kid)
    assert _refusal(issuer, token) == "token audience not accepted"


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub", "name", "role", "locale"])
def test_missing_claim_is_refused(issuer: TokenIssuer, signing_key: Any, claim: str) -> None:
    claims = _claims()
    del claims[claim]
    token = _sign(signing_key, claims, kid=issuer.kid)

    assert _refusal(issuer, token) == f"token missing claim: {claim}"


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("role", "root"),
        ("role", "Admin"),
        ("role", ["admin"]),
        ("name", ""),
        ("name", "a" * (MAX_NAME_CHARS + 1)),
        ("name", "evil\nname"),
        ("name", " padded "),
        ("name", 42),
        ("locale", "fr"),
        ("locale", ["ko"]),
        ("sub", ""),
        # Far ahead: the value is computed when tests are collected, minutes before this runs.
        ("exp", str(int(time.time()) + 86400)),
        ("iat", str(int(time.time()))),
    ],
)
def test_bad_claim_value_is_refused(
    issuer: TokenIssuer, signing_key: Any, claim: str, value: Any
) -> None:
    token = _sign(signing_key, _claims(**{claim: value}), kid=issuer.kid)

    assert _refusal(issuer, token) == f"token claim invalid: {claim}"


def test_lifetime_over_the_maximum_is_refused(issuer: TokenIssuer, signing_key: Any) -> None:
    now = int(time.time())
    claims = _claims(iat=now, nbf=now, exp=now + ACCESS_TOKEN_TTL_S + 1)
    token = _sign(signing_key, claims, kid=issuer.kid)

    assert _refusal(issuer, token) == "token lifetime too long"


def test_alg_none_is_refused(issuer: TokenIssuer) -> None:
    unsigned = jwt.encode(_claims(role="admin"), "", algorithm="none")
    with_kid = jwt.encode(_claims(role="admin"), "", algorithm="none", headers={"kid": issuer.kid})

    assert _refusal(issuer, unsigned) == "token algorithm not allowed"
    assert _refusal(issuer, with_kid) == "token algorithm not allowed"


@pytest.mark.parametrize("encoding", [serialization.Encoding.PEM, serialization.Encoding.DER])
def test_hs256_keyed_with_the_public_key_is_refused(
    issuer: TokenIssuer, signing_key: Any, encoding: serialization.Encoding
) -> None:
    # The classic alg-confusion attack: the public key is public, so if a
    # verifier let the header pick HMAC, anyone could forge tokens with it.
    public_bytes = signing_key.public_key().public_bytes(
        encoding, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = _hs256_token(public_bytes, _claims(role="admin"), kid=issuer.kid)

    assert _refusal(issuer, token) == "token algorithm not allowed"


def test_other_asymmetric_algorithm_is_refused(issuer: TokenIssuer) -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    token = _sign(p384, _claims(), alg="ES384", kid=issuer.kid)

    assert _refusal(issuer, token) == "token algorithm not allowed"


def test_oversized_token_is_refused_before_parsing(issuer: TokenIssuer, signing_key: Any) -> None:
    padded = _sign(signing_key, _claims(padding="x" * MAX_TOKEN_BYTES), kid=issuer.kid)
    assert len(padded) > MAX_TOKEN_BYTES

    assert _refusal(issuer, padded) == "token too large"
    assert _refusal(issuer, "a" * (MAX_TOKEN_BYTES + 1)) == "token too large"
    # At the limit the size check passes and the usual parsing rejects it.
    assert _refusal(issuer, "a" * MAX_TOKEN_BYTES) == "malformed token"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not-a-token",
        "a.b",
        "a.b.c",
        "!!!.!!!.!!!",
        "é.é.é",
        _b64url(b"[1]") + ".e30.",
        _b64url(b'{"alg":"ES256","kid":7}') + ".e30.",
        None,
        b"bytes.are.not.str",
    ],
)
def test_garbage_is_refused(issuer: TokenIssuer, garbage: Any) -> None:
    assert _refusal(issuer, garbage) == "malformed token"


def test_non_json_payload_is_refused(issuer: TokenIssuer, signing_key: Any) -> None:
    token = jwt.PyJWS().encode(
        b"not json", signing_key, algorithm=ALGORITHM, headers={"kid": issuer.kid}
    )
    assert _refusal(issuer, token) == "malformed token"


# --- JWKS --------------------------------------------------------------------


def test_jwks_publishes_the_public_key_only(issuer: TokenIssuer) -> None:
    document = issuer.jwks()

    assert list(document) == ["keys"]
    [key] = document["keys"]
    assert key["kty"] == "EC"
    assert key["crv"] == "P-256"
    assert key["kid"] == issuer.kid
    assert key["use"] == "sig"
    assert key["alg"] == ALGORITHM
    assert "d" not in key
    json.dumps(document)  # served as-is over HTTP

    # Callers get a copy, not the issuer's own state.
    key["kid"] = "tampered"
    assert issuer.jwks()["keys"][0]["kid"] == issuer.kid


def test_jwks_verifies_a_token_through_pyjwk(issuer: TokenIssuer) -> None:
    token = issuer.mint(subject="local:carol", name="Carol", role=Role.MODERATOR)
    keys = {key["kid"]: key for key in issuer.jwks()["keys"]}

    public = jwt.PyJWK(keys[jwt.get_unverified_header(token)["kid"]])
    claims = jwt.decode(token, public, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER)

    assert public.key_id == issuer.kid
    assert public.algorithm_name == ALGORITHM
    assert claims["sub"] == "local:carol"
    assert claims["role"] == "moderator"


# --- token_from_request ------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({"authorization": "Bearer abc.def.ghi"}, {}, "abc.def.ghi"),
        ({"authorization": "bearer abc.def.ghi"}, {}, "abc.def.ghi"),
        ({"authorization": "BEARER   abc.def.ghi  "}, {}, "abc.def.ghi"),
        ({}, {"token": "q.q.q"}, "q.q.q"),
        ({"authorization": "Bearer h.h.h"}, {"token": "q.q.q"}, "h.h.h"),
        ({"authorization": "Basic dXNlcjpwYXNz"}, {"token": "q.q.q"}, "q.q.q"),
        ({"authorization": "Basic dXNlcjpwYXNz"}, {}, None),
        ({"authorization": "Bearer"}, {}, None),
        ({"authorization": "Bearer   "}, {"token": "q.q.q"}, "q.q.q"),
        ({"authorization": ""}, {}, None),
        ({}, {"token": ""}, None),
        ({}, {"other": "x"}, None),
        ({}, {}, None),
    ],
)
def test_token_from_request(
    headers: dict[str, str], query: dict[str, str], expected: str | None
) -> None:
    assert token_from_request(headers, query) == expected


def test_token_from_request_feeds_verify(issuer: TokenIssuer) -> None:
    token = issuer.mint(subject="local:dave", name="Dave", role=Role.ORGANIZER)
    found = token_from_request({"authorization": f"Bearer {token}"}, {})

    assert found is not None
    assert issuer.verify(found).role is Role.ORGANIZER


def test_auth_error_exposes_reason() -> None:
    error = AuthError("token expired")
    assert error.reason == "token expired"
    assert str(error) == "token expired"
