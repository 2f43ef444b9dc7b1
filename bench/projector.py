"""The live tally projector applying SQS-delivered batches, against the simplest correct SQL.

Each run seeds a fresh database with a vote log no projector has seen (the active tally set is
empty): three hot polls taking every vote (60/30/10, the contention case), 20% of ballots
changed and 5% retracted later in the log. The log's notifications are delivered as an SQS
standard queue delivers them: in batches of 10 or 100, in roughly log order (each event moved
by up to two batches), 1% of them delivered twice, to one or four concurrent projectors. Both
sides get the same batches, and both must end with the tallies the log folds to (checked,
untimed; a mismatch fails the run).

* ours: :class:`projections.TallyProjector` (``process(batch)``: one transaction per batch,
  exactly once per ballot version, a fold into one upsert per (poll, option), then the changed
  tallies read back for ``TallyUpdated``); four projectors share one store;
* baseline, the simplest correct projector: per event, record (stream, version) as applied
  (``INSERT IGNORE``; an event already there is skipped), one upsert of its count deltas and
  one of its poll's total and position; one transaction per batch, deadlock victims retried;
  the raw driver (``sqlite3`` with WAL and ``synchronous=FULL``, or aiomysql), one connection
  per projector; events decoded with the domain's mapper.

``RESULT projector-<backend>``: the geometric mean over the four (projectors, batch size)
runs of ours / baseline events per second; target 1.5.

    python bench/projector.py [--events 20000] [--only sqlite|mysql] [--smoke]
"""

from __future__ import annotations

import asyncio
import math
import random
import sqlite3
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiomysql
import pymysql
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
from eventsourcing.persistence import Notification

from projections import TallyProjector, all_tallies, migrate
from vote_domain import Poll, connect, mapper

RUNS = ((1, 10), (1, 100), (4, 10), (4, 100))
"""(concurrent projectors, batch size) of each run."""
HOT = (0.6, 0.3, 0.1)
DUPLICATES = 0.01
LOCK_CONFLICTS = (1205, 1213)  # MySQL: lock wait timeout, deadlock (run the transaction again)
warnings.filterwarnings("ignore", category=pymysql.Warning)  # INSERT IGNORE of a duplicate


def deliveries(notes: Sequence[Notification], batch: int, seed: int) -> list[list[Notification]]:
    """``notes`` as SQS standard delivers them: best-effort order (each moved by up to two
    batches), at least once (DUPLICATES of them twice), in batches of ``batch``."""
    rng = random.Random(seed)
    keyed = [(i + rng.uniform(0, 2 * batch), n) for i, n in enumerate(notes)]
    for i, n in enumerate(notes):
        if rng.random() < DUPLICATES:
            keyed.append((i + rng.uniform(0, len(notes) - i), n))
    keyed.sort(key=lambda pair: pair[0])
    ordered = [n for _, n in keyed]
    return [ordered[i : i + batch] for i in range(0, len(ordered), batch)]


async def drain(batches: list[list[Notification]], workers: list[Callable[[Any], Any]]) -> float:
    """Seconds for ``workers`` (each one projector) to take and apply every batch."""
    queue = list(reversed(batches))

    async def work(apply: Callable[[Any], Any]) -> None:
        while queue:
            await apply(queue.pop())

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:  # one failing cancels the others
        for w in workers:
            group.create_task(work(w))
    return time.perf_counter() - started


def check(log: VoteLog, side: str, counts: dict[str, dict[str, int]]) -> None:
    if counts != log.counts:
        raise SystemExit(f"{side} tallies differ from the log's: {counts} != {log.counts}")


# -- the baseline --------------------------------------------------------------------------


