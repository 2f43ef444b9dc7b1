"""An interrupted replay resumes from its checkpoint and ends with the right tallies and tally
checkpoints (those of the part folded before the interruption taken again on resuming)."""

from __future__ import annotations

import random

import pytest
from tally_log import VoteLog, all_notifications, counts_of

from projections import (
    TallyProjector,
    all_tallies,
    checkpoints,
    list_sets,
    migrate,
    replay,
    verify,
)
from projections.verify import fold_log_with_checkpoints
from vote_domain.stores.base import EventStore


class Interrupted(Exception):
    pass


async def test_interrupted_replay_resumes_from_its_checkpoint(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "WINDOW", 7)
    monkeypatch.setattr(checkpoints, "DENSE", 3)
    monkeypatch.setattr(checkpoints, "COARSE", 21)
    await migrate(store)
    log = VoteLog(store)
    await log.add_polls(2)
    await log.random_votes(300, voters=50, rng=random.Random(2))
    end = 0

    def stop_halfway(done: int, total: int) -> None:
        nonlocal end
        end = total
        if done > total // 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        await replay(store, into="green", page_size=10, flush_every=30, progress=stop_halfway)
    green = {s.name: s for s in await list_sets(store)}["green"]
    assert green.status == "building"
    assert 0 < green.checkpoint < end  # some flushed, not all

    seen: list[int] = []
    result = await replay(
        store, into="green", page_size=10, flush_every=30, progress=lambda d, t: seen.append(t)
    )
    assert seen[0] == end - green.checkpoint  # resumed, not restarted
    assert result.set_name == "green" and result.replaced == "blue"
    assert counts_of(await all_tallies(store)) == log.expected()
    _, expected, _ = await fold_log_with_checkpoints(store)
    assert expected and set(await checkpoints.stored_checkpoints(store, "green")) == set(expected)
    assert await verify(store) == []  # (every checkpoint as the log folds it)
    # The rebuilt set knows every ballot's version: redelivering the log changes nothing.
    await TallyProjector(store).process(await all_notifications(store))
    assert counts_of(await all_tallies(store)) == log.expected()
