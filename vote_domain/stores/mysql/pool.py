"""Connections for the MySQL event store: URL parsing and the lazily made pool.

A refused login (1045, access denied) asks ``on_access_denied`` (if given) for a fresh login
once and connects again with it if it differs (a rotated password); connections already open
stay as they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomysql
import pymysql
from eventsourcing.persistence import OperationalError
from pymysql.constants import CLIENT

from vote_domain.stores.mysql.errors import (
    ACCESS_DENIED,
    DRIVER_ERRORS,
    error_code,
    errors_translated,
)

__all__ = ["LoginSource", "MySQLPool", "params_from_url"]

LoginSource = Callable[[], Awaitable[Mapping[str, Any] | None]]
"""Called when the server refuses the login: fresh connection keywords (``user``,
``password``) to try once more, or None."""


def params_from_url(url: str) -> dict[str, Any]:
    """aiomysql connection keywords from ``mysql://user:password@host:port/database``."""
    parts = urlsplit(url)
    if parts.scheme not in ("mysql", "mysql+aiomysql"):
        raise ValueError(f"not a MySQL URL: {url!r}")
    database = parts.path.lstrip("/")
    if not database:
        raise ValueError(f"no database in MySQL URL {url!r}; e.g. mysql://user@host:3306/votes")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "db": unquote(database),
    }


class MySQLPool:
    """A bounded set of aiomysql connections, bound to the event loop that first uses it.

    Connections are made on demand (at most ``size`` at once), reused last-in first-out,
    and replaced when the server has closed them or they sat idle longer than
    ``recycle_s`` (under the server's ``wait_timeout``). If the loop it is bound to has
    closed (a new ``asyncio.run``), the pool lets those connections go and binds to the new
    loop; using it from a second loop while the first is still open is an error. Once
    closed, it hands out no connection and closes each one in use as it comes back.
    """

    def __init__(
        self,
        params: dict[str, Any],
        *,
        size: int,
        recycle_s: int,
        connect_timeout_s: float,
        on_access_denied: LoginSource | None = None,
    ) -> None:
        self._options = {
            **params,
            "connect_timeout": connect_timeout_s,
            "autocommit": True,
            "charset": "utf8mb4",
            "client_flag": CLIENT.MULTI_STATEMENTS,
            "init_command": "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        }
        self._size = size
        self._recycle_s = recycle_s
        self._on_access_denied = on_access_denied
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._free: list[aiomysql.Connection] = []
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise OperationalError("the event store is closed")

    def _bind(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._slots is None:
            if self._loop is not None and not self._loop.is_closed():
                raise OperationalError("this MySQL event store is bound to another event loop")
            for conn in self._free:
                _let_go(conn)
            self._loop, self._slots, self._free = loop, asyncio.Semaphore(self._size), []
        return loop, self._slots

    async def acquire(self) -> aiomysql.Connection:
        """A connection of this pool's, waiting while ``size`` are in use."""
        self._check_open()
        loop, slots = self._bind()
        await slots.acquire()
        try:
            self._check_open()
            while self._free:
                conn = self._free.pop()
                if _alive(conn) and loop.time() - conn.last_usage < self._recycle_s:
                    return conn
                conn.close()
            with errors_translated():
                return await self._connect()
        except BaseException:
            slots.release()
            raise

    async def _connect(self) -> aiomysql.Connection:
        """A new connection; after a refused login, once more with a fresh login if the
        ``on_access_denied`` source has one that differs from the refused one."""
        options = dict(self._options)
        try:
            return await aiomysql.connect(**options)
        except pymysql.err.OperationalError as e:
            if error_code(e) != ACCESS_DENIED or self._on_access_denied is None:
                raise
            fresh = await self._on_access_denied()
            if not fresh or all(options.get(k) == v for k, v in fresh.items()):
                raise
            self._options.update(fresh)
            return await aiomysql.connect(**{**options, **fresh})

    def release(self, conn: aiomysql.Connection, *, reuse: bool = True) -> None:
        """Give ``conn`` back; it is closed unless ``reuse``, idle outside a transaction, and
        the pool still open."""
        if reuse and not self._closed and _alive(conn) and not conn.get_transaction_status():
            self._free.append(conn)
        else:
            conn.close()
        if self._slots is not None:
            self._slots.release()

    async def close(self) -> None:
        """Refuse any further work; close the idle connections now and those in use as they
        are released."""
        self._closed = True
        free, self._free = self._free, []
        for conn in free:
            try:
                await conn.ensure_closed()  # (says goodbye to the server)
            except DRIVER_ERRORS:
                conn.close()


def _alive(conn: aiomysql.Connection) -> bool:
    reader = conn._reader
    return not conn.closed and reader is not None and not (reader.at_eof() or reader.exception())


def _let_go(conn: aiomysql.Connection) -> None:
    """Close the socket of a connection whose event loop has closed (so it cannot be closed
    through the loop), and detach it."""
    transport = conn._writer.transport if conn._writer is not None else None
    sock = getattr(transport, "_sock", None)
    if sock is not None:
        sock.close()
        transport._sock = None  # type: ignore[union-attr]
        transport._closing = True  # type: ignore[union-attr]
    conn._writer = conn._reader = None
