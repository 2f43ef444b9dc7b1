"""The projector Lambda: captured SQS batches of EventBridge events, poison messages, moto."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_fixtures import aws, bus_to_queue, moto_endpoint, unique  # noqa: F401
from eventsourcing.persistence import OperationalError

from handlers import projector
from projections import MIGRATIONS as TALLY_MIGRATIONS
from projections import TallyProjector, all_tallies
from vote_domain import EventStore, VotingService
from votes import bootstrap
from votes.bootstrap import Container
from votes.projector import parse_record, process_batch
from votes.relay import MIGRATIONS as RELAY_MIGRATIONS
from votes.relay import Relay
from votes.settings import Settings

EVENTS = Path(__file__).parents[1] / "events"


def captured_batch() -> dict[str, Any]:
    return json.loads((EVENTS / "sqs_votes_batch.json").read_text())


def poll_tally(tallies: dict[str, Any]) -> tuple[dict[str, int], int]:
    (tally,) = tallies.values()
    return tally.counts, tally.total


def poison_records(good: dict[str, Any]) -> list[dict[str, Any]]:
    """Records no projector can apply, each with its own message id."""
    poisons = []
    for n, body in enumerate(
        [
            "not json at all",
            json.dumps({**json.loads(good["body"]), "source": "someone.else"}),
            json.dumps({**json.loads(good["body"]), "detail": {"position": 7}}),
            json.dumps({"detail-type": "VoteCast", "detail": {}}),
        ]
    ):
        record = copy.deepcopy(good)
        record["messageId"] = f"poison-{n}"
        record["body"] = body
        poisons.append(record)
    return poisons


@pytest.fixture
async def tally_store(store: EventStore) -> EventStore:
    await store.migrate(TALLY_MIGRATIONS)
    return store


async def test_captured_batch_applies_as_one(tally_store: EventStore) -> None:
    live = TallyProjector(tally_store)
    assert await process_batch(live, captured_batch()) == {"batchItemFailures": []}
    assert poll_tally(await all_tallies(tally_store)) == ({"Tabs": 0, "Spaces": 2}, 2)
    # SQS delivers at least once: the same batch again changes nothing
    assert await process_batch(live, captured_batch()) == {"batchItemFailures": []}
    assert poll_tally(await all_tallies(tally_store)) == ({"Tabs": 0, "Spaces": 2}, 2)


async def test_poison_messages_fail_alone(tally_store: EventStore) -> None:
    event = captured_batch()
    records = event["Records"] + poison_records(event["Records"][3])
    random.Random(4).shuffle(records)
    outcome = await process_batch(TallyProjector(tally_store), {"Records": records})
    failed = sorted(f["itemIdentifier"] for f in outcome["batchItemFailures"])
    assert failed == [f"poison-{n}" for n in range(4)]
    assert poll_tally(await all_tallies(tally_store)) == ({"Tabs": 0, "Spaces": 2}, 2)


class BrokenProjector:
    """Fails batches holding a chosen position, or every batch with a database error."""

    def __init__(self, bad_position: int | None = None, unreachable: bool = False) -> None:
        self.bad_position = bad_position
        self.unreachable = unreachable
        self.applied: list[int] = []
        self.calls = 0

    async def process(self, events: Sequence[Any]) -> list[Any]:
        self.calls += 1
        if self.unreachable:
            raise OperationalError("can't connect to MySQL server")
        if any(e.id == self.bad_position for e in events):
            raise KeyError("options")
        self.applied += [e.id for e in events]
        return []


async def test_an_event_failing_to_apply_is_isolated() -> None:
    event = captured_batch()
    broken = BrokenProjector(bad_position=4)
    outcome = await process_batch(broken, event)  # type: ignore[arg-type]
    bad_id = next(r["messageId"] for r in event["Records"] if '"position":4' in r["body"])
    assert outcome == {"batchItemFailures": [{"itemIdentifier": bad_id}]}
    assert sorted(broken.applied) == [1, 2, 3, 5, 6]


async def test_an_unreachable_database_fails_the_whole_batch() -> None:
    event = captured_batch()
    broken = BrokenProjector(unreachable=True)
    outcome = await process_batch(broken, event)  # type: ignore[arg-type]
    assert [f["itemIdentifier"] for f in outcome["batchItemFailures"]] == [
        r["messageId"] for r in event["Records"]
    ]
    assert broken.calls == 1


async def test_an_empty_batch_is_a_success() -> None:
    assert await process_batch(BrokenProjector(unreachable=True), {"Records": []}) == {  # type: ignore[arg-type]
        "batchItemFailures": []
    }


def test_parse_record_rebuilds_the_committed_event() -> None:
    record = captured_batch()["Records"][3]
    event = parse_record(record)
    detail = json.loads(record["body"])["detail"]
    assert event.id == detail["position"] == 4
    assert event.topic == "vote_domain.model.ballot:Ballot.VoteCast"
    assert json.loads(event.state) == detail["data"]
    eventbridge = json.loads((EVENTS / "eventbridge_vote_cast.json").read_text())
    assert eventbridge["detail"] == detail


async def test_relay_to_moto_sqs_to_projector(
    tally_store: EventStore,
    aws: str,  # noqa: F811
) -> None:
    await tally_store.migrate(RELAY_MIGRATIONS)
    bus, queue_url = bus_to_queue(aws)
    relay = Relay(tally_store, bus, endpoint_url=aws, region_name="us-east-1")
    service = VotingService(tally_store, on_recorded=relay.publish)
    for name in ("a", "b", "c"):
        await service.register_voter(name)
    poll = await service.create_poll("a", "Best day?", ["Sat", "Sun"])
    for name, option in (("a", "Sat"), ("b", "Sun"), ("c", "Sun")):
        await service.cast_vote(poll.id, name, option)
    await service.retract_vote(poll.id, "c")
    await relay.aclose()

    sqs = boto3.client("sqs", endpoint_url=aws, region_name="us-east-1")
    live = TallyProjector(tally_store)
    received = 0
    while messages := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=3, AttributeNames=["All"]
    ).get("Messages"):
        received += len(messages)
        outcome = await process_batch(live, {"Records": [lambda_record(m) for m in messages]})
        assert outcome == {"batchItemFailures": []}
    assert received == 8
    assert poll_tally(await all_tallies(tally_store)) == ({"Sat": 1, "Sun": 1}, 2)


def lambda_record(message: dict[str, Any]) -> dict[str, Any]:
    """An SQS message as the Lambda event source mapping hands it over."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": message["Attributes"]["SentTimestamp"],
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": message["Attributes"][
                "ApproximateFirstReceiveTimestamp"
            ],
        },
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:votes-projector",
        "awsRegion": "us-east-1",
    }


