"""GET /polls and time travel (``?at`` / ``?position``) read the same number of rows however
many unrelated events the log holds, on SQLite and on MariaDB/MySQL: counted, not timed
(see scale_rows.py for how each backend counts).

Before issue 11, GET /polls walked the whole log (a topic-filtered read forced onto the
primary key) and time travel scanned the log from the poll's creation: both counts grew with
every event seeded here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from scale_rows import CountingSQLiteStore, flat_under_unrelated_events

from vote_domain.stores import EventStore, MySQLEventStore

UNRELATED = 20_000


@pytest.fixture
async def counted_store(
    store_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[EventStore]:
    store: EventStore
    if store_backend == "sqlite":
        store = CountingSQLiteStore(str(tmp_path / "events.db"))
    else:
        store = MySQLEventStore(request.getfixturevalue("fresh_mysql_url"), pool_size=1)
    await store.migrate()
    yield store
    await store.close()


async def test_reads_do_not_grow_with_unrelated_events(counted_store: EventStore) -> None:
    counts = await flat_under_unrelated_events(counted_store, UNRELATED)
    print(counted_store.dialect, counts)
    grown = {route: c for route, c in counts.items() if c[1] != c[0]}
    assert not grown, grown
    assert all(before > 0 for before, _ in counts.values()), counts  # it did count


async def test_a_poll_is_listed_once_its_creation_answered(
    store_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Read-your-writes for GET /polls, across processes: a reader that has listed before
    (its safe position set) lists a poll another process created, as soon as the creation
    returned; the listing reads poll events only."""
    from vote_domain import VotingService
    from vote_domain.stores import SQLiteEventStore

    def open_store() -> EventStore:
        if store_backend == "sqlite":
            return SQLiteEventStore(str(tmp_path / "events.db"))
        return MySQLEventStore(url, pool_size=2)

    url = "" if store_backend == "sqlite" else request.getfixturevalue("fresh_mysql_url")
    writer_store, reader_store = open_store(), open_store()
    try:
        await writer_store.migrate()
        writer, reader = VotingService(writer_store), VotingService(reader_store)
        assert await reader.list_polls() == []
        for n in range(3):
            created = await writer.create_poll("admin", f"Poll {n}?", ["Yes", "No"])
            await writer.register_voter(f"v{n}")
            await writer.cast_vote(created.id, f"v{n}", "Yes")
            listed = await reader.list_polls()
            assert [p.id for p in listed][:1] == [created.id]
            assert len(listed) == n + 1
    finally:
        await writer_store.close()
        await reader_store.close()
