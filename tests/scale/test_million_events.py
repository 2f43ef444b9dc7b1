"""Every read route at a million events, on SQLite and on MariaDB/MySQL: the rows each reads
(counted, see scale_rows.py) are the same as before a million events of another poll were
seeded into the log (one multi-row INSERT on the server, under a minute on a loaded 2-core
machine for both backends together)."""

from __future__ import annotations

from scale_rows import flat_under_unrelated_events

from vote_domain.stores import EventStore

MILLION = 1_000_000


async def test_every_read_route_reads_as_much_at_a_million_events(
    counted_store: EventStore,
) -> None:
    counts = await flat_under_unrelated_events(counted_store, MILLION)
    assert (await counted_store.max_notification_id() or 0) > MILLION
    grown = {route: c for route, c in counts.items() if c[1] != c[0]}
    assert not grown, grown
