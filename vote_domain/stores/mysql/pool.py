"""Connections for the MySQL event store: URL parsing, the lazily made pool, and the one
place where driver errors become ``eventsourcing.persistence``'s PEP-249 exceptions.

Error policy:

* duplicate key (1062) and other constraint failures -> IntegrityError;
* deadlock (1213) -> OperationalError, after the store has retried the whole (rolled back)
  transaction once; lock wait timeout (1205) -> OperationalError, not retried (a sign of
  overload or of a long transaction; InnoDB rolled back only the statement, the store rolls
  back the rest);
* lost, refused or dropped connections -> OperationalError, after one retry on a new
  connection where that is safe (see :func:`is_connection_error`);
* a refused login (1045, access denied) -> asks ``on_access_denied`` (if given) for a fresh
  login once and connects again with it if it differs (a rotated password), else
  OperationalError.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomysql
import pymysql
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)
from pymysql.constants import CLIENT

__all__ = [
    "ACCESS_DENIED",
    "LoginSource",
    "MySQLPool",
    "errors_translated",
    "is_connection_error",
    "params_from_url",
    "translated",
]

DEADLOCK = 1213
ACCESS_DENIED = 1045
LoginSource = Callable[[], Awaitable[Mapping[str, Any] | None]]
"""Called when the server refuses the login: fresh connection keywords (``user``,
``password``) to try once more, or None."""
LOCK_WAIT_TIMEOUT = 1205
# Client-side codes for a connection that failed or went away, and the server's own codes
# for a connection it is closing (shutdown, killed, read-only failover on Aurora).
_CONNECTION_CODES = frozenset({2003, 2006, 2013, 2055, 1053, 1927, 3169, 1290, 1836})

_ERRORS: tuple[tuple[type[BaseException], type[PersistenceError]], ...] = (
    (pymysql.err.IntegrityError, IntegrityError),
    (pymysql.err.OperationalError, OperationalError),
    (pymysql.err.ProgrammingError, ProgrammingError),
    (pymysql.err.DataError, DataError),
    (pymysql.err.NotSupportedError, NotSupportedError),
    (pymysql.err.InternalError, InternalError),
    (pymysql.err.InterfaceError, OperationalError),  # "(0, '')": the connection is closed
    (pymysql.err.DatabaseError, DatabaseError),
    (pymysql.err.Error, InterfaceError),
    (OSError, OperationalError),
    (asyncio.TimeoutError, OperationalError),
)
DRIVER_ERRORS = (pymysql.err.Error, OSError, asyncio.TimeoutError)


def error_code(e: BaseException) -> int | None:
    """The MySQL error number of a driver error, if it has one."""
    if isinstance(e, pymysql.err.Error) and e.args and isinstance(e.args[0], int):
        return e.args[0]
    return None


def is_connection_error(e: BaseException) -> bool:
    """True if ``e`` says the connection failed or was lost (not the statement)."""
    if isinstance(e, (pymysql.err.InterfaceError, OSError, asyncio.TimeoutError)):
        return True
    return error_code(e) in _CONNECTION_CODES


@contextmanager
def errors_translated() -> Iterator[None]:
    """Raise any driver error inside the block as its ``eventsourcing`` twin."""
    try:
        yield
    except DRIVER_ERRORS as e:
        raise translated(e) from e


def translated(e: BaseException) -> PersistenceError:
    """The ``eventsourcing`` twin of driver error ``e``, chained to it."""
    cls = next((ours for theirs, ours in _ERRORS if isinstance(e, theirs)), PersistenceError)
    error = cls(str(e))
    error.__cause__ = e
    return error


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
    loop; using it from a second loop while the first is still open is an error.
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
        loop, slots = self._bind()
        await slots.acquire()
        try:
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
        """Give ``conn`` back; it is closed unless ``reuse`` and idle outside a transaction."""
        if reuse and _alive(conn) and not conn.get_transaction_status():
            self._free.append(conn)
        else:
            conn.close()
        if self._slots is not None:
            self._slots.release()

    async def close(self) -> None:
        """Close the idle connections (those in use close when released)."""
        free, self._free = self._free, []
        for conn in free:
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
