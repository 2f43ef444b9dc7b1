"""The push function's work on a batch: the newest update per poll published to the poll's
channel, older ones dropped, a poll's interval respected, failures reported for retry."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import pytest
from appsync_standin import AppSyncStandIn

from handlers import push
from projections import TallyUpdated
from votes.bootstrap import Container
from votes.live.channels import channel_of


@pytest.fixture
def appsync(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppSyncStandIn]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    with AppSyncStandIn() as standin:
        yield standin


@pytest.fixture
def pushing(
    appsync: AppSyncStandIn, app_container: Callable[..., Container], tmp_path: Any
) -> Container:
    return app_container(
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        appsync_event_url=appsync.url,
        push_interval=0.05,
        migrate=False,
    )


def _tally(poll: str, position: int, yes: int) -> TallyUpdated:
    return TallyUpdated(
        poll_id=poll,
        counts={"Yes": yes, "No": 0},
        total=yes,
        position=position,
        as_of=None,
        final=False,
    )


def _batch(*bodies: str) -> dict[str, Any]:
    """An SQS event as Lambda hands it over (raw SNS delivery: the body is the message)."""
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"r{n}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:votes-dev-push",
                "awsRegion": "us-east-1",
            }
            for n, body in enumerate(bodies)
        ]
    }


def test_each_poll_gets_its_newest_update_once(pushing: Container, appsync: AppSyncStandIn) -> None:
    a, b = str(uuid4()), str(uuid4())
    updates = [_tally(a, 3, 1), _tally(b, 4, 1), _tally(a, 9, 3), _tally(a, 6, 2)]
    answer = push.handler(_batch(*(u.to_json() for u in updates)), None)
    assert answer == {"batchItemFailures": []}
    assert appsync.rejected == []
    assert sorted(appsync.published, key=lambda p: p[0]) == sorted(
        [
            (channel_of(a), json.loads(updates[2].to_json())),
            (channel_of(b), json.loads(updates[1].to_json())),
        ],
        key=lambda p: p[0],
    )


def test_stale_updates_are_dropped_and_a_poll_waits_its_interval(
    pushing: Container, appsync: AppSyncStandIn
) -> None:
    a = str(uuid4())
    push.handler(_batch(_tally(a, 5, 2).to_json()), None)
    push.handler(_batch(_tally(a, 4, 1).to_json()), None)  # older than the one sent: dropped
    push.handler(_batch(_tally(a, 8, 3).to_json()), None)  # sent once the interval has passed
    assert [e["position"] for _, e in appsync.published] == [5, 8]


def test_a_poison_record_fails_alone(pushing: Container, appsync: AppSyncStandIn) -> None:
    a = str(uuid4())
    answer = push.handler(
        _batch("not json", '{"type": "TallyUpdated"}', _tally(a, 1, 1).to_json()), None
    )
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]}
    assert [e["position"] for _, e in appsync.published] == [1]


def test_a_failed_publish_retries_only_the_newest_record(
    pushing: Container, appsync: AppSyncStandIn
) -> None:
    a = str(uuid4())
    appsync.fail_next = 2  # both tries of the one request fail
    answer = push.handler(_batch(_tally(a, 1, 1).to_json(), _tally(a, 2, 2).to_json()), None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert appsync.published == []
    # SQS redelivers the newest; now it goes out
    answer = push.handler(_batch(_tally(a, 2, 2).to_json()), None)
    assert answer == {"batchItemFailures": []}
    assert [e["position"] for _, e in appsync.published] == [2]
