"""Bearer tokens checked as API Gateway's JWT authorizer checks them, with a small cache.

A verified token's claims are kept until it expires (API Gateway caches authorizer results
too); an unknown or expired token is verified again on each use.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from votes.local.auth import InvalidToken, JwtVerifier, gateway_jwt_context

__all__ = ["TokenGate", "bearer_token"]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class TokenGate:
    """Turns a bearer token into ``requestContext.authorizer.jwt`` or raises InvalidToken."""

    def __init__(self, verifier: JwtVerifier, *, cache_size: int = 10_000) -> None:
        self.verifier = verifier
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def authorize(self, token: str | None) -> dict[str, Any]:
        """The JWT authorizer context for ``token`` (claims as API Gateway renders them)."""
        if not token:
            raise InvalidToken("missing bearer token")
        hit = self._cache.get(token)
        now = time.time()
        if hit is not None and hit[0] > now:
            return hit[1]
        claims = self.verifier.verify(token)
        context = gateway_jwt_context(claims)
        self._cache[token] = (float(claims["exp"]), context)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return context
