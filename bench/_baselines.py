"""Raw baselines the write benchmarks compare against, each measured in the same run.

* :func:`mysql_raw_inserts`: durable single-row INSERT transactions from 32 aiomysql
  connections, the ceiling for any MySQL event store on that server;
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

__all__ = ["eventsourcing_sqlite_saves", "mysql_params", "mysql_raw_inserts"]

RAW_TABLE = "bench_raw_inserts"


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


async def mysql_raw_inserts(url: str, n: int = 4000, connections: int = 32) -> float:
    """Durable single-row INSERT transactions per second from ``connections`` connections."""
    params = mysql_params(url)
    pool = await aiomysql.create_pool(
        minsize=connections, maxsize=connections, autocommit=False, **params
    )
    try:
        async with pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
            await cur.execute(
                f"CREATE TABLE {RAW_TABLE} (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
                " originator_id CHAR(36) NOT NULL, originator_version INT NOT NULL,"
                " topic VARCHAR(255) NOT NULL, state MEDIUMBLOB NOT NULL,"
                " UNIQUE KEY (originator_id, originator_version)) ENGINE=InnoDB"
            )
            await conn.commit()
        per_task = n // connections
        state = b'{"option":"yes","voter":"x"}' * 4

        async def one_connection() -> None:
            async with pool.acquire() as conn, conn.cursor() as cur:
                for _ in range(per_task):
                    await cur.execute(
                        f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic,"
                        " state) VALUES (%s, %s, %s, %s)",
                        (str(uuid.uuid4()), 1, "bench:Event", state),
                    )
                    await conn.commit()

        started = time.perf_counter()
        await asyncio.gather(*(one_connection() for _ in range(connections)))
        elapsed = time.perf_counter() - started
        async with pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
            await conn.commit()
        return per_task * connections / elapsed
    finally:
        pool.close()
        await pool.wait_closed()


def eventsourcing_sqlite_saves(n: int = 2000) -> float:
    """``Application.save`` calls per second, one new aggregate each, on a SQLite file."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate

    class Thing(Aggregate):
        def __init__(self, name: str) -> None:
            self.name = name

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
