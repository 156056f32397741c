"""Built-in access-token issuer and verifier.

A plaza instance that is not wired to an external identity provider still needs
signed, short-lived tokens so that a WebSocket connection can prove who it is.
:class:`TokenIssuer` fills that gap: it keeps one ES256 (P-256) signing key on
disk, mints JWTs for guests and local accounts, verifies them on connect, and
publishes the public half as a JWKS document so other services can verify the
same tokens without sharing a secret.
"""

from __future__ import annotations

import logging
import pathlib
import secrets
import time
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from server.signing_key import jwk_thumbprint, load_or_create_signing_key
from world.protocol import MAX_NAME_CHARS
from world.roles import Role, parse_role

__all__ = [
    "ACCESS_TOKEN_TTL_S",
    "ALGORITHM",
    "AUDIENCE",
    "ISSUER",
    "LOCALES",
    "MAX_LEEWAY_S",
    "MAX_NAME_CHARS",
    "MAX_TOKEN_BYTES",
    "AuthError",
    "Identity",
    "TokenIssuer",
    "TokenVerifier",
    "UnknownKeyError",
    "check_token_shape",
    "token_from_request",
    "unverified_header",
]

logger = logging.getLogger(__name__)

ACCESS_TOKEN_TTL_S = 900
"""Access tokens live at most 15 minutes; clients refresh rather than hold long-lived tokens."""

MAX_LEEWAY_S = 30
"""Clock skew tolerated on ``exp``/``nbf``/``iat`` between the minting and verifying hosts."""

ALGORITHM = "ES256"
"""The only signature algorithm accepted; a token naming any other ``alg`` is refused."""

ISSUER = "plaza-local"
"""Default ``iss`` of the built-in issuer."""

AUDIENCE = "plaza"
"""Default ``aud`` the built-in issuer mints for and insists on."""

LOCALES = ("ko", "en", "ja", "zh")
"""Locales a client may ask for."""

MAX_TOKEN_BYTES = 4096
"""Longest token ``verify`` will look at; real tokens are well under 1 KiB."""

_MAX_SUBJECT_CHARS = 128

# Beyond the registered claims, the identity claims are required too so that a
# token lacking them is reported as "missing claim" rather than as a bad value.
_REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "name", "role", "locale")

# Cc covers C0/C1 controls (newline, escape, DEL...), Cs lone surrogates that
# cannot be encoded as UTF-8, Zl/Zp separators that render as line breaks.
_REFUSED_NAME_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Bidi embeddings, overrides and isolates let a name reorder the text shown
# after it in chat and name tags, a classic spoofing trick.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


class AuthError(Exception):
    """A token was refused.

    ``reason`` is a short human-readable sentence that is safe to show the client:
    it says which check failed but never echoes token contents or key material.
    """

    reason: str

    def __init__(self, reason: str) -> None:
        """Create the error with the client-safe ``reason``."""
        super().__init__(reason)
        self.reason = reason


class UnknownKeyError(AuthError):
    """The token names a key id the verifier does not hold; a key refresh may find it."""


@dataclass(frozen=True)
class Identity:
    """Who a verified token speaks for."""

    subject: str
    """Stable user id, e.g. ``"guest:3f2a..."`` or ``"local:alice"``."""
    name: str
    """Display name."""
    role: Role
    """Role granted by the issuer."""
    locale: str
    """One of :data:`LOCALES`."""
    expires_at: float
    """Unix seconds after which the token is no longer accepted (before leeway)."""


class TokenVerifier(Protocol):
    """What the gateway and the HTTP API need to check an access token.

    ``verify`` is synchronous and cheap (keys are held in memory). When a token names a key
    id that is not held, it raises ``UnknownKeyError``; the caller then awaits
    ``refresh_keys`` once and verifies again, so a provider's key rotation is picked up
    without a restart.
    """

    def verify(self, token: str) -> Identity:
        """The identity a token carries; raises ``AuthError`` with a client-safe reason."""

    async def refresh_keys(self) -> bool:
        """Fetch the signing keys again; True if the key set changed."""