class Simplest:
    """The simplest correct projector's statements in one dialect."""

    def __init__(self, dialect: str) -> None:
        mysql = dialect == "mysql"
        self.ph = "%s" if mysql else "?"
        ident = "CHAR(36) CHARACTER SET ascii" if mysql else "TEXT"
        text = "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" if mysql else "TEXT"
        tail = " ENGINE=InnoDB" if mysql else " WITHOUT ROWID"
        self.ddl = [
            f"CREATE TABLE bench_applied (stream {ident} NOT NULL, version INT NOT NULL,"
            f" PRIMARY KEY (stream, version)){tail}",
            f"CREATE TABLE bench_counts (poll_id {ident} NOT NULL, choice {text} NOT NULL,"
            f" n BIGINT NOT NULL, PRIMARY KEY (poll_id, choice)){tail}",
            f"CREATE TABLE bench_polls (poll_id {ident} NOT NULL PRIMARY KEY,"
            " total BIGINT NOT NULL, log_position BIGINT NOT NULL, as_of VARCHAR(40))" + tail,
        ]
        p = self.ph
        self.applied = (
            f"INSERT {'IGNORE' if mysql else 'OR IGNORE'} INTO bench_applied VALUES ({p}, {p})"
        )
        if mysql:
            self.count_tail = " ON DUPLICATE KEY UPDATE n = n + VALUES(n)"
            self.poll = (
                f"INSERT INTO bench_polls VALUES ({p}, {p}, {p}, {p}) ON DUPLICATE KEY UPDATE"
                " total = total + VALUES(total),"
                " as_of = IF(VALUES(log_position) > log_position, VALUES(as_of), as_of),"
                " log_position = GREATEST(log_position, VALUES(log_position))"
            )
        else:
            self.count_tail = " ON CONFLICT (poll_id, choice) DO UPDATE SET n = n + excluded.n"
            self.poll = (
                f"INSERT INTO bench_polls VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (poll_id)"
                " DO UPDATE SET total = total + excluded.total,"
                " as_of = CASE WHEN excluded.log_position > log_position"
                " THEN excluded.as_of ELSE as_of END,"
                " log_position = max(log_position, excluded.log_position)"
            )
        self.counts = "SELECT poll_id, choice, n FROM bench_counts"

    def count(self, rows: int) -> str:
        values = ",".join([f"({self.ph}, {self.ph}, {self.ph})"] * rows)
        return f"INSERT INTO bench_counts VALUES {values}{self.count_tail}"

    def statements(self, n: Notification) -> list[tuple[str, Sequence[Any]]]:
        """The upserts of one event not applied before."""
        e: Any = mapper().to_domain_event(n)
        if isinstance(e, Poll.Created):
            poll, deltas, total = str(e.originator_id), [(o, 0) for o in e.options], 0
        elif isinstance(e, Poll.Closed):
            return []
        else:
            poll = str(e.poll_id)
            deltas = [
                (o, d)
                for o, d in (
                    (getattr(e, "option", None), 1),
                    (getattr(e, "previous_option", None), -1),
                )
                if o is not None
            ]
            total = sum(d for _, d in deltas)
        stamp = e.timestamp.isoformat()
        rows = [v for option, d in deltas for v in (poll, option, d)]
        return [(self.count(len(deltas)), rows), (self.poll, (poll, total, n.id, stamp))]


