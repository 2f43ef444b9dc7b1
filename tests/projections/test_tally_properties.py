"""Property: whatever the order, duplication and batching of delivery, live tallies equal
replayed tallies equal the counts implied by the ballots' final states (SQLite and MySQL)."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tally_log import VoteLog, all_notifications, counts_of, reset

from projections import TallyProjector, all_tallies, replay
from projections.verify import fold_log
from vote_domain.stores import EventStore, MySQLEventStore, SQLiteEventStore

ACTIONS = st.tuples(
    st.integers(0, 1),  # poll
    st.integers(0, 3),  # voter
    st.sampled_from(["cast", "cast", "change", "retract"]),
    st.integers(0, 2),  # option
)
SUPPRESS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


async def scenario(store: EventStore, actions: list, close: bool, data: st.DataObject) -> None:
    log = VoteLog(store)
    await log.add_polls(2)
    for action in actions:
        await log.act(*action)
    if close:
        await log.close(0)
    notes = await all_notifications(store)
    duplicates = data.draw(st.lists(st.sampled_from(notes), max_size=len(notes)), "dups")
    delivery = data.draw(st.permutations(notes + duplicates), "order")
    sizes = data.draw(st.lists(st.integers(1, 7), min_size=1, max_size=10), "batch sizes")
    projector = TallyProjector(store)
    i = 0
    for size in itertools.cycle(sizes):
        if i >= len(delivery):
            break
        await projector.process(delivery[i : i + size])
        i += size
    expected = log.expected()
    live = counts_of(await all_tallies(store))
    assert live == expected
    assert counts_of(await fold_log(store)) == expected
    result = await replay(store, into="green", page_size=4, flush_every=6)
    assert counts_of(await all_tallies(store, result.set_name)) == expected
    tallies = await all_tallies(store)
    assert all(
        t.final == (close and i == 0) for i, t in enumerate(tallies[str(p.id)] for p in log.polls)
    )


def test_sqlite_tallies_match_ballots(tmp_path: Path) -> None:
    counter = itertools.count()

    @settings(max_examples=30, deadline=None, suppress_health_check=SUPPRESS)
    @given(actions=st.lists(ACTIONS, max_size=30), close=st.booleans(), data=st.data())
    def run(actions: list, close: bool, data: st.DataObject) -> None:
        async def main() -> None:
            store = SQLiteEventStore(str(tmp_path / f"p{next(counter)}.db"))
            try:
                await reset(store)
                await scenario(store, actions, close, data)
            finally:
                await store.close()

        asyncio.run(main())

    run()


@pytest.mark.mysql
def test_mysql_tallies_match_ballots(fresh_mysql_url: str) -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=SUPPRESS)
    @given(actions=st.lists(ACTIONS, max_size=30), close=st.booleans(), data=st.data())
    def run(actions: list, close: bool, data: st.DataObject) -> None:
        async def main() -> None:
            store = MySQLEventStore(fresh_mysql_url, pool_size=4)
            try:
                await reset(store)
                await scenario(store, actions, close, data)
            finally:
                await store.close()

        asyncio.run(main())

    run()
