"""JwtVerifier: what it accepts, every forgery it refuses, and the API Gateway claim shape."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from votes.local.auth import (
    ExpiredToken,
    InvalidToken,
    JwtVerifier,
    gateway_claims,
    gateway_jwt_context,
)
from votes.local.idp.keys import SigningKey

ISSUER = "http://127.0.0.1:8000/cognito/us-east-1_votesLocal"
CLIENT = "voteslocalclient"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def verifier(key: SigningKey) -> JwtVerifier:
    return JwtVerifier(issuer=ISSUER, client_id=CLIENT, jwks=key.jwks())


def access_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "5f1c2d3e-0000-4000-8000-000000000001",
        "cognito:groups": ["admins"],
        "iss": ISSUER,
        "client_id": CLIENT,
        "token_use": "access",
        "scope": "votes/api",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": "b2c3",
        "username": "alice",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(key: SigningKey, claims: dict[str, Any], *, kid: str | None = None) -> str:
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": kid or key.kid})


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_accepts_a_valid_access_token(key: SigningKey, verifier: JwtVerifier) -> None:
    claims = verifier.verify(sign(key, access_claims()))
    assert claims["sub"] == "5f1c2d3e-0000-4000-8000-000000000001"
    assert claims["cognito:groups"] == ["admins"]
    assert claims["username"] == "alice"


def test_refuses_a_token_signed_by_another_key_under_our_kid(
    key: SigningKey, other_key: SigningKey, verifier: JwtVerifier
) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(sign(other_key, access_claims(), kid=key.kid))


def test_refuses_an_unknown_key_id(other_key: SigningKey, verifier: JwtVerifier) -> None:
    with pytest.raises(InvalidToken, match="unknown key"):
        verifier.verify(sign(other_key, access_claims()))


def test_refuses_alg_none(key: SigningKey, verifier: JwtVerifier) -> None:
    token = f"{b64({'alg': 'none', 'kid': key.kid})}.{b64(access_claims())}."
    with pytest.raises(InvalidToken, match="algorithm"):
        verifier.verify(token)


def test_refuses_hs256_signed_with_the_public_key(key: SigningKey, verifier: JwtVerifier) -> None:
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": key.kid}
    signing_input = f"{b64(header)}.{b64(access_claims())}".encode()
    import hashlib
    import hmac

    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    token = signing_input.decode() + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(InvalidToken, match="algorithm"):
        verifier.verify(token)


def test_refuses_another_issuer(key: SigningKey, verifier: JwtVerifier) -> None:
    with pytest.raises(InvalidToken):
        other = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X"
        verifier.verify(sign(key, access_claims(iss=other)))


def test_refuses_another_client(key: SigningKey, verifier: JwtVerifier) -> None:
    with pytest.raises(InvalidToken, match="another client"):
        verifier.verify(sign(key, access_claims(client_id="someoneelse")))


def test_refuses_an_expired_token_beyond_the_leeway(key: SigningKey, verifier: JwtVerifier) -> None:
    past = int(time.time()) - 7200
    with pytest.raises(ExpiredToken):
        verifier.verify(sign(key, access_claims(iat=past, auth_time=past, exp=past + 3600)))


def test_tolerates_small_clock_skew(key: SigningKey, verifier: JwtVerifier) -> None:
    now = int(time.time())
    assert verifier.verify(sign(key, access_claims(exp=now - 2)))["exp"] == now - 2


def test_refuses_id_tokens(key: SigningKey, verifier: JwtVerifier) -> None:
    id_claims = access_claims(token_use="id", client_id=None, scope=None, username=None, aud=CLIENT)
    id_claims["cognito:username"] = "alice"
    with pytest.raises(InvalidToken, match="access token"):
        verifier.verify(sign(key, id_claims))


def test_refuses_an_id_token_even_if_it_names_our_client(
    key: SigningKey, verifier: JwtVerifier
) -> None:
    with pytest.raises(InvalidToken, match="access token"):
        verifier.verify(sign(key, access_claims(token_use="id", aud=CLIENT)))


@pytest.mark.parametrize("missing", ["exp", "iss", "sub", "token_use", "client_id"])
def test_refuses_tokens_missing_a_required_claim(
    key: SigningKey, verifier: JwtVerifier, missing: str
) -> None:
    claims = access_claims()
    del claims[missing]
    with pytest.raises(InvalidToken):
        verifier.verify(sign(key, claims))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "Bearer x.y.z"])
def test_refuses_garbage(verifier: JwtVerifier, token: str) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_refuses_a_tampered_payload(key: SigningKey, verifier: JwtVerifier) -> None:
    header, _, signature = sign(key, access_claims()).split(".")
    forged = f"{header}.{b64(access_claims(sub='someone-else'))}.{signature}"
    with pytest.raises(InvalidToken):
        verifier.verify(forged)


def test_gateway_claims_are_strings_as_api_gateway_renders_them() -> None:
    claims = {
        "sub": "u-1",
        "cognito:groups": ["admins", "editors"],
        "exp": 1700003600,
        "auth_time": 1700000000.0,
        "email_verified": True,
        "nickname": None,
        "address": {"country": "JP"},
    }
    assert gateway_claims(claims) == {
        "sub": "u-1",
        "cognito:groups": "[admins editors]",
        "exp": "1700003600",
        "auth_time": "1700000000",
        "email_verified": "true",
        "address": '{"country":"JP"}',
    }
    assert gateway_claims({"cognito:groups": ["admins"]}) == {"cognito:groups": "[admins]"}


def test_gateway_jwt_context_lists_access_token_scopes() -> None:
    context = gateway_jwt_context(access_claims())
    assert context["scopes"] == ["votes/api"]
    assert context["claims"]["cognito:groups"] == "[admins]"
    assert gateway_jwt_context({"sub": "x"})["scopes"] is None
