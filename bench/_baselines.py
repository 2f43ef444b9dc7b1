"""Raw baselines the write benchmarks compare against, each measured in the same run.

* :func:`mysql_raw_inserts`: durable single-row INSERT transactions (INSERT, COMMIT) from 32
  aiomysql connections into a table of the event store's own shape, the ceiling for any
  MySQL event store on that server;
* :func:`eventsourcing_sqlite_saves`: ``eventsourcing`` 9.5's own synchronous
  ``Application.save`` of one new aggregate per call on a SQLite file.

Each returns operations per second.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from urllib.parse import unquote, urlsplit

import aiomysql
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

__all__ = [
    "eventsourcing_sqlite_saves",
    "mysql_params",
    "mysql_raw_inserts",
    "raw_table_ddl",
]


def mysql_params(url: str) -> dict[str, object]:
    """aiomysql connection keywords from ``mysql://user:password@host:port/db``."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "db": parts.path.lstrip("/") or "test",
    }


def raw_table_ddl(table: str) -> str:
    """The event store's own ``stored_events`` table shape (columns, keys, indexes) under
    another name, so the baseline inserts the same rows into the same structure."""
    from vote_domain.stores.mysql.sql import EVENTS_MIGRATIONS

    ddl = EVENTS_MIGRATIONS[0].mysql[0]
    return ddl.replace("CREATE TABLE IF NOT EXISTS stored_events", f"CREATE TABLE {table}", 1)


async def mysql_raw_inserts(url: str, n: int = 4000, connections: int = 32) -> float:
    """Durable single-row INSERT transactions per second from ``connections`` connections."""
    params = mysql_params(url)
    pool = await aiomysql.create_pool(
        minsize=connections, maxsize=connections, autocommit=False, **params
    )
    table = f"bench_raw_{uuid.uuid4().hex[:12]}"
    per_task = n // connections
    state = b'{"option":"yes","voter":"x"}' * 4

    async def one_connection() -> None:
        async with pool.acquire() as conn, conn.cursor() as cur:
            for _ in range(per_task):
                await cur.execute(
                    f"INSERT INTO {table} (originator_id, originator_version, topic, state)"
                    " VALUES (%s, %s, %s, %s)",
                    (str(uuid.uuid4()), 1, "bench:Event", state),
                )
                await conn.commit()

    try:
        async with pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(raw_table_ddl(table))
            await conn.commit()
        started = time.perf_counter()
        await asyncio.gather(*(one_connection() for _ in range(connections)))
        return per_task * connections / (time.perf_counter() - started)
    finally:
        async with pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(f"DROP TABLE IF EXISTS {table}")
            await conn.commit()
        pool.close()
        await pool.wait_closed()


class Thing(Aggregate):
    """The aggregate the eventsourcing baseline saves, one new one per call."""

    def __init__(self, name: str) -> None:
        self.name = name


def eventsourcing_sqlite_saves(n: int = 2000) -> float:
    """``Application.save`` calls per second, one new aggregate each, on a SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        app = Application(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": os.path.join(tmp, "baseline.db"),
            }
        )
        try:
            started = time.perf_counter()
            for i in range(n):
                app.save(Thing(name=f"thing-{i}"))
            return n / (time.perf_counter() - started)
        finally:
            app.close()


if __name__ == "__main__":
    url = os.environ.get("VOTES_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
    print(f"eventsourcing sqlite Application.save: {eventsourcing_sqlite_saves():.0f} ops/s")
    print(f"raw aiomysql durable inserts x32: {asyncio.run(mysql_raw_inserts(url)):.0f} ops/s")
