"""The AWS event path end to end, on a moto server, wired from the packaged template.

    API handler -> fast path -> EventBridge bus -> rule -> SQS (+DLQ) -> projector handler
      -> SNS TallyUpdated -> SQS (+DLQ) -> push handler -> AppSync Events HTTP publish

Everything AWS would run is the real code: the API handler (claims from real access tokens,
rendered as API Gateway's JWT authorizer renders them), the relay's fast path and scheduled
catch-up, the projector and push handlers. What AWS would provide comes from moto, created
from the packaged template (scripts/deploy-check's `serverless package` output): the bus, the
rule with the template's own event pattern and target settings, the queues with their
redrive policies, the topic and its SQS subscription (raw delivery, dead letters), and the
functions' settings from their environment in the template.

Lambda's SQS event source mapping is emulated: batches of the template's ``BatchSize``, the
SQS event shape Lambda hands over, and partial batch failures as ``ReportBatchItemFailures``
makes them (the successful records deleted, the failed ones visible again; the emulation
makes them visible at once instead of after the visibility timeout). The push function's
queue is fed by moto's own SNS -> SQS delivery, so the push handler gets exactly what the
deployed subscription delivers. AppSync is a stand-in recording what is published and
re-computing each request's SigV4 signature (tests/appsync_standin.py). moto does not
implement KMS-encrypted topics or AppSync Events' data plane; both are left out.

The run: a few hundred votes (casts, changes, retractions) in three phases; in the second
the fast path is down (EventBridge unreachable from the API), and the scheduled relay
catches up; AppSync fails once mid-run. Then: the tallies equal a replay of the log, every
poll's last published tally is that replay's (every vote reached the channel, coalesced),
no signature was wrong, and every dead-letter queue is empty.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from appsync_standin import AppSyncStandIn
from aws_fixtures import aws, moto_endpoint, unique  # noqa: F401
from lambda_context import LambdaContext

from handlers import api, projector, push, relay
from projections.verify import fold_log, verify
from tests.deploy.conftest import Packaged
from tests.handlers.api_events import body_of, load_event
from votes import runtime
from votes.bootstrap import Container
from votes.live.channels import poll_of
from votes.local.auth import JwtVerifier, gateway_jwt_context
from votes.local.idp.keys import SigningKey
from votes.local.idp.tokens import TokenMinter

REGION = "us-east-1"
VOTERS = 120
POLLS = 3
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_MotoTest"
CLIENT_ID = "motoclient"


# -- the template -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(packaged: Packaged) -> dict[str, Any]:
    return dict(json.loads(packaged.template.read_text())["Resources"])


def _props(template: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(template[name]["Properties"])


def _mapping(template: dict[str, Any], queue: str) -> dict[str, Any]:
    """The event source mapping of ``queue``."""
    (found,) = [
        r["Properties"]
        for r in template.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    ]
    return dict(found)


@dataclass
class Queue:
    url: str
    arn: str
    batch_size: int = 10


@dataclass
class Wiring:
    """What the template's resources became on moto."""

    bus: str
    topic_arn: str
    projector: Queue
    projector_dead: Queue
    push: Queue
    push_dead: Queue


def _queue(sqs: Any, template: dict[str, Any], name: str, dead: Queue | None) -> Queue:
    props = _props(template, name)
    attributes = {
        key: str(props[key])
        for key in ("VisibilityTimeout", "MessageRetentionPeriod")
        if key in props
    }
    if "RedrivePolicy" in props:
        assert dead is not None
        redrive = props["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0].endswith("DeadLetterQueue")
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dead.arn, "maxReceiveCount": redrive["maxReceiveCount"]}
        )
    url = sqs.create_queue(QueueName=unique(name), Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return Queue(url, arn)


def _wire(endpoint: str, template: dict[str, Any]) -> Wiring:
    events = boto3.client("events", endpoint_url=endpoint, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    sns = boto3.client("sns", endpoint_url=endpoint, region_name=REGION)

    projector_dead = _queue(sqs, template, "ProjectorDeadLetterQueue", None)
    projector_queue = _queue(sqs, template, "ProjectorQueue", projector_dead)
    push_dead = _queue(sqs, template, "PushDeadLetterQueue", None)
    push_queue = _queue(sqs, template, "PushQueue", push_dead)
    projector_queue.batch_size = int(_mapping(template, "ProjectorQueue")["BatchSize"])
    push_queue.batch_size = int(_mapping(template, "PushQueue")["BatchSize"])
    for queue in ("ProjectorQueue", "PushQueue"):
        assert _mapping(template, queue)["FunctionResponseTypes"] == ["ReportBatchItemFailures"]

    bus = unique("votes-bus")
    events.create_event_bus(Name=bus)
    rule = _props(template, "VoteEventsRule")
    rule_name = unique("votes-rule")
    events.put_rule(
        Name=rule_name,
        EventBusName=bus,
        EventPattern=json.dumps(rule["EventPattern"]),  # the template's pattern, not retyped
        State=rule["State"],
    )
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["ProjectorQueue", "Arn"]}
    events.put_targets(
        Rule=rule_name,
        EventBusName=bus,
        Targets=[
            {
                "Id": target["Id"],
                "Arn": projector_queue.arn,
                "DeadLetterConfig": {"Arn": projector_dead.arn},
                "RetryPolicy": target["RetryPolicy"],
            }
        ],
    )

    topic_arn = sns.create_topic(Name=unique("votes-tally-updated"))["TopicArn"]
    subscription = _props(template, "TallyPushSubscription")
    assert subscription["Endpoint"] == {"Fn::GetAtt": ["PushQueue", "Arn"]}
    assert subscription["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["PushDeadLetterQueue", "Arn"]
    }
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol=subscription["Protocol"],
        Endpoint=push_queue.arn,
        Attributes={
            "RawMessageDelivery": str(subscription["RawMessageDelivery"]).lower(),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": push_dead.arn}),
        },
    )
    return Wiring(bus, topic_arn, projector_queue, projector_dead, push_queue, push_dead)


