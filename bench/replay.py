"""Benchmark: replaying vote-cast events into tallies, against raw scans of the same rows.

    python bench/replay.py [--events 1000000] [--mysql-url mysql://root@127.0.0.1:3306/test]
                           [--projector-events 20000] [--skip-mysql] [--skip-sqlite]

Seeds N ``Ballot.VoteCast`` events (10 polls x 3 options, one ballot each) straight into the
stores' tables with multi-row INSERTs, then times, in the same run:

* ``replay-mysql``: :func:`projections.replay` on MariaDB/MySQL vs a raw aiomysql paged scan
  plus ``json.loads`` of every row (target ratio >= 0.9);
* ``replay-sqlite``: the same on SQLite vs a raw ``sqlite3`` paged scan plus ``json.loads``
  (>= 0.75);
* ``replay-sqlite-eventsourcing``: vs eventsourcing 9.5's own ``select_notifications`` plus
  ``Mapper.to_domain_event`` on a SQLite file of the same events (>= 3);
* ``projector-mysql``: the live projector's events/s on MariaDB with batches of 100 (reported).

The MySQL database is created for the run (``votes_bench_<random>``) and dropped after.
Ratios are baseline time / our time: higher is better.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiomysql
import pymysql
from eventsourcing.persistence import Notification
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from projections import TallyProjector, replay
from projections.events import TALLY_TOPICS
from projections.schema import migrate
from vote_domain.codec import mapper
from vote_domain.model import Ballot, Poll
from vote_domain.stores import MySQLEventStore, SQLiteEventStore

PAGE = 5000
CAST_TOPIC = "vote_domain.model.ballot:Ballot.VoteCast"
OPTIONS = ["yes", "no", "maybe"]


def seed_rows(n: int) -> list[tuple[str, int, str, bytes]]:
    """10 Poll.Created events then ``n`` VoteCast events, as (id, version, topic, state)."""
    rows = []
    polls = []
    for i in range(10):
        poll = Poll.create(f"q{i}?", OPTIONS, "bench", None)
        stored = mapper().to_stored_event(poll.collect_events()[0])
        rows.append((str(stored.originator_id), 1, stored.topic, stored.state))
        polls.append(poll.id)
    template = mapper().to_stored_event(
        Ballot.cast(polls[0], uuid.uuid4(), "yes").collect_events()[0]
    )
    base = json.loads(template.state)
    for i in range(n):
        state = dict(base)
        state["poll_id"] = {"_type_": "uuid_hex", "_data_": polls[i % 10].hex}
        state["voter_id"] = {"_type_": "uuid_hex", "_data_": uuid.uuid4().hex}
        state["option"] = OPTIONS[(i * 7) % 3]
        rows.append(
            (str(uuid.uuid4()), 1, CAST_TOPIC, json.dumps(state, separators=(",", ":")).encode())
        )
    return rows


def timed(label: str, seconds: float, events: int) -> float:
    print(f"  {label:<44} {seconds:7.2f} s  {events / seconds:>10,.0f} events/s", flush=True)
    return seconds


# -- MySQL --------------------------------------------------------------------------------------


def mysql_db(url: str) -> tuple[str, str]:
    name = f"votes_bench_{secrets.token_hex(4)}"
    p = urlsplit(url)
    conn = pymysql.connect(
        host=p.hostname,
        port=p.port or 3306,
        user=p.username or "root",
        password=p.password or "",
        autocommit=True,
    )
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    conn.close()
    return name, urlunsplit((p.scheme, p.netloc, f"/{name}", "", ""))


def drop_mysql_db(url: str, name: str) -> None:
    p = urlsplit(url)
    conn = pymysql.connect(
        host=p.hostname,
        port=p.port or 3306,
        user=p.username or "root",
        password=p.password or "",
        autocommit=True,
    )
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


async def raw_mysql_scan(params: dict) -> int:
    conn = await aiomysql.connect(**params, charset="utf8mb4", autocommit=True)
    count, position = 0, 0
    async with conn.cursor() as cur:
        while True:
            await cur.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state"
                " FROM stored_events WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
                (position, PAGE),
            )
            rows = await cur.fetchall()
            if not rows:
                break
            for row in rows:
                json.loads(row[4])
            count += len(rows)
            position = rows[-1][0]
    conn.close()
    return count


async def bench_mysql(url: str, rows: list, projector_events: int) -> None:
    name, db_url = mysql_db(url)
    try:
        store = MySQLEventStore(db_url, pool_size=8)
        await migrate(store)
        t = time.perf_counter()
        p = pymysql.connect(**{k: v for k, v in store.params.items()}, autocommit=False)
        with p.cursor() as cur:
            for i in range(0, len(rows), 2000):
                cur.executemany(
                    "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
                    " VALUES (%s, %s, %s, %s)",
                    rows[i : i + 2000],
                )
                p.commit()
        p.close()
        print(f"  seeded {len(rows):,} rows in {time.perf_counter() - t:.1f} s", flush=True)
        n = len(rows)
        raw = min(
            [
                timed("raw aiomysql scan + json.loads", await _t(raw_mysql_scan(store.params)), n)
                for _ in range(2)
            ]
        )
        ours = min(
            [
                timed("projections.replay", await _t(replay(store, into=f"r{k}")), n)
                for k in range(2)
            ]
        )
        print(f"RESULT replay-mysql ratio={raw / ours:.2f} target=0.9", flush=True)
        await bench_projector(store, projector_events)
        await store.close()
    finally:
        drop_mysql_db(url, name)


async def _t(awaitable) -> float:
    t = time.perf_counter()
    await awaitable
    return time.perf_counter() - t


async def bench_projector(store: MySQLEventStore, count: int) -> None:
    notes: list[Notification] = []
    async for page in store.iter_notifications(page_size=PAGE):
        notes.extend(n for n in page if n.topic in TALLY_TOPICS)
        if len(notes) >= count:
            break
    notes = notes[:count]
    projector = TallyProjector(store)
    half = len(notes) // 2
    t = time.perf_counter()
    for i in range(0, half, 100):
        await projector.process(notes[i : i + 100])
    seq = time.perf_counter() - t
    print(f"RESULT projector-mysql events_per_s={half / seq:.0f} batch=100 concurrency=1")
    rest = notes[half:]
    batches = [rest[i : i + 100] for i in range(0, len(rest), 100)]
    queue = list(reversed(batches))

    async def worker() -> None:
        while queue:
            await projector.process(queue.pop())

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(4)))
    par = time.perf_counter() - t
    print(f"RESULT projector-mysql events_per_s={len(rest) / par:.0f} batch=100 concurrency=4")


# -- SQLite -------------------------------------------------------------------------------------


def raw_sqlite_scan(path: str) -> int:
    conn = sqlite3.connect(path)
    count, position = 0, 0
    while True:
        rows = conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM stored_events WHERE notification_id > ? ORDER BY notification_id LIMIT ?",
            (position, PAGE),
        ).fetchall()
        if not rows:
            break
        for row in rows:
            json.loads(row[4])
        count += len(rows)
        position = rows[-1][0]
    conn.close()
    return count


def eventsourcing_scan(path: str) -> int:
    recorder = SQLiteApplicationRecorder(SQLiteDatastore(path))
    m = mapper()
    count, position = 0, 0
    while True:
        page = recorder.select_notifications(position, PAGE, inclusive_of_start=False)
        if not page:
            break
        for n in page:
            m.to_domain_event(n)
        count += len(page)
        position = page[-1].id
    return count


def seed_eventsourcing(path: str, rows: list) -> None:
    recorder = SQLiteApplicationRecorder(SQLiteDatastore(path))
    recorder.create_table()
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO stored_events VALUES (?,?,?,?)",
        [(uuid.UUID(o).hex, v, t, s) for o, v, t, s in rows],
    )
    conn.commit()
    conn.close()


async def bench_sqlite(rows: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "votes.db")
        store = SQLiteEventStore(path)
        await migrate(store)
        conn = sqlite3.connect(path)
        conn.executemany(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
            " VALUES (?, ?, ?, ?)",
            rows,
        )
        conn.commit()
        conn.close()
        n = len(rows)
        raw = min(
            timed("raw sqlite3 scan + json.loads", _ts(raw_sqlite_scan, path), n) for _ in range(2)
        )
        ours = min(
            [
                timed("projections.replay", await _t(replay(store, into=f"r{k}")), n)
                for k in range(2)
            ]
        )
        print(f"RESULT replay-sqlite ratio={raw / ours:.2f} target=0.75", flush=True)
        es_path = os.path.join(tmp, "es.db")
        seed_eventsourcing(es_path, rows)
        es = timed(
            "eventsourcing select_notifications + to_domain_event",
            _ts(eventsourcing_scan, es_path),
            n,
        )
        print(f"RESULT replay-sqlite-eventsourcing ratio={es / ours:.2f} target=3", flush=True)
        await store.close()


def _ts(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--projector-events", type=int, default=20_000)
    parser.add_argument(
        "--mysql-url",
        default=os.environ.get("VOTES_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
    )
    parser.add_argument("--skip-mysql", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    rows = seed_rows(args.events)
    if not args.skip_sqlite:
        print(f"SQLite, {len(rows):,} events", flush=True)
        await bench_sqlite(rows)
    if not args.skip_mysql:
        print(f"MySQL ({urlsplit(args.mysql_url).hostname}), {len(rows):,} events", flush=True)
        await bench_mysql(args.mysql_url, rows, args.projector_events)


if __name__ == "__main__":
    asyncio.run(main())
