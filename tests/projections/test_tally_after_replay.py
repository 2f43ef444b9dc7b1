"""Live delivery after a replay: the replayed set has no per-ballot rows, yet redelivered,
duplicated, out-of-order events of replayed ballots, and later changes and retractions of
them, are each counted exactly once (SQLite and MySQL)."""

from __future__ import annotations

import random

import pytest
from tally_log import VoteLog, all_notifications, counts_of

from projections import TallyProjector, all_tallies, list_sets, migrate, replay
from projections.verify import fold_log, verify
from vote_domain.stores import SQLiteEventStore
from vote_domain.stores.base import EventStore


async def _deliver(projector: TallyProjector, notes: list, rng: random.Random) -> None:
    delivery = notes + rng.choices(notes, k=len(notes) // 2)
    rng.shuffle(delivery)
    i = 0
    while i < len(delivery):
        size = rng.randint(1, 12)
        await projector.process(delivery[i : i + size])
        i += size


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_live_events_after_replay_count_once(store: EventStore, seed: int) -> None:
    await _scenario(store, seed)


async def test_in_memory_store_replays_too() -> None:
    # Every read runs on the one writer connection: the database folds the log there.
    store = SQLiteEventStore(":memory:")
    try:
        await _scenario(store, 3)
    finally:
        await store.close()


async def _scenario(store: EventStore, seed: int) -> None:
    rng = random.Random(seed)
    await migrate(store)
    log = VoteLog(store)
    await log.add_polls(2)
    await log.random_votes(150, voters=25, rng=rng)
    replayed = await all_notifications(store)
    result = await replay(store, into="green", page_size=7, flush_every=20)
    assert result.set_name == "green" and result.replaced == "blue"
    checkpoint = {s.name: s for s in await list_sets(store)}["green"].checkpoint
    assert checkpoint >= replayed[-1].id
    assert counts_of(await all_tallies(store)) == log.expected()

    # Changes and retractions of replayed ballots, and new casts, after the checkpoint.
    held = sorted(k for k, b in log.ballots.items() if b.option is not None)
    for poll, voter in held[: len(held) // 2]:
        await log.act(poll, voter, rng.choice(["change", "retract"]), rng.randrange(1, 3))
    await log.random_votes(100, voters=30, rng=rng)
    if seed == 3:
        await log.close(1)

    # Everything redelivered: the replayed events (duplicates of what the set holds) and the
    # new ones, shuffled, with further duplicates, in random batches.
    projector = TallyProjector(store)
    await _deliver(projector, await all_notifications(store), rng)
    expected = log.expected()
    assert counts_of(await all_tallies(store)) == expected
    assert counts_of(await fold_log(store)) == expected
    assert await verify(store) == []
    assert (await all_tallies(store))[str(log.polls[1].id)].final == (seed == 3)

    # Only the new events, again out of order: nothing changes.
    await _deliver(projector, [n for n in await all_notifications(store) if n.id > checkpoint], rng)
    assert counts_of(await all_tallies(store)) == expected

    # A further blue-green rebuild agrees.
    again = await replay(store, into="blue2", page_size=5, flush_every=13)
    assert again.replaced == "green"
    assert counts_of(await all_tallies(store)) == expected
