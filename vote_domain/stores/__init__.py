"""Async event stores: the contract, its SQLite and MySQL backends, and :func:`connect`.

One URL picks the backend::

    sqlite:///./votes.db          a file relative to the working directory
    sqlite:////var/lib/votes.db   an absolute path
    sqlite:///:memory:            a private in-memory database (tests, demos)
    mysql://user:password@host:3306/votes   (also mysql+aiomysql://)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from vote_domain.stores.base import (
    EventGroup,
    EventStore,
    ForEach,
    Grouping,
    LockConflict,
    Migration,
    Transaction,
)
from vote_domain.stores.mysql import MySQLEventStore
from vote_domain.stores.sqlite import SQLiteEventStore
from vote_domain.stores.stamps import StaleAppend

__all__ = [
    "EventGroup",
    "EventStore",
    "ForEach",
    "Grouping",
    "LockConflict",
    "Migration",
    "MySQLEventStore",
    "SQLiteEventStore",
    "StaleAppend",
    "Transaction",
    "connect",
]

SQLITE_PREFIX = "sqlite:///"
MYSQL_SCHEMES = ("mysql", "mysql+aiomysql")


def connect(url: str, **options: Any) -> EventStore:
    """The (not yet connected) event store that ``url`` names; ``options`` go to its class."""
    if url.startswith(SQLITE_PREFIX):
        path = url[len(SQLITE_PREFIX) :]
        if not path:
            raise ValueError(f"no database file in URL {url!r}; e.g. sqlite:///./votes.db")
        return SQLiteEventStore(path, **options)
    scheme = urlsplit(url).scheme
    if scheme in MYSQL_SCHEMES:
        return MySQLEventStore(url, **options)
    raise ValueError(
        f"unsupported database URL {url!r}: expected sqlite:///<path> or "
        "mysql://user:password@host:port/database"
    )