@pytest.fixture
def lambda_container(
    tmp_path: Path,
    aws: str,  # noqa: F811
    app_container: Callable[..., Container],
) -> tuple[Settings, str]:
    """The projector Lambda's container on a fresh SQLite file, publishing to a moto SNS
    topic that an SQS queue subscribes to; yields (settings, queue url)."""
    sns = boto3.client("sns", endpoint_url=aws, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=aws, region_name="us-east-1")
    topic_arn = sns.create_topic(Name=unique("tallies"))["TopicArn"]
    queue_url = sqs.create_queue(QueueName=unique("tally-followers"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'lambda.db'}",
        tally_topic_arn=topic_arn,
        region="us-east-1",
    )
    app_container(settings)
    return settings, queue_url


def test_lambda_handler_projects_and_publishes_to_sns(
    lambda_container: tuple[Settings, str],
    aws: str,  # noqa: F811
) -> None:
    _, queue_url = lambda_container
    event = captured_batch()
    event["Records"].append(poison_records(event["Records"][0])[0])
    assert projector.handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "poison-0"}]}
    # a warm invocation reuses the container and its projector
    kept = bootstrap.container().projector
    assert projector.handler({"Records": []}, None) == {"batchItemFailures": []}
    assert bootstrap.container().projector is kept

    sqs = boto3.client("sqs", endpoint_url=aws, region_name="us-east-1")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    (update,) = [json.loads(m["Body"]) for m in messages]
    assert update["type"] == "TallyUpdated"
    assert update["counts"] == {"Tabs": 0, "Spaces": 2} and update["position"] == 6
