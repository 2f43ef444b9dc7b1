"""The push Lambda's work: SQS batches of ``TallyUpdated`` (from the SNS topic) coalesced per
poll and published to each poll's AppSync Events channel.

The path on AWS (deploy/live.yml): the projector publishes ``TallyUpdated`` to the SNS topic;
an SQS subscription (raw message delivery: each message body is the ``TallyUpdated`` JSON)
queues them; Lambda's SQS event source hands batches to :func:`push_batch`. Why a queue
between SNS and the function rather than SNS invoking it: SNS invokes a function once per
message, so no invocation ever sees two updates of a poll, and coalescing would have to hold
each one; a queue hands the function everything that arrived while it was busy, so the
newest per poll is sent and the rest dropped (:mod:`votes.live.coalesce`).

Per batch: each record is parsed on its own (a poison record is reported failed, after
``maxReceiveCount`` receives SQS moves it to the dead-letter queue); per poll the newest
update newer than the last one sent is published once the poll's interval has passed
(:meth:`Coalescer.wait`), polls concurrently. A poll whose publish fails reports only the
record of that newest update failed: the older ones are superseded, and SQS redelivers the
newest, which the next batch publishes (or drops, if a newer one went out meanwhile).
The answer is SQS's partial batch response, ``{"batchItemFailures": [{"itemIdentifier"}]}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from projections import TallyUpdated
from votes.live.appsync import AppSyncPublisher, PublishFailed
from votes.live.channels import channel_of
from votes.live.coalesce import Coalescer
from votes.observability import logger
from votes.settings import Settings

__all__ = ["Pusher", "Received", "push_batch", "pusher_for"]


@dataclass(frozen=True, slots=True)
class Received:
    """One ``TallyUpdated`` of a batch and the SQS message that carried it."""

    message_id: str
    update: TallyUpdated

    @property
    def poll_id(self) -> str:
        return self.update.poll_id

    @property
    def position(self) -> int:
        return self.update.position


class Pusher:
    """Publishes coalesced tally updates to their polls' channels (one per container)."""

    def __init__(self, publisher: AppSyncPublisher, coalescer: Coalescer) -> None:
        self.publisher = publisher
        self.coalescer = coalescer

    async def push(self, received: Sequence[Received]) -> list[str]:
        """Send the newest update of each poll in ``received``; the message ids to retry."""
        newest = self.coalescer.newest(received)
        outcomes = await asyncio.gather(*(self._send(r) for r in newest))
        return [r.message_id for r, ok in zip(newest, outcomes, strict=True) if not ok]

    async def _send(self, received: Received) -> bool:
        await asyncio.sleep(self.coalescer.wait(received.poll_id))
        if received.position <= self.coalescer.sent_position(received.poll_id):
            return True  # a newer update of the poll went out while this one waited
        try:
            await self.publisher.publish(channel_of(received.poll_id), [received.update.to_json()])
        except PublishFailed as e:
            logger.warning(
                "live tally not published; SQS will redeliver it",
                extra={"poll_id": received.poll_id, "position": received.position, "error": str(e)},
            )
            return False
        self.coalescer.sent(received.update)
        return True

    async def aclose(self) -> None:
        await self.publisher.aclose()


def _parse(record: Mapping[str, Any]) -> TallyUpdated:
    body = record.get("body")
    if not isinstance(body, str):
        raise ValueError("the SQS record has no body")
    try:
        return TallyUpdated.model_validate_json(body)
    except ValidationError as e:
        raise ValueError(f"not a TallyUpdated message: {e.error_count()} error(s)") from e


async def push_batch(pusher: Pusher, event: Mapping[str, Any]) -> dict[str, Any]:
    """Push the SQS batch ``event``; SQS's partial batch response."""
    failed: list[str] = []
    received: list[Received] = []
    for record in event.get("Records") or []:
        message_id = str(record.get("messageId", ""))
        try:
            received.append(Received(message_id, _parse(record)))
        except ValueError as e:
            logger.error("poison message", extra={"message_id": message_id, "error": str(e)})
            failed.append(message_id)
    failed += await pusher.push(received)
    logger.info(
        "pushed live tallies",
        extra={"records": len(event.get("Records") or []), "failed": len(failed)},
    )
    return {"batchItemFailures": [{"itemIdentifier": i} for i in dict.fromkeys(failed)]}


def pusher_for(settings: Settings) -> Pusher:
    """The pusher ``settings`` describe (RuntimeError without ``appsync_event_url``)."""
    if not settings.appsync_event_url:
        raise RuntimeError("VOTES_APPSYNC_EVENT_URL is not set")
    publisher = AppSyncPublisher(
        settings.appsync_event_url,
        settings.region,
        connect_timeout=settings.aws_connect_timeout,
        read_timeout=settings.aws_read_timeout,
        attempts=settings.aws_max_attempts,
    )
    return Pusher(publisher, Coalescer(settings.push_interval))
