"""The event store contract on SQLite."""

from __future__ import annotations

import pytest

from vote_domain.stores import SQLiteEventStore

from .contract import EventStoreContract


class TestSQLiteEventStore(EventStoreContract):
    @pytest.fixture
    def store(self, sqlite_store: SQLiteEventStore) -> SQLiteEventStore:
        return sqlite_store


class TestInMemorySQLiteEventStore(EventStoreContract):
    @pytest.fixture
    async def store(self):  # type: ignore[no-untyped-def]
        store = SQLiteEventStore(":memory:")
        await store.migrate()
        yield store
        await store.close()
