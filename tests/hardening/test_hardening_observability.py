"""What the Lambda functions write to stdout: JSON logs carrying a correlation id, and
CloudWatch EMF metrics (votes cast, conflicts, rejected requests, projector lag).

The API Lambda is invoked as AWS does (``handlers.api.handler`` with payload 2.0 events shaped
like tests/events/api_*.json); the projector Lambda with an SQS batch. Their stdout and stderr
are captured at the file-descriptor level, as CloudWatch Logs would receive them.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hardening_history import body_of, sqs_record, write_history
from lambda_context import LambdaContext

from handlers import projector
from votes import bootstrap
from votes.bootstrap import Container

EVENTS = Path(__file__).parents[1] / "events"
CAPTURED_POLL = "6f1c2b3a-9d8e-4f7a-b6c5-d4e3f2a1b0c9"


def api_event(
    name: str,
    *,
    poll: str | None = None,
    sub: str | None = None,
    body: Any = None,
    admin: bool = True,
) -> dict[str, Any]:
    """tests/events/api_<name>.json for ``poll``, caller ``sub``, ``body``; a new request id."""
    event = json.loads((EVENTS / f"api_{name}.json").read_text())
    if poll is not None:
        event["rawPath"] = event["rawPath"].replace(CAPTURED_POLL, poll)
        event["requestContext"]["http"]["path"] = event["rawPath"]
        event["pathParameters"] = {"pollId": poll}
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    if sub is not None:
        claims["sub"] = sub
        claims["username"] = sub[:8]
    if not admin:
        claims.pop("cognito:groups", None)
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
        event["isBase64Encoded"] = False
    event["requestContext"]["requestId"] = uuid.uuid4().hex[:16]
    return event


def lines(captured: str) -> list[Any]:
    """Each line of ``captured`` parsed as JSON, or kept as text when it is not JSON."""
    out: list[Any] = []
    for line in captured.splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append(line)
    return out


def emf_metrics(records: list[Any]) -> dict[str, float]:
    """Metric name -> summed value over the EMF records (namespace Votes) in ``records``."""
    totals: dict[str, float] = {}
    for r in records:
        if not isinstance(r, dict) or "_aws" not in r:
            continue
        for directive in r["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "Votes"
            for metric in directive["Metrics"]:
                value = r[metric["Name"]]
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(
                    value if isinstance(value, list) else [value]
                )
    return totals


class Output:
    """What a Lambda function wrote: log records (through the handlers the runtime would
    have) and stdout (EMF metrics are printed), in order of :meth:`read` calls."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        import io

        self.capsys = capsys
        self.logs = io.StringIO()

    def read(self) -> str:
        text = self.logs.getvalue() + self.capsys.readouterr().out
        self.logs.seek(0)
        self.logs.truncate()
        return text


