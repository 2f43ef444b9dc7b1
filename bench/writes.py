"""Cast-vote throughput through VotingService, against baselines writing the same rows now.

Ours: 32 concurrent tasks cast votes through one ``VotingService`` (every vote a new ballot:
read the poll, voter and ballot streams, decide, append one ``VoteCast``; voters registered
beforehand through another service instance, so the casting one knows none of them). The
baselines write the same stored events (``Ballot.VoteCast`` rows made by the same mapper):

SQLite (a WAL file, ``synchronous=FULL``, like our store):

* ``writes-sqlite-vs-eventsourcing`` (target 1.5): eventsourcing 9.5's own
  ``Application.save`` of the same ballots, called from 32 threads (its connection pool, WAL,
  ``synchronous=FULL``): what the library we build on gives for the same durable work;
* ``writes-sqlite-vs-raw`` (target 0.7): the limit of a single-writer group commit, one raw
  ``sqlite3`` connection inserting the same rows in transactions of 32 (one per waiting
  caller), nothing else.

MySQL / MariaDB (InnoDB, the store's own table shape, ``CREATE TABLE ... LIKE``):

* ``writes-mysql-vs-raw-1row`` (target 0.9): durable single-row INSERT transactions from 32
  aiomysql connections, the limit of a store without group commit;
* ``writes-mysql-vs-raw-16row`` (target 0.7): 16-row transactions (``START TRANSACTION``,
  16 INSERTs, ``COMMIT`` in one multi-statement round trip) from 32 connections, the limit a
  batching writer can reach.

    python bench/writes.py [--casts 20000] [--only sqlite|mysql] [--smoke]
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import aiomysql
from _common import arguments, baseline, database, measured, mysql_params, result
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from pymysql.constants import CLIENT

from vote_domain import Ballot, VotingService, connect, mapper

CONCURRENCY = 32
POLLS = 10
MYSQL_BATCH = 16
OPTIONS = ["Yes", "No", "Maybe"]


def ballots(casts: int) -> list[Ballot]:
    """New ballots of distinct (poll, voter), with their VoteCast pending."""
    polls = [uuid.uuid4() for _ in range(POLLS)]
    return [
        Ballot.cast(polls[i % POLLS], uuid.uuid4(), random.choice(OPTIONS)) for i in range(casts)
    ]


def rows(casts: int) -> list[StoredEvent]:
    """The stored events our store writes for ``casts`` new ballots."""
    m = mapper()
    return [m.to_stored_event(b.collect_events()[0]) for b in ballots(casts)]


def cpu_per_vote(ours: tuple[int, float, float]) -> str:
    return f", {ours[2] / ours[0] * 1e6:,.0f} us CPU per vote (this process, all threads)"


def rate(count: int, seconds: float, unit: str) -> str:
    return f"{count:,} in {seconds:.2f} s = {count / seconds:,.0f} {unit}/s"


# -- ours ----------------------------------------------------------------------------------


async def cast_rate(url: str, casts: int) -> tuple[int, float, float]:
    """(votes cast, seconds, CPU seconds of this process) through the service by CONCURRENCY
    tasks, all new ballots."""
    async with connect(url) as store:
        await store.migrate()
        registrar = VotingService(store)
        polls = [
            (await registrar.create_poll("bench-admin", f"Bench poll {i}?", OPTIONS)).id
            for i in range(POLLS)
        ]
        voters = [f"bench-{uuid.uuid4()}" for _ in range(-(-casts // POLLS))]
        pending = list(voters)

        async def register() -> None:
            while pending:
                await registrar.register_voter(pending.pop())

        await asyncio.gather(*(register() for _ in range(CONCURRENCY)))
        work = [(p, v) for v in voters for p in polls][:casts]
        random.shuffle(work)
        votes = VotingService(store)

        async def cast() -> None:
            while work:
                poll_id, subject = work.pop()
                outcome = (await votes.cast_vote(poll_id, subject, random.choice(OPTIONS))).outcome
                if outcome != "cast":
                    raise RuntimeError(f"expected a new vote, got {outcome!r}")

        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(cast() for _ in range(CONCURRENCY)))
        return casts, time.perf_counter() - started, time.process_time() - cpu


# -- SQLite baselines ----------------------------------------------------------------------


def eventsourcing_saves(path: str, casts: int) -> tuple[int, float]:
    """(saves, seconds): eventsourcing's ``Application.save`` of new ballots from 32 threads."""
    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path})
    try:
        with app.recorder.datastore.transaction(commit=False) as cur:  # type: ignore[attr-defined]
            cur.execute("PRAGMA journal_mode")
            mode = cur.fetchone()[0]
            cur.execute("PRAGMA synchronous")
            sync = cur.fetchone()[0]
        if (mode.lower(), sync) != ("wal", 2):
            raise RuntimeError(f"eventsourcing's SQLite is journal_mode={mode} synchronous={sync}")
        work = ballots(casts)
        started = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(app.save, work))
        return casts, time.perf_counter() - started
    finally:
        app.close()


