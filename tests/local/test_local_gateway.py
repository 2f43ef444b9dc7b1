"""The local server's API Gateway stand-in: the events it builds and the routes it knows."""

from __future__ import annotations

import base64

from votes.http.openapi import routes
from votes.local.gateway import RouteTable, api_event, http_response


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
