"""Faults at the projector Lambda's entry (``handlers.projector.handler``), not just the
projector class: duplicated and shuffled SQS delivery; poison messages that go to the
dead-letter queue through partial batch failures (a moto SQS queue with a redrive policy,
consumed the way the Lambda event source mapping does) while the rest of each batch applies;
the handler's process SIGKILLed mid-batch on MariaDB, then redelivered to.

Each ends with: live tallies == a replay of the log == the counts of the final ballots.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_fixtures import aws, moto_endpoint, unique  # noqa: F401
from hardening_history import History, body_of, counts_of, sqs_record, write_history

from handlers import projector
from projections import all_tallies
from projections.verify import verify
from votes import bootstrap, runtime
from votes.bootstrap import Container

WORKER = Path(__file__).with_name("hardening_projector_worker.py")


@pytest.fixture
def sqlite_history(tmp_path: Path, app_container: Callable[..., Container]) -> tuple[str, History]:
    """A history written to a SQLite file, and the projector Lambda's container on it."""
    url = f"sqlite:///{tmp_path / 'projector.db'}"
    history = write_history(url)
    app_container(database_url=url, migrate=False)
    return url, history


def _assert_tallies_right(history: History) -> None:
    store = bootstrap.container().store
    assert runtime.run(verify(store)) == []
    assert counts_of(runtime.run(all_tallies(store))) == history.counts


def _batches(records: list[dict[str, Any]], rnd: random.Random) -> list[list[dict[str, Any]]]:
    out, i = [], 0
    while i < len(records):
        size = rnd.randint(1, 10)
        out.append(records[i : i + size])
        i += size
    return out


def test_duplicated_and_shuffled_delivery_counts_each_vote_once(
    sqlite_history: tuple[str, History],
) -> None:
    _, history = sqlite_history
    rnd = random.Random(8)
    # GIVEN every event delivered one to three times, in any order, in batches of 1-10
    records = [sqs_record(body_of(e)) for e in history.events for _ in range(rnd.randint(1, 3))]
    rnd.shuffle(records)
    # WHEN the Lambda handler gets each batch
    for batch in _batches(records, rnd):
        assert projector.handler({"Records": batch}, None) == {"batchItemFailures": []}
    # THEN each vote is counted once
    _assert_tallies_right(history)
    # AND the whole stream delivered again, reversed, changes nothing
    for batch in _batches(records[::-1], rnd):
        assert projector.handler({"Records": batch}, None) == {"batchItemFailures": []}
    _assert_tallies_right(history)


POISONS = [
    "not json",
    json.dumps({"source": "votes", "detail-type": "VoteCast", "detail": "a string"}),
    json.dumps({"source": "evil", "detail-type": "VoteCast", "detail": {"position": 1}}),
    json.dumps({"source": "votes", "detail-type": "VoteCast", "detail": {"position": -1}}),
    json.dumps(
        {
            "source": "votes",
            "detail-type": "VoteCast",
            "detail": {
                "originator_id": "not-a-uuid",
                "originator_version": 1,
                "topic": "vote_domain.model.ballot:Ballot.VoteCast",
                "position": 1,
                "data": {},
            },
        }
    ),
    "",
]


def test_poison_messages_go_to_the_dead_letter_queue_and_the_rest_applies(
    sqlite_history: tuple[str, History],
    aws: str,  # noqa: F811
) -> None:
    _, history = sqlite_history
    rnd = random.Random(9)
    sqs = boto3.client("sqs", endpoint_url=aws, region_name="us-east-1")
    dlq = sqs.create_queue(QueueName=unique("projector-dlq"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    max_receives = 3
    queue = sqs.create_queue(
        QueueName=unique("projector-q"),
        Attributes={
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)}
            )
        },
    )["QueueUrl"]
    # GIVEN the log's events (some twice) and poison messages, all in one queue, shuffled
    bodies = [body_of(e) for e in history.events]
    bodies += rnd.sample(bodies, 20) + [p or " " for p in POISONS]
    rnd.shuffle(bodies)
    for i in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=queue,
            Entries=[{"Id": str(n), "MessageBody": b} for n, b in enumerate(bodies[i : i + 10])],
        )
    poison_bodies = {p or " " for p in POISONS}
    reported: list[str] = []
    # WHEN it is consumed as the event source mapping does: batches of up to 10, successes
    # deleted, reported failures visible again at once (until maxReceiveCount: then the DLQ)
    idle = 0
    while idle < 3:
        messages = sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            idle += 1
            continue
        idle = 0
        event = {
            "Records": [
                sqs_record(
                    m["Body"], m["MessageId"], int(m["Attributes"]["ApproximateReceiveCount"])
                )
                for m in messages
            ]
        }
        failed = {f["itemIdentifier"] for f in projector.handler(event, None)["batchItemFailures"]}
        reported += [m["Body"] for m in messages if m["MessageId"] in failed]
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=queue,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)
                ],
            )
        for m in messages:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
    # THEN only poison was ever reported failed, each poison max_receives times
    assert set(reported) == poison_bodies
    assert len(reported) == max_receives * len(poison_bodies)
    # AND every poison message, and nothing else, is in the dead-letter queue
    dead: list[str] = []
    while msgs := sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages"):
        dead += [m["Body"] for m in msgs]
        sqs.delete_message_batch(
            QueueUrl=dlq,
            Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(msgs)
            ],
        )
    assert sorted(dead) == sorted(poison_bodies)
    # AND the good events of every batch were applied: tallies == replay == ballots
    _assert_tallies_right(history)


@pytest.mark.mysql
def test_handler_sigkilled_mid_batch_then_redelivered_ends_equal_to_replay(
    fresh_mysql_url: str, tmp_path: Path, app_container: Callable[..., Container]
) -> None:
    history = write_history(fresh_mysql_url, voters=30, moves=200, seed=10)
    rnd = random.Random(11)
    records = [sqs_record(body_of(e)) for e in history.events]
    records += rnd.sample(records, 30)
    rnd.shuffle(records)
    batches = [{"Records": b} for b in _batches(records, rnd)]
    batches_file = tmp_path / "batches.json"
    batches_file.write_text(json.dumps(batches))

    kills, next_batch, runs = 0, 0, 0
    while next_batch < len(batches):
        runs += 1
        assert runs < 50, "the worker keeps failing"
        kill_at = rnd.randrange(next_batch, len(batches)) if kills < 5 else None
        worker = subprocess.Popen(
            [sys.executable, str(WORKER), fresh_mysql_url, str(batches_file), str(next_batch)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert worker.stdout is not None
        for line in worker.stdout:
            if line.startswith("{"):  # the handler's own stdout: JSON logs, EMF metrics
                continue
            kind, index = line.split()[:2]
            if kind == "done":
                next_batch = int(index) + 1
            elif kind == "start" and int(index) == kill_at:
                time.sleep(rnd.uniform(0, 0.03))  # somewhere inside the batch (or just after)
                worker.send_signal(signal.SIGKILL)
                kills += 1
                break
        code = worker.wait(60)
        assert code in (0, -signal.SIGKILL), f"worker exited {code}"
        # SQS redelivers the batch in flight, and sometimes one already applied
        next_batch = max(0, next_batch - rnd.randint(0, 1))
    assert kills == 5

    app_container(database_url=fresh_mysql_url, migrate=False)
    _assert_tallies_right(history)
