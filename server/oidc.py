"""Access-token verification against a city's own OpenID Connect provider.

A city that already runs an identity provider (Keycloak, Entra ID, a national
login service...) wants its residents to sign in to the plaza with the account
they have, and Plaza must not hold their passwords or a shared secret.
:class:`OidcVerifier` therefore only ever holds the provider's *public* keys:

* :meth:`OidcVerifier.start` reads the provider's discovery document
  (``<issuer>/.well-known/openid-configuration``), insists that it names exactly
  the configured issuer, and loads the JSON Web Key Set its ``jwks_uri`` points
  to. The HTTP requests run in a worker thread (stdlib ``urllib`` through
  :func:`asyncio.to_thread`), so a slow provider never stalls the event loop that
  runs the simulation and the WebSockets.
* :meth:`OidcVerifier.verify` is synchronous and works from memory, with the
  same hardening as the built-in :class:`~server.auth.TokenIssuer`: bounded
  size, the ``alg`` pinned to an allow-list of asymmetric algorithms before the
  key id is even looked at, exact issuer and audience, bounded clock leeway.
  Key material offered by the token itself (``jku``, ``jwk``, ``x5u`` headers) is
  never used: only keys fetched from the configured provider verify signatures.
* Providers rotate their keys. A token naming a key id we do not hold raises
  :class:`~server.auth.UnknownKeyError`; the caller awaits
  :meth:`OidcVerifier.refresh_keys` and verifies again. Refreshes are shared
  between concurrent callers and rate-limited (:data:`MIN_REFRESH_INTERVAL_S`),
  because anybody can send a token with a random key id and must not be able to
  make us hammer the city's provider.

What a verified token grants is mapped onto plaza concepts: the subject is
namespaced as ``"oidc:<sub>"`` so it can never collide with the built-in
``"guest:"``/``"local:"`` subjects; the role comes from a configurable claim and
defaults to citizen (a signed-in city account is a citizen); the display name
and locale are cleaned up rather than refused, since a resident cannot edit the
city's directory; and a session is never granted for longer than
:data:`~server.auth.ACCESS_TOKEN_TTL_S`, whatever lifetime the provider gives
its tokens.
"""

from __future__ import annotations

import asyncio
import http.client
import ipaddress
import json
import logging
import math
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

import jwt

from server.auth import (
    _BIDI_CONTROLS,
    _REFUSED_NAME_CATEGORIES,
    ACCESS_TOKEN_TTL_S,
    LOCALES,
    MAX_LEEWAY_S,
    MAX_NAME_CHARS,
    AuthError,
    Identity,
    UnknownKeyError,
    _check_subject,
    _clean_name,
    _is_number,
    _reason_for,
    unverified_header,
)
from world.roles import Role

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "DEFAULT_FETCH_TIMEOUT_S",
    "DISCOVERY_PATH",
    "MAX_DOCUMENT_BYTES",
    "MIN_REFRESH_INTERVAL_S",
    "SUBJECT_PREFIX",
    "OidcError",
    "OidcVerifier",
    "discovery_url",
]

logger = logging.getLogger(__name__)

ASYMMETRIC_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
"""Signature algorithms an :class:`OidcVerifier` may be configured to accept.

Only public-key algorithms: with HS* the verifier would need the provider's
secret, and a secret known to every plaza server could mint tokens as well.
"""

DEFAULT_FETCH_TIMEOUT_S = 5.0
"""Default bound on one discovery or JWKS request."""

MIN_REFRESH_INTERVAL_S = 10.0
"""Least time between two JWKS fetches made by :meth:`OidcVerifier.refresh_keys`."""

MAX_DOCUMENT_BYTES = 1024 * 1024
"""Largest discovery or JWKS document read; real ones are a few KiB."""

DISCOVERY_PATH = "/.well-known/openid-configuration"
"""Appended to the issuer (OpenID Connect Discovery 1.0, section 4)."""

