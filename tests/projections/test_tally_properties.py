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

and their counts are those the ballots' final states imply. And time travel from tally
checkpoints (a window of a random few positions, so a short history crosses many) equals
the reference fold of the whole log from the poll's creation
(:func:`projections.query.fold_tally_at`, the oracle) as of every position and every
event's time, both after the live projector and after a replay; verify finds no
difference in tallies or checkpoints.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tally_log import VoteLog, all_notifications, counts_of, restore_windows, small_windows

from projections import (
    Tally,
    TallyProjector,
    all_tallies,
    checkpoints,
    migrate,
    query,
    replay,
    verify,
)
from projections.events import decode_notifications
from projections.fold import LogFold, Tallies
from projections.logsum import sum_log
from projections.query import fold_tally_at, tally_at
from projections.verify import fold_log_with_checkpoints
from vote_domain.stores import EventStore, MySQLEventStore, SQLiteEventStore
from vote_domain.stores.stamps import TIME_DISORDER

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


DISORDER_BOUNDS = [timedelta(microseconds=1), timedelta(microseconds=300), TIME_DISORDER]


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
    saved = small_windows(
        data.draw(st.integers(1, 6), "checkpoint window"),
        data.draw(st.integers(1, 4), "events that make a window dense"),
        data.draw(st.integers(1, 4), "windows per coarse checkpoint"),
    )
    # The log was appended one event after another, so its times follow its positions: any
    # disorder bound holds, and a bound of microseconds lets a time's band, its settled
    # checkpoint and the checkpoint past its horizon fall among a short history's events.
    disorder = data.draw(st.sampled_from(DISORDER_BOUNDS), "time disorder bound")
    saved_disorder, query.TIME_DISORDER = query.TIME_DISORDER, disorder
    try:
        await project_and_replay(store, log, notes, delivery, sizes, size, in_python)
    finally:
        restore_windows(saved)
        query.TIME_DISORDER = saved_disorder


async def travel_agrees(
    store: EventStore, log: VoteLog, notes: list[Any], *, replayed_into: str | None = None
) -> None:
    """Time travel from checkpoints equals the oracle at every position and event time."""
    end = await store.max_notification_id() or 0
    if replayed_into is not None:  # the replay took every checkpoint of the log
        taken = await checkpoints.stored_checkpoints(store, replayed_into)
        _, expected, _ = await fold_log_with_checkpoints(store)
        assert set(taken) == set(expected)
        assert {pid for pid, _ in taken} >= {
            str(p.id) for p in log.polls if checkpoints.COARSE <= end
        }
    times = sorted({t.timestamp for t in decode_notifications(notes)})
    for poll in log.polls:
        for position in range(end + 2):
            fast = await tally_at(store, poll.id, position=position)
            assert fast == await fold_tally_at(store, poll.id, position=position), position
        for text in times:
            when = datetime.fromisoformat(text)
            for at in (when - timedelta(microseconds=1), when):
                fast = await tally_at(store, poll.id, at=at)
                assert fast == await fold_tally_at(store, poll.id, at=at), at
    assert await verify(store) == []


async def project_and_replay(
    store: EventStore,
    log: VoteLog,
    notes: list[Any],
    delivery: list[Any],
    sizes: list[int],
    size: int,
    in_python: dict[str, Tally],
) -> None:
    projector = TallyProjector(store)
    i = 0
    for batch in itertools.cycle(sizes):
        if i >= len(delivery):
            break
        await projector.process(delivery[i : i + batch])
        i += batch
    assert await all_tallies(store) == in_python
    await travel_agrees(store, log, notes)

    result = await replay(store, into="green", page_size=4, flush_every=size)
    assert await all_tallies(store, result.set_name) == in_python
    await travel_agrees(store, log, notes, replayed_into=result.set_name)


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
