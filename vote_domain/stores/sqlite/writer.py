"""The SQLite store's single writer thread, which group-commits concurrent appends.

Requests arrive from any event loop and are answered through that loop's futures, after the
transaction that holds them has committed. Appends waiting at the same time share one
transaction, each under its own SAVEPOINT so a failing append writes nothing and fails alone.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from eventsourcing.persistence import OperationalError, PersistenceError, StoredEvent, Tracking

from vote_domain.stores.sqlite import ops

MAX_GROUP = 512


@dataclass
class _Request:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]

    def resolve(self, result: Any = None, error: BaseException | None = None) -> None:
        try:
            self.loop.call_soon_threadsafe(_settle, self.future, result, error)
        except RuntimeError:  # the caller's loop is closed: nobody is waiting
            pass


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


@dataclass
class InsertRequest(_Request):
    stored_events: Sequence[StoredEvent]
    tracking: Tracking | None


@dataclass
class CallRequest(_Request):
    """Run ``fn(connection)`` on the writer; ``fn`` manages its own transaction."""

    fn: Callable[[sqlite3.Connection], Any]
    ends_session: bool = False


@dataclass
class SessionRequest(_Request):
    """Hold one BEGIN IMMEDIATE transaction open for the calls sent to ``calls`` until one
    that ``ends_session``; the future resolves when the transaction has begun."""

    calls: queue.SimpleQueue[CallRequest] = field(default_factory=queue.SimpleQueue)


_STOP = object()


class SQLiteWriter(threading.Thread):
    """The thread that owns the store's only writing connection."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(name="sqlite-writer", daemon=True)
        self._connect = connect
        self._requests: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stopping = False
        self._lock = threading.Lock()

    def submit(self, request: _Request) -> None:
        """Queue ``request``; once the writer is stopping it fails at once."""
        with self._lock:
            if not self._stopping:
                self._requests.put(request)
                return
        request.resolve(error=OperationalError("the event store is closed"))

    def stop(self) -> None:
        """Serve what is queued, then stop; returns when the thread has ended."""
        with self._lock:
            self._stopping = True
            self._requests.put(_STOP)
        self.join()

    def run(self) -> None:
        try:
            conn = ops.translated(lambda _: self._connect(), None)  # type: ignore[arg-type]
        except PersistenceError as e:
            self._fail_all(e)
            return
        try:
            while self._serve_batch(conn):
                pass
        except BaseException as e:  # a bug, not a database error: fail loudly, not silently
            failure = OperationalError(f"the SQLite writer stopped: {e!r}")
            failure.__cause__ = e
            self._fail_all(failure)
            raise
        finally:
            conn.close()

    def _fail_all(self, error: PersistenceError) -> None:
        while (request := self._requests.get()) is not _STOP:
            request.resolve(error=error)

    def _serve_batch(self, conn: sqlite3.Connection) -> bool:
        batch = [self._requests.get()]
        while len(batch) < MAX_GROUP:
            try:
                batch.append(self._requests.get_nowait())
            except queue.Empty:
                break
        group: list[InsertRequest] = []
        for i, request in enumerate(batch):
            if isinstance(request, InsertRequest):
                group.append(request)
                continue
            self._commit_group(conn, group)
            group = []
            if request is _STOP:
                for late in batch[i + 1 :]:
                    late.resolve(error=OperationalError("the event store is closed"))
                return False
            if isinstance(request, SessionRequest):
                self._serve_session(conn, request)
            else:
                self._call(conn, request)
        self._commit_group(conn, group)
        return True

    @staticmethod
    def _call(conn: sqlite3.Connection, request: CallRequest) -> Any:
        try:
            result = ops.translated(request.fn, conn)
        except Exception as e:
            request.resolve(error=e)
            return None
        request.resolve(result)
        return result

    def _serve_session(self, conn: sqlite3.Connection, session: SessionRequest) -> None:
        try:
            ops.translated(lambda c: c.execute("BEGIN IMMEDIATE"), conn)
        except PersistenceError as e:
            session.resolve(error=e)
            return
        session.resolve()
        while True:
            call = session.calls.get()
            self._call(conn, call)
            if call.ends_session:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                return

    def _commit_group(self, conn: sqlite3.Connection, group: list[InsertRequest]) -> None:
        if not group:
            return
        outcomes: list[tuple[InsertRequest, Any, BaseException | None]] = []
        try:
            ops.translated(lambda c: self._append_all(c, group, outcomes), conn)
        except PersistenceError as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for request in group:
                request.resolve(error=e)
            return
        for request, result, error in outcomes:
            request.resolve(result, error)

    @staticmethod
    def _append_all(
        conn: sqlite3.Connection,
        group: list[InsertRequest],
        outcomes: list[tuple[InsertRequest, Any, BaseException | None]],
    ) -> None:
        """One transaction for the whole group, each request appended alone
        (:func:`ops.append`): a request that fails is undone alone; any other failure
        undoes (and fails) the group."""
        conn.execute("BEGIN IMMEDIATE")
        for request in group:
            try:
                ids = ops.translated(partial(_append, request), conn)
            except Exception as e:
                outcomes.append((request, None, e))
                continue
            outcomes.append((request, ids, None))
        conn.execute("COMMIT")


def _append(request: InsertRequest, conn: sqlite3.Connection) -> list[int]:
    return ops.append(conn, request.stored_events, request.tracking)
