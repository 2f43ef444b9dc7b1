"""The local app's in-process bus: every committed vote reaches the projector and publisher."""

from __future__ import annotations

import asyncio
from pathlib import Path

from projections import InProcessPublisher, TallyProjector, get_tally
from projections.schema import migrate as migrate_tallies
from vote_domain import VotingService, connect
from votes.local.bus import TRACKING_NAME, InProcessBus


async def test_commits_flow_to_subscribers_and_the_position_is_tracked(tmp_path: Path) -> None:
    store = connect(f"sqlite:///{tmp_path / 'bus.db'}")
    await store.migrate()
    await migrate_tallies(store)
    publisher = InProcessPublisher()
    bus = InProcessBus(store, TallyProjector(store, publisher))
    service = VotingService(store, on_recorded=lambda rs: _hand_and_wake(bus, rs))
    await bus.start()
    try:
        # GIVEN a subscriber to a poll's tally
        await service.register_voter("alice")
        poll = await service.create_poll("alice", "Lunch?", ["Pizza", "Salad"])
        async with publisher.subscribe(str(poll.id)) as updates:
            # WHEN a vote is committed
            await service.cast_vote(poll.id, "alice", "Salad")
            # THEN the bus projects it and the subscriber gets the new tally
            update = await asyncio.wait_for(updates.get(), 10)
            while update.total < 1:
                update = await asyncio.wait_for(updates.get(), 10)
        assert update.counts == {"Pizza": 0, "Salad": 1}
        tally = await get_tally(store, poll.id)
        assert tally is not None and tally.total == 1
    finally:
        await bus.stop()
    # AND the position reached is tracked, so a restart resumes there
    assert await store.max_tracking_id(TRACKING_NAME) == await store.max_notification_id()
    await store.close()


async def test_events_committed_without_the_hook_are_picked_up(tmp_path: Path) -> None:
    store = connect(f"sqlite:///{tmp_path / 'bus.db'}")
    await store.migrate()
    await migrate_tallies(store)
    # GIVEN votes committed by a process whose bus never saw them (no hook)
    quiet = VotingService(store)
    await quiet.register_voter("bob")
    poll = await quiet.create_poll("bob", "Tea?", ["Yes", "No"])
    await quiet.cast_vote(poll.id, "bob", "Yes")
    # WHEN a bus starts and catches up
    bus = InProcessBus(store, TallyProjector(store))
    await bus.start()
    await bus.catch_up()
    await bus.stop()
    # THEN the tally counts them
    tally = await get_tally(store, poll.id)
    assert tally is not None and tally.counts == {"Yes": 1, "No": 0}
    await store.close()


async def test_handed_commits_are_projected_without_reading_the_log_unless_one_is_missing(
    tmp_path: Path,
) -> None:
    store = connect(f"sqlite:///{tmp_path / 'bus.db'}")
    await store.migrate()
    await migrate_tallies(store)
    bus = InProcessBus(store, TallyProjector(store))
    handed: list = []
    service = VotingService(store, on_recorded=lambda rs: _collect(handed, rs))
    await service.register_voter("carol")
    await service.register_voter("dan")
    poll = await service.create_poll("carol", "Cake?", ["Yes", "No"])
    await service.cast_vote(poll.id, "carol", "Yes")
    await service.cast_vote(poll.id, "dan", "No")
    # GIVEN the bus is handed every commit but the first vote's (its hook never ran)
    first_vote = handed[3]
    bus.hand(n for n in handed if n is not first_vote)
    # WHEN it catches up
    await bus.catch_up()
    # THEN it projected from what it was handed while that had no gap, and read the log for
    # the missing vote: every vote is counted, in order
    tally = await get_tally(store, poll.id)
    assert tally is not None and tally.counts == {"Yes": 1, "No": 1}
    assert bus.position == handed[-1].id and bus.fast_batches >= 1
    # AND commits handed again are not projected twice
    bus.hand(handed)
    await bus.catch_up()
    assert bus.position == handed[-1].id and not bus._handed
    await store.close()


async def _collect(into: list, recordings) -> None:  # type: ignore[no-untyped-def]
    into.extend(r.notification for r in recordings)


async def _hand_and_wake(bus: InProcessBus, recordings) -> None:  # type: ignore[no-untyped-def]
    """What the local app's bus thread does with each commit (on the bus's loop here)."""
    bus.hand(r.notification for r in recordings)
    bus.wake()
