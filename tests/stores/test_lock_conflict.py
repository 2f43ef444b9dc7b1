"""Lock conflicts surface as ``LockConflict`` (an OperationalError) on every backend, chained
to the driver's error, so callers retry on a type, not on error numbers or messages."""

from __future__ import annotations

import asyncio
import sqlite3

import pymysql
import pytest
from eventsourcing.persistence import OperationalError

from vote_domain.stores import LockConflict, MySQLEventStore
from vote_domain.stores.sqlite import ops


@pytest.mark.mysql
async def test_a_deadlock_victim_gets_lock_conflict(mysql_store: MySQLEventStore) -> None:
    async with mysql_store.transaction() as tx:
        await tx.execute("CREATE TABLE lock_rows (k INT PRIMARY KEY) ENGINE=InnoDB")
        await tx.execute("INSERT INTO lock_rows VALUES (1), (2)")
    locked = {1: asyncio.Event(), 2: asyncio.Event()}

    async def lock(first: int, second: int) -> None:
        async with mysql_store.transaction() as tx:
            await tx.execute("SELECT k FROM lock_rows WHERE k = %s FOR UPDATE", [first])
            locked[first].set()
            await locked[second].wait()
            await tx.execute("SELECT k FROM lock_rows WHERE k = %s FOR UPDATE", [second])

    outcomes = await asyncio.gather(lock(1, 2), lock(2, 1), return_exceptions=True)
    (error,) = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(error, LockConflict) and isinstance(error, OperationalError)
    assert isinstance(error.__cause__, pymysql.err.OperationalError)
    assert error.__cause__.args[0] == 1213


def test_a_busy_sqlite_database_is_lock_conflict() -> None:
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]

    def fail(_: sqlite3.Connection) -> None:
        raise busy

    with pytest.raises(LockConflict) as raised:
        ops.translated(fail, sqlite3.connect(":memory:"))
    assert raised.value.__cause__ is busy
    other = sqlite3.OperationalError("no such table: x")
    other.sqlite_errorcode = sqlite3.SQLITE_ERROR  # type: ignore[attr-defined]

    def fail_otherwise(_: sqlite3.Connection) -> None:
        raise other

    with pytest.raises(OperationalError) as raised_other:
        ops.translated(fail_otherwise, sqlite3.connect(":memory:"))
    assert not isinstance(raised_other.value, LockConflict)