# The checks are listed most specific first because PyJWT's exceptions form a
# hierarchy (InvalidSignatureError is a DecodeError, for instance).
_REASONS: tuple[tuple[type[jwt.exceptions.PyJWTError], str], ...] = (
    (jwt.exceptions.ExpiredSignatureError, "token expired"),
    (jwt.exceptions.ImmatureSignatureError, "token not yet valid"),
    (jwt.exceptions.InvalidSignatureError, "token signature invalid"),
    (jwt.exceptions.InvalidAlgorithmError, "token algorithm not allowed"),
    (jwt.exceptions.InvalidIssuerError, "token issuer not accepted"),
    (jwt.exceptions.InvalidAudienceError, "token audience not accepted"),
    (jwt.exceptions.InvalidIssuedAtError, "token claim invalid: iat"),
)


def _reason_for(exc: jwt.exceptions.PyJWTError) -> str:
    """Map a PyJWT exception to a client-safe refusal reason."""
    if isinstance(exc, jwt.exceptions.MissingRequiredClaimError):
        return f"token missing claim: {exc.claim}"
    for exc_type, reason in _REASONS:
        if isinstance(exc, exc_type):
            return reason
    return "malformed token"


def _clean_name(name: object) -> str:
    """Return ``name`` normalised for display, or raise ValueError saying why it is refused."""
    if not isinstance(name, str):
        raise ValueError("name must be a string")
    # NFC first so that decomposed Hangul or accents (as typed on some platforms)
    # count the same as their composed form against the length limit.
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise ValueError("name must not be empty")
    if len(cleaned) > MAX_NAME_CHARS:
        raise ValueError(f"name must be at most {MAX_NAME_CHARS} characters, got {len(cleaned)}")
    for char in cleaned:
        if unicodedata.category(char) in _REFUSED_NAME_CATEGORIES or char in _BIDI_CONTROLS:
            raise ValueError(f"name must not contain control characters (found U+{ord(char):04X})")
    return cleaned


def _check_locale(locale: object) -> str:
    """Return ``locale`` if it is one of :data:`LOCALES`, else raise ValueError."""
    if not isinstance(locale, str) or locale not in LOCALES:
        raise ValueError(f"locale must be one of {', '.join(LOCALES)}; got {locale!r}")
    return locale


def _check_subject(subject: object) -> str:
    """Return ``subject`` if it is a usable user id, else raise ValueError."""
    if not isinstance(subject, str) or not subject:
        raise ValueError("subject must be a non-empty string")
    if len(subject) > _MAX_SUBJECT_CHARS:
        raise ValueError(f"subject must be at most {_MAX_SUBJECT_CHARS} characters")
    # Subjects end up as keys in logs, databases and moderation tools, where
    # whitespace or invisible characters would make two ids look identical.
    if not all(char.isprintable() and not char.isspace() for char in subject):
        raise ValueError("subject must not contain whitespace or control characters")
    return subject


def _check_role(role: object) -> Role:
    """Return ``role`` as a :class:`Role`, else raise ValueError."""
    if isinstance(role, Role):
        return role
    if isinstance(role, str):
        return parse_role(role)
    raise ValueError(f"role must be a Role, got {type(role).__name__}")


def _check_ttl(ttl_s: object) -> int:
    """Return ``ttl_s`` if it is a whole number of seconds in 1..ACCESS_TOKEN_TTL_S."""
    # bool is an int subclass; True as a TTL is certainly a bug at the call site.
    if isinstance(ttl_s, bool) or not isinstance(ttl_s, int):
        raise ValueError("ttl_s must be an integer number of seconds")
    if not 1 <= ttl_s <= ACCESS_TOKEN_TTL_S:
        raise ValueError(f"ttl_s must be between 1 and {ACCESS_TOKEN_TTL_S} seconds, got {ttl_s}")
    return ttl_s


def _is_number(value: object) -> bool:
    """True for JSON numbers; PyJWT alone would also accept numeric strings like "123"."""
    return isinstance(value, int | float) and not isinstance(value, bool)


