"""Contract tests for stamp freshness (:mod:`vote_domain.stores.stamps`): an append whose
events were stamped too long before the insert is refused and writes nothing, alone."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from vote_domain.codec import mapper
from vote_domain.stores import EventStore, stamps
from vote_domain.stores.stamps import STAMP_LIMIT, StaleAppend


def stamped(originator_id: UUID, version: int, ago: timedelta = timedelta()) -> StoredEvent:
    """An aggregate's event stamped ``ago`` before now, as the mapper stores it."""
    when = datetime.now(UTC) - ago
    event = Aggregate.Event(originator_id=originator_id, originator_version=version, timestamp=when)
    return mapper().to_stored_event(event)


STALE = STAMP_LIMIT + timedelta(seconds=1)


class StampsContract:
    def hold_appends(self, store: EventStore) -> AbstractAsyncContextManager[None]:
        """While inside, the store's appends wait (for the write lock or the append gate)."""
        raise NotImplementedError

    async def test_a_stale_append_is_refused_and_writes_nothing(self, store: EventStore) -> None:
        oid = uuid4()
        before = await store.max_notification_id()
        with pytest.raises(StaleAppend, match="nothing was written"):
            await store.insert_events([stamped(oid, 1), stamped(oid, 2, STALE)])
        assert await store.select_events(oid) == []
        assert await store.max_notification_id() == before
        assert await store.insert_events([stamped(oid, 1)])  # fresh ones still go in

    async def test_a_stale_append_fails_alone_among_concurrent_ones(
        self, store: EventStore
    ) -> None:
        fresh = [uuid4() for _ in range(20)]
        stale = uuid4()
        outcomes = await asyncio.gather(
            *(store.insert_events([stamped(oid, 1)]) for oid in fresh[:10]),
            store.insert_events([stamped(stale, 1, STALE)]),
            *(store.insert_events([stamped(oid, 1)]) for oid in fresh[10:]),
            return_exceptions=True,
        )
        assert isinstance(outcomes[10], StaleAppend)
        assert not any(isinstance(o, BaseException) for k, o in enumerate(outcomes) if k != 10)
        assert await store.select_events(stale) == []
        assert all([await store.select_events(oid) for oid in fresh])

    async def test_events_without_a_stamp_are_not_checked(self, store: EventStore) -> None:
        oid = uuid4()
        assert await store.insert_events([StoredEvent(oid, 1, "topic1", b"not json")])

    async def test_a_stale_append_in_a_callers_transaction_is_refused(
        self, store: EventStore
    ) -> None:
        oid = uuid4()
        with pytest.raises(StaleAppend):
            async with store.transaction() as tx:
                await tx.insert_events([stamped(oid, 1, STALE)])
        assert await store.select_events(oid) == []

    async def test_an_append_kept_waiting_past_the_limit_is_refused(
        self, store: EventStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Fresh when sent, then held at the database (the write lock, the append gate) for
        longer than the limit: refused, nothing written; the one after it goes in."""
        monkeypatch.setattr(stamps, "STAMP_LIMIT", timedelta(milliseconds=300))
        oid = uuid4()
        async with self.hold_appends(store):
            waiting = asyncio.create_task(store.insert_events([stamped(oid, 1)]))
            await asyncio.sleep(0.8)
            assert not waiting.done()
        with pytest.raises(StaleAppend):
            await waiting
        assert await store.select_events(oid) == []
        monkeypatch.undo()
        assert await store.insert_events([stamped(oid, 1)])
