"""Attacks on identity, end to end over HTTP against ``votes serve``.

Forged, expired and misused tokens get 401 and write nothing; a voter cannot act as another
one through the body, headers, query or poll id spellings; a voter is refused admin routes.
The API takes Cognito ACCESS tokens only (``token_use == "access"``, ``client_id`` ours):
an ID token or a refresh token as bearer is a 401 (see docs/threat-model.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hardening_app import LiveApp, Tokens
from hardening_tokens import Forger
from lambda_context import LambdaContext


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with LiveApp(tmp_path_factory.mktemp("auth")) as running:
        yield running


@pytest.fixture(scope="module")
def people(app: LiveApp) -> dict[str, Any]:
    admin, alice, bob = app.sign_in("admin"), app.sign_in("alice"), app.sign_in("bob")
    poll = app.create_poll(admin)
    return {"admin": admin, "alice": alice, "bob": bob, "poll": poll}


@pytest.fixture(scope="module")
def forger(app: LiveApp, people: dict[str, Any]) -> Forger:
    return Forger(people["bob"]["access"], app.workdir / ".votes" / "idp-key.pem")


def _writes(poll: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """One request per write route (method, path, JSON body)."""
    return [
        ("POST", "/voters", {"display_name": "Mallory"}),
        ("POST", "/polls", {"question": "Forged?", "options": ["yes", "no"]}),
        ("POST", f"/polls/{poll}/votes", {"option": "Tabs"}),
        ("PUT", f"/polls/{poll}/votes/me", {"option": "Spaces"}),
        ("DELETE", f"/polls/{poll}/votes/me", None),
        ("POST", f"/polls/{poll}/close", None),
    ]


def _assert_401_everywhere(app: LiveApp, poll: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    before = app.log_position()
    with app.http() as http:
        for method, path, body in [*_writes(poll), ("GET", "/polls", None)]:
            r = http.request(method, path, headers=headers, json=body)
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            assert r.json()["error"]["code"] == "unauthenticated"
            assert r.headers["www-authenticate"].startswith("Bearer")
        token = (authorization or "").removeprefix("Bearer ")
        stream = http.get(f"/polls/{poll}/results/stream", params={"access_token": token})
        assert stream.status_code == 401
    assert app.log_position() == before, "a refused request wrote to the log"


FORGERIES = [
    "wrong key, our kid",
    "wrong key, unknown kid",
    "alg none",
    "HS256 keyed with the public key",
    "tampered payload (admin, other sub)",
    "wrong issuer",
    "wrong client_id",
    "expired",
    "not yet valid (iat in the future)",
    "no token_use",
    "token_use id",
    "token_use refresh",
    "no sub",
    "no exp",
    "garbage",
    "empty segments",
]


def test_the_forgery_list_is_complete(forger: Forger) -> None:
    assert sorted(forger.forgeries()) == sorted(FORGERIES)


@pytest.mark.parametrize("name", FORGERIES)
def test_forged_tokens_are_401_and_write_nothing(
    app: LiveApp, people: dict[str, Any], forger: Forger, name: str
) -> None:
    _assert_401_everywhere(app, people["poll"], f"Bearer {forger.forgeries()[name]()}")


def test_a_token_signed_by_the_real_key_with_genuine_claims_is_accepted(
    app: LiveApp, people: dict[str, Any], forger: Forger
) -> None:
    # the control of the forgeries above: the re-signing itself is not what they fail on
    r = httpx.get(f"{app.url}/polls", headers={"Authorization": f"Bearer {forger.real()}"})
    assert r.status_code == 200


@pytest.mark.parametrize("kind", ["id", "refresh"])
def test_id_and_refresh_tokens_are_not_access_tokens(
    app: LiveApp, people: dict[str, Any], kind: str
) -> None:
    _assert_401_everywhere(app, people["poll"], f"Bearer {people['bob'][kind]}")


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic YWxpY2U6cGFzcw==", "Token abc", "bearer"],
)
def test_missing_or_malformed_authorization_is_401(
    app: LiveApp, people: dict[str, Any], authorization: str | None
) -> None:
    _assert_401_everywhere(app, people["poll"], authorization)


def test_a_voter_is_refused_admin_routes_and_nothing_is_written(
    app: LiveApp, people: dict[str, Any]
) -> None:
    bob: Tokens = people["bob"]
    before = app.log_position()
    with app.http() as http:
        body = {"question": "Mine?", "options": ["a", "b"]}
        spoof = {**bob.headers, "X-Cognito-Groups": "admins", "X-Groups": "[admins]"}
        for headers in (bob.headers, spoof):
            created = http.post("/polls", headers=headers, json=body)
            closed = http.post(f"/polls/{people['poll']}/close", headers=headers)
            assert (created.status_code, closed.status_code) == (403, 403)
            assert created.json()["error"]["code"] == "forbidden"
    assert app.log_position() == before


IDENTITY_HEADERS = [
    "X-User-Id",
    "X-Voter-Id",
    "X-Amzn-Oidc-Identity",
    "X-Amzn-Oidc-Data",
    "X-Forwarded-User",
    "X-Remote-User",
    "X-Cognito-Sub",
    "Remote-User",
]


def test_identity_comes_only_from_the_verified_token(app: LiveApp, people: dict[str, Any]) -> None:
    alice: Tokens = people["alice"]
    bob: Tokens = people["bob"]
    poll = app.create_poll(people["admin"])
    # GIVEN bob's token with every header a proxy might use to name a user set to alice
    claiming = {**bob.headers, **dict.fromkeys(IDENTITY_HEADERS, alice["sub"])}
    with app.http() as http:
        # WHEN the body claims another voter THEN 400 (unknown fields are refused), no write
        before = app.log_position()
        for extra in ({"voter_id": alice["sub"]}, {"sub": alice["sub"]}, {"voter": "alice"}):
            r = http.post(
                f"/polls/{poll}/votes", headers=claiming, json={"option": "Tabs", **extra}
            )
            assert (r.status_code, r.json()["error"]["code"]) == (400, "validation_failed")
        assert app.log_position() == before
        # WHEN bob votes with those headers and query parameters naming alice
        cast = http.post(
            f"/polls/{poll}/votes",
            headers=claiming,
            params={"sub": alice["sub"], "voter_id": alice["sub"], "username": "alice"},
            json={"option": "Tabs"},
        )
        assert cast.status_code == 201, cast.text
        # THEN the vote is bob's, and alice has none
        assert http.get(f"/polls/{poll}/votes/me", headers=bob.headers).json()["option"] == "Tabs"
        mine = http.get(f"/polls/{poll}/votes/me", headers=alice.headers)
        assert (mine.status_code, mine.json()["error"]["code"]) == (404, "ballot_not_found")
        assert cast.json()["ballot"]["voter_id"] == _voter_id(http, bob)
        # AND the register route cannot rename alice either
        renamed = http.post("/voters", headers=claiming, json={"display_name": "alice"})
        assert renamed.json()["subject"] == bob["sub"]


def _voter_id(http: httpx.Client, who: Tokens) -> str:
    return str(http.post("/voters", headers=who.headers).json()["id"])


def test_spellings_of_one_poll_id_are_one_ballot(app: LiveApp, people: dict[str, Any]) -> None:
    bob: Tokens = people["bob"]
    poll = app.create_poll(people["admin"])
    with app.http() as http:
        assert (
            http.post(f"/polls/{poll}/votes", headers=bob.headers, json={"option": "Tabs"})
        ).status_code == 201
        before = app.log_position()
        for spelling in (poll.upper(), f"{{{poll}}}", poll.replace("-", ""), f"urn:uuid:{poll}"):
            # THEN the same option again is an idempotent retry, another option a conflict
            # (or the spelling is refused as a bad id): never a second ballot
            same = http.post(
                f"/polls/{spelling}/votes", headers=bob.headers, json={"option": "Tabs"}
            )
            other = http.post(
                f"/polls/{spelling}/votes", headers=bob.headers, json={"option": "Spaces"}
            )
            assert same.status_code in (200, 400), (spelling, same.text)
            assert other.status_code in (409, 400), (spelling, other.text)
        assert app.log_position() == before


# -- on AWS: what API Gateway's JWT authorizer lets through reaches the Lambda as claims -------


def test_the_lambda_refuses_id_token_claims_as_the_local_gateway_does(
    tmp_path: Path, app_container: Callable[..., Any]
) -> None:
    """API Gateway's JWT authorizer accepts an ID token too (its ``aud`` is our client) unless
    the route requires an access-token scope; the Lambda must then refuse it itself, so that
    AWS and the local app take the same tokens (access tokens only)."""
    import json as _json

    from handlers.api import handler

    event = _json.loads((Path(__file__).parents[1] / "events" / "api_list_polls.json").read_text())
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    # an ID token's claims as API Gateway passes them
    for name in ("client_id", "scope", "username", "jti"):
        claims.pop(name, None)
    claims.update(
        {"token_use": "id", "aud": "4l1ctq8v0pn7q2u5shc3h2l0ba", "cognito:username": "alice"}
    )
    event["requestContext"]["authorizer"]["jwt"]["scopes"] = None
    app_container(database_url=f"sqlite:///{tmp_path / 'lambda.db'}")
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 401, response