class TokenIssuer:
    """Mints and verifies ES256 access tokens signed with one local key."""

    def __init__(
        self,
        private_key: ec.EllipticCurvePrivateKey,
        *,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
    ) -> None:
        """Wrap ``private_key``; most callers want :meth:`load_or_create` instead.

        Raises:
            ValueError: the key is not on P-256, or ``issuer``/``audience`` is empty.
        """
        if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(
            private_key.curve, ec.SECP256R1
        ):
            raise ValueError(f"{ALGORITHM} needs a P-256 private key")
        if not issuer or not audience:
            raise ValueError("issuer and audience must be non-empty")
        self._private_key = private_key
        self._public_key = private_key.public_key()
        self._issuer = issuer
        self._audience = audience
        public_jwk = ECAlgorithm.to_jwk(self._public_key, as_dict=True)
        self._kid = jwk_thumbprint(public_jwk)
        self._public_jwk: dict[str, Any] = {
            **public_jwk,
            "kid": self._kid,
            "use": "sig",
            "alg": ALGORITHM,
        }

    @classmethod
    def load_or_create(
        cls,
        data_dir: pathlib.Path,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
    ) -> TokenIssuer:
        """Load the signing key under ``data_dir``, generating it on first use.

        The key lives at ``data_dir/issuer/signing-key.pem`` (PKCS#8 PEM, file
        mode 0600 in a 0700 directory when created here). Reusing it across
        restarts keeps already-issued tokens valid.

        Raises:
            ValueError: the key file exists but is not an unencrypted P-256 key.
            OSError: the key directory or file cannot be created or read.
        """
        return cls(load_or_create_signing_key(data_dir), issuer=issuer, audience=audience)

    @property
    def kid(self) -> str:
        """Key id: the RFC 7638 thumbprint of the public key."""
        return self._kid

    @property
    def issuer(self) -> str:
        """The ``iss`` this instance mints and accepts."""
        return self._issuer

    @property
    def audience(self) -> str:
        """The ``aud`` this instance mints and accepts."""
        return self._audience

    def __repr__(self) -> str:
        """Identify the issuer in logs without exposing key material."""
        return (
            f"TokenIssuer(issuer={self._issuer!r}, audience={self._audience!r}, kid={self._kid!r})"
        )

    def mint(
        self,
        *,
        subject: str,
        name: str,
        role: Role,
        locale: str = "ko",
        ttl_s: int = ACCESS_TOKEN_TTL_S,
    ) -> str:
        """Return a signed access token for ``subject``.

        ``name`` is NFC-normalised and stripped before it is stored.

        Raises:
            ValueError: the name is empty, longer than :data:`MAX_NAME_CHARS` or
                contains control characters; the locale is not in :data:`LOCALES`;
                ``ttl_s`` is outside 1..:data:`ACCESS_TOKEN_TTL_S`; the subject
                is empty, too long or contains whitespace; the role is unknown.
        """
        token, _ = self._mint(
            subject=subject, name=name, role=role, locale=locale, ttl_s=ttl_s, now=time.time()
        )
        return token

    def mint_guest(self, name: str, locale: str) -> tuple[str, Identity]:
        """Mint a token for a new anonymous guest and return it with its identity.

        Each call creates a fresh ``"guest:<uuid4 hex>"`` subject, so guests
        never share an identity.

        Raises:
            ValueError: as for :meth:`mint`.
        """
        return self._mint(
            subject=f"guest:{uuid.uuid4().hex}",
            name=name,
            role=Role.GUEST,
            locale=locale,
            ttl_s=ACCESS_TOKEN_TTL_S,
            now=time.time(),
        )

    def _mint(
        self,
        *,
        subject: str,
        name: str,
        role: Role,
        locale: str,
        ttl_s: int,
        now: float,
    ) -> tuple[str, Identity]:
        """Mint as of ``now`` (unix seconds); tests use it to make expired tokens."""
        subject = _check_subject(subject)
        name = _clean_name(name)
        role = _check_role(role)
        locale = _check_locale(locale)
        ttl_s = _check_ttl(ttl_s)
        issued_at = int(now)
        expires_at = issued_at + ttl_s
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "name": name,
            "role": role.value,
            "locale": locale,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": expires_at,
            # A unique id lets a future deny-list revoke a single token.
            "jti": secrets.token_urlsafe(16),
        }
        token = jwt.encode(
            claims, self._private_key, algorithm=ALGORITHM, headers={"kid": self._kid}
        )
        identity = Identity(
            subject=subject, name=name, role=role, locale=locale, expires_at=float(expires_at)
        )
        return token, identity

    def verify(self, token: str) -> Identity:
        """Check ``token`` and return the identity it carries.

        Raises:
            AuthError: the token is refused; ``reason`` says why, e.g.
                ``"token expired"``, ``"token signature invalid"``,
                ``"token algorithm not allowed"``, ``"token missing claim: exp"``.
        """
        header = unverified_header(token)
        # Checked before the kid so that alg confusion ("none", or HS256 keyed
        # with our public key) is reported as such whatever kid it carries.
        # PyJWT enforces the same pin again below.
        if header.get("alg") != ALGORITHM:
            raise AuthError("token algorithm not allowed")
        if header.get("kid") != self._kid:
            raise UnknownKeyError("token key id not recognized")
        try:
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=MAX_LEEWAY_S,
                options={"require": list(_REQUIRED_CLAIMS), "strict_aud": True},
            )
        except jwt.exceptions.PyJWTError as exc:
            raise AuthError(_reason_for(exc)) from exc
        return self._identity_from_claims(claims)

    def _identity_from_claims(self, claims: Mapping[str, Any]) -> Identity:
        """Validate the non-registered claims of a signature-checked token."""
        # Even with a good signature these are re-checked: the key may be shared
        # with other tools, and a bad value must not reach the simulation.
        subject = claims["sub"]
        try:
            _check_subject(subject)
        except ValueError:
            raise AuthError("token claim invalid: sub") from None
        try:
            role = _check_role(claims["role"])
        except ValueError:
            raise AuthError("token claim invalid: role") from None
        name = claims["name"]
        try:
            # A name that normalisation would change was not minted here.
            if _clean_name(name) != name:
                raise ValueError("name is not normalised")
        except ValueError:
            raise AuthError("token claim invalid: name") from None
        try:
            locale = _check_locale(claims["locale"])
        except ValueError:
            raise AuthError("token claim invalid: locale") from None
        expires_at, issued_at = claims["exp"], claims["iat"]
        if not _is_number(expires_at):
            raise AuthError("token claim invalid: exp")
        if not _is_number(issued_at):
            raise AuthError("token claim invalid: iat")
        # Holds for everything mint() produces; refusing longer lifetimes keeps
        # the 15-minute bound true even for tokens minted by other tools.
        if expires_at - issued_at > ACCESS_TOKEN_TTL_S:
            raise AuthError("token lifetime too long")
        return Identity(
            subject=subject, name=name, role=role, locale=locale, expires_at=float(expires_at)
        )

    async def refresh_keys(self) -> bool:
        """The built-in issuer holds its only key; there is nothing to fetch."""
        return False

    def jwks(self) -> dict[str, Any]:
        """Return the public JWKS document: ``{"keys": [<public JWK>]}``.

        The JWK carries ``kid``, ``use: "sig"`` and ``alg: "ES256"`` and never
        the private scalar ``d``. A fresh dict is returned on each call so that
        callers may serialise or amend it freely.
        """
        return {"keys": [dict(self._public_jwk)]}


