"""The HTTP API's contract: OpenAPI = routes, error codes -> statuses, identity; and the cold
import of every Lambda entry."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import vote_domain.errors as domain_errors
from votes.http import errors
from votes.http.api import resolver
from votes.http.identity import caller_of, parse_groups
from votes.http.openapi import OPERATIONS, document


def _resolver_routes() -> set[tuple[str, str]]:
    routes = set()
    app = resolver()
    for route in app._static_routes + app._dynamic_routes:
        path = route.openapi_path  # "/polls/{pollId}" form
        routes.add((route.method.upper(), path))
    return routes


def test_openapi_lists_exactly_the_resolver_routes() -> None:
    # GIVEN the OpenAPI document and the routes the resolver registered
    doc = document()
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    # THEN each is in the other
    assert documented == _resolver_routes()
    assert documented == {(op.method, op.path) for op in OPERATIONS}


def test_openapi_document_is_openapi_3_with_resolvable_refs() -> None:
    doc = document()
    assert doc["openapi"].startswith("3.")
    text = json.dumps(doc)
    schemas = doc["components"]["schemas"]
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in schemas, ref
    public = {
        (m, p) for p, ops in doc["paths"].items() for m, op in ops.items() if not op["security"]
    }
    assert public == {("get", "/health"), ("get", "/openapi.json")}


def test_every_domain_error_code_has_a_client_status() -> None:
    # GIVEN every error the domain raises on purpose
    classes = [
        c
        for c in vars(domain_errors).values()
        if isinstance(c, type)
        and issubclass(c, domain_errors.VoteError)
        and c is not domain_errors.VoteError
    ]
    for cls in classes:
        exc = cls("boom")
        # THEN it maps to a 4xx, or 503 for Unavailable; never 500
        status = errors.status_for(exc)
        assert status == 503 if cls is domain_errors.Unavailable else 400 <= status < 500, cls
        assert errors.error_body(exc)["error"]["code"] == cls.code


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (domain_errors.ValidationFailed("x"), 400),
        (errors.MalformedJson("x"), 400),
        (errors.Unauthenticated("x"), 401),
        (errors.Forbidden("x"), 403),
        (domain_errors.PollNotFound("x"), 404),
        (domain_errors.BallotNotFound("x"), 404),
        (errors.RouteNotFound("x"), 404),
        (domain_errors.AlreadyVoted("x"), 409),
        (domain_errors.Conflict("x"), 409),
        (errors.PayloadTooLarge("x"), 413),
        (domain_errors.PollClosed("x"), 422),
        (domain_errors.InvalidOption("x"), 422),
        (domain_errors.NotRegistered("x"), 422),
        (domain_errors.Unavailable("x"), 503),
        (RuntimeError("x"), 500),
    ],
)
def test_status_of_each_error(exc: Exception, status: int) -> None:
    assert errors.status_for(exc) == status


@pytest.mark.parametrize(
    ("claim", "groups"),
    [
        ("[admins]", {"admins"}),
        ("[admins voters]", {"admins", "voters"}),
        ("[]", set()),
        ('["admins","voters"]', {"admins", "voters"}),
        (["admins"], {"admins"}),
        ("admins", {"admins"}),
        (None, set()),
    ],
)
def test_groups_claim_forms(claim: object, groups: set[str]) -> None:
    assert parse_groups(claim) == groups


def test_caller_needs_verified_claims_with_a_subject() -> None:
    with pytest.raises(errors.Unauthenticated):
        caller_of({"requestContext": {}})
    with pytest.raises(errors.Unauthenticated):
        caller_of({"requestContext": {"authorizer": {"jwt": {"claims": {"username": "x"}}}}})
    access = {"sub": "s", "cognito:username": "al", "token_use": "access"}
    who = caller_of({"requestContext": {"authorizer": {"jwt": {"claims": access}}}})
    assert (who.subject, who.username, who.is_admin) == ("s", "al", False)


@pytest.mark.parametrize("token_use", [None, "id", "refresh", "ACCESS"])
def test_caller_needs_access_token_claims(token_use: str | None) -> None:
    # GIVEN verified claims of anything but an access token (an ID token passes API Gateway)
    claims = {"sub": "s", "cognito:username": "al", "token_use": token_use}
    if token_use is None:
        del claims["token_use"]
    # THEN the caller is refused as the local gateway refuses such tokens
    with pytest.raises(errors.Unauthenticated):
        caller_of({"requestContext": {"authorizer": {"jwt": {"claims": claims}}}})


@pytest.mark.parametrize(
    "entry",
    ["api", "relay", "projector", "migrate", "presignup", "pretoken", "push", "subscribe"],
)
def test_importing_a_lambda_entry_loads_no_heavy_modules(entry: str) -> None:
    # GIVEN a fresh interpreter WHEN it imports a Lambda entry module
    code = (
        f"import sys, handlers.{entry}; "
        "print(','.join(m for m in ('pydantic_settings', 'vote_domain', 'eventsourcing', "
        "'aiomysql', 'boto3', 'aiohttp', 'projections', 'jwt', 'pydantic') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # THEN settings, the domain, database drivers and AWS clients wait for the first request
    assert out.stdout.strip() == ""
