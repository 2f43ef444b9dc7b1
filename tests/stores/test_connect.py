"""One URL picks the event store backend."""

from __future__ import annotations

import os

import pytest

from vote_domain.stores import MySQLEventStore, SQLiteEventStore, connect


def test_sqlite_urls() -> None:
    relative = connect("sqlite:///./votes.db")
    assert isinstance(relative, SQLiteEventStore)
    assert relative.path == "./votes.db"
    absolute = connect("sqlite:////var/lib/votes/votes.db")
    assert isinstance(absolute, SQLiteEventStore)
    assert absolute.path == "/var/lib/votes/votes.db"
    memory = connect("sqlite:///:memory:")
    assert isinstance(memory, SQLiteEventStore)
    assert memory.in_memory


@pytest.mark.parametrize("scheme", ["mysql", "mysql+aiomysql"])
def test_mysql_urls(scheme: str) -> None:
    store = connect(f"{scheme}://votes:p%40ss@db.example:3307/votes", pool_size=3)
    assert isinstance(store, MySQLEventStore)
    assert store.params["host"] == "db.example"
    assert store.params["port"] == 3307
    assert store.params["user"] == "votes"
    assert store.params["password"] == "p@ss"
    assert store.params["db"] == "votes"
    assert store.pool_size == 3


@pytest.mark.parametrize(
    "url", ["postgresql://x@y/z", "sqlite:///", "votes.db", "mysql://host-without-db"]
)
def test_unknown_or_incomplete_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        connect(url)


async def test_sqlite_in_a_new_directory_is_reachable_after_migrate(tmp_path: os.PathLike) -> None:
    store = connect(f"sqlite:///{tmp_path}/events.db")
    async with store:
        assert await store.migrate()
        assert await store.max_notification_id() is None