SUBJECT_PREFIX = "oidc:"
"""Namespace of the subjects this verifier produces, e.g. ``"oidc:f81d4fae-..."``."""

# Which JWK key types (and curves) can carry each algorithm; used to bind a
# JWK without an "alg" member to one allowed algorithm.
_RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
_EC_CURVE_ALGORITHM = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
_OKP_CURVES = frozenset({"Ed25519", "Ed448"})

# Members that only a private JWK has; a JWKS publishing them is leaking keys.
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})

_LOOPBACK_NAMES = frozenset({"localhost"})

_READ_CHUNK_BYTES = 64 * 1024

# PyJWT >= 2.10 checks that "sub" is a string itself; older versions leave it to us.
_SUBJECT_ERRORS: tuple[type[Exception], ...] = tuple(
    exc for exc in (getattr(jwt.exceptions, "InvalidSubjectError", None),) if isinstance(exc, type)
)

# Role lists its members from least to most privileged. Looked up by value
# because `"x" in Role` raises TypeError for non-members on Python 3.11.
_ROLE_BY_VALUE = {role.value: role for role in Role}
_ROLE_RANK = {role: rank for rank, role in enumerate(Role)}


class OidcError(Exception):
    """The OpenID Connect provider could not be used.

    Raised by :meth:`OidcVerifier.start` (and logged by
    :meth:`OidcVerifier.refresh_keys`); the message names the URL and what
    failed, for the operator rather than for clients.
    """


def _is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and loopback IP literals."""
    if not host:
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problem(url: str) -> str | None:
    """Why ``url`` may not be fetched for keys, or None if it may.

    Keys fetched over plain HTTP could be swapped by anyone on the network path,
    which would let them mint tokens; plain HTTP is accepted only on loopback,
    for development and tests.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "not a valid URL"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and _is_loopback_host(host):
        return None
    return "must be an https:// URL (http:// is accepted only for localhost)"


def discovery_url(issuer: str) -> str:
    """The discovery document URL for ``issuer``.

    OpenID Connect Discovery 1.0, section 4: a terminating ``/`` of the issuer is
    removed before :data:`DISCOVERY_PATH` is appended.
    """
    return issuer.rstrip("/") + DISCOVERY_PATH


class _SafeRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects only to URLs that :func:`_url_problem` accepts.

    urllib would otherwise follow an https:// document to http://, handing the
    key set to whoever sits on the network path.
    """

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        """Refuse a redirect to an unsafe URL, else behave as urllib does."""
        problem = _url_problem(newurl)
        if problem is not None:
            raise OidcError(f"{req.full_url}: redirected to {newurl}, which {problem}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch_json(url: str, timeout_s: float) -> Any:
    """GET ``url`` and parse it as JSON; blocking, so run it in a worker thread.

    Raises:
        OidcError: unreachable, HTTP error status, too large, too slow or not JSON.
    """
    deadline = time.monotonic() + timeout_s
    opener = urllib.request.build_opener(_SafeRedirectHandler())
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "plaza-oidc"}
    )
    try:
        # The timeout bounds each socket operation; the deadline below bounds a
        # provider that drips its answer a few bytes at a time.
        with opener.open(request, timeout=timeout_s) as response:
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read(_READ_CHUNK_BYTES):
                size += len(chunk)
                if size > MAX_DOCUMENT_BYTES:
                    raise OidcError(f"{url}: response larger than {MAX_DOCUMENT_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise OidcError(f"{url}: response took longer than {timeout_s:g} s")
                chunks.append(chunk)
    except OidcError:
        raise
    # HTTPError first: it is also a URLError.
    except urllib.error.HTTPError as exc:
        raise OidcError(f"{url}: HTTP status {exc.code}") from exc
    except urllib.error.URLError as exc:
        raise OidcError(f"{url}: unreachable ({exc.reason})") from exc
    except (OSError, http.client.HTTPException) as exc:
        # A read timeout, a reset connection or a garbled reply mid-way.
        raise OidcError(f"{url}: unreachable ({type(exc).__name__}: {exc})") from exc
    try:
        return json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OidcError(f"{url}: response is not JSON") from exc


def _claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The value of claim ``path``, or None if absent.

    A claim literally named ``path`` wins (namespaced claims such as
    ``"https://plaza.example/role"`` contain dots); otherwise ``path`` is walked
    through nested objects, e.g. ``"realm_access.roles"``.
    """
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _role_from(value: Any) -> Role:
    """The most privileged known role named by ``value`` (a string or list), else citizen."""
    candidates = [value] if isinstance(value, str) else value
    if not isinstance(candidates, list):
        return Role.CITIZEN
    known = [
        _ROLE_BY_VALUE[item]
        for item in candidates
        if isinstance(item, str) and item in _ROLE_BY_VALUE
    ]
    # A provider that lists several roles (Keycloak's realm_access.roles also
    # holds "offline_access" and the like) grants the highest plaza role it names.
    return max(known, key=_ROLE_RANK.__getitem__, default=Role.CITIZEN)


