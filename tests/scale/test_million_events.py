"""Every read route at a million events, on SQLite and on MariaDB/MySQL: the rows each reads
(counted, see scale_rows.py) are the same as before a million events of another poll were
seeded into the log (one multi-row INSERT on the server, under a minute on a loaded 2-core
machine for both backends together)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from scale_rows import CountingSQLiteStore, flat_under_unrelated_events

from vote_domain.stores import EventStore, MySQLEventStore

MILLION = 1_000_000


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


async def test_every_read_route_reads_as_much_at_a_million_events(
    counted_store: EventStore,
) -> None:
    counts = await flat_under_unrelated_events(counted_store, MILLION)
    assert (await counted_store.max_notification_id() or 0) > MILLION
    grown = {route: c for route, c in counts.items() if c[1] != c[0]}
    assert not grown, grown
