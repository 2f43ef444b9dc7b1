"""One JSON log line per API request, on Lambda and in the local server, with API Gateway's
request id as correlation id (returned locally as ``apigw-requestid``), never the query string;
the relay's and the local bus's lines are JSON too."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_events import load_event
from eventsourcing.persistence import Notification, Recording
from lambda_context import LambdaContext

from vote_domain import EventStore
from votes.observability import logger

SECRET = "s3cret-token-value"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What Powertools' handler writes (stdout on Lambda), captured."""
    handler = logger.registered_handler
    out = io.StringIO()
    old, handler.stream = handler.stream, out  # type: ignore[attr-defined]
    try:
        yield out
    finally:
        handler.stream = old  # type: ignore[attr-defined]


def records(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def request_lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [r for r in records(out) if r["message"] == "request"]


def test_the_lambda_logs_each_request_once_without_its_query_string(
    log_lines: io.StringIO,
) -> None:
    from handlers.api import handler

    event = load_event("health", query=f"access_token={SECRET}")
    assert handler(event, LambdaContext())["statusCode"] == 200
    (line,) = request_lines(log_lines)
    assert line["correlation_id"] == event["requestContext"]["requestId"]
    assert (line["method"], line["route"], line["path"], line["status"]) == (
        "GET",
        "GET /health",
        "/health",
        200,
    )
    assert isinstance(line["latency_ms"], float) and line["level"] == "INFO"
    assert line["function_request_id"] == LambdaContext.aws_request_id
    assert SECRET not in log_lines.getvalue()


async def test_the_local_gateway_returns_and_logs_a_request_id(log_lines: io.StringIO) -> None:
    from votes.http.openapi import routes
    from votes.local.gateway import RouteTable
    from votes.local.server import ApiGateway
    from votes.local.tokens import TokenGate

    gateway = ApiGateway(RouteTable(routes()), TokenGate(None), max_body=1024)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
        ok = await client.get(f"/health?access_token={SECRET}")
        refused = await client.get("/polls")  # no token: the gateway's own 401
        too_big = await client.post("/health", content=b"x" * 2048)  # the gateway's 413
    assert (ok.status_code, refused.status_code, too_big.status_code) == (200, 401, 413)
    lines = request_lines(log_lines)
    assert [(r["method"], r["route"], r["status"]) for r in lines] == [
        ("GET", "GET /health", 200),
        ("GET", "GET /polls", 401),
        ("POST", "$default", 413),
    ]
    ids = [r.headers["apigw-requestid"] for r in (ok, refused, too_big)]
    assert [r["correlation_id"] for r in lines] == ids and len(set(ids)) == 3
    assert SECRET not in log_lines.getvalue()


class RefusingEvents:
    """An EventBridge client refusing the first attempt of every entry."""

    def __init__(self) -> None:
        self.calls = 0

    async def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            results = [{"ErrorCode": "ThrottlingException"} for _ in Entries]
            return {"FailedEntryCount": len(Entries), "Entries": results}
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "e"} for _ in Entries]}


async def test_the_relay_logs_refused_entries_as_json_with_their_ids(
    log_lines: io.StringIO, sqlite_store: EventStore
) -> None:
    import uuid

    from votes.relay import MIGRATIONS, Relay

    await sqlite_store.migrate(MIGRATIONS)

    ballot = uuid.uuid4()
    state = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-27T12:00:00+00:00"}}'
    notification = Notification(
        id=7, originator_id=ballot, originator_version=2, topic="m:Ballot.VoteCast", state=state
    )
    relay = Relay(sqlite_store, "bus", client=RefusingEvents(), backoff=0)
    await relay.publish([Recording(domain_event=None, notification=notification)])  # type: ignore[arg-type]
    (warning,) = [r for r in records(log_lines) if r["level"] == "WARNING"]
    assert warning["message"] == "EventBridge refused entries"
    assert warning["error_codes"] == ["ThrottlingException"]
    assert (warning["positions"], warning["correlation_ids"]) == ([7], [f"{ballot}:2"])


def test_an_events_time_is_read_from_its_stored_state() -> None:
    from votes.relay.events import event_time

    stamp = b'{"timestamp":{"_type_":"datetime_iso","_data_":"1970-01-01T00:00:01.5+00:00"}}'
    assert event_time(stamp) == 1.5
    naive = b'{"timestamp":{"_type_":"datetime_iso","_data_":"1970-01-01T00:00:02"}}'
    assert event_time(naive) == 2.0  # read as UTC
    assert event_time(b"{}") is None and event_time(b"[]") is None and event_time(b"x") is None


async def test_the_local_bus_logs_what_it_projected_and_its_lag(
    tmp_path: Any, log_lines: io.StringIO
) -> None:
    from projections import TallyProjector
    from projections.schema import migrate as migrate_tallies
    from vote_domain import VotingService, connect
    from votes.local.bus import InProcessBus

    store = connect(f"sqlite:///{tmp_path / 'bus.db'}")
    await store.migrate()
    await migrate_tallies(store)
    service = VotingService(store)
    await service.register_voter("bob")
    poll = await service.create_poll("bob", "Tea?", ["Yes", "No"])
    await service.cast_vote(poll.id, "bob", "Yes")
    bus = InProcessBus(store, TallyProjector(store))
    await bus.start()
    await bus.catch_up()
    await bus.stop()
    await store.close()
    (line,) = [r for r in records(log_lines) if r["message"] == "projected"]
    assert (line["events"], line["position"]) == (3, 3)
    assert line["lag_ms_max"] >= 0
