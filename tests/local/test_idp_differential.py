"""Differential test: one scripted sequence of Cognito calls against moto's cognito-idp (a
pool created through boto3 from deploy/cognito.yml's own properties) and against the local
identity provider (which reads the same file); the outcomes -- HTTP status, error type, the
names of the claims in the tokens -- must match.

Where moto itself is known to differ from Cognito, the step is listed in
:data:`MOTO_DIFFERS` with moto's outcome, the local IdP's (= Cognito's) and the reason; the
test checks both sides of each listed difference, so a moto upgrade that closes one fails the
test until the entry is removed.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import jwt
import pytest
import uvicorn
import yaml
from aws_fixtures import REGION, moto_endpoint  # noqa: F401  (fixture)
from starlette.applications import Starlette

from vote_domain import connect
from votes.local.idp.cognito import TARGET_PREFIX, cognito_routes
from votes.local.idp.keys import SigningKey
from votes.local.idp.pool import DEFAULT_TEMPLATE, _CfnLoader
from votes.local.idp.provider import LocalIdentityProvider
from votes.local.idp.users import MIGRATIONS

PASSWORD = "Corr3ct-horse"
# moto routes a request to a service by the credential scope of its Authorization header
MOTO_AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cognito-idp/aws4_request, "
    "SignedHeaders=host, Signature=0"
)

Outcome = tuple[Any, ...]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _template_properties() -> tuple[dict[str, Any], dict[str, Any]]:
    resources = yaml.load(DEFAULT_TEMPLATE.read_text(), Loader=_CfnLoader)["Resources"]
    pool = next(r for r in resources.values() if r["Type"] == "AWS::Cognito::UserPool")
    client = next(r for r in resources.values() if r["Type"] == "AWS::Cognito::UserPoolClient")
    return pool["Properties"], client["Properties"]


@dataclass
class Endpoint:
    """One side: where to post, which client id, and how to confirm a sign-up."""

    url: str
    client_id: str
    headers: dict[str, str]
    confirm: Any = None

    def call(self, action: str, body: Any, *, raw: bytes | None = None) -> httpx.Response:
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{TARGET_PREFIX}{action}",
            **self.headers,
        }
        content = raw if raw is not None else json.dumps(body).encode()
        return httpx.post(self.url, content=content, headers=headers, timeout=30)


@pytest.fixture
def moto_side(moto_endpoint: str) -> Endpoint:  # noqa: F811
    """A moto pool and client made through boto3 from the template's own properties."""
    pool_props, client_props = _template_properties()
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    pool_id = idp.create_user_pool(
        PoolName=f"diff-{uuid.uuid4().hex[:8]}",
        **{
            k: pool_props[k]
            for k in (
                "UsernameAttributes",
                "AutoVerifiedAttributes",
                "UsernameConfiguration",
                "Policies",
                "MfaConfiguration",
                "AccountRecoverySetting",
                "AdminCreateUserConfig",
            )
        },
    )["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="browser",
        **{
            k: client_props[k]
            for k in (
                "GenerateSecret",
                "ExplicitAuthFlows",
                "PreventUserExistenceErrors",
                "EnableTokenRevocation",
                "AccessTokenValidity",
                "IdTokenValidity",
                "RefreshTokenValidity",
                "TokenValidityUnits",
            )
        },
    )["UserPoolClient"]["ClientId"]
    idp.create_group(GroupName="admins", UserPoolId=pool_id)
    idp.create_resource_server(
        UserPoolId=pool_id,
        Identifier="votes",
        Name="Votes API",
        Scopes=[{"ScopeName": "api", "ScopeDescription": "API"}],
    )

    def confirm(username: str) -> None:
        # the dev stage's pre sign-up trigger confirms at once; moto runs no triggers
        idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=username)

    return Endpoint(moto_endpoint, client_id, {"Authorization": MOTO_AUTH}, confirm)


