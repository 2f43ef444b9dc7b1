"""The local server's API Gateway stand-in: the events it builds and the routes it knows."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from votes.http.openapi import routes
from votes.local.auth import JwtVerifier
from votes.local.gateway import RouteTable, api_event, http_response
from votes.local.idp.keys import SigningKey
from votes.local.idp.tokens import TokenMinter
from votes.local.server import ApiGateway
from votes.local.tokens import TokenGate


def test_route_keys_and_path_parameters_are_api_gateways() -> None:
    table = RouteTable(routes())
    assert table.match("GET", "/health") == ("GET /health", None, True)
    assert table.match("POST", "/polls/abc/votes") == (
        "POST /polls/{pollId}/votes",
        {"pollId": "abc"},
        False,
    )
    assert table.match("DELETE", "/polls/a%20b/votes/me") == (
        "DELETE /polls/{pollId}/votes/me",
        {"pollId": "a b"},
        False,
    )
    # no route: API Gateway's 404 comes before any authorizer; the handler answers it here
    assert table.match("PATCH", "/polls") == ("$default", None, True)


def test_the_event_is_payload_2_0() -> None:
    # GIVEN a request with repeated headers, cookies, a query string and a JSON body
    event = api_event(
        method="POST",
        path="/polls/p1/votes",
        raw_query="a=1&a=2&b=",
        raw_headers=[
            (b"Host", b"127.0.0.1:8000"),
            (b"X-Thing", b"one"),
            (b"x-thing", b"two"),
            (b"Cookie", b"k=v; s=t"),
            (b"Content-Type", b"application/json"),
        ],
        body=b'{"option":"A"}',
        source_ip="10.0.0.9",
        route_key="POST /polls/{pollId}/votes",
        path_parameters={"pollId": "p1"},
        jwt={"claims": {"sub": "s1", "cognito:groups": "[admins]"}, "scopes": None},
    )
    # THEN it has the shape API Gateway sends a Lambda
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /polls/{pollId}/votes"
    assert event["rawPath"] == "/polls/p1/votes"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"]["x-thing"] == "one,two"
    assert "cookie" not in event["headers"] and event["cookies"] == ["k=v", "s=t"]
    assert event["pathParameters"] == {"pollId": "p1"}
    assert (event["body"], event["isBase64Encoded"]) == ('{"option":"A"}', False)
    context = event["requestContext"]
    assert context["http"]["method"] == "POST" and context["http"]["sourceIp"] == "10.0.0.9"
    assert context["authorizer"]["jwt"]["claims"]["sub"] == "s1"
    assert context["stage"] == "$default" and isinstance(context["timeEpoch"], int)
    assert context["requestId"]


def test_binary_bodies_are_base64_and_public_routes_have_no_authorizer() -> None:
    event = api_event(
        method="GET",
        path="/health",
        raw_query="",
        raw_headers=[(b"content-type", b"application/octet-stream")],
        body=b"\xff\x00",
        source_ip="127.0.0.1",
        route_key="GET /health",
        path_parameters=None,
        jwt=None,
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00"
    assert "authorizer" not in event["requestContext"]
    assert "queryStringParameters" not in event and "pathParameters" not in event


def test_the_lambda_result_becomes_the_http_response() -> None:
    status, headers, body = http_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "Location": "/x"},
            "cookies": ["a=b"],
            "body": base64.b64encode(b"{}").decode(),
            "isBase64Encoded": True,
        }
    )
    assert status == 201 and body == b"{}"
    assert (b"location", b"/x") in headers and (b"set-cookie", b"a=b") in headers


async def test_a_token_without_the_api_scope_is_403() -> None:
    # GIVEN a valid access token of our pool whose scope is Cognito's self-service one (a
    # pool without the pre token generation trigger), and one with votes/api
    key = SigningKey.generate()
    issuer = "http://127.0.0.1:1/cognito/us-east-1_votesLocal"
    minter = TokenMinter(key, issuer, "c", scope="aws.cognito.signin.user.admin")
    token = minter.tokens(
        sub="s", username="s", groups=[], attributes={}, auth_time=int(time.time()), origin_jti="o"
    )["AccessToken"]
    gate = TokenGate(JwtVerifier(issuer=issuer, client_id="c", jwks=key.jwks()))
    gateway = ApiGateway(RouteTable(routes()), gate, 65536)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/polls",
        "raw_path": b"/polls",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 1),
    }
    # WHEN it calls the API THEN the gateway refuses it, 403 insufficient_scope, before the API
    await gateway(scope, receive, send)
    assert sent[0]["status"] == 403
    assert json.loads(sent[1]["body"])["error"]["code"] == "insufficient_scope"
