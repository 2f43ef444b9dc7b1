"""The local identity provider's tokens, with the claims Cognito puts in its own.

Access token: ``sub``, ``cognito:groups`` (only for members), ``iss``, ``client_id``,
``origin_jti``, ``event_id``, ``token_use: "access"``, ``scope`` (``votes/api`` where the
pool's pre token generation trigger is wired, :mod:`votes.pretoken`), ``auth_time``, ``exp``,
``iat``, ``jti``, ``username`` (the ``sub`` on an e-mail-as-username pool). ID token:
``sub``, ``cognito:groups``, ``iss``, ``cognito:username``, ``aud`` (the client),
``token_use: "id"``, the times and the user's attributes (``email``, ``email_verified``,
...). Refresh tokens are signed JWTs with ``token_use: "refresh"`` (Cognito's are opaque;
clients treat them so); :class:`votes.local.auth.JwtVerifier` refuses them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

from votes.local.idp.keys import SigningKey
from votes.pretoken import API_SCOPE

__all__ = ["RefreshClaims", "TokenMinter"]


@dataclass(frozen=True)
class RefreshClaims:
    """What a valid refresh token says: whose it is and when they signed in."""

    sub: str
    auth_time: int
    origin_jti: str


@dataclass
class TokenMinter:
    """Signs the tokens of one pool (``issuer``) and app client (``client_id``)."""

    key: SigningKey
    issuer: str
    client_id: str
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 30 * 24 * 3600
    clock: Callable[[], float] = field(default=time.time)
    scope: str = API_SCOPE
    """The access token's ``scope`` (space-separated)."""

    def sign(self, claims: Mapping[str, Any]) -> str:
        """``claims`` as an RS256 JWT with the key's ``kid`` (no ``typ``, as Cognito)."""
        return jwt.encode(
            dict(claims),
            self.key.private_key,
            algorithm="RS256",
            headers={"kid": self.key.kid, "typ": None},
        )

    def tokens(
        self,
        *,
        sub: str,
        username: str,
        groups: Sequence[str],
        attributes: Mapping[str, str],
        auth_time: int,
        origin_jti: str,
        scope: str | None = None,
    ) -> dict[str, Any]:
        """The ``AuthenticationResult`` of a sign-in or refresh (without a refresh token);
        ``scope``: this user's access-token scope, if not the pool's :attr:`scope`."""
        now = int(self.clock())
        common: dict[str, Any] = {"sub": sub}
        if groups:
            common["cognito:groups"] = list(groups)
        common["iss"] = self.issuer
        event = {"origin_jti": origin_jti, "event_id": str(uuid.uuid4())}
        times = {"auth_time": auth_time, "exp": now + self.access_token_ttl, "iat": now}
        access = {
            **common,
            "client_id": self.client_id,
            **event,
            "token_use": "access",
            "scope": self.scope if scope is None else scope,
            **times,
            "jti": str(uuid.uuid4()),
            "username": username,
        }
        id_claims: dict[str, Any] = {
            **common,
            "cognito:username": username,
            "aud": self.client_id,
            **event,
            "token_use": "id",
            **times,
            "jti": str(uuid.uuid4()),
        }
        for name, value in attributes.items():
            id_claims[name] = value == "true" if name.endswith("_verified") else value
        return {
            "AccessToken": self.sign(access),
            "ExpiresIn": self.access_token_ttl,
            "TokenType": "Bearer",
            "IdToken": self.sign(id_claims),
        }

    def refresh_token(self, *, sub: str, auth_time: int, origin_jti: str) -> str:
        now = int(self.clock())
        return self.sign(
            {
                "sub": sub,
                "iss": self.issuer,
                "client_id": self.client_id,
                "token_use": "refresh",
                "origin_jti": origin_jti,
                "auth_time": auth_time,
                "iat": now,
                "exp": now + self.refresh_token_ttl,
                "jti": str(uuid.uuid4()),
            }
        )

    def read_refresh_token(self, token: str) -> RefreshClaims:
        """The claims of a refresh token this minter signed (jwt.ExpiredSignatureError when
        expired, another jwt.PyJWTError when invalid)."""
        claims = jwt.decode(
            token,
            self.key.private_key.public_key(),
            algorithms=["RS256"],
            issuer=self.issuer,
            options={
                "require": ["exp", "iat", "sub", "client_id", "token_use"],
                "verify_aud": False,
            },
        )
        if claims["token_use"] != "refresh" or claims["client_id"] != self.client_id:
            raise jwt.InvalidTokenError("not a refresh token of this client")
        auth_time = claims.get("auth_time", claims["iat"])
        return RefreshClaims(str(claims["sub"]), int(auth_time), str(claims.get("origin_jti", "")))
