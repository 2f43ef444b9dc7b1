"""Property: the counting rule's two folds agree on random histories, on SQLite and MySQL.

A random history of casts, changes, retractions and recasts (and a poll closed or not) is
written to a fresh store. Then, poll by poll, these tallies are equal in every field
(counts, total, position, as_of, final):

* the Python fold of the log in order (:class:`projections.fold.LogFold`);
* the fold in the database (:func:`projections.logsum.sum_log`: the store's grouped counts
  over ranges of the log, split at random places, merged);
* the live projector's, after every event was delivered in any order, with duplicates, in
  random batches;
* a replay's (the database fold written to a fresh set of tables);

and their counts are those the ballots' final states imply.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tally_log import VoteLog, all_notifications, counts_of

from projections import Tally, TallyProjector, all_tallies, migrate, replay
from projections.events import decode_notifications
from projections.fold import LogFold, Tallies
from projections.logsum import sum_log
from vote_domain.stores import EventStore, MySQLEventStore, SQLiteEventStore

ACTIONS = st.tuples(
    st.integers(0, 1),  # poll
    st.integers(0, 3),  # voter
    st.sampled_from(["cast", "cast", "change", "retract"]),  # a cast after a retract recasts
    st.integers(0, 2),  # option
)
SUPPRESS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
Histories = given(actions=st.lists(ACTIONS, max_size=30), close=st.booleans(), data=st.data())


async def database_fold(store: EventStore, end: int, size: int) -> dict[str, Tally]:
    """The log up to ``end`` folded by the database in ranges of ``size``, merged as the
    replay's upserts merge them."""
    merged = Tallies()
    async for part in sum_log(store, 0, end, size, page_size=3):
        for pid, p in part.polls.items():
            into = merged.poll(pid)
            into.options = into.options or p.options
            for option, n in p.counts.items():
                into.count(option, n)
            into.version = max(into.version, p.version)
            into.final = into.final or p.final
            into.seen(p.position, p.as_of)
    return merged.tallies()


async def scenario(store: EventStore, actions: list[Any], close: bool, data: st.DataObject) -> None:
    await migrate(store)
    log = VoteLog(store)
    await log.add_polls(2)
    for action in actions:
        await log.act(*action)
    if close:
        await log.close(0)
    notes = await all_notifications(store)
    end = await store.max_notification_id() or 0

    in_python = LogFold().apply_all(decode_notifications(notes)).tallies()
    size = data.draw(st.integers(1, end + 1), "range size")
    in_database = await database_fold(store, end, size)
    assert in_database == in_python
    assert counts_of(in_python) == log.expected()
    assert [in_python[str(p.id)].final for p in log.polls] == [close, False]

    duplicates = data.draw(st.lists(st.sampled_from(notes), max_size=len(notes)), "dups")
    delivery = data.draw(st.permutations(notes + duplicates), "order")
    sizes = data.draw(st.lists(st.integers(1, 7), min_size=1, max_size=10), "batch sizes")
    projector = TallyProjector(store)
    i = 0
    for batch in itertools.cycle(sizes):
        if i >= len(delivery):
            break
        await projector.process(delivery[i : i + batch])
        i += batch
    assert await all_tallies(store) == in_python

    result = await replay(store, into="green", page_size=4, flush_every=size)
    assert await all_tallies(store, result.set_name) == in_python


def test_sqlite_folds_agree(tmp_path: Path) -> None:
    counter = itertools.count()

    @settings(max_examples=30, deadline=None, suppress_health_check=SUPPRESS)
    @Histories
    def run(actions: list[Any], close: bool, data: st.DataObject) -> None:
        async def main() -> None:
            store = SQLiteEventStore(str(tmp_path / f"p{next(counter)}.db"))
            try:
                await scenario(store, actions, close, data)
            finally:
                await store.close()

        asyncio.run(main())

    run()


@pytest.mark.mysql
def test_mysql_folds_agree(new_mysql_url: Callable[[], str]) -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=SUPPRESS)
    @Histories
    def run(actions: list[Any], close: bool, data: st.DataObject) -> None:
        async def main() -> None:
            store = MySQLEventStore(new_mysql_url(), pool_size=4)
            try:
                await scenario(store, actions, close, data)
            finally:
                await store.close()

        asyncio.run(main())

    run()
