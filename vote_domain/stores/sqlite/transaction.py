"""Caller-driven transactions on the SQLite event store: one BEGIN IMMEDIATE transaction held
open on the writer thread, every call of it run there in order."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import Notification, OperationalError, StoredEvent, Tracking

from vote_domain.stores._ids import MAX_POSITION
from vote_domain.stores.base import Transaction
from vote_domain.stores.sqlite import ops, reads
from vote_domain.stores.sqlite.writer import CallRequest, SessionRequest

__all__ = ["SQLiteTransaction"]

T = TypeVar("T")


class SQLiteTransaction(Transaction):
    """A transaction held open on the writer thread."""

    def __init__(self, session: SessionRequest) -> None:
        self._session = session
        self._ended = False

    async def _call(self, fn: Callable[[sqlite3.Connection], T], *, ends: bool = False) -> T:
        if self._ended:
            raise OperationalError("the transaction has ended")
        self._ended = ends
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._session.calls.put(CallRequest(loop, future, fn, ends_session=ends))
        return await future

    async def end(self, *, commit: bool) -> None:
        await self._call(lambda c: c.execute("COMMIT" if commit else "ROLLBACK"), ends=True)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return await self._call(lambda c: c.execute(sql, params).fetchall())

    async def executemany(self, sql: str, seq_of_params: Iterable[Sequence[Any]]) -> None:
        def run(c: sqlite3.Connection) -> None:
            c.executemany(sql, seq_of_params)

        await self._call(run)

    async def insert_events(
        self, stored_events: Sequence[StoredEvent], *, tracking: Tracking | None = None
    ) -> Sequence[int]:
        return await self._call(lambda c: ops.append(c, stored_events, tracking))

    async def insert_tracking(self, tracking: Tracking) -> None:
        await self.insert_events([], tracking=tracking)

    async def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return await self._call(
            lambda c: ops.select_events(c, originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        )

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
            return []
        stop = None if stop is None else min(stop, MAX_POSITION)
        return await self._call(
            lambda c: ops.select_notifications(
                c, start, limit, stop, topics, inclusive_of_start=inclusive_of_start
            )
        )

    async def max_versions(
        self, originator_ids: Sequence[UUID | str], *, upto: int
    ) -> dict[UUID | str, int]:
        upto = min(upto, MAX_POSITION)
        return await self._call(lambda c: reads.max_versions(c, originator_ids, upto))
