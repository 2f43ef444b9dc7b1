"""Fixtures for tests that talk to AWS services: a moto server on a free port, and helpers.

Use them from any test module with::

    from aws_fixtures import aws, moto_endpoint  # noqa: F401  (fixtures)

(``tests/`` is on ``sys.path`` because ``tests/conftest.py`` is not in a package.)

``moto_endpoint`` is one ``moto.server.ThreadedMotoServer`` per test session; tests share it, so
each creates resources with unique names (:func:`unique`). ``aws`` sets fake credentials and the
region for one test, and points botocore at the server through ``AWS_ENDPOINT_URL``.
Known moto limitation: EventBridge ``put_events`` fails when a rule targets Lambda or SNS;
rules with SQS targets work, so tests route the bus to SQS queues.
"""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

__all__ = ["aws", "bus_to_queue", "drain_queue", "moto_endpoint", "unique"]

REGION = "us-east-1"
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unique(prefix: str) -> str:
    """A resource name no other test (or concurrent session) uses."""
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto server running for this test session."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Fake credentials and region for every AWS client in this test, aimed at the moto
    server (restored afterwards); the server's URL."""
    for key, value in _ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return moto_endpoint


def bus_to_queue(endpoint: str, *, source: str = "votes") -> tuple[str, str]:
    """A new custom bus whose rule (events of ``source``) targets a new SQS queue:
    ``(bus name, queue url)``."""
    events = boto3.client("events", endpoint_url=endpoint, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    bus = unique("votes-bus")
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=unique("votes-q"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    rule = unique("votes-rule")
    events.put_rule(
        Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": [source]}), State="ENABLED"
    )
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    return bus, queue_url


def drain_queue(endpoint: str, queue_url: str, *, expect: int, rounds: int = 50) -> list[Any]:
    """Receive (and delete) messages until ``expect`` arrived or the queue stays empty;
    each message's body parsed as JSON."""
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    bodies: list[Any] = []
    empty = 0
    for _ in range(rounds):
        if len(bodies) >= expect and empty:
            break
        got = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not got:
            empty += 1
            if len(bodies) >= expect or empty > 3:
                break
            continue
        for message in got:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies
