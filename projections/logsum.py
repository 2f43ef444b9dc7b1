"""Summing the log for replay: per range of positions, the tally deltas, computed by the
database where it can.

Each ballot event carries its own deltas (+1 for the option it takes, -1 for the one it gives
up), so a range of the log sums to per-(poll, option) deltas with no per-ballot state. On
SQLite files and MySQL/MariaDB the database extracts the few JSON fields and groups the range's
ballot events (:meth:`TallySQL.sum_ballot_events`); the rare poll events come back as rows,
and each poll's newest time in the range is read by position. Consecutive ranges are summed
at once on ``READERS`` connections of their own and handed out in order. Other stores are
read through ``select_notifications`` and folded in Python (:mod:`projections.logscan`). A range
never passes a position the store reported as gap-safe, so nothing still being committed is
summed.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from projections.events import (
    BALLOT_TOPICS,
    CAST,
    CHANGED,
    CLOSED,
    CREATED,
    KINDS,
    POLL_TOPICS,
    canonical_uuid,
)
from projections.logscan import TallyRow, scan
from projections.sql import TallySQL
from vote_domain.stores.base import EventStore

__all__ = ["Deltas", "sum_log"]

Run = Callable[[str, Sequence[Any]], Any]
"""Executes one statement on the log with its parameters; the rows."""


class Deltas:
    """Tally deltas of the log positions in (``after``, ``upto``]."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.upto = after
        self.counts: dict[tuple[str, str], int] = {}
        self.ordinals: dict[tuple[str, str], int] = {}
        self.polls: dict[str, list] = {}  # poll_id -> [version, total, position, as_of, final]
        self.events = 0

    def poll(self, pid: str) -> list:
        row = self.polls.get(pid)
        if row is None:
            row = self.polls[pid] = [0, 0, 0, None, 0]
        return row

    def add(self, pid: str, option: str, n: int) -> None:
        key = (pid, option)
        self.counts[key] = self.counts.get(key, 0) + n

    def ballot_group(self, poll_hex: str, kind: int, option: str, previous: str, n: int) -> None:
        """``n`` ballot events of one (poll, kind, option, previous option)."""
        pid = canonical_uuid(poll_hex)
        row = self.poll(pid)
        if kind in (CAST, CHANGED):
            self.add(pid, option, n)
        if kind != CAST:
            self.add(pid, previous, -n)
        if kind == CAST:
            row[1] += n
        elif kind != CHANGED:  # retracted
            row[1] -= n
        self.events += n

    def poll_event(self, pid: str, version: int, kind: int, options: Any, position: int) -> None:
        row = self.poll(pid)
        row[0] = max(row[0], version)
        if kind == CREATED:
            names = json.loads(options) if isinstance(options, str | bytes) else options
            for ordinal, name in enumerate(names):
                self.ordinals[(pid, name)] = ordinal
                self.counts.setdefault((pid, name), 0)
        elif kind == CLOSED:
            row[4] = 1
        self.events += 1

    def fold_page(self, page: Sequence[TallyRow]) -> None:
        """Fold one page of tally rows (in position order), one event at a time."""
        for position, oid, version, kind, poll_hex, option, previous, ts, options in page:
            if kind >= CAST:
                self.ballot_group(poll_hex, kind, option, previous, 1)
                pid = canonical_uuid(poll_hex)
            else:
                pid = str(oid)
                self.poll_event(pid, version, kind, options, position)
            row = self.polls[pid]
            row[2], row[3] = position, ts
            self.upto = position


async def _summed(run: Run, sql: TallySQL, after: int, upto: int) -> Deltas:
    """The deltas of (``after``, ``upto``], ``run`` executing one statement on the log."""
    d = Deltas(after)
    d.upto = upto
    for poll_hex, topic, option, previous, n, newest in await run(
        sql.sum_ballot_events(BALLOT_TOPICS), (after, upto)
    ):
        d.ballot_group(poll_hex, KINDS[topic], option, previous, int(n))
        row = d.polls[canonical_uuid(poll_hex)]
        row[2] = max(row[2], int(newest))
    for position, oid, version, topic, options, ts in await run(
        sql.poll_events(POLL_TOPICS), (after, upto)
    ):
        pid = str(oid)
        d.poll_event(pid, int(version), KINDS[topic], options, int(position))
        row = d.polls[pid]
        if int(position) > row[2]:
            row[2], row[3] = int(position), ts
    need = sorted({row[2] for row in d.polls.values() if row[3] is None and row[2]})
    if need:
        times = dict(await run(sql.times_at(len(need)), need))
        for row in d.polls.values():
            if row[3] is None and row[2]:
                row[3] = times[row[2]]
    return d


