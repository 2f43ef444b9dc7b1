"""The MySQL store's connections: errors as eventsourcing's, reconnects, one loop, gate cost."""

from __future__ import annotations

import asyncio
import threading
from uuid import uuid4

import pymysql
import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from vote_domain.stores import MySQLEventStore

pytestmark = pytest.mark.mysql


def event(version: int = 1) -> StoredEvent:
    return StoredEvent(uuid4(), version, "topic", b"state")


def kill_connections(store: MySQLEventStore, admin_url_params: dict[str, object]) -> int:
    """Kill every server connection open on the store's database; how many."""
    conn = pymysql.connect(**admin_url_params, autocommit=True)  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> "
                "CONNECTION_ID()",
                (store.params["db"],),
            )
            ids = [row[0] for row in cur.fetchall()]
            for connection_id in ids:
                cur.execute(f"KILL {int(connection_id)}")
        return len(ids)
    finally:
        conn.close()


@pytest.fixture
def admin(mysql_store: MySQLEventStore) -> dict[str, object]:
    p = mysql_store.params
    return {"host": p["host"], "port": p["port"], "user": p["user"], "password": p["password"]}


async def test_duplicate_is_integrity_error_chained_to_the_driver_error(
    mysql_store: MySQLEventStore,
) -> None:
    e = event()
    await mysql_store.insert_events([e])
    with pytest.raises(IntegrityError) as raised:
        await mysql_store.insert_events([e])
    assert isinstance(raised.value.__cause__, pymysql.err.IntegrityError)
    assert raised.value.__cause__.args[0] == 1062


async def test_unreachable_server_is_operational_error() -> None:
    store = MySQLEventStore("mysql://root@127.0.0.1:1/nowhere", connect_timeout_s=2)
    with pytest.raises(OperationalError) as raised:
        await store.max_notification_id()
    assert raised.value.__cause__ is not None
    await store.close()


async def test_reads_and_writes_go_on_after_the_server_drops_every_connection(
    mysql_store: MySQLEventStore, admin: dict[str, object]
) -> None:
    first = event()
    await mysql_store.insert_events([first])
    await asyncio.gather(*(mysql_store.select_events(first.originator_id) for _ in range(5)))
    assert kill_connections(mysql_store, admin) >= 1
    await asyncio.sleep(0.05)  # lets the loop see the closed sockets (not asserted)
    # A read on a dead connection is retried once on a new one.
    assert await mysql_store.select_events(first.originator_id) == [first]
    assert kill_connections(mysql_store, admin) >= 1
    await asyncio.sleep(0.05)
    # Dead pooled connections are dropped before a write is sent on them.
    second = event()
    assert await mysql_store.insert_events([second]) == [2]
    assert await mysql_store.max_notification_id() == 2


async def test_a_store_is_bound_to_the_loop_that_first_used_it(
    mysql_store: MySQLEventStore,
) -> None:
    await mysql_store.max_notification_id()
    errors: list[BaseException] = []

    def other_loop() -> None:
        try:
            asyncio.run(mysql_store.max_notification_id())
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=other_loop)
    thread.start()
    thread.join()
    assert len(errors) == 1 and isinstance(errors[0], OperationalError)
    assert await mysql_store.max_notification_id() is None


async def test_a_store_whose_loop_has_closed_reconnects_on_the_next(fresh_mysql_url: str) -> None:
    store = MySQLEventStore(fresh_mysql_url, pool_size=2)

    async def first_invocation() -> None:
        await store.migrate()

    await asyncio.to_thread(asyncio.run, first_invocation())  # binds to, then loses, a loop
    assert await store.insert_events([event()]) == [1]
    await store.close()


async def test_hwm_waits_for_a_writer_in_flight_and_counts_the_gate(
    mysql_store: MySQLEventStore,
) -> None:
    """A hole below a committed id makes select_notifications take the gate once; a
    permanent hole (a failed insert) is passed once and not again."""
    e = event()
    await mysql_store.insert_events([e])
    with pytest.raises(IntegrityError):
        await mysql_store.insert_events([e])  # consumes an AUTO_INCREMENT id: a hole
    await mysql_store.insert_events([event()])
    before = mysql_store.gate_waits
    page = await mysql_store.select_notifications(None, 10)
    assert [n.id for n in page] == [1, 3]
    assert mysql_store.gate_waits == before + 1
    assert [n.id for n in await mysql_store.select_notifications(None, 10)] == [1, 3]
    assert mysql_store.gate_waits == before + 1  # the hole is known passed
