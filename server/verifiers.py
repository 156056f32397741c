"""Which verifier checks a token: the built-in issuer, the city's OIDC provider, or both.

With an OIDC provider configured, city accounts sign in there while guests may still get a
token from the built-in issuer. ``IssuerRouter`` reads the token's ``iss`` claim (without
trusting it) only to pick the verifier; the chosen verifier then checks everything,
including that same ``iss``, so a forged claim gains nothing.
"""

from __future__ import annotations

import jwt

from server.auth import AuthError, Identity, TokenIssuer, TokenVerifier, check_token_shape
from server.oidc import OidcVerifier

__all__ = ["IssuerRouter"]


class IssuerRouter:
    """A ``TokenVerifier`` that hands each token to the verifier of its issuer."""

    def __init__(
        self,
        builtin: TokenIssuer | None,
        oidc: OidcVerifier | None,
        *,
        refused_issuers: frozenset[str] = frozenset(),
    ) -> None:
        """``refused_issuers``: issuers whose tokens are refused as such (the built-in one,
        when it is turned off), rather than failing the provider's checks less clearly."""
        if builtin is None and oidc is None:
            raise ValueError("at least one verifier is needed")
        self.builtin = builtin
        self.oidc = oidc
        self.refused_issuers = refused_issuers

    def _for(self, token: str) -> TokenVerifier:
        if self.oidc is None:
            assert self.builtin is not None
            return self.builtin
        check_token_shape(token)
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.exceptions.PyJWTError:
            raise AuthError("malformed token") from None
        if issuer in self.refused_issuers:
            raise AuthError("token issuer not accepted")
        if self.builtin is not None and issuer == self.builtin.issuer:
            return self.builtin
        return self.oidc

    def verify(self, token: str) -> Identity:
        """Verify with the verifier of the token's issuer."""
        return self._for(token).verify(token)

    async def refresh_keys(self) -> bool:
        """Refresh the provider's keys (the built-in issuer has nothing to fetch)."""
        return await self.oidc.refresh_keys() if self.oidc is not None else False
