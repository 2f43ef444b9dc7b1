"""The local IdP behaves as deploy/cognito.yml says -- and changes when a copy of it says
otherwise -- and its hardening (issue 16 #5): throttled failed sign-ins, the body limit while
reading, decode errors in Cognito's shape, the key's temporary file."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette

from vote_domain import connect
from votes.local.idp.cognito import MAX_BODY_BYTES, cognito_routes
from votes.local.idp.keys import SigningKey
from votes.local.idp.pool import (
    DEFAULT_TEMPLATE,
    PoolConfig,
    PoolTemplateError,
    load_pool_config,
    pool_config_of,
)
from votes.local.idp.provider import LocalIdentityProvider
from votes.local.idp.rules import CognitoError
from votes.local.idp.throttle import ADDRESS_FAILURES, FREE_FAILURES
from votes.local.idp.users import MIGRATIONS
from votes.pretoken import API_SCOPE

CLIENT = "voteslocalclient"
PASSWORD = "Corr3ct-horse"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
TEMPLATE = DEFAULT_TEMPLATE.read_text()


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return SigningKey.load_or_create(tmp_path_factory.mktemp("key") / "idp-key.pem")


async def provider(
    tmp_path: Path, key: SigningKey, pool: PoolConfig | None = None, **options: Any
) -> AsyncIterator[LocalIdentityProvider]:
    async with connect(f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}") as store:
        await store.migrate(MIGRATIONS)
        yield LocalIdentityProvider(
            store,
            key,
            user_pool_id="us-east-1_votesLocal",
            client_id=CLIENT,
            issuer="http://127.0.0.1:1/cognito/us-east-1_votesLocal",
            pool=pool,
            hasher=FAST_HASHER,
            **options,
        )


@pytest.fixture
async def idp(tmp_path: Path, key: SigningKey) -> AsyncIterator[LocalIdentityProvider]:
    async for made in provider(tmp_path, key, clock=Clock()):
        yield made


def template_with(tmp_path: Path, old: str, new: str) -> PoolConfig:
    """deploy/cognito.yml with one setting changed, as the local IdP reads it."""
    assert old in TEMPLATE, old
    copy = tmp_path / f"cognito-{uuid.uuid4().hex[:6]}.yml"
    copy.write_text(TEMPLATE.replace(old, new, 1))
    return load_pool_config(copy)


def sign_up_request(username: str, password: str = PASSWORD, **attributes: str) -> dict[str, Any]:
    return {
        "ClientId": CLIENT,
        "Username": username,
        "Password": password,
        "UserAttributes": [{"Name": k, "Value": v} for k, v in attributes.items()],
    }


def log_in_request(username: str, password: str = PASSWORD) -> dict[str, Any]:
    return {
        "ClientId": CLIENT,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": username, "PASSWORD": password},
    }


async def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(CognitoError) as caught:
        await call
    return caught.value.type, caught.value.message


# -- the template is the one source of truth -------------------------------------------------


def test_the_deployed_templates_settings_are_read() -> None:
    pool = load_pool_config()
    assert pool.username_attributes == ("email",) and not pool.case_sensitive
    assert pool.password_policy.minimum_length == 8
    assert not pool.password_policy.require_symbols
    assert pool.prevent_user_existence_errors
    assert (pool.access_token_ttl, pool.id_token_ttl) == (3600, 3600)
    assert pool.refresh_token_ttl == 30 * 86400
    assert pool.groups == ("admins",)
    assert pool.mfa == "OPTIONAL" and pool.pre_token_generation
    assert pool.allows("USER_PASSWORD_AUTH") and pool.allows("REFRESH_TOKEN")


def test_serverless_variables_resolve_to_their_fallback_or_are_refused(tmp_path: Path) -> None:
    pool = template_with(tmp_path, "MinimumLength: 8", "MinimumLength: ${param:pwLength, 12}")
    assert pool.password_policy.minimum_length == 12
    with pytest.raises(PoolTemplateError, match="MinimumLength"):
        template_with(tmp_path, "MinimumLength: 8", "MinimumLength: ${param:pwLength}")
    with pytest.raises(PoolTemplateError, match="Fn::If"):
        template_with(tmp_path, "CaseSensitive: false", "CaseSensitive: !If [IsProd, true, false]")
    with pytest.raises(PoolTemplateError, match="MFA"):
        template_with(tmp_path, "MfaConfiguration: OPTIONAL", 'MfaConfiguration: "ON"')


def test_token_validity_units_are_honoured(tmp_path: Path) -> None:
    pool = template_with(tmp_path, "AccessToken: minutes", "AccessToken: hours")
    assert pool.access_token_ttl == 60 * 3600
    absent = pool_config_of(
        {
            "Resources": {
                "P": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
                "C": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {}},
            }
        }
    )
    assert absent == PoolConfig()  # Cognito's defaults when the template says nothing


async def test_email_is_the_username_and_the_username_is_the_sub(
    idp: LocalIdentityProvider,
) -> None:
    assert await error_of(idp.sign_up(sign_up_request("ada"))) == (
        "InvalidParameterException",
        "Username should be either an email or a phone number.",
    )
    sub = (await idp.sign_up(sign_up_request("Ada@Example.com", name="Ada")))["UserSub"]
    user = await idp.users.find("ada@example.COM")
    assert user is not None and user.username == sub
    assert user.attributes == {"email": "Ada@Example.com", "name": "Ada"}


async def test_switching_the_sign_in_attribute_changes_the_local_idp(
    tmp_path: Path, key: SigningKey
) -> None:
    # GIVEN a copy of the template whose pool has plain usernames (no UsernameAttributes)
    pool = template_with(tmp_path, "UsernameAttributes: [email]", "AliasAttributes: [email]")
    async for idp in provider(tmp_path, key, pool):
        # THEN a username that is no e-mail is accepted and is the token's username
        await idp.sign_up(sign_up_request("ada", email="ada@example.com"))
        tokens = (await idp.initiate_auth(log_in_request("ada")))["AuthenticationResult"]
        assert idp.verifier().verify(tokens["AccessToken"])["username"] == "ada"


async def test_switching_case_sensitivity_changes_the_local_idp(
    tmp_path: Path, key: SigningKey
) -> None:
    pool = template_with(tmp_path, "CaseSensitive: false", "CaseSensitive: true")
    async for idp in provider(tmp_path, key, pool):
        await idp.sign_up(sign_up_request("Bea@example.com"))
        # a case variant is another user on a case-sensitive pool
        await idp.sign_up(sign_up_request("bea@example.com"))
        assert await error_of(idp.initiate_auth(log_in_request("BEA@example.com"))) == (
            "NotAuthorizedException",
            "Incorrect username or password.",
        )
    async for idp in provider(tmp_path, key):  # the template as deployed: one user
        await idp.sign_up(sign_up_request("Bea@example.com"))
        assert (await error_of(idp.sign_up(sign_up_request("bea@example.com"))))[0] == (
            "UsernameExistsException"
        )
        assert await idp.initiate_auth(log_in_request("BEA@example.com"))


async def test_switching_the_password_length_and_existence_errors_changes_the_local_idp(
    tmp_path: Path, key: SigningKey
) -> None:
    pool = template_with(tmp_path, "MinimumLength: 8", "MinimumLength: 14")
    async for idp in provider(tmp_path, key, pool):
        assert await error_of(idp.sign_up(sign_up_request("cy@example.com"))) == (
            "InvalidPasswordException",
            "Password did not conform with policy: Password not long enough",
        )
    pool = template_with(
        tmp_path, "PreventUserExistenceErrors: ENABLED", "PreventUserExistenceErrors: LEGACY"
    )
    async for idp in provider(tmp_path, key, pool):
        assert await error_of(idp.initiate_auth(log_in_request("nobody@example.com"))) == (
            "UserNotFoundException",
            "User does not exist.",
        )


async def test_the_access_scope_follows_the_trigger_wiring(
    tmp_path: Path, key: SigningKey, idp: LocalIdentityProvider
) -> None:
    await idp.sign_up(sign_up_request("dee@example.com"))
    tokens = (await idp.initiate_auth(log_in_request("dee@example.com")))["AuthenticationResult"]
    assert idp.verifier().verify(tokens["AccessToken"])["scope"] == API_SCOPE
    # without the trigger, tokens keep Cognito's scope and the API refuses them
    unwired = re.sub(r"\n        PreTokenGenerationConfig:\n(          .*\n)+", "\n", TEMPLATE)
    copy = tmp_path / "unwired.yml"
    copy.write_text(unwired)
    async for plain in provider(tmp_path, key, load_pool_config(copy)):
        assert plain.scope == "aws.cognito.signin.user.admin"


async def test_a_flow_the_client_does_not_allow_is_refused(tmp_path: Path, key: SigningKey) -> None:
    pool = template_with(tmp_path, "        - ALLOW_USER_PASSWORD_AUTH\n", "")
    async for idp in provider(tmp_path, key, pool):
        await idp.sign_up(sign_up_request("eve@example.com"))
        assert await error_of(idp.initiate_auth(log_in_request("eve@example.com"))) == (
            "InvalidParameterException",
            "USER_PASSWORD_AUTH flow not enabled for this client",
        )


# -- throttling (issue 16 #5) -----------------------------------------------------------------


async def test_failed_sign_ins_lock_the_name_then_the_lock_passes(
    idp: LocalIdentityProvider,
) -> None:
    clock = idp.clock
    assert isinstance(clock, Clock)
    await idp.sign_up(sign_up_request("fay@example.com"))
    for _ in range(FREE_FAILURES):
        assert (await error_of(idp.initiate_auth(log_in_request("fay@example.com", "Wr0ngpass"))))[
            1
        ] == "Incorrect username or password."
    locked = ("NotAuthorizedException", "Password attempts exceeded")
    # locked: even the right password (in any case of the e-mail) is refused for now
    assert await error_of(idp.initiate_auth(log_in_request("FAY@example.com"))) == locked
    clock.now += 1.5
    assert await idp.initiate_auth(log_in_request("fay@example.com"))  # the lock passed
    # an unknown name locks just the same: the lockout tells nothing about who exists
    for _ in range(FREE_FAILURES):
        await error_of(idp.initiate_auth(log_in_request("ghost@example.com")))
    assert await error_of(idp.initiate_auth(log_in_request("ghost@example.com"))) == locked


async def test_failures_from_one_address_are_throttled_successes_never(
    idp: LocalIdentityProvider,
) -> None:
    await idp.sign_up(sign_up_request("gus@example.com"))
    # many successful sign-ins from one address (the load test's provisioning): none refused
    for _ in range(ADDRESS_FAILURES + 20):
        await idp.initiate_auth(log_in_request("gus@example.com"), "10.0.0.1")
    for n in range(ADDRESS_FAILURES):
        await error_of(idp.initiate_auth(log_in_request(f"u{n}@example.com"), "10.0.0.2"))
    assert await error_of(idp.initiate_auth(log_in_request("gus@example.com"), "10.0.0.2")) == (
        "TooManyRequestsException",
        "Rate exceeded",
    )
    assert await idp.initiate_auth(log_in_request("gus@example.com"), "10.0.0.1")
    clock = idp.clock
    assert isinstance(clock, Clock)
    clock.now += 301
    assert await idp.initiate_auth(log_in_request("gus@example.com"), "10.0.0.2")


# -- the protocol layer ----------------------------------------------------------------------


async def _post(app: Any, chunks: Any, target: str = "SignUp") -> tuple[int, Any, int]:
    """POST to the ASGI app with a chunked body from ``chunks``; (status, JSON, chunks read)."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/cognito",
        "raw_path": b"/cognito",
        "query_string": b"",
        "headers": [
            (b"x-amz-target", f"AWSCognitoIdentityProviderService.{target}".encode()),
            (b"content-type", b"application/x-amz-json-1.1"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    read = 0
    iterator = iter(chunks)

    async def receive() -> dict[str, Any]:
        nonlocal read
        chunk = next(iterator, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body), read


async def test_the_body_limit_holds_while_reading(idp: LocalIdentityProvider) -> None:
    app = Starlette(routes=cognito_routes(idp))
    chunk = b"x" * 65536
    endless = (chunk for _ in range(3200))  # 200 MB, sent in 64 KiB chunks
    status, body, read = await _post(app, endless)
    assert (status, body["__type"]) == (413, "InvalidParameterException")
    assert read <= MAX_BODY_BYTES // len(chunk) + 1  # stopped at the limit, not at 200 MB


@pytest.mark.parametrize(
    "body",
    [b"[" * 60_000, b'{"a":' * 12_000, b"\xff\xfe\x00{", b'{"Username": "\xc3\x28"}'],
    ids=["deep-array", "deep-object", "bad-bom", "bad-utf8"],
)
async def test_every_decode_error_is_a_400_in_cognitos_shape(
    idp: LocalIdentityProvider, body: bytes
) -> None:
    app = Starlette(routes=cognito_routes(idp))
    status, answer, _ = await _post(app, [body])
    assert (status, answer["__type"]) == (400, "SerializationException")


def test_the_key_file_never_follows_a_planted_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    key_file = tmp_path / "idp-key.pem"
    # the old temporary name, predictable from the pid: a symlink planted there is followed
    (tmp_path / f".{key_file.name}.{os.getpid()}.tmp").symlink_to(victim)
    SigningKey.load_or_create(key_file)
    assert victim.read_text() == "precious"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.glob(".idp-key.pem.*.tmp") if not p.is_symlink()] == []


async def test_the_admins_group_exists_only_if_the_template_has_it(
    tmp_path: Path, key: SigningKey
) -> None:
    for pool, groups in (
        (None, ["admins"]),
        (template_with(tmp_path, "GroupName: admins", "GroupName: editors"), None),
    ):
        async for idp in provider(tmp_path, key, pool, admins=["Hal@Example.com"]):
            await idp.sign_up(sign_up_request("hal@example.com"))
            result = await idp.initiate_auth(log_in_request("hal@example.com"))
            claims = idp.verifier().verify(result["AuthenticationResult"]["AccessToken"])
            assert claims.get("cognito:groups") == groups
