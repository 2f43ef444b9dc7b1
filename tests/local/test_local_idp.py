"""The local identity provider over real HTTP, driven by boto3's Cognito client (both backends)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import jwt
import pytest
import uvicorn
from argon2 import PasswordHasher
from botocore.exceptions import ClientError
from starlette.applications import Starlette

from vote_domain import connect
from votes.local.auth import InsufficientScope, InvalidToken, JwtVerifier
from votes.local.idp.cognito import cognito_routes
from votes.local.idp.keys import SigningKey
from votes.local.idp.pool import PoolConfig, load_pool_config
from votes.local.idp.provider import LocalIdentityProvider
from votes.local.idp.users import MIGRATIONS

POOL = "us-east-1_votesLocal"
CLIENT = "voteslocalclient"
PASSWORD = "Corr3ct-horse"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalIdp:
    """The IdP's routes served by uvicorn on a thread with its own event loop."""

    def __init__(
        self,
        database_url: str,
        key_file: Path,
        admins: list[str],
        port: int | None = None,
        pool: PoolConfig | None = None,
    ) -> None:
        self.pool = pool
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.endpoint = f"{self.base}/cognito"
        self.issuer = f"{self.endpoint}/{POOL}"
        self.database_url = database_url
        self.key_file = key_file
        self.admins = admins
        self.idp: LocalIdentityProvider | None = None
        self.server: uvicorn.Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        store = connect(self.database_url)

        async def main() -> None:
            await store.migrate(MIGRATIONS)
            self.idp = LocalIdentityProvider(
                store,
                SigningKey.load_or_create(self.key_file),
                user_pool_id=POOL,
                client_id=CLIENT,
                issuer=self.issuer,
                admins=self.admins,
                pool=self.pool,
                hasher=FAST_HASHER,
            )
            app = Starlette(
                routes=cognito_routes(self.idp, allowed_origins=["http://localhost:5173"])
            )
            config = uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
            )
            self.server = uvicorn.Server(config)
            serving = asyncio.ensure_future(self.server.serve())
            while not self.server.started and not serving.done():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            self._ready.set()
            await serving
            await store.close()

        try:
            loop.run_until_complete(main())
        finally:
            self._ready.set()
            loop.close()

    def __enter__(self) -> LocalIdp:
        self._thread.start()
        self._ready.wait(30)
        assert self.server is not None and self.server.started, "local IdP did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.should_exit = True
        self._thread.join(30)

    def cognito(self) -> Any:
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="unused",
            aws_secret_access_key="unused",
        )

    def verifier(self) -> JwtVerifier:
        assert self.idp is not None
        return self.idp.verifier()


@pytest.fixture
def database_url(store_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if store_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'idp.db'}"
    return str(request.getfixturevalue("fresh_mysql_url"))


@pytest.fixture
def local_idp(database_url: str, tmp_path: Path) -> Iterator[LocalIdp]:
    with LocalIdp(database_url, tmp_path / "idp-key.pem", admins=["Alice@Example.com"]) as server:
        yield server


def sign_up(cognito: Any, username: str, password: str = PASSWORD, **attributes: str) -> Any:
    return cognito.sign_up(
        ClientId=CLIENT,
        Username=username,
        Password=password,
        UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()],
    )


