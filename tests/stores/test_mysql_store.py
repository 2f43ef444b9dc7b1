"""The event store contract on MySQL (MariaDB 10.11 here, Aurora MySQL 3 in production)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pymysql
import pytest

from vote_domain.stores import EventStore, MySQLEventStore, stamps
from vote_domain.stores.stamps import StaleAppend

from .contract import EventStoreContract
from .contract_stamps import stamped

pytestmark = pytest.mark.mysql


class TestMySQLEventStore(EventStoreContract):
    concurrent_writers = True

    @pytest.fixture
    def store(self, mysql_store: MySQLEventStore) -> MySQLEventStore:
        return mysql_store

    async def until_a_reader_waits(self, store: EventStore, reading: asyncio.Task[Any]) -> None:
        """Until the server shows a statement waiting to take the append gate exclusively
        (a liveness bound, not a timing assertion), or ``reading`` has ended."""
        for _ in range(3000):
            if reading.done() or _gate_waiters(store) > 0:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the reader neither ended nor waited at the gate")

    @asynccontextmanager
    async def hold_appends(self, store: EventStore) -> AsyncIterator[None]:
        """A transaction holds the append gate exclusively: appends wait at it."""
        async with store.transaction() as tx:
            await tx.execute("SELECT id FROM event_append_gate WHERE id = 1 FOR UPDATE")
            yield

    async def connections_held(self, store: EventStore) -> int:
        """Connections the server has open on the store's database (it may take a moment to
        see a closed socket: a liveness bound, not a timing assertion)."""
        admin = _admin(store)
        try:
            for _ in range(100):
                with admin.cursor() as cur:
                    cur.execute(
                        "SELECT COUNT(*) FROM information_schema.processlist"
                        " WHERE db = %s AND id <> CONNECTION_ID()",
                        (_database(store),),
                    )
                    (count,) = cur.fetchone()
                if count == 0:
                    return 0
                await asyncio.sleep(0.1)
            return int(count)
        finally:
            admin.close()


def _database(store: EventStore) -> str:
    assert isinstance(store, MySQLEventStore)
    return str(store.params["db"])


def _admin(store: EventStore) -> pymysql.connections.Connection:
    assert isinstance(store, MySQLEventStore)
    p = store.params
    return pymysql.connect(host=p["host"], port=p["port"], user=p["user"], password=p["password"])


def _gate_waiters(store: EventStore) -> int:
    admin = _admin(store)
    try:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE db = %s"
                " AND info LIKE '%%event_append_gate%%FOR UPDATE%%'",
                (_database(store),),
            )
            (count,) = cur.fetchone()
        return int(count)
    finally:
        admin.close()


async def test_a_callers_transaction_committing_past_the_limit_is_refused(
    mysql_store: MySQLEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inserted fresh, but the caller's COMMIT comes after the limit: rolled back, refused."""
    monkeypatch.setattr(stamps, "STAMP_LIMIT", timedelta(milliseconds=300))
    oid = uuid4()
    with pytest.raises(StaleAppend):
        async with mysql_store.transaction() as tx:
            await tx.insert_events([stamped(oid, 1)])
            await asyncio.sleep(0.6)
    assert await mysql_store.select_events(oid) == []
