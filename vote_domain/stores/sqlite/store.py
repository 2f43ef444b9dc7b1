"""The embedded event store: one SQLite file in WAL mode, with durable, group-committed appends.

One writer thread owns the only writing connection (``synchronous=FULL``: a commit is on disk
when its future resolves). Appends that wait at the same time share one transaction, each
under its own SAVEPOINT, so a duplicate version fails its own append only; many concurrent
tasks therefore cost one fsync per group rather than one each. Reads run on a small pool of
reader threads with their own connections, each statement seeing one committed snapshot.
(Running short reads on the calling thread instead was measured slower under load: sqlite3
lets the GIL go around each step, and taking it back from the busy writer, readers and bus
costs more than the hand-off to a reader thread.)

Gap safety: notification ids are assigned only by the single writer, in commit order, and a
WAL reader sees a whole committed transaction or none of it; a rolled-back savepoint also
rolls back ``sqlite_sequence``. So every snapshot holds a prefix of the committed log and a
reader that has seen position N can never later find a new event at or below N.

``:memory:`` databases are private to one connection, so for them reads run on the writer too.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import Notification, OperationalError, StoredEvent, Tracking

from vote_domain.codec import StateField
from vote_domain.stores._ids import MAX_POSITION
from vote_domain.stores._migrations import in_order
from vote_domain.stores._reads import group_key, json_path, plan_count
from vote_domain.stores.base import EventGroup, EventStore, Grouping, Migration, Transaction
from vote_domain.stores.sqlite import ops, reads
from vote_domain.stores.sqlite.transaction import SQLiteTransaction
from vote_domain.stores.sqlite.writer import (
    CallRequest,
    InsertRequest,
    SessionRequest,
    SQLiteWriter,
)

__all__ = ["SQLiteEventStore"]

T = TypeVar("T")
BUSY_TIMEOUT_S = 30.0


def _create_private(path: str) -> None:
    """Create the database file as its owner's only (0600) if it does not exist yet: it holds
    everything the app keeps (the local identity provider's password hashes too). SQLite gives
    the ``-wal`` and ``-shm`` files it makes the database file's permissions. An existing file
    (or a symbolic link: ``O_EXCL`` never follows one) is left as it is."""
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
    except FileExistsError:
        return
    os.close(fd)


class SQLiteEventStore(EventStore):
    """An :class:`EventStore` in the SQLite database file at ``path`` (or ``":memory:"``)."""

    dialect = "sqlite"

    def __init__(self, path: str, *, readers: int = 2) -> None:
        self.path = path
        self.in_memory = path == ":memory:" or "mode=memory" in path
        self._reader_count = readers
        self._writer: SQLiteWriter | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------

    def _connect(self, *, writer: bool) -> sqlite3.Connection:
        if writer and not self.in_memory and not self.path.startswith("file:"):
            _create_private(self.path)
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,
            check_same_thread=False,
            uri=self.path.startswith("file:"),
        )
        if writer and not self.in_memory:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        if not writer:
            conn.execute("PRAGMA query_only=ON")
        return conn

    async def open(self) -> None:
        self._ensure_open()

    def _ensure_open(self) -> SQLiteWriter:
        with self._lock:
            if self._closed:
                raise OperationalError("the event store is closed")
            if self._writer is None:
                self._writer = SQLiteWriter(lambda: self._connect(writer=True))
                self._writer.start()
                if not self.in_memory:
                    self._readers = ThreadPoolExecutor(
                        self._reader_count, thread_name_prefix="sqlite-reader"
                    )
            return self._writer

    async def close(self) -> None:
        with self._lock:
            writer, readers = self._writer, self._readers
            self._writer = self._readers = None
            self._closed = True
        if writer is not None:
            await asyncio.to_thread(writer.stop)
        if readers is not None:
            await asyncio.to_thread(readers.shutdown, wait=True)
        with self._lock:
            conns, self._reader_conns = self._reader_conns, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    async def migrate(self, migrations: Sequence[Migration] = ()) -> list[Migration]:
        todo = in_order(ops.EVENTS_MIGRATIONS, migrations)
        return await self._on_writer(lambda conn: ops.migrate(conn, todo))

    # -- running work ------------------------------------------------------------------------

    async def _on_writer(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        writer = self._ensure_open()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        writer.submit(CallRequest(loop, future, fn))
        return await future

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self._ensure_open()
        readers = self._readers
        if readers is None:
            return await self._on_writer(fn)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(readers, self._read_here, fn)
        except RuntimeError as e:  # shut down meanwhile: closed
            if self._closed:
                raise OperationalError("the event store is closed") from e
            raise

    def _read_here(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = ops.translated(lambda _: self._connect(writer=False), None)  # type: ignore[arg-type]
            self._local.conn = conn
            with self._lock:
                self._reader_conns.append(conn)
        return ops.translated(fn, conn)

    # -- recorder methods --------------------------------------------------------------------

    async def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        tracking: Tracking | None = kwargs.get("tracking")
        writer = self._ensure_open()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[int]] = loop.create_future()
        writer.submit(InsertRequest(loop, future, stored_events, tracking))
        return await future

    async def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return await self._read(
            lambda c: ops.select_events(c, originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        )

    async def select_streams(
        self, originator_ids: Sequence[UUID | str]
    ) -> dict[UUID | str, Sequence[StoredEvent]]:
        return dict(await self._read(lambda c: ops.select_streams(c, originator_ids)))

    async def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        if start is not None and start > MAX_POSITION:
            return []  # nothing can be there (and the driver could not bind it)
        stop = None if stop is None else min(stop, MAX_POSITION)
        return await self._read(
            lambda c: ops.select_notifications(
                c, start, limit, stop, topics, inclusive_of_start=inclusive_of_start
            )
        )

    async def select_group(
        self,
        group: UUID | str,
        start: int | None,
        limit: int,
        stop: int | None = None,
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        if start is not None and start > MAX_POSITION:
            return []
        stop = None if stop is None else min(stop, MAX_POSITION)
        key = group_key(group)
        return await self._read(
            lambda c: ops.select_group(
                c, key, start, limit, stop, inclusive_of_start=inclusive_of_start
            )
        )

    async def max_notification_id(self) -> int | None:
        return await self._read(ops.max_notification_id)

    async def insert_tracking(self, tracking: Tracking) -> None:
        await self.insert_events([], tracking=tracking)

    async def max_tracking_id(self, application_name: str) -> int | None:
        return await self._read(lambda c: ops.max_tracking_id(c, application_name))

    async def count_events(
        self, after: int, upto: int, groupings: Sequence[Grouping], *, window: int = 0
    ) -> list[EventGroup]:
        plan = plan_count(groupings, window)
        upto = min(upto, MAX_POSITION)
        return await self._read(lambda c: reads.count_events(c, after, upto, plan))

    async def field_values(
        self, positions: Sequence[int], fields: Sequence[StateField]
    ) -> dict[int, tuple[Any, ...]]:
        for f in fields:
            json_path(f)  # refuses what the database cannot read
        wanted = [p for p in positions if 0 < p <= MAX_POSITION]
        return await self._read(lambda c: reads.field_values(c, wanted, fields))

    async def max_versions(
        self, originator_ids: Sequence[UUID | str], *, upto: int
    ) -> dict[UUID | str, int]:
        upto = min(upto, MAX_POSITION)
        return await self._read(lambda c: reads.max_versions(c, originator_ids, upto))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        writer = self._ensure_open()
        loop = asyncio.get_running_loop()
        session = SessionRequest(loop, loop.create_future())
        writer.submit(session)
        try:
            await session.future
        except BaseException:
            # Cancelled while waiting: the writer may still begin this session, so queue the
            # call that ends it (with a rollback) or the writer would wait for it forever.
            ending = CallRequest(loop, loop.create_future(), lambda _: None, ends_session=True)
            session.calls.put(ending)
            raise
        txn = SQLiteTransaction(session)
        try:
            yield txn
        except BaseException:
            await asyncio.shield(txn.end(commit=False))
            raise
        await txn.end(commit=True)
