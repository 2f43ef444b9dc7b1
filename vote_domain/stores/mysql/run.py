"""Running operations on the MySQL pool: borrowing a connection, returning it in a clean
state (or closing it), and retrying once where that is safe.

Retried once, on a new connection:

* any operation whose connection could not be made (nothing was sent);
* a read after a connection-level failure (reads have no effects: the high-water mark,
  a locking read in a transaction of its own, among them);
* a write the server refused because it is read-only (Aurora failover: nothing ran);
* an append that lost a deadlock (InnoDB rolled the whole transaction back).

A write that fails on a lost connection after it was sent may or may not have committed;
it is not retried and raises OperationalError.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aiomysql
from eventsourcing.persistence import OperationalError

from vote_domain.stores.mysql.errors import (
    DEADLOCK,
    DRIVER_ERRORS,
    REFUSED_READ_ONLY,
    error_code,
    errors_translated,
    is_connection_error,
)
from vote_domain.stores.mysql.pool import MySQLPool

T = TypeVar("T")


class Runner:
    """Runs reads and writes on connections borrowed from one :class:`MySQLPool`."""

    def __init__(self, pool: MySQLPool) -> None:
        self._pool = pool

    async def read(self, statement: str, params: list[Any]) -> list[tuple[Any, ...]]:
        """The rows of one autocommit SELECT."""

        async def select(conn: aiomysql.Connection) -> list[tuple[Any, ...]]:
            async with conn.cursor() as cur:
                await cur.execute(statement, params)
                return list(await cur.fetchall())

        return await self.read_with(select)

    async def read_with(self, fn: Callable[[aiomysql.Connection], Awaitable[T]]) -> T:
        """``fn(connection)``, which only reads (so it may be retried)."""
        return await self._attempt(fn, is_read=True, retry_deadlock=True)

    async def write(
        self, fn: Callable[[aiomysql.Connection], Awaitable[T]], *, retry_deadlock: bool = False
    ) -> T:
        """``fn(connection)``, which runs (and ends) its own transaction."""
        return await self._attempt(fn, is_read=False, retry_deadlock=retry_deadlock)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiomysql.Connection]:
        """One borrowed connection for a caller-driven transaction."""
        conn = await self._acquire()
        try:
            yield conn
        except BaseException as e:
            await self._give_back(conn, e)
            raise
        await self._give_back(conn, None)

    async def _acquire(self) -> aiomysql.Connection:
        """A connection; a failure to connect is retried once (nothing was sent)."""
        try:
            return await self._pool.acquire()
        except OperationalError as e:
            if e.__cause__ is None:  # not a connection failure (e.g. bound to another loop)
                raise
        return await self._pool.acquire()

    async def _give_back(self, conn: aiomysql.Connection, error: BaseException | None) -> None:
        """Return ``conn`` outside any transaction, or close it if it may be unusable (lost,
        or interrupted mid-exchange by a cancellation)."""
        reuse = not interrupts(error) and not (error is not None and is_connection_error(error))
        if reuse and not conn.closed and conn.get_transaction_status():
            try:
                await conn.rollback()
            except DRIVER_ERRORS:
                reuse = False
        self._pool.release(conn, reuse=reuse)

    async def _attempt(
        self,
        fn: Callable[[aiomysql.Connection], Awaitable[T]],
        *,
        is_read: bool,
        retry_deadlock: bool,
    ) -> T:
        for last in (False, True):
            conn = await self._acquire()
            try:
                result = await fn(conn)
            except DRIVER_ERRORS as e:
                await self._give_back(conn, e)
                code = error_code(e)
                retry = (
                    (is_read and is_connection_error(e))
                    or code in REFUSED_READ_ONLY
                    or (retry_deadlock and code == DEADLOCK)
                )
                if retry and not last:
                    continue
                with errors_translated():
                    raise
            except BaseException as e:
                await self._give_back(conn, e)
                raise
            await self._give_back(conn, None)
            return result
        raise AssertionError("unreachable")  # pragma: no cover


def interrupts(error: BaseException | None) -> bool:
    """True if ``error`` may have stopped an exchange with the server half way."""
    return isinstance(error, (asyncio.CancelledError, KeyboardInterrupt, SystemExit))