@pytest.fixture
def local_side(tmp_path: Path) -> Iterator[Endpoint]:
    """The local IdP (deploy/cognito.yml as is) on uvicorn in a thread."""
    port = _free_port()
    ready = threading.Event()
    server: dict[str, uvicorn.Server] = {}

    def run() -> None:
        async def main() -> None:
            async with connect(f"sqlite:///{tmp_path / 'idp.db'}") as store:
                await store.migrate(MIGRATIONS)
                idp = LocalIdentityProvider(
                    store,
                    SigningKey.load_or_create(tmp_path / "key.pem"),
                    user_pool_id="us-east-1_votesLocal",
                    client_id="voteslocalclient",
                    issuer=f"http://127.0.0.1:{port}/cognito/us-east-1_votesLocal",
                )
                app = Starlette(routes=cognito_routes(idp))
                config = uvicorn.Config(
                    app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
                )
                server["s"] = uvicorn.Server(config)
                serving = asyncio.ensure_future(server["s"].serve())
                while not server["s"].started and not serving.done():  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                ready.set()
                await serving

        asyncio.run(main())
        ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(30)
    try:
        yield Endpoint(f"http://127.0.0.1:{port}/cognito", "voteslocalclient", {})
    finally:
        server["s"].should_exit = True
        thread.join(30)


def _claim_names(token: str) -> tuple[str, ...]:
    return tuple(sorted(jwt.decode(token, options={"verify_signature": False})))


def _outcome(response: httpx.Response) -> Outcome:
    """What is compared: the status and error type, or for tokens the result's keys and the
    names of each token's claims."""
    try:
        body = response.json()
    except ValueError:
        return (response.status_code, "<not json>")
    if response.status_code != 200:
        error = str(body.get("__type", "")).rsplit("#", 1)[-1]
        return (response.status_code, error)
    result = body.get("AuthenticationResult")
    if result is None:
        return (200,)
    return (
        200,
        tuple(sorted(result)),
        _claim_names(result["AccessToken"]),
        _claim_names(result["IdToken"]),
    )


def run_script(side: Endpoint) -> dict[str, Outcome]:
    """The scripted sequence; each step's outcome by name."""
    email = f"ada-{uuid.uuid4().hex[:6]}@example.com"
    out: dict[str, Outcome] = {}

    def sign_up(username: str, password: str = PASSWORD, client: str | None = None) -> Any:
        body = {
            "ClientId": client or side.client_id,
            "Username": username,
            "Password": password,
            "UserAttributes": [{"Name": "name", "Value": "Ada Lovelace"}],
        }
        return side.call("SignUp", body)

    def sign_in(username: str, password: str | None = PASSWORD) -> Any:
        params = {"USERNAME": username}
        if password is not None:
            params["PASSWORD"] = password
        body = {
            "ClientId": side.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": params,
        }
        return side.call("InitiateAuth", body)

    signed_up = sign_up(email)
    out["sign up"] = _outcome(signed_up)
    if signed_up.status_code == 200 and side.confirm is not None:
        side.confirm(email)
    out["sign up again"] = _outcome(sign_up(email))
    out["sign up, e-mail in another case"] = _outcome(sign_up(email.upper()))
    out["sign up, username not an e-mail"] = _outcome(sign_up("ada"))
    out["sign up, password too short"] = _outcome(sign_up(f"b-{email}", "Ab1"))
    out["sign up, password without uppercase"] = _outcome(sign_up(f"b-{email}", "lowercase12"))
    out["sign up, password without numbers"] = _outcome(sign_up(f"b-{email}", "NoNumbersHere"))
    out["sign up, unknown client"] = _outcome(sign_up(f"b-{email}", client="nosuchclient1"))
    out["sign up, body not JSON"] = _outcome(side.call("SignUp", None, raw=b"{not json"))

    signed_in = sign_in(email)
    out["sign in"] = _outcome(signed_in)
    tokens = signed_in.json().get("AuthenticationResult", {})
    out["sign in, e-mail in another case"] = _outcome(sign_in(email.upper()))
    out["sign in, wrong password"] = _outcome(sign_in(email, "Wr0ng-horse"))
    out["sign in, unknown user"] = _outcome(sign_in(f"nobody-{email}"))

    refresh = {
        "ClientId": side.client_id,
        "AuthFlow": "REFRESH_TOKEN_AUTH",
        "AuthParameters": {"REFRESH_TOKEN": tokens.get("RefreshToken", "")},
    }
    out["refresh"] = _outcome(side.call("InitiateAuth", refresh))
    refresh["AuthParameters"] = {"REFRESH_TOKEN": "not-a-refresh-token"}
    out["refresh, invalid token"] = _outcome(side.call("InitiateAuth", refresh))

    out["get user"] = _outcome(side.call("GetUser", {"AccessToken": tokens.get("AccessToken")}))
    out["get user, invalid token"] = _outcome(side.call("GetUser", {"AccessToken": "x.y.z"}))

    # the access token's username claim is the generated sub (e-mail as username)
    if tokens:
        claims = jwt.decode(tokens["AccessToken"], options={"verify_signature": False})
        out["username claim is the sub"] = (claims["username"] == claims["sub"],)
        id_claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
        out["id token names the e-mail"] = (id_claims.get("email") == email,)
    return out


