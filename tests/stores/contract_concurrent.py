"""Contract tests for many concurrent calls at once (which a store may group into one
transaction or one query): each caller gets exactly its own outcome."""

from __future__ import annotations

import asyncio
import random
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError, StoredEvent

from vote_domain.stores import EventStore


def event(originator_id: UUID | str, version: int) -> StoredEvent:
    return StoredEvent(originator_id, version, "topic1", f"{originator_id}/{version}".encode())


class ConcurrentCallsContract:
    async def test_concurrent_inserts_fail_exactly_the_duplicates(self, store: EventStore) -> None:
        rng = random.Random(7)
        existing = [uuid4() for _ in range(20)]
        await store.insert_events([event(oid, 1) for oid in existing])
        raced = [uuid4() for _ in range(15)]  # two requests race for each of these
        requests: list[tuple[list[StoredEvent], bool]] = []  # (events, must fail)
        for _ in range(60):
            requests.append(([event(uuid4(), 1)], False))
        for _ in range(20):
            oid = uuid4()
            requests.append(([event(oid, 1), event(oid, 2), event(oid, 3)], False))
        for oid in existing:
            if rng.random() < 0.5:
                requests.append(([event(oid, 1)], True))  # one event, a duplicate
            else:  # the second of three is a duplicate: none of them may be written
                fresh = uuid4()
                requests.append(([event(fresh, 1), event(oid, 1), event(fresh, 2)], True))
        rng.shuffle(requests)
        racing = [[event(oid, 1)] for oid in raced for _ in range(2)]
        every = [events for events, _ in requests] + racing
        outcomes = await asyncio.gather(
            *(store.insert_events(events) for events in every), return_exceptions=True
        )

        committed: dict[int, StoredEvent] = {}
        for (events, must_fail), outcome in zip(requests, outcomes, strict=False):
            if must_fail:
                assert isinstance(outcome, IntegrityError), outcome
            else:
                assert not isinstance(outcome, BaseException), outcome
                assert outcome is not None and len(outcome) == len(events)
                assert list(outcome) == sorted(outcome)
                committed.update(zip(outcome, events, strict=True))
        race_outcomes = outcomes[len(requests) :]
        for i, oid in enumerate(raced):
            pair = race_outcomes[2 * i : 2 * i + 2]
            assert sum(isinstance(o, IntegrityError) for o in pair) == 1, pair
            (won,) = [o for o in pair if not isinstance(o, BaseException)]
            assert won is not None
            committed[won[0]] = event(oid, 1)

        top = await store.max_notification_id()
        log = await store.select_notifications(None, 1000)
        fresh_log = [n for n in log if n.id > len(existing)]  # (the first 20 are existing)
        assert [n.id for n in fresh_log] == sorted(committed)
        for n in fresh_log:
            want = committed[n.id]
            assert (n.originator_id, n.originator_version, n.state) == (
                want.originator_id,
                want.originator_version,
                want.state,
            )
        assert top == max(committed)
        for events, must_fail in requests:
            if must_fail and len(events) > 1:
                assert await store.select_events(events[0].originator_id) == []

    async def test_concurrent_stream_reads_get_their_own_streams(self, store: EventStore) -> None:
        rng = random.Random(11)
        oids = [uuid4() for _ in range(30)]
        streams = {oid: [event(oid, v) for v in range(1, rng.randint(1, 4) + 1)] for oid in oids}
        await store.insert_events([e for events in streams.values() for e in events])
        missing = [uuid4() for _ in range(5)]
        asks = [rng.sample(oids + missing, rng.randint(1, 6)) for _ in range(80)]
        as_text = [[str(oid) for oid in ask] for ask in asks[:10]]  # ids as strings too

        results = await asyncio.gather(
            *(store.select_streams(ask) for ask in asks + as_text),
            *(store.select_events(oid) for oid in oids + missing),
        )
        for ask, got in zip(asks + as_text, results, strict=False):
            assert got == {oid: streams.get(UUID(str(oid)), []) for oid in ask}
        for oid, got in zip(oids + missing, results[len(asks) + len(as_text) :], strict=True):
            assert got == streams.get(oid, [])