def _locale_from(value: Any) -> str:
    """Map a locale claim onto :data:`LOCALES`: ``"ko-KR"`` -> ``"ko"``; default ``"ko"``."""
    if not isinstance(value, str):
        return "ko"
    if value in LOCALES:
        return value
    # BCP 47 tags are case-insensitive; some providers use POSIX "ko_KR".
    language = value.replace("_", "-").split("-", 1)[0].lower()
    return language if language in LOCALES else "ko"


def _salvage_name(value: Any) -> str | None:
    """``value`` as a display name, repaired rather than refused; None if nothing is left.

    The directory entry is the city's, not the user's: a name that is too long
    or carries control characters is cut down and cleaned instead of locking the
    resident out.
    """
    if not isinstance(value, str):
        return None
    try:
        return _clean_name(value)
    except ValueError:
        pass
    normalised = unicodedata.normalize("NFC", value)
    kept = "".join(
        char
        for char in normalised
        if unicodedata.category(char) not in _REFUSED_NAME_CATEGORIES and char not in _BIDI_CONTROLS
    )
    kept = kept.strip()[:MAX_NAME_CHARS]
    try:
        return _clean_name(kept)
    except ValueError:
        return None


def _bind_algorithm(jwk: Mapping[str, Any], allowed: Sequence[str]) -> str | None:
    """The one algorithm key ``jwk`` will verify, or None if it may verify none we allow.

    A JWK's ``alg`` binds it (RFC 7517, 4.4). Without one, the key serves the
    first allowed algorithm its type can carry, so that a token cannot pick a
    different algorithm for the same key.
    """
    alg = jwk.get("alg")
    if alg is not None:
        return alg if isinstance(alg, str) and alg in allowed else None
    kty, crv = jwk.get("kty"), jwk.get("crv")
    for candidate in allowed:
        if kty == "RSA" and candidate in _RSA_ALGORITHMS:
            return candidate
        if kty == "EC" and isinstance(crv, str) and _EC_CURVE_ALGORITHM.get(crv) == candidate:
            return candidate
        if kty == "OKP" and crv in _OKP_CURVES and candidate == "EdDSA":
            return candidate
    return None


