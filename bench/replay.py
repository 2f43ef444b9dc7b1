"""``votes replay`` (rebuilding every tally from the log) against the same SQL run raw.

Each backend gets a fresh database seeded (through the store) with a realistic log: 1,000
polls of Zipf-skewed popularity, ballots cast 50/30/20 over three options, 20% of them changed
and 5% retracted later in the log. Then, alternately, twice each (the faster of two counts):

* ours: :func:`projections.replay` into a new set of tally tables (the database groups each
  range of positions, the deltas are written with the range's checkpoint, then the swap);
* ``replay-<backend>-vs-sql`` (target 0.9), the limit for that method: the very grouped count
  replay has the store run on the log (the store's own statement), over the same ranges, two
  at a time as replay reads them, each on a raw connection of its own (``sqlite3`` /
  aiomysql), every row fetched, nothing else. Ours does a little more: the few poll events of
  each range are paged and folded in Python, and the deltas written. The tallies' rebuild
  (``checkpoints=False``) is what is compared; ``votes replay`` as it runs by default, the
  tally checkpoints taken in the same pass (each range counted per window of positions too),
  is timed once and printed beside it.

Reference lines, not limits (they do other work: every row decoded in Python): a raw paged
scan of the log with ``json.loads`` of every state, and on SQLite eventsourcing 9.5's own
``select_notifications`` + ``Mapper.to_domain_event`` over a copy of the log in its own table.

    python bench/replay.py [--events 1000000] [--only sqlite|mysql] [--smoke]
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiomysql
from _common import (
    VoteLog,
    arguments,
    baseline,
    database,
    measured,
    mysql_params,
    result,
    seed_log,
)
from _common import vote_log as make_log
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from projections import replay
from projections.fold import BALLOT_GROUPINGS
from vote_domain import EventStore, connect, mapper
from vote_domain.stores._reads import plan_count
from vote_domain.stores.mysql import reads as mysql_reads
from vote_domain.stores.sqlite import reads as sqlite_reads

POLLS = 1000
PAGE = 5000
RANGE = 100_000
"""Positions per replay range (replay's ``flush_every``), for both sides."""
READERS = 2
"""Ranges read at once, each on a connection of its own (as replay does)."""


Statement = Callable[[int, int], tuple[str, list[Any]]]


def fold_statement(store: EventStore) -> Statement:
    """The grouped count replay has the store run for each range of positions
    (:meth:`EventStore.count_events` with projections' ballot groupings), as the store builds
    it: the one place that reads the stores' private statement builders."""
    plan = plan_count(BALLOT_GROUPINGS)
    build = (
        sqlite_reads.count_statement if store.dialect == "sqlite" else mysql_reads.count_statement
    )
    return lambda after, upto: build(after, upto, plan)


Query = Callable[[str, Sequence[Any]], Awaitable[list[Any]]]


async def raw_fold(queries: list[Query], statement: Statement, upto: int) -> int:
    """Run ``statement`` over every range of (0, ``upto``], READERS ranges at a time; rows."""
    ranges = [(a, min(a + RANGE, upto)) for a in range(0, upto, RANGE)]

    async def reader(query: Query) -> int:
        rows = 0
        while ranges:
            rows += len(await query(*statement(*ranges.pop(0))))
        return rows

    return sum(await asyncio.gather(*(reader(q) for q in queries)))


def sqlite_query(path: str) -> Query:
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.execute("PRAGMA query_only=ON")

    async def query(statement: str, params: Sequence[Any]) -> list[Any]:
        return await asyncio.to_thread(lambda: conn.execute(statement, params).fetchall())

    return query


async def mysql_query(url: str) -> Query:
    conn = await aiomysql.connect(**mysql_params(url), charset="utf8mb4", autocommit=True)

    async def query(statement: str, params: Sequence[Any]) -> list[Any]:
        async with conn.cursor() as cur:
            await cur.execute(statement, tuple(params))
            return list(await cur.fetchall())

    return query


async def raw_scan(query: Query, ph: str) -> int:
    """A paged scan of the whole log by position, ``json.loads`` of every state; rows."""
    count, position = 0, 0
    while rows := await query(
        "SELECT notification_id, originator_id, originator_version, topic, state"
        f" FROM stored_events WHERE notification_id > {ph} ORDER BY notification_id LIMIT {PAGE}",
        (position,),
    ):
        for row in rows:
            json.loads(row[4])
        count += len(rows)
        position = rows[-1][0]
    return count


def eventsourcing_scan(path: str, log: VoteLog) -> float:
    """Seconds for eventsourcing's recorder and mapper to read and decode the log."""
    recorder = SQLiteApplicationRecorder(SQLiteDatastore(path))
    recorder.create_table()
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO stored_events VALUES (?,?,?,?)",
        [
            (uuid.UUID(str(e.originator_id)).hex, e.originator_version, e.topic, e.state)
            for e in log.events
        ],
    )
    conn.commit()
    conn.close()
    m = mapper()
    started, position = time.perf_counter(), 0
    while page := recorder.select_notifications(position, PAGE, inclusive_of_start=False):
        for n in page:
            m.to_domain_event(n)
        position = page[-1].id
    return time.perf_counter() - started


async def timed(awaitable: Awaitable[Any]) -> float:
    started = time.perf_counter()
    await awaitable
    return time.perf_counter() - started


def per_s(n: int, seconds: float) -> str:
    return f"{seconds:.2f} s = {n / seconds:,.0f} events/s"


async def bench(backend: str, server: str, log: VoteLog) -> None:
    name = f"replay-{backend}-vs-sql"
    n = len(log.events)
    with database(backend, server) as url:
        async with connect(url) as store:
            started = time.perf_counter()
            await store.migrate()
            await seed_log(store, log.events)
            print(f"seeded {n:,} events in {time.perf_counter() - started:.1f} s", flush=True)
            upto = await store.max_notification_id() or 0
            statement = fold_statement(store)
            path = url.removeprefix("sqlite:///")
            if backend == "sqlite":
                queries = [sqlite_query(path) for _ in range(READERS)]
            else:
                queries = [await mysql_query(url) for _ in range(READERS)]
            raw, ours = [], []
            for k in range(2):
                raw.append(await timed(raw_fold(queries, statement, upto)))
                rebuild = replay(store, into=f"bench{k}", flush_every=RANGE, checkpoints=False)
                ours.append(await timed(rebuild))
            built = await timed(replay(store, into="bench2", flush_every=RANGE))
            scan = await timed(raw_scan(queries[0], "?" if backend == "sqlite" else "%s"))
        es = eventsourcing_scan(path + ".es", log) if backend == "sqlite" else None
    driver = "sqlite3" if backend == "sqlite" else "aiomysql"
    baseline(name, f"replay's grouped count run raw, {READERS} connections", per_s(n, min(raw)))
    baseline(name, f"reference: raw {driver} paged scan + json.loads", per_s(n, scan))
    if es is not None:
        baseline(
            name, "reference: eventsourcing select_notifications + to_domain_event", per_s(n, es)
        )
    measured(name, "projections.replay (the tallies)", per_s(n, min(ours)))
    measured(name, "projections.replay with the tally checkpoints", per_s(n, built))
    result(name, min(raw) / min(ours), 0.9)


def main() -> None:
    args = arguments(__doc__, {"events": (1_000_000, 3000)})
    log = make_log(polls=POLLS, events=args.events)
    for backend in args.backends:
        asyncio.run(bench(backend, args.mysql_url, log))


if __name__ == "__main__":
    main()