CLAIMS_MOTO_LACKS = {
    "event_id": "moto's tokens carry no event_id; Cognito's access and ID tokens do",
    "email_verified": "moto's ID token carries only email of the standard attributes; "
    "Cognito's carries every readable one (email_verified, name, ...)",
    "name": "as email_verified",
}
MOTO_DIFFERS: dict[str, tuple[Outcome, Outcome, str]] = {
    # step: (moto's outcome, the local IdP's = Cognito's, why moto differs)
    "sign up, e-mail in another case": (
        (200,),
        (400, "UsernameExistsException"),
        "moto compares e-mails exactly; the pool has CaseSensitive: false, so Cognito finds "
        "the existing account",
    ),
    "sign in, e-mail in another case": (
        (400, "UserNotConfirmedException"),
        None,  # filled below: the same token shape as "sign in"
        "moto looks the e-mail up exactly and so finds the second, unconfirmed account the "
        "case variant created; Cognito (CaseSensitive: false) has one account and signs it in",
    ),
    "sign in, unknown user": (
        (400, "UserNotFoundException"),
        (400, "NotAuthorizedException"),
        "moto ignores the client's PreventUserExistenceErrors: ENABLED; Cognito answers an "
        "unknown user as a wrong password",
    ),
    "sign up, body not JSON": (
        (400, "ResourceNotFoundException"),
        (400, "SerializationException"),
        "moto reads a body that is not JSON as no parameters (no ClientId: no such client); "
        "Cognito answers SerializationException",
    ),
    "get user": (
        (200,),
        (400, "NotAuthorizedException"),
        "moto runs no pre token generation trigger, so its access tokens keep "
        "aws.cognito.signin.user.admin; the template's V2 trigger swaps it for votes/api and "
        "Cognito's GetUser then refuses the token (the point: an API token cannot manage the "
        "account)",
    ),
}


def _without_moto_gaps(outcome: Outcome) -> Outcome:
    """``outcome`` without the claim names moto never sets (:data:`CLAIMS_MOTO_LACKS`)."""
    if len(outcome) < 4:
        return outcome
    status, keys, access, id_claims = outcome
    return (
        status,
        keys,
        tuple(c for c in access if c not in CLAIMS_MOTO_LACKS),
        tuple(c for c in id_claims if c not in CLAIMS_MOTO_LACKS),
    )


def test_the_local_idp_answers_as_a_pool_from_the_same_template(
    moto_side: Endpoint, local_side: Endpoint
) -> None:
    moto = run_script(moto_side)
    local = run_script(local_side)
    assert moto.keys() == local.keys()
    compared, listed = 0, 0
    for step in moto:
        if step in MOTO_DIFFERS:
            moto_expected, local_expected, reason = MOTO_DIFFERS[step]
            if local_expected is None:
                local_expected = local["sign in"]
            assert moto[step] == moto_expected, f"{step}: moto changed ({reason})"
            assert local[step] == local_expected, step
            listed += 1
            continue
        assert _without_moto_gaps(local[step]) == moto[step], step
        compared += 1
    assert (compared, listed) == (len(moto) - len(MOTO_DIFFERS), len(MOTO_DIFFERS))
    # the claims moto lacks are the only ones the two sides name differently
    _, _, access, id_claims = local["sign in"]
    assert "event_id" in access and set(CLAIMS_MOTO_LACKS) <= set(id_claims)
    assert not set(CLAIMS_MOTO_LACKS) & set(moto["sign in"][2] + moto["sign in"][3])
