"""A client's mistake is never a 500 (issue 16, finding 1): extreme times, positions and ids.

Times at the edges of what Python's ``datetime`` can hold (``9999-12-31T23:59:59-00:01`` is in
year 10000 once in UTC) used to raise OverflowError deep in the code: converting to UTC, adding
the time-travel clock skew. Every time the API takes is now checked once, at the boundary
(:data:`vote_domain.commands.Instant`): outside 0001-01-02 .. 9999-12-30 UTC it is a 400
``validation_failed`` naming the field, and nothing is written.

The requests go to the Lambda's own handler in this process, as API Gateway events built by the
local gateway (:func:`votes.local.gateway.api_event`) for every route of the OpenAPI document;
hypothesis draws the times, positions, ids and bodies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lambda_context import LambdaContext

from handlers.api import handler
from vote_domain import ValidationFailed, VoteError
from votes import runtime
from votes.bootstrap import Container
from votes.http.openapi import routes
from votes.local.gateway import RouteTable, api_event

ISSUE_TIMES = [
    "9999-12-31T23:59:59-00:01",
    "0001-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59.999999Z",
]
ADMIN = "d4c8a4b8-3051-70d6-2a8f-3f6e1b9f0a11"
TABLE = RouteTable(routes())
ROUTES = routes()


def _claims(sub: str, *, admin: bool) -> dict[str, Any]:
    claims = {"sub": sub, "username": sub[:8], "token_use": "access", "client_id": "c"}
    if admin:
        claims["cognito:groups"] = "[admins]"
    return {"claims": claims, "scopes": ["votes/api"]}


def call(
    method: str, path: str, *, query: str = "", body: str = "", admin: bool = True
) -> tuple[int, Any]:
    """The handler's answer to one request, as API Gateway would pass it (status, JSON)."""
    route_key, params, public = TABLE.match(method, path)
    event = api_event(
        method=method,
        path=path,
        raw_query=query,
        raw_headers=[(b"content-type", b"application/json")],
        body=body.encode(),
        source_ip="127.0.0.1",
        route_key=route_key,
        path_parameters=params,
        jwt=None if public else _claims(ADMIN, admin=admin),
    )
    response = handler(event, LambdaContext())
    text = response.get("body") or "null"
    return int(response["statusCode"]), json.loads(text) if text.startswith(("{", "[")) else text


def log_position(c: Container) -> int:
    return int(runtime.run(c.store.max_notification_id()) or 0)


@pytest.fixture
def api(tmp_path: Path, app_container: Callable[..., Container]) -> tuple[Container, str]:
    """The API on a fresh SQLite store, an admin registered, one poll with a vote in it."""
    c = app_container(database_url=f"sqlite:///{tmp_path / 'extremes.db'}")
    assert call("POST", "/voters")[0] == 201
    status, poll = call("POST", "/polls", body='{"question":"Q","options":["A","B"]}')
    assert status == 201, poll
    assert call("POST", f"/polls/{poll['id']}/votes", body='{"option":"A"}')[0] == 201
    return c, str(poll["id"])


def _refused(status: int, body: Any, field: str) -> None:
    assert status == 400, body
    assert body["error"]["code"] == "validation_failed"
    assert field in [e["field"] for e in body["error"]["details"]["errors"]]


@pytest.mark.parametrize("at", ISSUE_TIMES)
def test_results_at_the_edge_of_time_are_refused(api: tuple[Container, str], at: str) -> None:
    # GIVEN a poll
    _, poll = api
    # WHEN its results are asked for as of a time datetime cannot hold in UTC (or plus a skew)
    status, body = call("GET", f"/polls/{poll}/results", query=f"at={quote(at)}")
    # THEN 400 validation_failed on "at", not a 500
    _refused(status, body, "at")


@pytest.mark.parametrize("closes_at", ISSUE_TIMES)
def test_a_poll_closing_at_the_edge_of_time_is_refused_and_not_written(
    api: tuple[Container, str], closes_at: str
) -> None:
    c, _ = api
    before = log_position(c)
    body = json.dumps({"question": "Q", "options": ["A", "B"], "closes_at": closes_at})
    status, answer = call("POST", "/polls", body=body)
    _refused(status, answer, "closes_at")
    assert log_position(c) == before


