"""Bearer tokens checked as API Gateway's JWT authorizer checks them, with a small cache.

A verified token's claims are kept until it expires (API Gateway caches authorizer results
too); an unknown or expired token is verified again on each use. Live streams (SSE and the
realtime WebSocket) also learn until when their token holds (:meth:`TokenGate.admit`) and end
then.
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
        return self.admit(token)[0]

    def admit(self, token: str | None) -> tuple[dict[str, Any], float]:
        """The JWT authorizer context for ``token`` and the time (epoch seconds) until which
        the token is accepted: its ``exp`` plus the verifier's leeway. A live stream opened
        with the token ends then (the client reconnects with a fresh one)."""
        if not token:
            raise InvalidToken("missing bearer token")
        hit = self._cache.get(token)
        now = time.time()
        if hit is not None and hit[0] > now:
            return hit[1], hit[0] + self.verifier.leeway
        claims = self.verifier.verify(token)
        context = gateway_jwt_context(claims)
        expires = float(claims["exp"])
        self._cache[token] = (expires, context)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return context, expires + self.verifier.leeway