@pytest.fixture
def lambda_stdout(capsys: pytest.CaptureFixture[str]) -> Iterator[Output]:
    """Logs written where the Lambda runtime sends them: Powertools' JSON handler, and the
    root logger through the runtime's default handler (text, ``[LEVEL] time message``, as on a
    function without ``LogFormat: JSON``)."""
    import logging

    from votes.observability import logger

    out = Output(capsys)
    powertools = logger.registered_handler
    old_stream, powertools.stream = powertools.stream, out.logs
    runtime_handler = logging.StreamHandler(out.logs)
    runtime_handler.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s\t%(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(runtime_handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(runtime_handler)
        root.setLevel(old_level)
        powertools.stream = old_stream


@pytest.fixture
def lambda_api(tmp_path: Path, app_container: Callable[..., Container]) -> None:
    """The API Lambda's container, EMF metrics on (as on Lambda; the local app turns them off
    in its process)."""
    app_container(database_url=f"sqlite:///{tmp_path / 'obs.db'}")


def call(event: dict[str, Any]) -> int:
    from handlers.api import handler

    return int(handler(event, LambdaContext())["statusCode"])


def test_api_metrics_count_votes_conflicts_and_rejections(
    lambda_api: None, lambda_stdout: Output
) -> None:
    admin, voter = str(uuid.uuid4()), str(uuid.uuid4())
    for sub in (admin, voter):
        assert call(api_event("register_voter", sub=sub, body={})) == 201
    created = api_event("create_poll", sub=admin, body={"question": "Q?", "options": ["a", "b"]})
    from handlers.api import handler

    poll = json.loads(handler(created, LambdaContext())["body"])["id"]
    lambda_stdout.read()

    statuses = [
        call(api_event("cast_vote", poll=poll, sub=voter, body={"option": "a"})),  # 201
        call(api_event("cast_vote", poll=poll, sub=voter, body={"option": "a"})),  # 200 retry
        call(api_event("cast_vote", poll=poll, sub=voter, body={"option": "b"})),  # 409
        call(api_event("cast_vote", poll=poll, sub=admin, body={"option": "zzz"})),  # 422
        call(api_event("cast_vote", poll=poll, sub=admin, body="{not json")),  # 400
        call(api_event("cast_vote", poll=poll, sub=admin, body={"option": "a", "x": 1})),  # 400
    ]
    assert statuses == [201, 200, 409, 422, 400, 400]
    metrics = emf_metrics(lines(lambda_stdout.read()))
    assert metrics.get("VoteCast") == 1
    assert metrics.get("VoteRetried") == 1
    assert metrics.get("VoteConflict") == 1
    assert metrics.get("VoteRejected") == 3


def test_forbidden_requests_are_counted_as_rejected(
    lambda_api: None, lambda_stdout: Output
) -> None:
    # 401s never reach the Lambda on AWS (API Gateway's authorizer answers them; its own
    # 4xx metric counts them); a 403 does, and is a rejected request like a 400 or 422
    voter = str(uuid.uuid4())
    assert call(api_event("register_voter", sub=voter, body={})) == 201
    lambda_stdout.read()
    body = {"question": "Q?", "options": ["a", "b"]}
    assert call(api_event("create_poll", sub=voter, body=body, admin=False)) == 403
    metrics = emf_metrics(lines(lambda_stdout.read()))
    assert metrics.get("VoteRejected") == 1, metrics


def test_error_logs_are_json_with_the_request_id_as_correlation_id(
    lambda_api: None, lambda_stdout: Output, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vote_domain import Unavailable

    async def down(*args: Any, **kwargs: Any) -> Any:
        raise Unavailable("the vote store is unavailable; retry shortly")

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(bootstrap.container().service, "get_poll", down)
    monkeypatch.setattr(bootstrap.container().service, "list_polls", broken)
    unavailable, failing = api_event("get_poll"), api_event("list_polls")
    assert (call(unavailable), call(failing)) == (503, 500)
    records = [r for r in lines(lambda_stdout.read()) if isinstance(r, dict) and "level" in r]
    by_id = {r.get("correlation_id"): r for r in records if r["message"] != "request"}
    warn = by_id[unavailable["requestContext"]["requestId"]]
    error = by_id[failing["requestContext"]["requestId"]]
    assert (warn["level"], warn["service"]) == ("WARNING", "votes")
    assert (error["level"], error["message"]) == ("ERROR", "unhandled error")
    assert error["exception_name"] == "RuntimeError" and "boom" in error["exception"]
    assert error["function_request_id"] == LambdaContext.aws_request_id  # the Lambda context too


@pytest.fixture
def lambda_projector(tmp_path: Path, app_container: Callable[..., Container]) -> Any:
    url = f"sqlite:///{tmp_path / 'proj.db'}"
    history = write_history(url, polls=1, voters=5, moves=10)
    app_container(database_url=url, migrate=False)
    return history


def test_projector_logs_are_json_with_each_events_ids(
    lambda_projector: Any, lambda_stdout: Output
) -> None:
    records = [sqs_record(body_of(e)) for e in lambda_projector.events]
    poison = copy.deepcopy(records[0])
    poison["messageId"], poison["body"] = "poison-1", "not json"
    outcome = projector.handler({"Records": [*records, poison]}, None)
    assert outcome == {"batchItemFailures": [{"itemIdentifier": "poison-1"}]}
    logged = lines(lambda_stdout.read())
    text = [r for r in logged if not isinstance(r, dict)]
    assert text == [], f"projector log lines that are not JSON: {text}"
    poison_line = next(r for r in logged if "poison-1" in json.dumps(r))
    assert poison_line["level"] == "ERROR"
    # the batch's log names what it applied: the positions (the events' correlation ids)
    batch_line = next(r for r in logged if r.get("message") == "projected batch")
    positions = [e.id for e in lambda_projector.events]
    assert batch_line.get("positions") == positions or batch_line.get("correlation_id")


def test_projector_emits_a_lag_metric(lambda_projector: Any, lambda_stdout: Output) -> None:
    records = [sqs_record(body_of(e)) for e in lambda_projector.events]
    assert projector.handler({"Records": records}, None) == {"batchItemFailures": []}
    metrics = emf_metrics(lines(lambda_stdout.read()))
    assert any("lag" in name.lower() for name in metrics), f"no projector lag metric: {metrics}"
