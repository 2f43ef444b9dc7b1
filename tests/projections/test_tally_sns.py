"""The SNS publisher against a moto server: topic -> SQS subscription -> message intact."""

from __future__ import annotations

import json

import boto3
from aws_fixtures import REGION, aws, moto_endpoint, unique  # noqa: F401  (fixtures)

from projections.publishers.sns import SnsPublisher
from projections.tally import TALLY_UPDATED_SCHEMA, TallyUpdated


def _topic_to_queue(endpoint: str) -> tuple[str, str]:
    sns = boto3.client("sns", endpoint_url=endpoint, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    topic_arn = sns.create_topic(Name=unique("tallies"))["TopicArn"]
    queue_url = sqs.create_queue(QueueName=unique("tally-q"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    return topic_arn, queue_url


async def test_tally_updates_arrive_intact_through_sns_and_sqs(aws: str) -> None:  # noqa: F811
    topic_arn, queue_url = _topic_to_queue(aws)
    updates = [
        TallyUpdated(
            poll_id=f"00000000-0000-4000-8000-00000000000{n}",
            counts={"Oui": 3 + n, "Non": 1, "Ça dépend": 0},
            total=4 + n,
            position=100 + n,
            as_of="2026-11-27T12:00:00.000000+00:00",
            final=n == 11,
        )
        for n in range(12)  # more than one PublishBatch
    ]
    publisher = SnsPublisher(topic_arn, region_name=REGION, endpoint_url=aws)
    try:
        await publisher.publish(updates)
    finally:
        await publisher.aclose()

    sqs = boto3.client("sqs", endpoint_url=aws, region_name=REGION)
    bodies = []
    for _ in range(20):
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        bodies += [m["Body"] for m in got]
        if len(bodies) >= len(updates) or not got:
            break
    received = sorted((json.loads(b) for b in bodies), key=lambda m: m["position"])
    assert received == [json.loads(u.to_json()) for u in updates]
    assert received[-1]["final"] is True and received[0]["counts"]["Ça dépend"] == 0
    assert received[0]["type"] == "TallyUpdated" and received[0]["schema_version"] == 1
    assert set(TALLY_UPDATED_SCHEMA["required"]) >= {"poll_id", "counts", "total", "position"}
