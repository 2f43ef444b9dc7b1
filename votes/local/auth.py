"""The local app's check of the bearer tokens the API accepts: what API Gateway's JWT
authorizer checks on AWS, against the local identity provider's keys.

The API takes Cognito **access** tokens: ``token_use == "access"`` and ``client_id`` equal to
our app client. Access tokens are what OAuth 2.0 meant for calling a resource server: they
carry the ``scope`` API Gateway can require on a route, ``cognito:groups`` for the admin
check, are revoked by a sign-out, and are checked by ``client_id``. ID tokens (``token_use ==
"id"``, client in ``aud``) tell the *client* who signed in; they are rejected here. On AWS the
HTTP API JWT authorizer accepts either kind unless a route requires a scope, so the routes
require ``votes/api`` (:data:`ACCESS_SCOPE`), which only access tokens hold -- and only those
the pool's pre token generation trigger gave it (:mod:`votes.pretoken`): a token without it
is :class:`InsufficientScope` (403 ``insufficient_scope`` locally, 403 on AWS). Both sides then
refuse the same tokens.

Only RS256 is accepted (``alg: none``, HS256 with the public key as secret and every other
algorithm are refused before any key is used), issued by exactly ``issuer``, not expired
(with ``leeway`` seconds of clock skew).

:func:`gateway_claims` renders verified claims the way API Gateway puts them in
``requestContext.authorizer.jwt.claims`` (payload 2.0), so the local server builds the very
event a Lambda receives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import jwt

from votes.pretoken import API_SCOPE

__all__ = [
    "ACCESS_SCOPE",
    "ExpiredToken",
    "InsufficientScope",
    "InvalidToken",
    "JwtVerifier",
    "gateway_claims",
    "gateway_jwt_context",
    "load_jwks",
]

ALGORITHM = "RS256"
ACCESS_SCOPE = API_SCOPE
REQUIRED_CLAIMS = ("exp", "iat", "iss", "sub", "token_use")


class InvalidToken(Exception):
    """The bearer token is missing, malformed, forged, expired or not meant for this API."""

    code = "invalid_token"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExpiredToken(InvalidToken):
    """The token was valid but its ``exp`` has passed."""

    code = "token_expired"


class InsufficientScope(InvalidToken):
    """A valid access token without the scope this API requires."""

    code = "insufficient_scope"


class JwtVerifier:
    """Verifies access tokens of one user pool and app client against its signing keys
    (``jwks``, a JWKS document as the local IdP serves it) that carry ``required_scope``
    (None: any); :meth:`verify` returns the claims.
    """

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        jwks: Mapping[str, Any],
        leeway: float = 5.0,
        required_scope: str | None = ACCESS_SCOPE,
    ) -> None:
        self.issuer = issuer
        self.required_scope = required_scope
        self.client_id = client_id
        self.leeway = leeway
        self._keys = _rsa_keys(jwt.PyJWKSet.from_dict(dict(jwks)))

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of ``token`` if it is a valid access token for this pool and client."""
        if not token:
            raise InvalidToken("missing token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise InvalidToken("malformed token") from e
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"unsupported token algorithm {header.get('alg')!r}")
        key = self._key(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS), "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as e:
            raise ExpiredToken("token has expired") from e
        except jwt.PyJWTError as e:
            raise InvalidToken(f"invalid token: {e}") from e
        if claims.get("token_use") != "access":
            raise InvalidToken("an access token is required (token_use must be 'access')")
        if claims.get("client_id") != self.client_id:
            raise InvalidToken("token was issued to another client")
        scope = claims.get("scope")
        scopes = scope.split() if isinstance(scope, str) else []
        if self.required_scope is not None and self.required_scope not in scopes:
            raise InsufficientScope(f"the token lacks the scope {self.required_scope!r}")
        return claims

    def _key(self, kid: object) -> jwt.PyJWK:
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token has no key id")
        key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("token is signed by an unknown key")
        return key


async def load_jwks(url: str) -> dict[str, Any]:
    """The JWKS document at ``url`` (an external pool's signing keys, read once at startup)."""
    async with httpx.AsyncClient(timeout=5.0) as client:
        response = await client.get(url)
    response.raise_for_status()
    jwks = response.json()
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValueError(f"{url} is not a JWKS document (no 'keys' list)")
    return jwks


def _rsa_keys(key_set: jwt.PyJWKSet) -> dict[str, jwt.PyJWK]:
    """The RS256-usable keys of a JWKS, by ``kid``."""
    return {
        k.key_id: k
        for k in key_set.keys
        if k.key_id and k.key_type == "RSA" and k.algorithm_name == ALGORITHM
    }


def _claim_string(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + " ".join(_item_string(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _item_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """``claims`` as API Gateway's JWT authorizer passes them (payload 2.0): every value a
    string, numbers and booleans as text, arrays as ``"[a b]"`` (``cognito:groups`` ->
    ``"[admins]"``), objects as JSON, null claims left out."""
    rendered = {k: _claim_string(v) for k, v in claims.items()}
    return {k: v for k, v in rendered.items() if v is not None}


def gateway_jwt_context(claims: Mapping[str, Any]) -> dict[str, Any]:
    """``requestContext.authorizer.jwt`` for verified ``claims``: the claims as strings and
    the token's scopes (as API Gateway lists them for routes that require a scope)."""
    scope = claims.get("scope")
    scopes = scope.split() if isinstance(scope, str) and scope.strip() else None
    return {"claims": gateway_claims(claims), "scopes": scopes}