def _settings(
    template: dict[str, Any], wiring: Wiring, appsync_url: str, db: Path
) -> dict[str, Any]:
    """The settings the three functions get from their environment in the template, with
    each reference resolved to what it became here (and SQLite for the database)."""
    resolved = {
        json.dumps({"Ref": "EventBus"}): wiring.bus,
        json.dumps({"Ref": "TallyTopic"}): wiring.topic_arn,
        json.dumps({"Fn::Sub": "https://${LiveApi.Dns.Http}/event"}): appsync_url,
    }
    settings: dict[str, Any] = {"database_url": f"sqlite:///{db}", "region": REGION}
    for function in ("ApiLambdaFunction", "ProjectorLambdaFunction", "PushLambdaFunction"):
        variables = _props(template, function)["Environment"]["Variables"]
        for name, value in variables.items():
            key = json.dumps(value)
            if key in resolved:
                settings[name.removeprefix("VOTES_").lower()] = resolved[key]
    assert {"event_bus_name", "tally_topic_arn", "appsync_event_url"} <= set(settings)
    return settings


# -- Lambda's SQS event source, emulated -----------------------------------------------------------


@dataclass
class EventSource:
    """Hands a queue's messages to a handler in batches, as Lambda's SQS event source does."""

    sqs: Any
    queue: Queue
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]
    records: int = 0
    batches: int = 0
    failures: int = 0

    def drain(self) -> int:
        """Batches until the queue is empty; the records handed over."""
        handed = 0
        empty = 0
        while empty < 2:
            got = self.sqs.receive_message(
                QueueUrl=self.queue.url,
                MaxNumberOfMessages=self.queue.batch_size,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not got:
                empty += 1
                continue
            empty = 0
            answer = self.handler({"Records": [self._record(m) for m in got]}, LambdaContext())
            failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
            for message in got:
                if message["MessageId"] in failed:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.queue.url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0,
                    )
                else:
                    self.sqs.delete_message(
                        QueueUrl=self.queue.url, ReceiptHandle=message["ReceiptHandle"]
                    )
            handed += len(got)
            self.records += len(got)
            self.batches += 1
            self.failures += len(failed)
        return handed

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue.arn,
            "awsRegion": REGION,
        }


def _depth(sqs: Any, queue: Queue) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


# -- people with real access tokens --------------------------------------------------------------


@dataclass
class People:
    """Access tokens of one user pool, turned into API Gateway's authorizer context."""

    minter: TokenMinter
    verifier: JwtVerifier
    subjects: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls) -> People:
        key = SigningKey.generate()
        return cls(
            TokenMinter(key, ISSUER, CLIENT_ID),
            JwtVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=key.jwks()),
        )

    def event(self, name: str, who: str, *, admin: bool = False, **changes: Any) -> dict[str, Any]:
        sub = self.subjects.setdefault(who, str(uuid.uuid4()))
        tokens = self.minter.tokens(
            sub=sub,
            username=who,
            groups=["admins"] if admin else [],
            attributes={"email": f"{who}@example.com"},
            auth_time=int(time.time()),
            origin_jti=str(uuid.uuid4()),
        )
        claims = self.verifier.verify(tokens["AccessToken"])  # what API Gateway checks
        event = load_event(name, **changes)
        event["requestContext"]["authorizer"]["jwt"] = gateway_jwt_context(claims)
        return event


def _call(event: dict[str, Any]) -> tuple[int, Any]:
    response = api.handler(event, LambdaContext())
    return int(response["statusCode"]), body_of(response)


# -- the run ---------------------------------------------------------------------------------------


@pytest.fixture
def stack(
    aws: str,  # noqa: F811
    template: dict[str, Any],
    app_container: Callable[..., Container],
    tmp_path: Path,
) -> Iterator[tuple[Wiring, AppSyncStandIn, Container]]:
    wiring = _wire(aws, template)
    with AppSyncStandIn() as appsync:
        built = app_container(**_settings(template, wiring, appsync.url, tmp_path / "votes.db"))
        yield wiring, appsync, built


