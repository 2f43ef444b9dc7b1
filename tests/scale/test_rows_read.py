"""GET /polls and time travel (``?at`` / ``?position``) read the same number of rows however
many unrelated events the log holds, on SQLite and on MariaDB/MySQL: counted, not timed
(see scale_rows.py for how each backend counts).

Before issue 11, GET /polls walked the whole log (a topic-filtered read forced onto the
primary key) and time travel scanned the log from the poll's creation: both counts grew with
every event seeded here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scale_rows import (
    CountingSQLiteStore,
    Requests,
    flat_under_unrelated_events,
    rows_read,
    seed_ballots_at_rate,
)

from projections import migrate, replay
from projections.checkpoints import WINDOW
from projections.query import fold_tally_at
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


async def test_time_travel_in_a_busy_poll_reads_the_same_early_and_late(
    counted_store: EventStore,
) -> None:
    """``?at`` in a poll taking 300 votes/s reads its events around the asked time only: a
    time 35,000 votes into its history reads as many rows as one 5,000 votes in (the two
    times at the same place in their checkpoint windows), where a fold from the poll's
    creation would read seven times as many; both equal the reference fold."""
    store = counted_store
    await migrate(store)
    r = Requests(store)
    poll = await r.service.create_poll("admin", "Busy?", ["Yes", "No"])
    start = datetime.now(UTC)  # (after the poll's creation, as the stores' bound requires)
    times = await seed_ballots_at_rate(store, poll.id, 40_000, 300, start)
    await replay(store)
    first = await store.max_notification_id() or 0
    first -= len(times) - 1  # the position of the first seeded ballot
    offset = WINDOW // 2 - first % WINDOW
    early, late = times[5 * WINDOW + offset], times[35 * WINDOW + offset]
    rows = {}
    for name, at in (("early", early), ("late", late)):
        tally = await r.results(poll.id, at=at)
        assert tally == await fold_tally_at(store, poll.id, at=at)
        rows[name] = await rows_read(store, lambda at=at: r.results(poll.id, at=at))
    print(store.dialect, rows)
    assert rows["late"] == rows["early"] > 0, rows
