"""Forged and misused bearer tokens for a running local app.

Each forgery starts from a genuine access token of the local IdP and changes one thing that
the JWT authorizer must catch. Tokens "signed with the real key" use the IdP's private key
file (as an attacker who stole it could, minus the one claim that still gives them away).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["Forger"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: dict[str, Any]) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


class Forger:
    """Makes the forged tokens of the security tests from a genuine access token."""

    def __init__(self, genuine: str, key_file: Path) -> None:
        self.genuine = genuine
        self.header = jwt.get_unverified_header(genuine)
        self.claims = jwt.decode(genuine, options={"verify_signature": False})
        self.real_key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def _sign(self, claims: dict[str, Any], key: Any, kid: str | None = None) -> str:
        return jwt.encode(
            claims, key, algorithm="RS256", headers={"kid": kid or self.header["kid"]}
        )

    def real(self, **changes: Any) -> str:
        """Signed with the IdP's own key, with ``changes`` to the genuine claims (None drops)."""
        claims = {**self.claims, **changes}
        return self._sign({k: v for k, v in claims.items() if v is not None}, self.real_key)

    def forgeries(self) -> dict[str, Callable[[], str]]:
        """Name -> a token the API must refuse with 401."""
        now = int(time.time())
        public_pem = self.real_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

        def hs256_with_public_key() -> str:
            head = _segment({"alg": "HS256", "typ": "JWT", "kid": self.header["kid"]})
            body = _segment(self.claims)
            mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
            return f"{head}.{body}.{_b64(mac)}"

        def alg_none() -> str:
            head = _segment({"alg": "none", "typ": "JWT", "kid": self.header["kid"]})
            return f"{head}.{_segment(self.claims)}."

        def tampered_admin() -> str:
            head, _, sig = self.genuine.split(".")
            claims = {**self.claims, "cognito:groups": ["admins"], "sub": "someone-else"}
            return f"{head}.{_segment(claims)}.{sig}"

        return {
            "wrong key, our kid": lambda: self._sign(self.claims, self.other_key),
            "wrong key, unknown kid": lambda: self._sign(self.claims, self.other_key, "evil"),
            "alg none": alg_none,
            "HS256 keyed with the public key": hs256_with_public_key,
            "tampered payload (admin, other sub)": tampered_admin,
            "wrong issuer": lambda: self.real(
                iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_someone"
            ),
            "wrong client_id": lambda: self.real(client_id="another-app-client"),
            "expired": lambda: self.real(iat=now - 7200, exp=now - 3600, auth_time=now - 7200),
            "not yet valid (iat in the future)": lambda: self.real(iat=now + 3600),
            "no token_use": lambda: self.real(token_use=None),
            "token_use id": lambda: self.real(token_use="id"),
            "token_use refresh": lambda: self.real(token_use="refresh"),
            "no sub": lambda: self.real(sub=None),
            "no exp": lambda: self.real(exp=None),
            "garbage": lambda: "not.a.jwt",
            "empty segments": lambda: "..",
        }
