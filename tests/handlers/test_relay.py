"""The relay against a moto server: bus -> rule (source votes) -> SQS receives every event."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from aws_fixtures import aws, bus_to_queue, drain_queue, moto_endpoint  # noqa: F401
from eventsourcing.persistence import Recording

from vote_domain import EventStore, VotingService
from votes.relay import MIGRATIONS, RELAY_NAME, Relay, RelayFailed
from votes.relay.events import detail_type, event_of_detail

EXPECTED_TYPES = ["VoterRegistered", "PollCreated", "VoteCast", "VoteChanged", "VoteRetracted"]


async def run_workflow(service: VotingService) -> None:
    await service.register_voter("alice")
    poll = await service.create_poll("alice", "Tabs or spaces?", ["Tabs", "Spaces"])
    await service.cast_vote(poll.id, "alice", "Tabs")
    await service.change_vote(poll.id, "alice", "Spaces")
    await service.retract_vote(poll.id, "alice")


@pytest.fixture
async def relay_store(store: EventStore) -> EventStore:
    await store.migrate(MIGRATIONS)
    return store


@pytest.fixture
async def relay_and_queue(relay_store: EventStore, aws: str) -> Any:  # noqa: F811
    bus, queue_url = bus_to_queue(aws)
    relay = Relay(relay_store, bus, region_name="us-east-1", endpoint_url=aws)
    yield relay, queue_url
    await relay.aclose()


async def test_fast_path_publishes_every_committed_event(
    relay_store: EventStore,
    relay_and_queue: Any,
    aws: str,  # noqa: F811
) -> None:
    relay, queue_url = relay_and_queue
    await run_workflow(VotingService(relay_store, on_recorded=relay.publish))
    messages = drain_queue(aws, queue_url, expect=5)
    assert [m["detail-type"] for m in messages] == EXPECTED_TYPES
    assert {m["source"] for m in messages} == {"votes"}
    positions = [m["detail"]["position"] for m in messages]
    assert positions == sorted(positions) and len(set(positions)) == 5
    notifications = await relay_store.select_notifications(1, 100)
    by_position = {n.id: n for n in notifications}
    for message in messages:
        detail = message["detail"]
        assert set(detail) == {
            "originator_id",
            "originator_version",
            "topic",
            "position",
            "timestamp",
            "data",
        }
        original = by_position[detail["position"]]
        rebuilt = event_of_detail(detail)
        assert rebuilt.originator_id == original.originator_id
        assert rebuilt.originator_version == original.originator_version
        assert rebuilt.topic == original.topic
        assert json.loads(rebuilt.state) == json.loads(original.state)
        assert detail["timestamp"].startswith("20")
    # all of them were marked: the scheduled relay has nothing to send again
    assert await relay.catch_up() == 0
    assert await relay_store.max_tracking_id(RELAY_NAME) == max(positions)
    assert drain_queue(aws, queue_url, expect=0) == []


async def test_catch_up_delivers_what_a_crash_left_behind(
    relay_store: EventStore,
    relay_and_queue: Any,
    aws: str,  # noqa: F811
) -> None:
    relay, queue_url = relay_and_queue

    async def crashed(recordings: Sequence[Recording]) -> None:
        raise ConnectionError("the process died before publishing")

    await run_workflow(VotingService(relay_store, on_recorded=crashed))
    assert drain_queue(aws, queue_url, expect=0) == []
    assert await relay.catch_up() == 5
    messages = drain_queue(aws, queue_url, expect=5)
    assert [m["detail-type"] for m in messages] == EXPECTED_TYPES
    assert await relay.catch_up() == 0
    assert drain_queue(aws, queue_url, expect=0) == []


async def test_catch_up_pages_and_tracks_each_batch(
    relay_store: EventStore,
    relay_and_queue: Any,
    aws: str,  # noqa: F811
) -> None:
    relay, queue_url = relay_and_queue
    service = VotingService(relay_store)
    for i in range(23):
        await service.register_voter(f"voter-{i}")
    assert await relay.catch_up(page_size=7, max_pages=2) == 14
    assert await relay_store.max_tracking_id(RELAY_NAME) == 14
    assert await relay.catch_up(page_size=7) == 9
    messages = drain_queue(aws, queue_url, expect=23)
    assert sorted(m["detail"]["position"] for m in messages) == list(range(1, 24))


async def test_mixed_fast_path_and_catch_up_sends_each_event_once(
    relay_store: EventStore,
    relay_and_queue: Any,
    aws: str,  # noqa: F811
) -> None:
    relay, queue_url = relay_and_queue
    fast = VotingService(relay_store, on_recorded=relay.publish)
    silent = VotingService(relay_store)
    for i in range(12):
        await (fast if i % 3 else silent).register_voter(f"v{i}")
    assert await relay.catch_up() == 4
    messages = drain_queue(aws, queue_url, expect=12)
    assert sorted(m["detail"]["position"] for m in messages) == list(range(1, 13))


class FlakyEvents:
    """A PutEvents client refusing chosen entries a number of times."""

    def __init__(self, refusals: int, refuse_every: int = 2) -> None:
        self.refusals = refusals
        self.refuse_every = refuse_every
        self.accepted: list[dict[str, Any]] = []
        self.calls = 0

    async def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        results: list[dict[str, Any]] = []
        for i, entry in enumerate(Entries):
            if self.refusals > 0 and i % self.refuse_every == 0:
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
            else:
                self.accepted.append(entry)
                results.append({"EventId": f"e{len(self.accepted)}"})
        self.refusals -= 1
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}


async def test_failed_entries_are_retried_until_accepted(relay_store: EventStore) -> None:
    client = FlakyEvents(refusals=2)
    relay = Relay(relay_store, "bus", client=client, backoff=0)
    service = VotingService(relay_store)
    for i in range(5):
        await service.register_voter(f"v{i}")
    assert await relay.catch_up() == 5
    positions = sorted(json.loads(e["Detail"])["position"] for e in client.accepted)
    assert positions == [1, 2, 3, 4, 5]
    assert client.calls == 3


async def test_entries_that_keep_failing_are_never_tracked(relay_store: EventStore) -> None:
    client = FlakyEvents(refusals=100)
    relay = Relay(relay_store, "bus", client=client, backoff=0, attempts=3, batch_size=2)
    service = VotingService(relay_store)
    for i in range(5):
        await service.register_voter(f"v{i}")
    with pytest.raises(RelayFailed, match="InternalFailure"):
        await relay.catch_up()
    assert await relay_store.max_tracking_id(RELAY_NAME) is None
    client.refusals = 0
    assert await relay.catch_up() == 5
    delivered = {json.loads(e["Detail"])["position"] for e in client.accepted}
    assert delivered == {1, 2, 3, 4, 5}


async def test_fast_path_failure_leaves_events_to_the_scheduled_relay(
    relay_store: EventStore,
) -> None:
    client = FlakyEvents(refusals=100, refuse_every=1)
    relay = Relay(relay_store, "bus", client=client, backoff=0, attempts=2)
    service = VotingService(relay_store, on_recorded=relay.publish)
    await service.register_voter("alice")  # committed although the publish failed
    client.refusals = 0
    assert await relay.catch_up() == 1


def test_detail_types_name_the_domain_events() -> None:
    assert detail_type("vote_domain.model.poll:Poll.Created") == "PollCreated"
    assert detail_type("vote_domain.model.voter:Voter.Registered") == "VoterRegistered"
    assert detail_type("vote_domain.model.ballot:Ballot.VoteCast") == "VoteCast"
    assert detail_type("some.module:Thing.Happened") == "ThingHappened"


def test_batch_size_is_bounded(relay_store: EventStore) -> None:
    with pytest.raises(ValueError):
        Relay(relay_store, "bus", batch_size=11)


async def test_catch_up_stops_at_its_deadline_and_resumes(relay_store: EventStore) -> None:
    client = FlakyEvents(refusals=0)
    relay = Relay(relay_store, "bus", client=client)
    service = VotingService(relay_store)
    for i in range(3):
        await service.register_voter(f"v{i}")
    assert await relay.catch_up(seconds=0) == 0
    assert await relay_store.max_tracking_id(RELAY_NAME) is None
    assert await relay.catch_up(seconds=60) == 3


class OvertakenEvents(FlakyEvents):
    """Lets another relay run to completion while this one's first PutEvents is in flight."""

    def __init__(self, other: Relay) -> None:
        super().__init__(refusals=0)
        self.other = other
        self.other_published: int | None = None

    async def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        if self.other_published is None:
            self.other_published = await self.other.catch_up()
        return await super().put_events(Entries)


async def test_overlapping_runs_both_finish(relay_store: EventStore) -> None:
    service = VotingService(relay_store)
    for i in range(4):
        await service.register_voter(f"v{i}")
    fast = Relay(relay_store, "bus", client=FlakyEvents(refusals=0))
    client = OvertakenEvents(fast)
    slow = Relay(relay_store, "bus", client=client)
    assert await slow.catch_up() == 4  # duplicates: at least once, never an error
    assert client.other_published == 4
    assert await relay_store.max_tracking_id(RELAY_NAME) == 4
    await service.register_voter("late")
    assert await slow.catch_up() == 1