def _usable_keys(document: Any, allowed: Sequence[str], source: str) -> dict[str, jwt.PyJWK]:
    """Parse a JWKS document into ``kid -> key`` for the allowed algorithms.

    Raises:
        OidcError: the document is not a JWKS or holds no usable signing key.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise OidcError(f"{source}: not a JWK Set (no 'keys' list)")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict):
            continue
        kid = entry.get("kid")
        # Encryption keys and keys meant for other operations share the set.
        if entry.get("use", "sig") != "sig":
            continue
        key_ops = entry.get("key_ops")
        if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
            continue
        if not isinstance(kid, str) or not kid:
            # Tokens are matched to keys by kid; an anonymous key can never be chosen.
            logger.debug("%s: skipping a key without 'kid'", source)
            continue
        if _PRIVATE_JWK_MEMBERS.intersection(entry):
            # "k" also marks symmetric keys, which are never allowed anyway.
            if entry.get("kty") != "oct":
                logger.warning("%s: key %r publishes private key material; not used", source, kid)
            continue
        algorithm = _bind_algorithm(entry, allowed)
        if algorithm is None:
            continue
        try:
            # PyJWK is handed the bound algorithm so that jwt.decode refuses a
            # token whose header names another one for this key.
            key = jwt.PyJWK(entry, algorithm=algorithm)
        except (jwt.exceptions.PyJWTError, ValueError, TypeError) as exc:
            logger.warning("%s: key %r cannot be used: %s", source, kid, exc)
            continue
        if kid in keys:
            logger.warning("%s: duplicate key id %r; keeping the first", source, kid)
            continue
        keys[kid] = key
    if not keys:
        raise OidcError(
            f"{source}: no usable keys (need 'sig' keys for one of {', '.join(allowed)})"
        )
    return keys


class OidcVerifier:
    """Verifies access tokens issued by an OpenID Connect provider.

    Implements :class:`server.auth.TokenVerifier`. Call :meth:`start` once,
    before the first :meth:`verify`.
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        algorithms: Sequence[str] = ("RS256",),
        role_claim: str = "plaza_role",
        name_claim: str = "name",
        locale_claim: str = "locale",
        fetch_timeout_s: float = DEFAULT_FETCH_TIMEOUT_S,
    ) -> None:
        """Configure the verifier; nothing is fetched until :meth:`start`.

        Args:
            issuer: the provider's issuer identifier, compared exactly with the
                discovery document's ``issuer`` and each token's ``iss``, e.g.
                ``"https://id.seoul.go.kr/realms/plaza"``.
            audience: the ``aud`` tokens must be meant for (one of, if a list).
            algorithms: accepted signature algorithms, a subset of
                :data:`ASYMMETRIC_ALGORITHMS`.
            role_claim: claim holding the plaza role(s); dotted for nested
                claims, e.g. ``"realm_access.roles"``.
            name_claim: claim holding the display name; ``preferred_username``
                and then the subject are used when it is missing or unusable.
            locale_claim: claim holding the locale (BCP 47, e.g. ``"ko-KR"``).
            fetch_timeout_s: bound on each discovery or JWKS request.

        Raises:
            ValueError: an empty or non-https issuer (http is allowed for
                localhost only), an empty audience or claim name, no algorithm
                or one outside :data:`ASYMMETRIC_ALGORITHMS` (HS*, ``none``), or
                a timeout that is not a positive number.
        """
        if not isinstance(issuer, str) or not issuer:
            raise ValueError("issuer must be a non-empty string")
        problem = _url_problem(issuer)
        if problem is not None:
            raise ValueError(f"issuer {issuer!r} {problem}")
        if not isinstance(audience, str) or not audience:
            raise ValueError("audience must be a non-empty string")
        # A bare string is a Sequence too, of one-letter "algorithms".
        if isinstance(algorithms, str):
            raise ValueError("algorithms must be a sequence of names, e.g. ('RS256',)")
        chosen = tuple(dict.fromkeys(algorithms))
        if not chosen:
            raise ValueError("algorithms must name at least one algorithm")
        refused = [alg for alg in chosen if alg not in ASYMMETRIC_ALGORITHMS]
        if refused:
            raise ValueError(
                f"algorithms {refused!r} not allowed; use asymmetric ones: "
                f"{', '.join(ASYMMETRIC_ALGORITHMS)}"
            )
        for label, claim in (
            ("role_claim", role_claim),
            ("name_claim", name_claim),
            ("locale_claim", locale_claim),
        ):
            if not isinstance(claim, str) or not claim:
                raise ValueError(f"{label} must be a non-empty string")
        if (
            isinstance(fetch_timeout_s, bool)
            or not isinstance(fetch_timeout_s, int | float)
            or not math.isfinite(fetch_timeout_s)
            or fetch_timeout_s <= 0
        ):
            raise ValueError("fetch_timeout_s must be a positive number of seconds")
        self._issuer = issuer
        self._audience = audience
        self._algorithms = chosen
        self._role_claim = role_claim
        self._name_claim = name_claim
        self._locale_claim = locale_claim
        self._fetch_timeout_s = float(fetch_timeout_s)
        self._jwks_uri: str | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._refresh_task: asyncio.Task[bool] | None = None
        # -inf: the first refresh after start() is never held back, so a
        # rotation that happened just after start-up is picked up at once.
        self._last_refresh_at = -math.inf

    @property
    def issuer(self) -> str:
        """The issuer identifier tokens must carry as ``iss``."""
        return self._issuer

    @property
    def audience(self) -> str:
        """The audience tokens must be meant for."""
        return self._audience

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The accepted signature algorithms."""
        return self._algorithms

    @property
    def jwks_uri(self) -> str | None:
        """The key set URL found by :meth:`start`; None before it."""
        return self._jwks_uri

    @property
    def key_ids(self) -> frozenset[str]:
        """Ids of the signing keys currently held."""
        return frozenset(self._keys)

    def __repr__(self) -> str:
        """Identify the verifier in logs."""
        return (
            f"OidcVerifier(issuer={self._issuer!r}, audience={self._audience!r}, "
            f"algorithms={self._algorithms!r}, keys={sorted(self._keys)!r})"
        )

    async def start(self) -> None:
        """Read the discovery document and load the provider's signing keys.

        Raises:
            OidcError: the discovery document or the key set is unreachable,
                answers with an HTTP error, is not JSON, names another issuer,
                has no usable ``jwks_uri``, or holds no usable signing key.
        """
        url = discovery_url(self._issuer)
        document = await asyncio.to_thread(_fetch_json, url, self._fetch_timeout_s)
        if not isinstance(document, Mapping):
            raise OidcError(f"{url}: discovery document is not a JSON object")
        # Discovery section 4.3: the issuer must be exactly the one we asked
        # about, otherwise one provider could vouch for another's tokens.
        found = document.get("issuer")
        if found != self._issuer:
            raise OidcError(
                f"{url}: discovery document names issuer {found!r}, expected {self._issuer!r}"
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise OidcError(f"{url}: discovery document has no 'jwks_uri'")
        problem = _url_problem(jwks_uri)
        if problem is not None:
            raise OidcError(f"{url}: jwks_uri {jwks_uri!r} {problem}")
        self._keys = await self._fetch_keys(jwks_uri)
        self._jwks_uri = jwks_uri
        logger.info(
            "OIDC provider %s: %d signing key(s) %s from %s",
            self._issuer,
            len(self._keys),
            sorted(self._keys),
            jwks_uri,
        )

    async def _fetch_keys(self, jwks_uri: str) -> dict[str, jwt.PyJWK]:
        """Fetch and parse the key set without blocking the event loop."""
        document = await asyncio.to_thread(_fetch_json, jwks_uri, self._fetch_timeout_s)
        return _usable_keys(document, self._algorithms, jwks_uri)

    async def refresh_keys(self) -> bool:
        """Fetch the key set again; True if the set of key ids changed.

        Concurrent callers share one fetch and its result. After a fetch, further
        calls within :data:`MIN_REFRESH_INTERVAL_S` return False without fetching;
        the keys are then as fresh as that fetch left them, so callers should
        verify again whatever this returns. A failed fetch is logged as a
        warning, keeps the current keys and returns False.

        Raises:
            RuntimeError: :meth:`start` has not succeeded yet.
        """
        if self._jwks_uri is None:
            raise RuntimeError("OidcVerifier.start() must succeed before refresh_keys()")
        task = self._refresh_task
        if task is None:
            now = time.monotonic()
            if now - self._last_refresh_at < MIN_REFRESH_INTERVAL_S:
                return False
            # Stamped before the fetch: failures count too, or an unreachable
            # provider would be retried on every unknown kid.
            self._last_refresh_at = now
            task = asyncio.create_task(self._refresh(self._jwks_uri))
            self._refresh_task = task
        # Shielded so that one cancelled caller (a client that hung up) does
        # not cancel the fetch the others are waiting for.
        return await asyncio.shield(task)

    async def _refresh(self, jwks_uri: str) -> bool:
        """The shared body of :meth:`refresh_keys`."""
        try:
            keys = await self._fetch_keys(jwks_uri)
        except OidcError as exc:
            logger.warning("OIDC key refresh failed, keeping %d key(s): %s", len(self._keys), exc)
            return False
        finally:
            self._refresh_task = None
        changed = keys.keys() != self._keys.keys()
        self._keys = keys
        if changed:
            logger.info("OIDC provider %s: signing keys now %s", self._issuer, sorted(keys))
        return changed

    def verify(self, token: str) -> Identity:
        """Check ``token`` and return the identity it carries.

        The identity's ``expires_at`` is the earlier of the token's ``exp`` and
        ``iat`` + :data:`~server.auth.ACCESS_TOKEN_TTL_S`, so a session is renewed
        at least every 15 minutes even when the provider's tokens live longer; a
        token older than that is refused as expired.

        Raises:
            UnknownKeyError: the token's ``kid`` is not held; await
                :meth:`refresh_keys` and try again.
            AuthError: the token is refused; ``reason`` says why, e.g.
                ``"token algorithm not allowed"``, ``"token issuer not accepted"``,
                ``"token expired"``, ``"token missing claim: exp"``.
        """
        header = unverified_header(token)
        alg = header.get("alg")
        # Checked before the kid so that alg confusion ("none", or HS256 keyed
        # with the provider's public key) is reported as such whatever kid it
        # carries. PyJWT enforces the same pin again below.
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise AuthError("token algorithm not allowed")
        kid = header.get("kid")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise UnknownKeyError("token key id not recognized")
        # Each key verifies one algorithm only (see _bind_algorithm).
        if alg != key.algorithm_name:
            raise AuthError("token algorithm not allowed")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self._audience,
                issuer=self._issuer,
                leeway=MAX_LEEWAY_S,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except _SUBJECT_ERRORS as exc:
            raise AuthError("token claim invalid: sub") from exc
        except jwt.exceptions.PyJWTError as exc:
            raise AuthError(_reason_for(exc)) from exc
        return self._identity_from_claims(claims)

    def _identity_from_claims(self, claims: Mapping[str, Any]) -> Identity:
        """Map the claims of a signature-checked token onto a plaza identity."""
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub:
            raise AuthError("token claim invalid: sub")
        subject = SUBJECT_PREFIX + sub
        try:
            _check_subject(subject)
        except ValueError:
            raise AuthError("token claim invalid: sub") from None
        expires_at, issued_at = claims["exp"], claims["iat"]
        # PyJWT also accepts numeric strings such as "123".
        if not _is_number(expires_at):
            raise AuthError("token claim invalid: exp")
        if not _is_number(issued_at):
            raise AuthError("token claim invalid: iat")
        session_end = min(float(expires_at), float(issued_at) + ACCESS_TOKEN_TTL_S)
        # PyJWT only checked exp; the 15-minute cap gets the same leeway.
        if time.time() > session_end + MAX_LEEWAY_S:
            raise AuthError("token expired")
        name = (
            _salvage_name(_claim_at(claims, self._name_claim))
            or _salvage_name(claims.get("preferred_username"))
            # The bare sub reads better than the namespaced subject; it passed
            # _check_subject, so it is printable and salvage only shortens it.
            or _salvage_name(sub)
            or sub[:MAX_NAME_CHARS]
        )
        return Identity(
            subject=subject,
            name=name,
            role=_role_from(_claim_at(claims, self._role_claim)),
            locale=_locale_from(_claim_at(claims, self._locale_claim)),
            expires_at=session_end,
        )
