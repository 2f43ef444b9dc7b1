"""Shared fixtures: event stores on both backends, and the app's composition root.

``store`` is parametrised over SQLite and MySQL: a test that takes it runs on both. Each store
is fresh, migrated (the event store's own tables only) and empty. MySQL tests use the server
at ``VOTES_TEST_MYSQL_URL`` (default ``mysql://root@127.0.0.1:3306/test``) and FAIL, never
skip, when it cannot be reached. Each session works in its own uniquely named databases,
dropped at the end, so several people can run the tests on one server at once.
"""

from __future__ import annotations

import itertools
import os
import secrets
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pymysql
import pytest

from vote_domain.stores import EventStore, MySQLEventStore, SQLiteEventStore
from votes import bootstrap, runtime
from votes.bootstrap import Container
from votes.settings import Settings

DEFAULT_MYSQL_URL = "mysql://root@127.0.0.1:3306/test"
_database_numbers = itertools.count(1)


def _server_connection(url: str) -> pymysql.connections.Connection:
    parts = urlsplit(url)
    try:
        return pymysql.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            autocommit=True,
            connect_timeout=5,
        )
    except pymysql.err.OperationalError as e:
        pytest.fail(f"MySQL test server {parts.hostname}:{parts.port} is unreachable: {e}")


def _url_for_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


@pytest.fixture(scope="session")
def mysql_server_url() -> str:
    """The URL of the MySQL test server (its database part is not used)."""
    return os.environ.get("VOTES_TEST_MYSQL_URL", DEFAULT_MYSQL_URL)


@pytest.fixture(scope="session")
def _mysql_session_prefix(mysql_server_url: str) -> Iterator[str]:
    prefix = f"votes_t_{secrets.token_hex(4)}"
    yield prefix
    conn = _server_connection(mysql_server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
                (prefix.replace("_", r"\_") + "%",),
            )
            for (name,) in cur.fetchall():
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


def _create_database(server_url: str, name: str) -> str:
    conn = _server_connection(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    finally:
        conn.close()
    return _url_for_database(server_url, name)


def _drop_database(server_url: str, name: str) -> None:
    conn = _server_connection(server_url)
    try:
        with conn.cursor() as cur:
            # A failed test may leave a connection holding a metadata lock: don't hang on it.
            cur.execute("SET SESSION lock_wait_timeout = 10")
            try:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            except pymysql.err.OperationalError as e:
                warnings.warn(f"could not drop test database {name}: {e}", stacklevel=1)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def mysql_url(mysql_server_url: str, _mysql_session_prefix: str) -> str:
    """A database of this session's own on the MySQL test server (dropped at the end)."""
    return _create_database(mysql_server_url, _mysql_session_prefix)


@pytest.fixture
def fresh_mysql_url(mysql_server_url: str, _mysql_session_prefix: str) -> Iterator[str]:
    """A new, empty database for one test (dropped after it)."""
    name = f"{_mysql_session_prefix}_{next(_database_numbers)}"
    url = _create_database(mysql_server_url, name)
    yield url
    _drop_database(mysql_server_url, name)


@pytest.fixture
def new_mysql_url(mysql_server_url: str, _mysql_session_prefix: str) -> Callable[[], str]:
    """Makes a new, empty database on each call (all dropped at the end of the session), for
    tests that need a fresh one per example."""

    def make() -> str:
        return _create_database(
            mysql_server_url, f"{_mysql_session_prefix}_{next(_database_numbers)}"
        )

    return make


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SQLiteEventStore]:
    """A fresh, migrated SQLite event store in a temporary file."""
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    await store.migrate()
    yield store
    await store.close()


@pytest.fixture
async def mysql_store(fresh_mysql_url: str) -> AsyncIterator[MySQLEventStore]:
    """A fresh, migrated MySQL event store in a database of its own."""
    store = MySQLEventStore(fresh_mysql_url, pool_size=40)
    await store.migrate()
    yield store
    await store.close()


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def store_backend(request: pytest.FixtureRequest) -> str:
    """The backend a ``store`` is made for."""
    return str(request.param)


@pytest.fixture
def store(store_backend: str, request: pytest.FixtureRequest) -> EventStore:
    """A fresh, migrated, empty event store; tests using it run on SQLite and on MySQL."""
    return request.getfixturevalue(f"{store_backend}_store")


@pytest.fixture
def app_container() -> Iterator[Callable[..., Container]]:
    """Builds the process's composition root as an entry point would, from ``Settings`` (or
    its fields as keywords), migrated unless ``migrate=False``; ``local=True`` wires it as the
    local app does. After the test its clients and store are closed and the process-wide
    state is reset (:func:`votes.bootstrap.reset`): the one place tests reset it."""

    def build(
        settings: Settings | None = None,
        *,
        local: bool = False,
        migrate: bool = True,
        **fields: Any,
    ) -> Container:
        bootstrap.configure(settings=settings or Settings(**fields), local=local)
        built = bootstrap.container()
        if migrate:
            runtime.run(built.migrate())
        return built

    yield build
    runtime.run(bootstrap.close())
    bootstrap.reset()