def check_token_shape(token: object) -> str:
    """``token`` if it may be parsed at all: a string of at most ``MAX_TOKEN_BYTES`` ASCII
    characters. Bounds the work an unauthenticated peer can cause before any parsing."""
    if not isinstance(token, str):
        raise AuthError("malformed token")
    if len(token) > MAX_TOKEN_BYTES:
        raise AuthError("token too large")
    # Compact JWS is pure base64url and dots; with ASCII only, the length check above is
    # also a byte count.
    if not token.isascii():
        raise AuthError("malformed token")
    return token


def unverified_header(token: object) -> dict[str, Any]:
    """The JOSE header of a token of acceptable shape, not yet trusted; ``AuthError`` if the
    token is too large or not a compact JWS."""
    try:
        header: dict[str, Any] = jwt.get_unverified_header(check_token_shape(token))
    except jwt.exceptions.PyJWTError as exc:
        raise AuthError("malformed token") from exc
    return header


def token_from_request(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """Extract a bearer token from an HTTP/WebSocket upgrade request.

    ``headers`` maps lower-cased header names to values. An
    ``Authorization: Bearer <token>`` header (scheme matched case-insensitively)
    wins; otherwise the ``token`` query parameter is used, because browsers
    cannot set headers on a WebSocket handshake. Returns None when neither
    carries a token.
    """
    authorization = headers.get("authorization")
    if authorization:
        parts = authorization.split(None, 1)
        if len(parts) == 2 and parts[0].lower() == "bearer":
            bearer = parts[1].strip()
            if bearer:
                return bearer
    from_query = query.get("token")
    if from_query:
        from_query = from_query.strip()
    return from_query or None