def test_votes_travel_the_aws_event_path_to_the_live_channels(
    stack: tuple[Wiring, AppSyncStandIn, Container],
    aws: str,  # noqa: F811
) -> None:
    wiring, appsync, built = stack
    sqs = boto3.client("sqs", endpoint_url=aws, region_name=REGION)
    projecting = EventSource(sqs, wiring.projector, projector.handler)
    pushing = EventSource(sqs, wiring.push, push.handler)
    people = People.make()
    rng = random.Random(13)

    def flow() -> None:
        projecting.drain()
        pushing.drain()

    # Polls by an admin, voters registered (their VoterRegistered events are not the rule's).
    polls = []
    for n in range(POLLS):
        body = {"question": f"Moto poll {n}?", "options": ["Red", "Green", "Blue"]}
        status, poll = _call(people.event("create_poll", "admin", admin=True, body=body))
        assert status == 201, poll
        polls.append(poll["id"])
    voters = [f"voter{n}" for n in range(VOTERS)]
    for voter in voters:
        status, _ = _call(people.event("register_voter", voter, body={"display_name": voter}))
        assert status == 201
    flow()

    accepted: list[tuple[str, str]] = []  # (poll, what)

    def vote(voter: str, poll: str) -> None:
        option = rng.choice(["Red", "Green", "Blue"])
        status, body = _call(
            people.event("cast_vote", voter, poll_id=poll, body={"option": option})
        )
        assert status == 201, body
        accepted.append((poll, "cast"))

    ballots = [(v, p) for p in polls for v in voters]
    rng.shuffle(ballots)
    thirds = len(ballots) // 3

    # 1. the fast path up: votes reach the projector through EventBridge at once
    for i, (voter, poll) in enumerate(ballots[:thirds]):
        vote(voter, poll)
        if i % 25 == 24:
            flow()
    flow()
    first_messages = len(appsync.published)
    assert first_messages > 0

    # 2. the fast path down (EventBridge unreachable from the API): nothing reaches the queue
    #    until the scheduled relay runs; AppSync also fails once meanwhile
    real_put = built.relay._put

    async def unreachable(notifications: Any) -> None:
        raise ConnectionError("EventBridge unreachable (simulated)")

    built.relay._put = unreachable  # type: ignore[method-assign]
    for voter, poll in ballots[thirds : 2 * thirds]:
        vote(voter, poll)
    built.relay._put = real_put  # type: ignore[method-assign]
    assert projecting.drain() == 0, "the fast path was down: nothing was relayed"
    published = relay.handler({"source": "aws.events"}, LambdaContext())["published"]
    assert published == thirds  # the catch-up relayed exactly the votes the fast path missed
    # every poll's publish fails both its tries (the polls of a batch go concurrently): the
    # push function reports them failed and SQS redelivers them
    appsync.fail_next = 2 * POLLS
    flow()
    flow()

    # 3. up again, with changes and retractions among the votes
    for i, (voter, poll) in enumerate(ballots[2 * thirds :]):
        vote(voter, poll)
        if i % 20 == 19:
            changer, where = rng.choice(ballots[: 2 * thirds])
            option = rng.choice(["Red", "Green", "Blue"])
            status, _ = _call(
                people.event("change_vote", changer, poll_id=where, body={"option": option})
            )
            assert status == 200
            accepted.append((where, "change"))
        if i % 45 == 44:
            leaver, where = rng.choice(ballots[:thirds])
            status, _ = _call(people.event("retract_vote", leaver, poll_id=where))
            if status == 200:
                accepted.append((where, "retract"))
    flow()
    relay.handler({"source": "aws.events"}, LambdaContext())  # nothing left for it
    flow()

    # The tallies are the log's; every poll's last published tally is that replay's.
    assert runtime.run(verify(built.store)) == []
    replayed = runtime.run(fold_log(built.store))
    last: dict[str, dict[str, Any]] = {}
    for channel, event in appsync.published:
        poll_id = poll_of(channel)
        assert poll_id is not None and poll_id == event["poll_id"]
        if poll_id not in last or event["position"] > last[poll_id]["position"]:
            last[poll_id] = event
    assert set(last) == set(polls)
    for poll in polls:
        assert last[poll]["counts"] == replayed[poll].counts, poll
        assert last[poll]["total"] == replayed[poll].total
        assert last[poll]["position"] == replayed[poll].position  # the last vote is in it
    assert sum(replayed[p].total for p in polls) == len(ballots) - sum(
        1 for _, what in accepted if what == "retract"
    )
    # What was sent: signed right, coalesced, nothing dead-lettered or left behind.
    assert appsync.rejected == []
    assert pushing.failures >= 1  # the AppSync failure was reported, redelivered, published
    assert len(appsync.published) < pushing.records  # coalesced
    for queue in (wiring.projector, wiring.projector_dead, wiring.push, wiring.push_dead):
        assert _depth(sqs, queue) == 0, queue
    print(
        f"moto event path: {len(accepted)} votes ({len(ballots)} casts), "
        f"{projecting.records} events in {projecting.batches} projector batches, "
        f"{pushing.records} TallyUpdated in {pushing.batches} push batches "
        f"({pushing.failures} failed once), {len(appsync.published)} AppSync messages, "
        f"dead letters: 0"
    )
