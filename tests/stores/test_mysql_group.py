"""MySQL group commit: concurrent appends and reads really share transactions and queries."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from vote_domain.stores import MySQLEventStore

pytestmark = pytest.mark.mysql


def event(originator_id: object, version: int) -> StoredEvent:
    return StoredEvent(originator_id, version, "topic", b"state")  # type: ignore[arg-type]


async def test_concurrent_appends_share_groups_and_fail_only_the_duplicates(
    mysql_store: MySQLEventStore,
) -> None:
    taken = uuid4()
    await mysql_store.insert_events([event(taken, 1)])
    before = mysql_store._appends.batches
    fresh = [[event(uuid4(), 1)] for _ in range(40)]
    dup_single, dup_multi = [event(taken, 1)], [event(uuid4(), 1), event(taken, 1)]
    requests = [*fresh[:20], dup_single, *fresh[20:30], dup_multi, *fresh[30:]]
    outcomes = await asyncio.gather(
        *(mysql_store.insert_events(r) for r in requests), return_exceptions=True
    )
    assert mysql_store._appends.batches - before < len(requests)  # grouped
    failed = [i for i, o in enumerate(outcomes) if isinstance(o, BaseException)]
    assert failed == [20, 31]
    assert all(isinstance(outcomes[i], IntegrityError) for i in failed)
    assert await mysql_store.select_events(dup_multi[0].originator_id) == []
    ids = [o[0] for o in outcomes if not isinstance(o, BaseException)]  # type: ignore[index]
    assert len(set(ids)) == 40
    log = await mysql_store.select_notifications(2, 100)
    assert [n.id for n in log] == sorted(ids)


async def test_concurrent_stream_reads_share_queries(mysql_store: MySQLEventStore) -> None:
    oids = [uuid4() for _ in range(30)]
    await mysql_store.insert_events([event(oid, 1) for oid in oids])
    before = mysql_store._reads.batches
    results = await asyncio.gather(*(mysql_store.select_streams([oid]) for oid in oids))
    assert mysql_store._reads.batches - before < len(oids)
    assert results == [{oid: [event(oid, 1)]} for oid in oids]