READERS = 2
"""Ranges summed at once, each on a connection of its own (the database does the work)."""


async def _in_order(
    runners: list[Run], sql: TallySQL, ranges: list[tuple[int, int]]
) -> AsyncIterator[Deltas]:
    """The ranges' deltas in order, the next ranges summed meanwhile on the other runners."""
    todo = iter(ranges)
    window: deque[tuple[asyncio.Task[Deltas], Run]] = deque()

    def start(run: Run) -> None:
        r = next(todo, None)
        if r is not None:
            window.append((asyncio.ensure_future(_summed(run, sql, *r)), run))

    for run in runners:
        start(run)
    try:
        while window:
            task, run = window.popleft()
            deltas = await task
            start(run)
            yield deltas
    finally:
        for task, _ in window:
            task.cancel()
        if window:
            await asyncio.wait([t for t, _ in window])


class _SQLiteReader:
    """One read-only connection used only from its own thread.

    A cancelled ``await`` does not stop a query already running in a thread, so every call,
    closing included, goes through the same one-thread executor: a connection is never closed
    while a query of a cancelled reader is still running on it.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-reader")
        self._conn: sqlite3.Connection | None = None

    async def _call(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            path = self._path
            self._conn = sqlite3.connect(
                path, check_same_thread=False, uri=path.startswith("file:")
            )
            self._conn.execute("PRAGMA query_only=ON")
        return self._conn

    async def run(self, statement: str, params: Sequence[Any]) -> list[Any]:
        return await self._call(lambda: self._connection().execute(statement, params).fetchall())

    async def close(self) -> None:
        def close() -> None:
            if self._conn is not None:
                self._conn.close()

        try:
            await asyncio.shield(self._call(close))
        finally:
            self._thread.shutdown(wait=False)


async def _sqlite(path: str, sql: TallySQL, ranges: list[tuple[int, int]]) -> AsyncIterator[Deltas]:
    readers = [_SQLiteReader(path) for _ in range(READERS)]
    try:
        async for deltas in _in_order([r.run for r in readers], sql, ranges):
            yield deltas
    finally:
        for reader in readers:
            await reader.close()


async def _mysql(
    params: dict[str, Any], sql: TallySQL, ranges: list[tuple[int, int]]
) -> AsyncIterator[Deltas]:
    import aiomysql

    conns = [
        await aiomysql.connect(**params, charset="utf8mb4", autocommit=True) for _ in range(READERS)
    ]

    def runner(conn: Any) -> Run:
        async def run(statement: str, args: Sequence[Any]) -> list[Any]:
            async with conn.cursor() as cur:
                await cur.execute(statement, tuple(args))
                return list(await cur.fetchall())

        return run

    try:
        async for deltas in _in_order([runner(c) for c in conns], sql, ranges):
            yield deltas
    finally:
        for conn in conns:
            conn.close()


async def _folded(
    store: EventStore, after: int, upto: int, size: int, page_size: int
) -> AsyncIterator[Deltas]:
    d = Deltas(after)
    async for page in scan(store, after, upto, page_size):
        d.fold_page(page)
        if d.events >= size:
            yield d
            d = Deltas(d.upto)
    d.upto = upto
    yield d


def sum_log(
    store: EventStore, sql: TallySQL, after: int, upto: int, size: int, page_size: int = 5000
) -> AsyncIterator[Deltas]:
    """The deltas of (``after``, ``upto``] in consecutive ranges of about ``size`` positions
    (events, when folded in Python), the last ending at ``upto``."""
    ranges = [(a, min(a + size, upto)) for a in range(after, upto, size)]
    path = getattr(store, "path", None)
    if store.dialect == "sqlite" and path and not getattr(store, "in_memory", True):
        return _sqlite(str(path), sql, ranges)
    params = getattr(store, "params", None)
    if store.dialect == "mysql" and isinstance(params, dict):
        return _mysql(params, sql, ranges)
    return _folded(store, after, upto, size, page_size)
