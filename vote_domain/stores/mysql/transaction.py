"""Caller-driven transactions on the MySQL event store (projections' writes and reads)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import aiomysql
from eventsourcing.persistence import Notification, OperationalError, StoredEvent, Tracking

from vote_domain.stores import stamps
from vote_domain.stores._ids import MAX_POSITION
from vote_domain.stores.base import Transaction
from vote_domain.stores.mysql import sql
from vote_domain.stores.mysql.append import Append, append_one
from vote_domain.stores.mysql.errors import DEADLOCK, error_code, errors_translated
from vote_domain.stores.mysql.reads import max_versions
from vote_domain.stores.mysql.run import Runner, interrupts


@asynccontextmanager
async def open_transaction(run: Runner) -> AsyncIterator[Transaction]:
    """A transaction on a borrowed connection: committed on a clean exit, else rolled back."""
    async with run.connection() as conn:
        with errors_translated():
            await conn.begin()
        txn = MySQLTransaction(conn)
        try:
            yield txn
        except BaseException as e:
            if not interrupts(e) and not txn.broken:
                with errors_translated():
                    await conn.rollback()
            raise
        txn.check_usable()
        late = stamps.refusal(txn.oldest)
        with errors_translated():
            await (conn.rollback() if late else conn.commit())
        if late:
            raise late


class MySQLTransaction(Transaction):
    """One open transaction on one connection."""

    def __init__(self, conn: aiomysql.Connection) -> None:
        self._conn = conn
        self._gate_taken = False
        self.broken = False
        self.oldest: datetime | None = None
        """The oldest stamp of the events inserted (checked again before the COMMIT)."""

    def check_usable(self) -> None:
        if self.broken:
            raise OperationalError("the transaction was rolled back by the server")

    async def _run(self, statement: str, params: Sequence[Any] | None) -> list[tuple[Any, ...]]:
        self.check_usable()
        try:
            with errors_translated():
                async with self._conn.cursor() as cur:
                    await cur.execute(statement, params or None)
                    return list(await cur.fetchall() or [])
        except OperationalError as e:
            self._note(e)
            raise

    def _note(self, e: BaseException) -> None:
        """A deadlock or a lost connection ends the transaction on the server."""
        cause = e.__cause__
        if cause is not None and (error_code(cause) == DEADLOCK or error_code(cause) is None):
            self.broken = True

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return await self._run(sql, params)

    async def executemany(self, sql: str, seq_of_params: Iterable[Sequence[Any]]) -> None:
        self.check_usable()
        try:
            with errors_translated():
                async with self._conn.cursor() as cur:
                    await cur.executemany(sql, list(seq_of_params))
        except OperationalError as e:
            self._note(e)
            raise

    async def insert_events(
        self, stored_events: Sequence[StoredEvent], *, tracking: Tracking | None = None
    ) -> Sequence[int]:
        self.check_usable()
        take_gate = bool(stored_events) and not self._gate_taken
        request = Append(stored_events, tracking)
        try:
            with errors_translated():
                ids = await append_one(
                    self._conn, request, own_transaction=False, take_gate=take_gate
                )
        except OperationalError as e:
            self._note(e)
            raise
        self._gate_taken = self._gate_taken or take_gate
        if request.oldest is not None:
            self.oldest = min(self.oldest or request.oldest, request.oldest)
        return ids

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
        statement, params = sql.select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        return sql.decode_events(originator_id, await self._run(statement, params))

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
        statement, params = sql.select_notifications(
            start, limit, stop, topics, inclusive_of_start=inclusive_of_start
        )
        return sql.decode_notifications(await self._run(statement, params))

    async def max_versions(
        self, originator_ids: Sequence[UUID | str], *, upto: int
    ) -> dict[UUID | str, int]:
        return await max_versions(self._run, originator_ids, min(upto, MAX_POSITION))
