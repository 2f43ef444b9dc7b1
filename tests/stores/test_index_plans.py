"""Topic-filtered and group reads use the index that matches them, on each backend: the
plan the database makes for the store's own statements (EXPLAIN), on a log where a full walk
would be the cheaper-looking plan for a naive planner."""

from __future__ import annotations

from typing import Any

import pytest

from vote_domain.stores import EventStore, MySQLEventStore, SQLiteEventStore
from vote_domain.stores.mysql import sql as mysql_sql
from vote_domain.stores.sqlite import ops as sqlite_ops

TOPICS = ("a:Rare", "b:Other")


async def _plan(store: EventStore, statement: tuple[str, list[Any]]) -> list[tuple[Any, ...]]:
    prefix = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN "
    async with store.transaction() as tx:
        return await tx.execute(prefix + statement[0], statement[1])


async def test_sqlite_topic_and_group_reads_search_their_index(
    sqlite_store: SQLiteEventStore,
) -> None:
    for topics in (TOPICS[:1], TOPICS):
        statement = sqlite_ops.notifications_statement(
            10, 100, 5000, topics, inclusive_of_start=False
        )
        details = [str(row[-1]) for row in await _plan(sqlite_store, statement)]
        searches = [d for d in details if d.startswith("SEARCH")]
        assert len(searches) == len(topics), details
        assert all("USING INDEX stored_events_topic (topic=?" in d for d in searches), details
        assert not any(d.startswith("SCAN stored_events") for d in details), details
    group = sqlite_ops.group_statement("ab" * 16, 10, 100, None, inclusive_of_start=False)
    details = [str(row[-1]) for row in await _plan(sqlite_store, group)]
    assert any("USING INDEX stored_events_group (event_group=?" in d for d in details), details
    assert not any("TEMP B-TREE" in d for d in details), details


@pytest.mark.mysql
async def test_mysql_topic_and_group_reads_range_their_index(
    mysql_store: MySQLEventStore,
) -> None:
    for topics in (TOPICS[:1], TOPICS):
        statement = mysql_sql.select_notifications(10, 100, 5000, topics, inclusive_of_start=False)
        rows = await _plan(mysql_store, statement)
        # (id, select_type, table, type, possible_keys, key, key_len, ref, rows, Extra)
        on_log = [r for r in rows if r[2] == "stored_events"]
        assert len(on_log) == len(topics), rows
        assert all(r[5] == "stored_events_topic" and r[3] == "range" for r in on_log), rows
        assert not any("filesort" in str(r[-1]) for r in on_log), rows
    group = mysql_sql.select_group("ab" * 16, 10, 100, None, inclusive_of_start=False)
    (row,) = await _plan(mysql_store, group)
    assert row[5] == "stored_events_group" and row[3] == "range", row
    assert "filesort" not in str(row[-1]), row


async def test_group_migration_files_an_existing_log(store: EventStore) -> None:
    """``events`` migration 2 on a log written before it: every event already there is
    filed under its group (the index is built from the rows, not only kept for new ones)."""
    from uuid import uuid4

    from eventsourcing.persistence import StoredEvent

    poll = uuid4()
    state = b'{"poll_id": {"_type_": "uuid_hex", "_data_": "%s"}}' % poll.hex.encode()
    async with store.transaction() as tx:  # back to the schema of events version 1
        if store.dialect == "sqlite":
            await tx.execute("DROP INDEX stored_events_group")
            await tx.execute("ALTER TABLE stored_events DROP COLUMN event_group")
        else:
            await tx.execute("ALTER TABLE stored_events DROP KEY stored_events_group")
            await tx.execute("ALTER TABLE stored_events DROP COLUMN event_group")
        await tx.execute("DELETE FROM schema_migrations WHERE component = 'events' AND version = 2")
    positions = await store.insert_events(
        [StoredEvent(uuid4(), 1, "t:Voted", state), StoredEvent(poll, 1, "t:Made", b"{}")]
    )
    applied = await store.migrate()
    assert [(m.component, m.version) for m in applied] == [("events", 2)]
    found = await store.select_group(poll, None, 10)
    assert [n.id for n in found] == sorted(positions or [])
