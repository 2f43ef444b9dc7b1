"""A vote history written through the service, and its events as the projector Lambda gets them.

:func:`write_history` casts, changes and retracts votes of many voters in a few polls (one of
them closed at the end) and returns the committed events and the counts the voters' final
ballots imply. :func:`sqs_record` wraps one event as the relay publishes it (EventBridge
envelope, ``source: votes``) inside an SQS record of the Lambda event source mapping.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification

from projections import migrate
from vote_domain import VotingService
from vote_domain.stores import connect
from votes.relay.events import detail_of, detail_type

__all__ = ["History", "envelope", "sqs_record", "write_history"]


@dataclass
class History:
    events: list[Notification]
    counts: dict[str, dict[str, int]]
    """poll id -> option -> votes, from the final ballots."""


def write_history(
    database_url: str, *, polls: int = 3, voters: int = 25, moves: int = 120, seed: int = 8
) -> History:
    """Write a random vote history into ``database_url`` (migrated here); what it holds."""
    return asyncio.run(_write(database_url, polls, voters, moves, random.Random(seed)))


async def _write(url: str, n_polls: int, n_voters: int, moves: int, rnd: random.Random) -> History:
    store = connect(url)
    try:
        await migrate(store)  # the event store's and the tallies' tables
        service = VotingService(store)
        names = [f"voter-{n}" for n in range(n_voters)]
        for name in names:
            await service.register_voter(name)
        options = ["Red", "Green", "Blue"]
        polls = [
            str((await service.create_poll("admin", f"Colour {n}?", options)).id)
            for n in range(n_polls)
        ]
        held: dict[tuple[str, str], str | None] = {}
        for _ in range(moves):
            poll, name = rnd.choice(polls), rnd.choice(names)
            current = held.get((poll, name))
            if current is not None and rnd.random() < 0.2:
                await service.retract_vote(poll, name)
                held[(poll, name)] = None
            else:
                choice = rnd.choice(options)
                await service.change_vote(poll, name, choice)
                held[(poll, name)] = choice
        await service.close_poll(polls[0], "admin")
        counts = {p: dict.fromkeys(options, 0) for p in polls}
        for (poll, _), option in held.items():
            if option is not None:
                counts[poll][option] += 1
        events: list[Notification] = []
        async for page in store.iter_notifications():
            events.extend(page)
        return History(events, counts)
    finally:
        await store.close()


def envelope(event: Notification, *, source: str = "votes") -> dict[str, Any]:
    """The EventBridge event the relay makes of ``event``."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type(event.topic),
        "source": source,
        "account": "123456789012",
        "time": "2026-11-27T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail_of(event),
    }


def sqs_record(body: str, message_id: str | None = None, receive_count: int = 1) -> dict[str, Any]:
    """An SQS record of the Lambda event source mapping carrying ``body``."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEB" + uuid.uuid4().hex,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1795780800000",
            "SenderId": "AROAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1795780800001",
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:votes-projector",
        "awsRegion": "us-east-1",
    }


def body_of(event: Notification) -> str:
    return json.dumps(envelope(event), separators=(",", ":"), ensure_ascii=False)


def counts_of(tallies: dict[str, Any]) -> dict[str, dict[str, int]]:
    """poll id -> counts of live tallies (options with 0 votes kept as they are)."""
    return {str(pid): dict(Counter(t.counts)) for pid, t in tallies.items()}
