"""The event store contract on SQLite."""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from vote_domain.stores import EventStore, SQLiteEventStore

from .contract import EventStoreContract


def files_open(path: str) -> int:
    """Files of the database at ``path`` this process has open (the OS's view)."""
    base = os.path.realpath(path)
    names = (base, f"{base}-wal", f"{base}-shm", f"{base}-journal")
    held = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            held += os.readlink(f"/proc/self/fd/{fd}") in names
        except OSError:
            pass  # (closed meanwhile)
    return held


class TestSQLiteEventStore(EventStoreContract):
    @pytest.fixture
    def store(self, sqlite_store: SQLiteEventStore) -> SQLiteEventStore:
        return sqlite_store

    async def connections_held(self, store: EventStore) -> int:
        assert isinstance(store, SQLiteEventStore)
        return files_open(store.path)

    def hold_appends(self, store: EventStore) -> AbstractAsyncContextManager[None]:
        return _writer_held(store)


class TestInMemorySQLiteEventStore(EventStoreContract):
    @pytest.fixture
    async def store(self) -> AsyncIterator[SQLiteEventStore]:
        store = SQLiteEventStore(":memory:")
        await store.migrate()
        yield store
        await store.close()

    def hold_appends(self, store: EventStore) -> AbstractAsyncContextManager[None]:
        return _writer_held(store)

    async def connections_held(self, store: EventStore) -> int:
        """The store's threads still alive (its one connection lives on its writer)."""
        return sum(t.name.startswith("sqlite-") for t in threading.enumerate())


@asynccontextmanager
async def _writer_held(store: EventStore) -> AsyncIterator[None]:
    """A caller's transaction holds the writer thread (and the write lock): appends queue."""
    async with store.transaction():
        yield


def test_paths_are_as_given(tmp_path: Path) -> None:
    assert SQLiteEventStore(str(tmp_path / "x.db")).path == str(tmp_path / "x.db")