def log_in(cognito: Any, username: str, password: str = PASSWORD) -> dict[str, Any]:
    response = cognito.initiate_auth(
        ClientId=CLIENT,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return dict(response["AuthenticationResult"])


def error_of(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return (
        error["Error"]["Code"],
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Message"],
    )


def test_sign_up_log_in_and_verify_access_token(local_idp: LocalIdp) -> None:
    cognito = local_idp.cognito()
    signed_up = sign_up(cognito, "alice@example.com", name="Alice")
    assert signed_up["UserConfirmed"] is True
    sub = signed_up["UserSub"]
    assert uuid.UUID(sub)
    tokens = log_in(cognito, "alice@example.com")
    assert tokens["TokenType"] == "Bearer" and tokens["ExpiresIn"] == 3600
    claims = local_idp.verifier().verify(tokens["AccessToken"])
    assert claims["sub"] == sub
    assert claims["username"] == sub  # e-mail as username: Cognito's username is the sub
    assert claims["token_use"] == "access"
    assert claims["client_id"] == CLIENT
    assert claims["iss"] == local_idp.issuer
    # the template's pre token generation trigger: votes/api, and for an admin Cognito's
    # self-service scope kept (TOTP enrolment; a voter's token: test_non_admins_...)
    assert claims["scope"].split() == ["aws.cognito.signin.user.admin", "votes/api"]
    assert claims["cognito:groups"] == ["admins"]  # VOTES_ADMINS names the e-mail: any case
    assert claims["exp"] - claims["iat"] == 3600 and claims["auth_time"] <= claims["iat"]
    assert claims["jti"]
    header = jwt.get_unverified_header(tokens["AccessToken"])
    assert local_idp.idp is not None
    assert header["alg"] == "RS256" and header["kid"] == local_idp.idp.key.kid

    id_claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    assert id_claims["token_use"] == "id"
    assert id_claims["aud"] == CLIENT
    assert id_claims["cognito:username"] == sub
    assert id_claims["email"] == "alice@example.com" and id_claims["email_verified"] is True
    assert id_claims["name"] == "Alice"
    assert id_claims["sub"] == sub
    with pytest.raises(InvalidToken):
        local_idp.verifier().verify(tokens["IdToken"])


def test_non_admins_get_no_groups_claim(local_idp: LocalIdp) -> None:
    cognito = local_idp.cognito()
    sign_up(cognito, "bob@example.com")
    claims = local_idp.verifier().verify(log_in(cognito, "bob@example.com")["AccessToken"])
    assert "cognito:groups" not in claims
    assert claims["scope"] == "votes/api"  # no self-service scope for a voter


def test_sign_up_errors_are_cognitos(local_idp: LocalIdp) -> None:
    cognito = local_idp.cognito()
    sign_up(cognito, "carol@example.com")
    assert error_of(lambda: sign_up(cognito, "CAROL@example.COM")) == (
        "UsernameExistsException",
        400,
        "An account with the given email already exists.",
    )
    assert error_of(lambda: sign_up(cognito, "carol")) == (
        "InvalidParameterException",
        400,
        "Username should be either an email or a phone number.",
    )
    code, status, message = error_of(lambda: sign_up(cognito, "dave@example.com", "short"))
    assert (code, status) == ("InvalidPasswordException", 400)
    assert message == "Password did not conform with policy: Password not long enough"
    code, _, message = error_of(lambda: sign_up(cognito, "dave@example.com", "alllowercase1!"))
    assert code == "InvalidPasswordException" and "uppercase" in message
    code, _, _ = error_of(lambda: sign_up(cognito, "has space"))
    assert code == "InvalidParameterException"
    code, _, message = error_of(
        lambda: cognito.sign_up(ClientId="other", Username="erin@example.com", Password=PASSWORD)
    )
    assert (code, message) == (
        "ResourceNotFoundException",
        "User pool client other does not exist.",
    )


def test_log_in_errors_are_cognitos(local_idp: LocalIdp) -> None:
    cognito = local_idp.cognito()
    sign_up(cognito, "frank@example.com")
    assert error_of(lambda: log_in(cognito, "frank@example.com", "Wr0ng-password")) == (
        "NotAuthorizedException",
        400,
        "Incorrect username or password.",
    )
    # PreventUserExistenceErrors: ENABLED in the template: unknown users answer as wrong passwords
    assert error_of(lambda: log_in(cognito, "nobody@example.com")) == (
        "NotAuthorizedException",
        400,
        "Incorrect username or password.",
    )
    code, _, _ = error_of(
        lambda: cognito.initiate_auth(
            ClientId=CLIENT,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": "frank@example.com"},
        )
    )
    assert code == "InvalidParameterException"
    code, _, message = error_of(
        lambda: cognito.initiate_auth(
            ClientId=CLIENT,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "frank@example.com"},
        )
    )
    assert (code, message) == ("InvalidParameterException", "Missing required parameter PASSWORD")


def test_username_is_case_insensitive_for_log_in(local_idp: LocalIdp) -> None:
    cognito = local_idp.cognito()
    sub = sign_up(cognito, "Grace@Example.com")["UserSub"]
    claims = local_idp.verifier().verify(log_in(cognito, "grace@example.COM")["AccessToken"])
    assert claims["username"] == claims["sub"] == sub


def test_refresh_token_auth(local_idp: LocalIdp) -> None:
    cognito = local_idp.cognito()
    sign_up(cognito, "heidi@example.com")
    first = log_in(cognito, "heidi@example.com")
    refreshed = cognito.initiate_auth(
        ClientId=CLIENT,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    assert "RefreshToken" not in refreshed
    old = local_idp.verifier().verify(first["AccessToken"])
    new = local_idp.verifier().verify(refreshed["AccessToken"])
    assert new["sub"] == old["sub"] and new["jti"] != old["jti"]
    assert new["auth_time"] == old["auth_time"] and new["origin_jti"] == old["origin_jti"]
    for bad in ("garbage", first["AccessToken"]):
        code, _, message = error_of(
            lambda bad=bad: cognito.initiate_auth(
                ClientId=CLIENT,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": bad},
            )
        )
        assert (code, message) == ("NotAuthorizedException", "Invalid Refresh Token")
    with pytest.raises(InvalidToken):
        local_idp.verifier().verify(first["RefreshToken"])


def test_get_user(database_url: str, tmp_path: Path) -> None:
    # GetUser needs the self-service scope: on a pool without the pre token generation
    # trigger (the template's, read through PoolConfig) the tokens carry it
    pool = dataclasses.replace(load_pool_config(), pre_token_generation=False)
    with LocalIdp(database_url, tmp_path / "key.pem", admins=[], pool=pool) as local_idp:
        cognito = local_idp.cognito()
        sub = sign_up(cognito, "ivan@example.com", name="Ivan")["UserSub"]
        tokens = log_in(cognito, "ivan@example.com")
        user = cognito.get_user(AccessToken=tokens["AccessToken"])
        assert user["Username"] == sub
        attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        assert attributes == {
            "sub": sub,
            "email": "ivan@example.com",
            "email_verified": "true",
            "name": "Ivan",
        }
        code, _, message = error_of(lambda: cognito.get_user(AccessToken=tokens["IdToken"]))
        assert (code, message) == ("NotAuthorizedException", "Invalid Access Token")


def test_an_api_token_cannot_use_cognitos_self_service(local_idp: LocalIdp) -> None:
    # issue 16 #4: the API's token carries votes/api, not aws.cognito.signin.user.admin, so
    # the self-service actions (GetUser here; DeleteUser on AWS) refuse it
    cognito = local_idp.cognito()
    sign_up(cognito, "ivy@example.com")
    tokens = log_in(cognito, "ivy@example.com")
    code, _, message = error_of(lambda: cognito.get_user(AccessToken=tokens["AccessToken"]))
    assert (code, message) == (
        "NotAuthorizedException",
        "Access Token does not have required scopes",
    )
    # and the API refuses a token of this pool without votes/api
    assert local_idp.idp is not None
    claims = jwt.decode(tokens["AccessToken"], options={"verify_signature": False})
    claims["scope"] = "aws.cognito.signin.user.admin"
    with pytest.raises(InsufficientScope):
        local_idp.verifier().verify(local_idp.idp.minter.sign(claims))


def test_an_admins_token_keeps_self_service_for_totp_enrolment(local_idp: LocalIdp) -> None:
    # As the pre token generation trigger does for the admins group (votes/pretoken.py): an
    # admin's access token keeps aws.cognito.signin.user.admin, which Cognito's TOTP
    # enrolment takes, beside votes/api, which the API takes
    cognito = local_idp.cognito()
    sign_up(cognito, "alice@example.com", name="Alice")
    tokens = log_in(cognito, "alice@example.com")
    claims = jwt.decode(tokens["AccessToken"], options={"verify_signature": False})
    assert claims["cognito:groups"] == ["admins"]
    assert claims["scope"].split() == ["aws.cognito.signin.user.admin", "votes/api"]
    user = cognito.get_user(AccessToken=tokens["AccessToken"])
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["name"] == "Alice"
    assert local_idp.verifier().verify(tokens["AccessToken"])["sub"] == claims["sub"]


def test_jwks_endpoint_serves_the_verifying_key(local_idp: LocalIdp) -> None:
    cognito = local_idp.cognito()
    sub = sign_up(cognito, "judy@example.com")["UserSub"]
    token = log_in(cognito, "judy@example.com")["AccessToken"]
    jwks = httpx.get(f"{local_idp.issuer}/.well-known/jwks.json").json()
    over_http = JwtVerifier(issuer=local_idp.issuer, client_id=CLIENT, jwks=jwks)
    assert over_http.verify(token)["username"] == sub
    assert (
        httpx.get(f"{local_idp.endpoint}/us-east-1_other/.well-known/jwks.json").status_code == 404
    )


def test_protocol_details(local_idp: LocalIdp) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    with httpx.Client(base_url=local_idp.base) as http:
        unknown = http.post(
            "/cognito",
            headers={**headers, "X-Amz-Target": "AWSCognitoIdentityProviderService.DeleteUserPool"},
            content=b"{}",
        )
        assert unknown.status_code == 400
        assert unknown.json()["__type"] == "UnknownOperationException"
        assert unknown.headers["x-amzn-errortype"].startswith("UnknownOperationException")
        broken = http.post(
            "/cognito/",
            headers={**headers, "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp"},
            content=b"{not json",
        )
        assert broken.status_code == 400 and broken.json()["__type"] == "SerializationException"
        preflight = http.options(
            "/cognito",
            headers={
                "Origin": "http://localhost:5173",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": (
                    "content-type,x-amz-target,x-amz-user-agent,cache-control"
                ),
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert http.get("/cognito").status_code == 405


def test_tokens_survive_a_restart(database_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "idp-key.pem"
    with LocalIdp(database_url, key_file, admins=[]) as first:
        cognito = first.cognito()
        sub = sign_up(cognito, "mallory@example.com")["UserSub"]
        tokens = log_in(cognito, "mallory@example.com")
    with LocalIdp(database_url, key_file, admins=[], port=first.port) as second:
        assert second.verifier().verify(tokens["AccessToken"])["username"] == sub
        assert log_in(second.cognito(), "mallory@example.com")["AccessToken"]
        refreshed = second.cognito().initiate_auth(
            ClientId=CLIENT,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
        assert refreshed["AuthenticationResult"]["AccessToken"]


def test_expired_access_token_is_refused_by_get_user(local_idp: LocalIdp) -> None:
    assert local_idp.idp is not None
    cognito = local_idp.cognito()
    sign_up(cognito, "oscar@example.com")
    tokens = log_in(cognito, "oscar@example.com")
    claims = jwt.decode(tokens["AccessToken"], options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 600
    claims["scope"] = "aws.cognito.signin.user.admin"
    expired = local_idp.idp.minter.sign(claims)
    code, _, message = error_of(lambda: cognito.get_user(AccessToken=expired))
    assert (code, message) == ("NotAuthorizedException", "Access Token has expired")


CLIENT_DIR = Path(__file__).parents[2] / "client"


def test_the_browser_clients_cognito_module_signs_up_signs_in_and_refreshes(
    local_idp: LocalIdp, tmp_path: Path
) -> None:
    """The client's own Cognito module (client/src/auth, run by vitest under Node) against the
    local IdP over HTTP: e-mail as the username, the display name as the ``name`` attribute."""
    npx = shutil.which("npx")
    if npx is None or not (CLIENT_DIR / "node_modules" / "vitest").is_dir():
        missing = "needs node and client/node_modules (npm ci in client/)"
        if os.environ.get("CI"):  # the test command installs the client first: never skip there
            pytest.fail(missing)
        pytest.skip(missing)
    out_file = tmp_path / "out.json"
    done = subprocess.run(
        [npx, "vitest", "run", "-c", "vitest.idp.config.ts"],
        cwd=CLIENT_DIR,
        env={
            **os.environ,
            "VOTES_IDP_ENDPOINT": local_idp.endpoint,
            "VOTES_IDP_CLIENT": CLIENT,
            "VOTES_IDP_EMAIL": "peggy@example.com",
            "VOTES_IDP_PASSWORD": PASSWORD,
            "VOTES_IDP_OUT": str(out_file),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(out_file.read_text())
    assert out["signUp"] == {"confirmed": True}
    assert out["duplicate"] == "UsernameExistsException"  # e-mails compare without case
    assert out["wrongPassword"] == {
        "code": "NotAuthorizedException",
        "message": "Wrong e-mail address or password.",
    }
    assert out["session"]["name"] == out["refreshedName"] == "Peggy Carter"
    assert out["session"]["email"] == "peggy@example.com"
    assert out["session"]["isAdmin"] is False
    for token in (out["accessToken"], out["refreshedAccessToken"]):
        claims = local_idp.verifier().verify(token)
        assert claims["sub"] == out["session"]["sub"]
    assert out["accessToken"] != out["refreshedAccessToken"]


async def test_the_password_policy_comes_from_the_pool_template(tmp_path: Path) -> None:
    from votes.local.idp.rules import CognitoError
    from votes.settings import Settings

    template = (Path(__file__).parents[2] / "deploy" / "cognito.yml").read_text()
    async with connect(f"sqlite:///{tmp_path / 'policy.db'}") as store:
        for symbols, accepted in ((False, True), (True, False)):
            copy = tmp_path / f"cognito-{symbols}.yml"
            copy.write_text(
                template.replace("RequireSymbols: false", f"RequireSymbols: {str(symbols).lower()}")
            )
            settings = Settings(
                idp_key_file=tmp_path / "key.pem",
                idp_pool_template=copy,
                public_url="http://127.0.0.1:1",
            )
            idp = await LocalIdentityProvider.open(store, settings, hasher=FAST_HASHER)
            request = {
                "ClientId": settings.user_pool_client_id,
                "Username": f"{uuid.uuid4().hex[:8]}@example.com",
                "Password": "NoSymbols9x",
                "UserAttributes": [{"Name": "name", "Value": "Ada Lovelace"}],
            }
            if accepted:
                assert (await idp.sign_up(request))["UserConfirmed"] is True
            else:
                with pytest.raises(CognitoError, match="symbol characters"):
                    await idp.sign_up(request)
