"""The one place where MySQL driver errors become ``eventsourcing.persistence``'s PEP-249
exceptions, and the MySQL error numbers the store acts on.

Error policy:

* duplicate key (1062) and other constraint failures -> IntegrityError;
* deadlock (1213) -> :class:`~vote_domain.stores.base.LockConflict` (an OperationalError),
  after the store has retried the whole (rolled back) transaction once where it ran it
  itself; lock wait timeout (1205) -> LockConflict, not retried by the store (a sign of
  overload or of a long transaction; InnoDB rolled back only the statement, the store rolls
  back the rest). A caller running its own transaction runs it again on LockConflict;
* lost, refused or dropped connections -> OperationalError, after one retry on a new
  connection where that is safe (see :func:`is_connection_error`);
* a refused login (1045, access denied) -> asks ``on_access_denied`` (if given) for a fresh
  login once and connects again with it if it differs (a rotated password), else
  OperationalError (see :mod:`.pool`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

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

from vote_domain.stores.base import LockConflict

__all__ = [
    "ACCESS_DENIED",
    "DEADLOCK",
    "DRIVER_ERRORS",
    "LOCK_WAIT_TIMEOUT",
    "REFUSED_READ_ONLY",
    "error_code",
    "errors_translated",
    "is_connection_error",
    "translated",
]

DEADLOCK = 1213
LOCK_WAIT_TIMEOUT = 1205
ACCESS_DENIED = 1045
# The server refuses a write because it is read-only (Aurora failover): nothing ran.
REFUSED_READ_ONLY = frozenset({1290, 1836})
# Client-side codes for a connection that failed or went away, and the server's own codes
# for a connection it is closing (shutdown, killed, read-only failover on Aurora).
_CONNECTION_CODES = frozenset({2003, 2006, 2013, 2055, 1053, 1927, 3169, *REFUSED_READ_ONLY})
_LOCK_CONFLICT_CODES = frozenset({DEADLOCK, LOCK_WAIT_TIMEOUT})

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
    if error_code(e) in _LOCK_CONFLICT_CODES:
        cls: type[PersistenceError] = LockConflict
    else:
        cls = next((ours for theirs, ours in _ERRORS if isinstance(e, theirs)), PersistenceError)
    error = cls(str(e))
    error.__cause__ = e
    return error