def test_the_latest_time_accepted_still_works(api: tuple[Container, str]) -> None:
    # GIVEN a poll; WHEN its results are asked for as of the last instant the API takes
    _, poll = api
    status, body = call("GET", f"/polls/{poll}/results", query="at=9999-12-30T23:59:59Z")
    # THEN it is an ordinary answer: the tally of then (the vote is counted)
    assert status == 200, body
    assert body["total"] == 1
    # AND a poll may close at that instant
    far = json.dumps({"question": "Q", "options": ["A", "B"], "closes_at": "9999-12-30T00:00Z"})
    assert call("POST", "/polls", body=far)[0] == 201


# -- hypothesis: every route, every extreme ------------------------------------------------------

OFFSETS = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-(24 * 60 - 1), 24 * 60 - 1)
)
AWARE = st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=OFFSETS)
EDGES = st.sampled_from(
    [datetime.min, datetime.max, datetime.min + timedelta(days=1), datetime.max - timedelta(days=1)]
)
DATETIMES = st.one_of(
    AWARE, st.builds(lambda d, tz: d.replace(tzinfo=tz), EDGES, OFFSETS), st.datetimes()
)
TIME_TEXT = st.one_of(
    DATETIMES.map(datetime.isoformat),
    DATETIMES.map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.sampled_from(ISSUE_TIMES),
    st.text(max_size=40),
)
POSITIONS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["9" * 5000, "1e9", "0x10", "-0", "1_000", " 3 ", ""]),
)


def _fill(path: str, poll_id: str) -> str:
    return path.replace("{pollId}", quote(poll_id, safe=""))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES),
    poll_id=st.one_of(st.uuids().map(str), st.text(min_size=1, max_size=40), st.just("REAL")),
    at=st.one_of(st.none(), TIME_TEXT),
    position=st.one_of(st.none(), POSITIONS),
    closes_at=st.one_of(st.none(), TIME_TEXT),
    option=st.sampled_from(["A", "B", "C", ""]),
    admin=st.booleans(),
)
@example(ROUTES[0], "REAL", ISSUE_TIMES[0], None, ISSUE_TIMES[0], "A", True)
def test_no_route_answers_a_5xx_nor_writes_when_it_refuses(
    api: tuple[Container, str],
    route: tuple[str, str, bool],
    poll_id: str,
    at: str | None,
    position: str | None,
    closes_at: str | None,
    option: str,
    admin: bool,
) -> None:
    c, real = api
    method, path, _ = route
    query = "&".join(
        f"{k}={quote(v)}"
        for k, v in (("at", at), ("position", position), ("poll_ids", poll_id))
        if v is not None
    )
    fields: dict[str, Any] = {"option": option}
    if path == "/polls":
        fields = {"question": "Q", "options": ["A", "B"], "closes_at": closes_at}
    body = json.dumps(fields) if method in ("POST", "PUT") else ""
    before = log_position(c)
    status, answer = call(
        method,
        _fill(path, real if poll_id == "REAL" else poll_id),
        query=query,
        body=body,
        admin=admin,
    )
    assert status < 500, answer
    if status >= 400:
        assert log_position(c) == before, answer


# -- the service: the same rule, whatever the entry point ----------------------------------------


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(when=DATETIMES)
@example(datetime.max.replace(tzinfo=timezone(-timedelta(minutes=1))))
@example(datetime.min.replace(tzinfo=timezone(timedelta(minutes=1))))
@example(datetime.max.replace(tzinfo=UTC))
def test_the_service_refuses_what_it_cannot_hold_and_writes_nothing(
    api: tuple[Container, str], when: datetime
) -> None:
    c, poll = api
    before = log_position(c)
    try:
        runtime.run(c.service.create_poll(ADMIN, "Q", ["A", "B"], when))
    except ValidationFailed:
        assert log_position(c) == before
    try:
        runtime.run(c.results(poll, at=when))
    except VoteError:
        pass  # a typed refusal (validation_failed); anything else fails the test