async def simplest_sqlite(path: str, sql: Simplest, batches: list, concurrency: int) -> float:
    def connection() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def apply(conn: sqlite3.Connection, batch: list[Notification]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for n in batch:
                if conn.execute(sql.applied, (str(n.originator_id), n.originator_version)).rowcount:
                    for statement, params in sql.statements(n):
                        conn.execute(statement, params)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    conns = [connection() for _ in range(concurrency)]
    try:
        conns[0].execute("PRAGMA journal_mode=WAL")
        for statement in sql.ddl:
            conns[0].execute(statement)
        workers = [lambda b, c=c: asyncio.to_thread(apply, c, b) for c in conns]
        return await drain(batches, workers)
    finally:
        for c in conns:
            c.close()


async def simplest_mysql(
    url: str, sql: Simplest, batches: list, concurrency: int
) -> tuple[float, int]:
    """(seconds, deadlock and lock-wait retries)."""
    conns = [
        await aiomysql.connect(**mysql_params(url), autocommit=False) for _ in range(concurrency)
    ]

    retried = 0

    def worker(conn: aiomysql.Connection) -> Callable[[Any], Any]:
        async def apply(batch: list[Notification]) -> None:
            nonlocal retried
            while True:  # the per-event upserts meet on hot rows in any order: deadlocks
                try:
                    async with conn.cursor() as cur:
                        for n in batch:
                            key = (str(n.originator_id), n.originator_version)
                            if await cur.execute(sql.applied, key):
                                for statement, params in sql.statements(n):
                                    await cur.execute(statement, params)
                    await conn.commit()
                    return
                except pymysql.err.OperationalError as e:
                    await conn.rollback()
                    if e.args[0] not in LOCK_CONFLICTS:
                        raise
                    retried += 1
                    await asyncio.sleep(random.uniform(0, 0.01 * min(retried, 20)))

        return apply

    try:
        async with conns[0].cursor() as cur:
            for statement in sql.ddl:
                await cur.execute(statement)
        return await drain(batches, [worker(c) for c in conns]), retried
    finally:
        for c in conns:
            c.close()


async def simplest_counts(url: str, sql: Simplest) -> dict[str, dict[str, int]]:
    async with connect(url) as store, store.transaction() as tx:
        rows = await tx.execute(sql.counts)
    counts: dict[str, dict[str, int]] = {}
    for poll, choice, n in rows:
        counts.setdefault(str(poll), {})[str(choice)] = int(n)
    return counts


# -- one run -------------------------------------------------------------------------------


@dataclass
class Run:
    """One (projectors, batch size) run: events delivered, seconds of each side."""

    delivered: int = 0
    ours: float = 0.0
    simplest: float = 0.0
    retries: int = 0
    """Transactions the baseline ran again (deadlock or lock-wait victims)."""


async def one_run(
    backend: str, server: str, log: VoteLog, concurrency: int, batch: int, ours_first: bool
) -> Run:
    """Both sides on the same batches of a fresh database's log."""
    run = Run()
    with database(backend, server) as url:
        options = {"pool_size": concurrency + 2} if backend == "mysql" else {}
        async with connect(url, **options) as store:
            await migrate(store)
            await seed_log(store, log.events)
            notes = [n async for page in store.iter_notifications(page_size=5000) for n in page]
            batches = deliveries(notes, batch, seed=batch)
            run.delivered = sum(len(b) for b in batches)
            sql = Simplest(backend)

            async def ours() -> None:
                projectors = [TallyProjector(store) for _ in range(concurrency)]
                run.ours = await drain(batches, [p.process for p in projectors])
                tallies = await all_tallies(store)
                check(log, "our", {pid: dict(t.counts) for pid, t in tallies.items()})

            async def simplest() -> None:
                if backend == "mysql":
                    run.simplest, run.retries = await simplest_mysql(url, sql, batches, concurrency)
                else:
                    path = url.removeprefix("sqlite:///")
                    run.simplest = await simplest_sqlite(path, sql, batches, concurrency)
                check(log, "the baseline's", await simplest_counts(url, sql))

            for side in (ours, simplest) if ours_first else (simplest, ours):
                await side()
    return run


async def bench(backend: str, server: str, events: int) -> None:
    name = f"projector-{backend}"
    log = make_log(polls=len(HOT), events=events, popularity=HOT)
    ratios = []
    for k, (concurrency, batch) in enumerate(RUNS):
        run = await one_run(backend, server, log, concurrency, batch, k % 2 == 0)
        label = f"{concurrency} projector{'s' if concurrency > 1 else ''}, batches of {batch}"
        retried = f" ({run.retries} transactions retried)" if run.retries else ""
        baseline(
            name, f"simplest SQL, {label}", f"{run.delivered / run.simplest:,.0f} events/s{retried}"
        )
        measured(name, f"TallyProjector, {label}", f"{run.delivered / run.ours:,.0f} events/s")
        ratios.append(run.simplest / run.ours)
    result(name, math.prod(ratios) ** (1 / len(ratios)), 1.5)


def main() -> None:
    args = arguments(__doc__, {"events": (20_000, 300)})
    for backend in args.backends:
        asyncio.run(bench(backend, args.mysql_url, args.events))


if __name__ == "__main__":
    main()
