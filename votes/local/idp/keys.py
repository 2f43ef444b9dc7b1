"""The local identity provider's RS256 signing key: created once, kept in a PEM file.

Keeping the key on disk lets tokens survive a restart of ``votes serve``. The key id is the
key's RFC 7638 thumbprint, so it names the same key in every process that loads the file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["SigningKey"]

KEY_BITS = 2048


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """An RSA private key with its key id and public JWK."""

    private_key: rsa.RSAPrivateKey
    kid: str
    public_jwk: dict[str, Any]

    @classmethod
    def from_private_key(cls, private_key: rsa.RSAPrivateKey) -> SigningKey:
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
        required = {k: jwk[k] for k in ("e", "kty", "n")}
        thumbprint = hashlib.sha256(
            json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
        ).digest()
        kid = _b64url(thumbprint)
        public = {
            "alg": "RS256",
            "e": jwk["e"],
            "kid": kid,
            "kty": "RSA",
            "n": jwk["n"],
            "use": "sig",
        }
        return cls(private_key=private_key, kid=kid, public_jwk=public)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls.from_private_key(
            rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        )

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """The key in ``path``, creating the file (mode 0600) if it does not exist yet.

        The key is written to a new temporary file (O_EXCL|O_NOFOLLOW, mode 0600 from the
        start: never a symlink planted there, never readable by others) and linked into
        place, so ``path`` appears whole or not at all."""
        path = Path(path)
        if not path.exists():
            key = cls.generate()
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = key.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(tmp, flags, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            try:
                os.link(tmp, path)  # atomic, and fails if another process won the race
            except FileExistsError:
                pass  # use the key the other process wrote
            else:
                return key
            finally:
                tmp.unlink(missing_ok=True)
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        return cls.from_private_key(loaded)

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set publishing this key."""
        return {"keys": [self.public_jwk]}