async def migrated_sqlite(url: str) -> str:
    """The path of the SQLite file of ``url``, with the store's tables made."""
    async with connect(url) as store:
        await store.migrate()
    return url.removeprefix("sqlite:///")


def raw_group_commit(path: str, events: Sequence[StoredEvent]) -> float:
    """Seconds for one raw sqlite3 writer to commit ``events`` in groups of CONCURRENCY."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    params = [(str(e.originator_id), e.originator_version, e.topic, e.state) for e in events]
    started = time.perf_counter()
    for i in range(0, len(params), CONCURRENCY):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
            " VALUES (?, ?, ?, ?)",
            params[i : i + CONCURRENCY],
        )
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


async def bench_sqlite(server: str, casts: int) -> None:
    name = "writes-sqlite"
    with database("sqlite", server) as url:
        es = eventsourcing_saves(url.removeprefix("sqlite:///") + ".es", casts)
    with database("sqlite", server) as url:
        raw = raw_group_commit(await migrated_sqlite(url), rows(casts))
    with database("sqlite", server) as url:
        ours = await cast_rate(url, casts)
    baseline(f"{name}-vs-eventsourcing", "Application.save x32 threads", rate(*es, "saves"))
    baseline(
        f"{name}-vs-raw", f"raw sqlite3 group commit of {CONCURRENCY}", rate(casts, raw, "rows")
    )
    measured(
        name,
        f"VotingService.cast_vote x{CONCURRENCY} tasks",
        rate(*ours[:2], "votes") + cpu_per_vote(ours),
    )
    ours_rate = ours[0] / ours[1]
    result(f"{name}-vs-eventsourcing", ours_rate / (es[0] / es[1]), 1.5)
    result(f"{name}-vs-raw", ours_rate / (casts / raw), 0.7)


# -- MySQL baselines -----------------------------------------------------------------------


async def raw_mysql(url: str, events: Sequence[StoredEvent], batch: int) -> float:
    """Seconds for CONCURRENCY connections to insert ``events`` in durable transactions of
    ``batch`` rows, each one multi-statement round trip, into a copy of the store's table."""
    table = f"bench_raw_{batch}"
    pool = await aiomysql.create_pool(
        minsize=CONCURRENCY,
        maxsize=CONCURRENCY,
        autocommit=True,
        client_flag=CLIENT.MULTI_STATEMENTS,
        **mysql_params(url),
    )
    insert = (
        f"INSERT INTO {table} (originator_id, originator_version, topic, state)"
        " VALUES (%s, %s, %s, %s)"
    )
    groups = [events[i : i + batch] for i in range(0, len(events), batch)]

    async def one_connection() -> None:
        async with pool.acquire() as conn, conn.cursor() as cur:
            while groups:
                group = groups.pop()
                sql = ";".join(["START TRANSACTION", *[insert] * len(group), "COMMIT"])
                args = [
                    v
                    for e in group
                    for v in (str(e.originator_id), e.originator_version, e.topic, e.state)
                ]
                await cur.execute(sql, args)
                while await cur.nextset():
                    pass

    try:
        async with pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(f"CREATE TABLE {table} LIKE stored_events")
        started = time.perf_counter()
        await asyncio.gather(*(one_connection() for _ in range(CONCURRENCY)))
        return time.perf_counter() - started
    finally:
        pool.close()
        await pool.wait_closed()


async def bench_mysql(server: str, casts: int) -> None:
    name = "writes-mysql"
    with database("mysql", server) as url:
        async with connect(url) as store:
            await store.migrate()
        single = await raw_mysql(url, rows(casts), 1)
        batched = await raw_mysql(url, rows(casts), MYSQL_BATCH)
        ours = await cast_rate(url, casts)
    baseline(
        f"{name}-vs-raw-1row", f"raw 1-row transactions x{CONCURRENCY}", rate(casts, single, "rows")
    )
    baseline(
        f"{name}-vs-raw-16row",
        f"raw {MYSQL_BATCH}-row transactions x{CONCURRENCY}",
        rate(casts, batched, "rows"),
    )
    measured(
        name,
        f"VotingService.cast_vote x{CONCURRENCY} tasks",
        rate(*ours[:2], "votes") + cpu_per_vote(ours),
    )
    ours_rate = ours[0] / ours[1]
    result(f"{name}-vs-raw-1row", ours_rate / (casts / single), 0.9)
    result(f"{name}-vs-raw-16row", ours_rate / (casts / batched), 0.7)


def main() -> None:
    args = arguments(__doc__, {"casts": (20_000, 200)})
    if "sqlite" in args.backends:
        asyncio.run(bench_sqlite(args.mysql_url, args.casts))
    if "mysql" in args.backends:
        asyncio.run(bench_mysql(args.mysql_url, args.casts))


if __name__ == "__main__":
    main()
