"""The event store contract, run unchanged against every backend.

In the style of ``eventsourcing.tests.persistence``' recorder test cases: a subclass of
:class:`EventStoreContract` provides a ``store`` fixture (fresh, migrated, empty) and inherits
every test.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    Notification,
    OperationalError,
    StoredEvent,
    Tracking,
)

from vote_domain.stores import EventStore, Grouping, Migration

from .contract_concurrent import ConcurrentCallsContract
from .contract_reads import GroupReadsContract, ReadsContract
from .contract_stamps import StampsContract


def event(originator_id: UUID | str, version: int, topic: str = "topic1") -> StoredEvent:
    return StoredEvent(originator_id, version, topic, f"state-{version}".encode())


class _Rollback(Exception):
    """Raised inside a transaction to roll it back."""


class EventStoreContract(
    ConcurrentCallsContract, ReadsContract, GroupReadsContract, StampsContract
):
    """Every :class:`EventStore` method's semantics.

    A backend's test class says whether an append can commit while another transaction
    holds an insert uncommitted (``concurrent_writers``), how to tell that a reader waits
    for such a transaction (``until_a_reader_waits``), and how many connections (or open
    files) a store holds (``connections_held``), as the database or the OS sees them.
    """

    concurrent_writers = False

    async def until_a_reader_waits(self, store: EventStore, reading: asyncio.Task[Any]) -> None:
        """Return once ``reading`` waits for the writer in flight, or has ended."""

    async def connections_held(self, store: EventStore) -> int:
        raise NotImplementedError

    async def test_insert_and_select_events(self, store: EventStore) -> None:
        oid = uuid4()
        assert await store.select_events(oid, desc=True, limit=1) == []
        assert await store.insert_events([]) in ([], None)

        e1, e2, e3 = event(oid, 1, "topic1"), event(oid, 2, "topic2"), event(oid, 3, "topic3")
        assert await store.insert_events([e1]) == [1]
        stored = await store.select_events(oid)
        assert stored == [e1]
        assert isinstance(stored[0].originator_id, UUID)
        assert isinstance(stored[0].state, bytes)

        assert await store.insert_events([e2, e3]) == [2, 3]
        assert await store.select_events(oid) == [e1, e2, e3]
        assert await store.select_events(oid, desc=True, limit=1) == [e3]
        assert await store.select_events(oid, lte=2, desc=True, limit=1) == [e2]
        assert await store.select_events(oid, gt=1, lte=2) == [e2]
        assert await store.select_events(oid, gt=1) == [e2, e3]
        assert await store.select_events(oid, limit=2) == [e1, e2]
        assert await store.select_events(oid, desc=True) == [e3, e2, e1]
        assert await store.select_events(uuid4()) == []

    async def test_string_originator_ids(self, store: EventStore) -> None:
        oid = uuid4()
        await store.insert_events([event("not-a-uuid", 0), event(str(oid), 1)])
        assert await store.select_events("not-a-uuid") == [event("not-a-uuid", 0)]
        assert await store.select_events(oid) == [event(oid, 1)]

    async def test_duplicate_version_raises_and_writes_nothing(self, store: EventStore) -> None:
        oid, other = uuid4(), uuid4()
        e1, e2 = event(oid, 1), event(oid, 2)
        await store.insert_events([e1])
        with pytest.raises(IntegrityError):
            await store.insert_events([e1])
        with pytest.raises(IntegrityError):
            await store.insert_events([event(other, 1), e2, e1])
        with pytest.raises(IntegrityError):
            await store.insert_events([e2, e2])
        assert await store.select_events(oid) == [e1]
        assert await store.select_events(other) == []
        assert [n.id for n in await store.select_notifications(None, 10)] == [1]
        assert await store.max_notification_id() == 1
        # The store still works after the failures.
        (position,) = await store.insert_events([e2])
        assert position > 1
        assert await store.select_events(oid) == [e1, e2]

    async def test_select_notifications(self, store: EventStore) -> None:
        assert await store.select_notifications(None, 3) == []
        assert await store.select_notifications(None, 3, topics=["topic1"]) == []
        assert await store.max_notification_id() is None

        oid1, oid2 = uuid4(), uuid4()
        await store.insert_events([event(oid1, 1, "topic1"), event(oid1, 2, "topic2")])
        await store.insert_events([event(oid2, 1, "topic3")])

        async def ids(*args: object, **kwargs: object) -> list[int]:
            return [n.id for n in await store.select_notifications(*args, **kwargs)]  # type: ignore[arg-type]

        first = (await store.select_notifications(None, 1))[0]
        assert (first.id, first.originator_id, first.originator_version) == (1, oid1, 1)
        assert (first.topic, first.state) == ("topic1", b"state-1")
        assert await ids(None, 10) == [1, 2, 3]
        assert await ids(1, 10) == [1, 2, 3]
        assert await ids(None, 10, stop=2) == [1, 2]
        assert await ids(1, 10, inclusive_of_start=False) == [2, 3]
        assert await ids(2, 10, inclusive_of_start=False) == [3]
        assert await ids(3, 10, inclusive_of_start=False) == []
        assert await ids(None, 10, topics=["topic1", "topic2", "topic3"]) == [1, 2, 3]
        assert await ids(1, 10, topics=["topic1"]) == [1]
        assert await ids(1, 3, topics=["topic2"]) == [2]
        assert await ids(1, 3, topics=["topic1", "topic3"]) == [1, 3]
        assert await ids(2, 3, topics=["topic1"]) == []
        assert await ids(None, 1) == [1]
        assert await ids(2, 1) == [2]
        assert await ids(1, 1, inclusive_of_start=False) == [2]
        assert await ids(2, 2) == [2, 3]
        assert await ids(2, 10, stop=2) == [2]
        assert await ids(1, 10, stop=2, inclusive_of_start=False) == [2]
        assert await store.max_notification_id() == 3

    async def test_positions_beyond_64_bits(self, store: EventStore) -> None:
        await store.insert_events([event(uuid4(), 1)])
        for huge in (2**63, 10**30):
            assert await store.select_notifications(huge, 10) == []
            assert [n.id for n in await store.select_notifications(None, 10, stop=huge)] == [1]
        with pytest.raises(DataError):
            await store.insert_tracking(Tracking("up", 10**30))

    async def test_iter_notifications(self, store: EventStore) -> None:
        for version in range(1, 8):
            await store.insert_events([event(uuid4(), version)])
        pages = [[n.id for n in page] async for page in store.iter_notifications(page_size=3)]
        assert pages == [[1, 2, 3], [4, 5, 6], [7]]
        pages = [[n.id for n in page] async for page in store.iter_notifications(gt=5)]
        assert pages == [[6, 7]]

    async def test_select_streams(self, store: EventStore) -> None:
        oid1, oid2, missing = uuid4(), uuid4(), uuid4()
        await store.insert_events([event(oid1, 1), event(oid2, 1), event(oid1, 2)])
        streams = await store.select_streams([oid1, oid2, missing])
        assert streams == {
            oid1: [event(oid1, 1), event(oid1, 2)],
            oid2: [event(oid2, 1)],
            missing: [],
        }
        assert await store.select_streams([]) == {}

    async def test_tracking(self, store: EventStore) -> None:
        assert await store.max_tracking_id("upstream1") is None
        assert await store.has_tracking_id("upstream1", None)
        assert not await store.has_tracking_id("upstream1", 1)
        await store.insert_tracking(Tracking("upstream1", 21))
        await store.insert_tracking(Tracking("upstream1", 22))
        await store.insert_tracking(Tracking("upstream2", 21))
        for duplicate in (("upstream1", 21), ("upstream1", 22), ("upstream2", 21)):
            with pytest.raises(IntegrityError):
                await store.insert_tracking(Tracking(*duplicate))
        assert await store.max_tracking_id("upstream1") == 22
        assert await store.max_tracking_id("upstream2") == 21
        assert await store.max_tracking_id("upstream3") is None
        assert await store.has_tracking_id("upstream1", 20)
        assert await store.has_tracking_id("upstream1", 22)
        assert not await store.has_tracking_id("upstream1", 23)
        await store.insert_tracking(Tracking("upstream1", 24))
        with pytest.raises(IntegrityError):  # tracking is monotonic: no filling in
            await store.insert_tracking(Tracking("upstream1", 23))
        assert await store.has_tracking_id("upstream1", 23)
        assert await store.max_tracking_id("upstream1") == 24

    async def test_insert_events_with_tracking(self, store: EventStore) -> None:
        oid1, oid2 = uuid4(), uuid4()
        await store.insert_events([event(oid1, 1), event(oid1, 2)], tracking=Tracking("up", 1))
        with pytest.raises(IntegrityError):  # duplicate event: tracking not recorded either
            await store.insert_events([event(oid1, 2)], tracking=Tracking("up", 2))
        assert await store.max_tracking_id("up") == 1
        with pytest.raises(IntegrityError):  # duplicate tracking: event not recorded either
            await store.insert_events([event(oid2, 1)], tracking=Tracking("up", 1))
        assert await store.select_events(oid2) == []
        await store.insert_events([event(oid2, 1)], tracking=Tracking("up", 2))
        assert await store.max_tracking_id("up") == 2
        await store.insert_events([], tracking=Tracking("up", 4))
        assert await store.max_tracking_id("up") == 4
        with pytest.raises(IntegrityError):
            await store.insert_events([], tracking=Tracking("up", 3))
        assert len(await store.select_notifications(None, 10)) == 3

    async def test_transaction_commits(self, store: EventStore) -> None:
        oid = uuid4()
        async with store.transaction() as txn:
            ids = await txn.insert_events([event(oid, 1)], tracking=Tracking("proj", 7))
            assert await txn.select_events(oid) == [event(oid, 1)]
            rows = await txn.execute(
                "SELECT COUNT(*) FROM stored_events WHERE originator_version = "
                + ("?" if store.dialect == "sqlite" else "%s"),
                [1],
            )
            assert rows[0][0] == 1
            with pytest.raises(IntegrityError):  # fails alone; the transaction goes on
                await txn.insert_events([event(oid, 1)])
            await txn.insert_tracking(Tracking("proj2", 1))
        assert [n.id for n in await store.select_notifications(None, 10)] == list(ids)
        assert await store.max_tracking_id("proj") == 7
        assert await store.max_tracking_id("proj2") == 1

    async def test_a_failed_append_in_a_transaction_writes_nothing_of_itself(
        self, store: EventStore
    ) -> None:
        oid = uuid4()
        async with store.transaction() as txn:
            await txn.insert_events([event(oid, 1)], tracking=Tracking("proj", 5))
            with pytest.raises(IntegrityError):  # a duplicate after a fresh event
                await txn.insert_events([event(oid, 2), event(oid, 1)])
            with pytest.raises(IntegrityError, match="not after"):  # tracking not after 5
                await txn.insert_events([event(oid, 2)], tracking=Tracking("proj", 5))
            with pytest.raises(IntegrityError, match="not after"):
                await txn.insert_tracking(Tracking("proj", 4))
            assert await txn.select_events(oid) == [event(oid, 1)]
            await txn.insert_events([event(oid, 2)], tracking=Tracking("proj", 6))
        assert await store.select_events(oid) == [event(oid, 1), event(oid, 2)]
        assert await store.max_tracking_id("proj") == 6

    async def test_transaction_rolls_back(self, store: EventStore) -> None:
        oid = uuid4()
        with pytest.raises(_Rollback):
            async with store.transaction() as txn:
                await txn.insert_events([event(oid, 1)])
                await txn.insert_tracking(Tracking("proj", 3))
                raise _Rollback
        assert await store.select_events(oid) == []
        assert await store.max_tracking_id("proj") is None
        assert await store.max_notification_id() is None
        await store.insert_events([event(oid, 1)])
        assert await store.select_events(oid) == [event(oid, 1)]

    async def test_cancelled_wait_for_a_transaction_leaves_the_store_usable(
        self, store: EventStore
    ) -> None:
        oid = uuid4()
        held = asyncio.Event()
        release = asyncio.Event()

        async def hold() -> None:
            async with store.transaction() as txn:
                await txn.insert_events([event(oid, 1)])
                held.set()
                await release.wait()

        holder = asyncio.create_task(hold())
        await held.wait()

        async def wait_for_transaction() -> None:
            async with store.transaction():
                pass

        waiter = asyncio.create_task(wait_for_transaction())
        await asyncio.sleep(0.05)
        waiter.cancel()
        release.set()
        await holder
        # A liveness bound, not a timing assertion: a stuck writer never answers.
        await asyncio.wait_for(store.insert_events([event(oid, 2)]), timeout=30)
        assert [e.originator_version for e in await store.select_events(oid)] == [1, 2]

    async def test_migrate_is_idempotent_and_ordered(self, store: EventStore) -> None:
        assert await store.migrate() == []
        table = f"contract_extra_{uuid4().hex[:8]}"
        v1 = Migration(
            "contract",
            1,
            "create",
            sqlite=[f"CREATE TABLE {table} (k TEXT PRIMARY KEY)"],
            mysql=[f"CREATE TABLE {table} (k VARCHAR(10) PRIMARY KEY)"],
        )
        v2 = Migration(
            "contract",
            2,
            "add column",
            sqlite=[f"ALTER TABLE {table} ADD COLUMN n INTEGER NOT NULL DEFAULT 0"],
            mysql=[f"ALTER TABLE {table} ADD COLUMN n INTEGER NOT NULL DEFAULT 0"],
        )
        assert await store.migrate([v2, v1]) == [v1, v2]
        assert await store.migrate([v1, v2]) == []
        results = await asyncio.gather(store.migrate([v1, v2]), store.migrate([v1, v2]))
        assert results == [[], []]
        async with store.transaction() as txn:
            rows = await txn.execute(f"SELECT COUNT(*) FROM {table}")
        assert rows[0][0] == 0

    @pytest.mark.parametrize("topics", [(), ("topic1",)], ids=["all", "by-topic"])
    @pytest.mark.parametrize("commit", [True, False], ids=["held-commits", "held-rolls-back"])
    async def test_reader_never_passes_a_position_still_in_flight(
        self, store: EventStore, commit: bool, topics: tuple[str, ...]
    ) -> None:
        """Writer A holds position 1 uncommitted while B commits position 2: a reader may
        return B only together with A (or once A has rolled back). Where B can commit while A
        is held, a reader started after B committed must return B (so it waited for A)."""
        held, release = asyncio.Event(), asyncio.Event()

        async def writer_a() -> Sequence[int]:
            try:
                async with store.transaction() as txn:
                    ids = await txn.insert_events([event(uuid4(), 1)])
                    held.set()
                    await release.wait()
                    if not commit:
                        raise _Rollback
            except _Rollback:
                return []
            return ids

        a = asyncio.create_task(writer_a())
        await held.wait()
        b = asyncio.create_task(store.insert_events([event(uuid4(), 1)]))
        if self.concurrent_writers:  # B commits while A is held (a liveness bound, not timing)
            await asyncio.wait_for(asyncio.shield(b), timeout=30)
        b_committed = b.done()
        assert b_committed == self.concurrent_writers
        reading = asyncio.create_task(store.select_notifications(None, 10, topics=topics))
        if b_committed:
            await self.until_a_reader_waits(store, reading)
        release.set()
        a_ids, (b_id,) = await a, await b
        page = [n.id for n in await reading]
        expected = [*a_ids, b_id]
        if b_committed:
            assert page == expected
        else:  # serialised writers: it read before, between or after A's and B's commits
            assert page == expected[: len(page)], "passed a position still in flight"
        assert [n.id for n in await store.select_notifications(None, 10)] == expected
        assert await store.max_notification_id() == b_id

    async def test_reading_ahead_of_a_position_in_flight_does_not_pass_it(
        self, store: EventStore
    ) -> None:
        """A reader starting beyond a position still in flight must not make the store treat
        that position as passed for a reader starting below it."""
        held, release = asyncio.Event(), asyncio.Event()

        async def writer_a() -> Sequence[int]:
            async with store.transaction() as txn:
                ids = await txn.insert_events([event(uuid4(), 1)])
                held.set()
                await release.wait()
            return ids

        a = asyncio.create_task(writer_a())
        await held.wait()
        later = asyncio.create_task(store.insert_events([event(uuid4(), 1), event(uuid4(), 1)]))
        if self.concurrent_writers:  # the later events commit, and are read, while A is held
            await asyncio.wait_for(asyncio.shield(later), timeout=30)
            page = await asyncio.wait_for(store.select_notifications(2, 10), timeout=30)
            assert [n.id for n in page] == [2, 3]  # (jumped past 1)
        else:
            ahead = asyncio.create_task(store.select_notifications(2, 10))  # jumps past 1
        from_start = asyncio.create_task(store.select_notifications(None, 10))
        if self.concurrent_writers:
            await self.until_a_reader_waits(store, from_start)
        release.set()
        (a_id,), later_ids = await a, await later
        assert a_id == 1 and list(later_ids) == [2, 3]
        if self.concurrent_writers:
            assert [n.id for n in await from_start] == [1, 2, 3]
        else:  # serialised writers: they read before, between or after the two commits
            assert [n.id for n in await ahead] in ([], [2, 3])
            assert [n.id for n in await from_start] in ([], [1], [1, 2, 3])

    async def test_a_closed_store_refuses_work_and_holds_no_connection(
        self, store: EventStore
    ) -> None:
        oid = uuid4()
        await store.insert_events([event(oid, 1)])
        await asyncio.gather(*(store.select_events(oid) for _ in range(4)))
        entered, leave = asyncio.Event(), asyncio.Event()

        async def in_flight() -> None:
            async with store.transaction() as txn:
                await txn.insert_events([event(oid, 2)])
                entered.set()
                await leave.wait()

        holder = asyncio.create_task(in_flight())
        await entered.wait()
        closing = asyncio.create_task(store.close())
        leave.set()
        await holder  # work in flight at the close ends normally
        await closing
        for work in (
            lambda: store.insert_events([event(oid, 3)]),
            lambda: store.select_events(oid),
            lambda: store.select_notifications(None, 10),
            lambda: store.max_notification_id(),
            lambda: store.count_events(0, 10, [Grouping("topic1", ())]),
        ):
            with pytest.raises(OperationalError, match="closed"):
                await work()
        with pytest.raises(OperationalError, match="closed"):
            async with store.transaction():
                pass
        assert await self.connections_held(store) == 0
        await store.close()  # again: nothing to do

    async def test_concurrent_writers_and_a_paging_reader(self, store: EventStore) -> None:
        """32 writers, some rolling back at random after holding their insert a while; a
        reader paging by position ends with exactly the committed events, in order."""
        rng = random.Random(20261127)
        committed: dict[int, tuple[UUID, int]] = {}
        writers_done = asyncio.Event()

        async def writer() -> None:
            for _ in range(12):
                oid = uuid4()
                choice = rng.random()
                if choice < 0.5:
                    (position,) = await store.insert_events([event(oid, 1)])
                    committed[position] = (oid, 1)
                elif choice < 0.65:  # a duplicate among fresh events: none is written
                    with pytest.raises(IntegrityError):
                        await store.insert_events([event(oid, 1), event(oid, 1)])
                else:  # hold the insert uncommitted for a while, then commit or roll back
                    roll_back = rng.random() < 0.5
                    pause = rng.random() * 0.01
                    try:
                        async with store.transaction() as txn:
                            positions = await txn.insert_events([event(oid, 1), event(oid, 2)])
                            await asyncio.sleep(pause)
                            if roll_back:
                                raise _Rollback
                    except _Rollback:
                        continue
                    committed.update({p: (oid, v) for p, v in zip(positions, (1, 2), strict=True)})

        async def reader() -> list[Notification]:
            seen: list[Notification] = []
            position = 0
            while True:
                finished = writers_done.is_set()
                page = await store.select_notifications(
                    position, rng.randint(1, 100), inclusive_of_start=False
                )
                seen.extend(page)
                if page:
                    position = page[-1].id
                elif finished:
                    return seen
                else:
                    await asyncio.sleep(0)

        reading = asyncio.create_task(reader())
        await asyncio.gather(*(writer() for _ in range(32)))
        writers_done.set()
        seen = await reading
        assert [n.id for n in seen] == sorted(committed), "skipped, repeated or reordered"
        assert all(committed[n.id] == (n.originator_id, n.originator_version) for n in seen)
        assert await store.max_notification_id() == max(committed)
