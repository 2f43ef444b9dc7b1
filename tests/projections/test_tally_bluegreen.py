"""Blue-green rebuild while votes keep arriving: the swap loses nothing, verify agrees (the
tallies and the tally checkpoints, taken here every 11 positions), and time travel from the
new set's checkpoints equals the reference fold."""

from __future__ import annotations

import asyncio
import random

import pytest
from eventsourcing.persistence import Notification
from tally_log import VoteLog, all_notifications, counts_of

from projections import (
    TallyProjector,
    all_tallies,
    checkpoints,
    drop_set,
    list_sets,
    migrate,
    replay,
    verify,
)
from projections.query import fold_tally_at, tally_at
from vote_domain.stores.base import EventStore


class LiveApp(VoteLog):
    """A vote log whose every write is handed to the projector at once (like the local app)."""

    projector: TallyProjector

    async def save(self, *aggregates: object) -> list[int]:
        events = [e for a in aggregates for e in a.collect_events()]  # type: ignore[attr-defined]
        if not events:
            return []
        from vote_domain.codec import mapper

        stored = [mapper().to_stored_event(e) for e in events]
        ids = list(await self.store.insert_events(stored) or [])
        await self.projector.process(
            [
                Notification(
                    id=i,
                    originator_id=s.originator_id,
                    originator_version=s.originator_version,
                    topic=s.topic,
                    state=s.state,
                )
                for i, s in zip(ids, stored, strict=True)
            ]
        )
        return ids


async def travel_agrees(store: EventStore, app: VoteLog) -> None:
    end = await store.max_notification_id() or 0
    for poll in app.polls:
        for position in range(0, end + 1, 5):
            fast = await tally_at(store, poll.id, position=position)
            assert fast == await fold_tally_at(store, poll.id, position=position), position


async def test_rebuild_while_votes_arrive_then_verify(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "WINDOW", 11)
    monkeypatch.setattr(checkpoints, "DENSE", 3)
    monkeypatch.setattr(checkpoints, "COARSE", 55)
    await migrate(store)
    app = LiveApp(store)
    app.projector = TallyProjector(store)
    rng = random.Random(11)
    await app.add_polls(3)
    await app.random_votes(400, voters=40, rng=rng)
    building = asyncio.create_task(replay(store, into="green", page_size=20, flush_every=60))
    arrived = 0
    while not building.done() or arrived < 50:
        arrived += await app.random_votes(1, voters=60, rng=rng)
        await asyncio.sleep(0)
    result = await building
    await app.random_votes(30, voters=60, rng=rng)  # after the swap: into the new set

    assert result.set_name == "green" and result.replaced == "blue"
    sets = {s.name: s.status for s in await list_sets(store)}
    assert sets == {"blue": "retired", "green": "active"}
    assert await checkpoints.stored_checkpoints(store, "green")
    assert await verify(store) == []
    await travel_agrees(store, app)
    assert counts_of(await all_tallies(store)) == app.expected()

    # Redelivering everything afterwards changes nothing.
    await app.projector.process(await all_notifications(store))
    assert counts_of(await all_tallies(store)) == app.expected()

    # The retired set stays until dropped; the next default replay goes back to blue.
    await drop_set(store, "blue")
    assert {s.name for s in await list_sets(store)} == {"green"}
    again = await replay(store)
    assert (again.set_name, again.replaced) == ("blue", "green")
    assert await verify(store) == []
    await travel_agrees(store, app)
