"""Time travel: a poll's tally as of a log position or a time, folded from the log."""

from __future__ import annotations

from datetime import timedelta

from tally_log import VoteLog, all_notifications

from projections import migrate, position_at, tally_at
from projections.events import TIMESTAMP
from vote_domain.codec import read_fields
from vote_domain.stores import EventStore


async def test_tally_as_of_position_and_time(store: EventStore) -> None:
    await migrate(store)
    log = VoteLog(store)
    await log.add_polls(2)
    poll = log.polls[0]
    await log.act(0, 0, "cast", 0)  # e
    await log.act(1, 0, "cast", 0)  # other poll
    await log.act(0, 1, "cast", 1)  # é
    await log.act(0, 0, "change", 1)  # e -> é
    await log.act(0, 1, "retract", 0)  # é gone
    await log.close(0)
    notes = await all_notifications(store)
    by_step = [n.id for n in notes[2:]]  # after the two polls were created

    expected = [
        ({"e": 1, "é": 0, "E!": 0}, False),
        ({"e": 1, "é": 0, "E!": 0}, False),
        ({"e": 1, "é": 1, "E!": 0}, False),
        ({"e": 0, "é": 2, "E!": 0}, False),
        ({"e": 0, "é": 1, "E!": 0}, False),
        ({"e": 0, "é": 1, "E!": 0}, True),
    ]
    for position, (counts, final) in zip(by_step, expected, strict=True):
        tally = await tally_at(store, poll.id, position=position)
        assert tally is not None
        assert (tally.counts, tally.final) == (counts, final)
        assert tally.total == sum(counts.values())

    # By time: each event's own timestamp includes it, a microsecond before excludes it.
    times = [read_fields(n.state, [TIMESTAMP])[0] for n in notes[2:]]
    for when, (counts, _final) in zip(times, expected, strict=True):
        tally = await tally_at(store, poll.id, at=when)
        assert tally is not None and tally.counts == counts
    before_first = times[0] - timedelta(microseconds=1)
    tally = await tally_at(store, poll.id, at=before_first)
    assert tally is not None and tally.total == 0 and tally.counts == {"e": 0, "é": 0, "E!": 0}
    assert await position_at(store, times[2]) == by_step[2]

    now = await tally_at(store, poll.id)
    assert now is not None and now.final and now.position == by_step[-1]
    assert await tally_at(store, log.voter(5)) is None  # not a poll
    # Past any position a log can hold: the tally now (a position is never a driver error).
    assert await tally_at(store, poll.id, position=10**30) == now
