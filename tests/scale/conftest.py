"""The store every scale test counts rows on: SQLite counting its VM steps, or MySQL with a
pool of one connection, whose session counters are the request's (scale_rows.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from scale_rows import CountingSQLiteStore

from vote_domain.stores import EventStore, MySQLEventStore


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
