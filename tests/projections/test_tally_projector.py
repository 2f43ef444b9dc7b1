"""The live projector: exactly-once tallies from shuffled, duplicated batches; closing."""

from __future__ import annotations

import asyncio
import random

from tally_log import VoteLog, all_notifications, counts_of

from projections import (
    InProcessPublisher,
    TallyProjector,
    all_tallies,
    get_tally,
    migrate,
    replay,
    verify,
)
from vote_domain.stores.base import EventStore


async def test_shuffled_duplicated_batches_count_each_vote_once(store: EventStore) -> None:
    await migrate(store)
    log = VoteLog(store)
    await log.add_polls(2)
    await log.random_votes(150, voters=12, rng=random.Random(7))
    notes = await all_notifications(store)
    rng = random.Random(3)
    delivery = notes + rng.sample(notes, len(notes) // 2)
    rng.shuffle(delivery)
    projector = TallyProjector(store)
    i = 0
    while i < len(delivery):
        size = rng.randint(1, 25)
        await projector.process(delivery[i : i + size])
        i += size
    assert counts_of(await all_tallies(store)) == log.expected()
    assert await verify(store) == []
    result = await replay(store, into="green", flush_every=40, page_size=16)
    assert result.replaced == "blue"
    assert counts_of(await all_tallies(store)) == log.expected()
    assert counts_of(await all_tallies(store, "blue")) == log.expected()


async def test_change_before_cast_is_resolved_from_the_store(store: EventStore) -> None:
    await migrate(store)
    log = VoteLog(store)
    await log.add_polls(1)
    await log.act(0, 0, "cast", 0)
    await log.act(0, 0, "change", 1)
    await log.act(0, 0, "retract", 0)
    await log.act(0, 0, "cast", 2)
    notes = await all_notifications(store)
    projector = TallyProjector(store)
    await projector.process([notes[2]])  # version 2 first: version 1 read from the store
    tally = await get_tally(store, log.polls[0].id)
    assert tally is not None and tally.counts == {"é": 1} and tally.total == 1
    await projector.process(list(reversed(notes)))
    tally = await get_tally(store, log.polls[0].id)
    assert tally is not None
    assert tally.counts == {"e": 0, "é": 0, "E!": 1}
    assert tally.total == 1 and tally.position == notes[-1].id


async def test_closed_poll_is_final_and_its_last_update_says_so(store: EventStore) -> None:
    await migrate(store)
    log = VoteLog(store)
    await log.add_polls(1)
    await log.act(0, 0, "cast", 0)
    await log.act(0, 1, "cast", 1)
    await log.close(0)
    publisher = InProcessPublisher()
    projector = TallyProjector(store, publisher)
    async with publisher.subscribe(str(log.polls[0].id)) as updates:
        for note in await all_notifications(store):
            await projector.process([note])
        received = [updates.get_nowait() for _ in range(updates.qsize())]
    assert [u.final for u in received] == [False, False, False, True]
    last = received[-1]
    assert last.counts == {"e": 1, "é": 1, "E!": 0} and last.total == 2
    assert last.type == "TallyUpdated" and last.schema_version == 1
    tally = await get_tally(store, log.polls[0].id)
    assert tally is not None and tally.final


async def test_concurrent_projectors_on_a_hot_poll_count_each_vote_once(
    store: EventStore,
) -> None:
    """Eight projectors at once (as concurrent Lambda invocations), overlapping batches of one
    hot poll: row locks and deadlock retries keep the effect exactly once."""
    await migrate(store)
    log = VoteLog(store)
    await log.add_polls(1)
    await log.random_votes(300, voters=60, rng=random.Random(5))
    notes = await all_notifications(store)
    rng = random.Random(9)
    delivery = notes * 2
    rng.shuffle(delivery)
    batches = [delivery[i : i + 30] for i in range(0, len(delivery), 30)]

    async def worker(projector: TallyProjector) -> None:
        while batches:
            await projector.process(batches.pop())

    await asyncio.gather(*(worker(TallyProjector(store)) for _ in range(8)))
    assert counts_of(await all_tallies(store)) == log.expected()
    assert await verify(store) == []
