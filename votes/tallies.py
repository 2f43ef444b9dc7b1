"""Reading a poll's results for the API: the live tally, or one folded from the log."""

from __future__ import annotations

from datetime import datetime

from projections import Tally, get_tallies, get_tally, tally_at
from vote_domain import EventStore, VotingService
from vote_domain.commands import ResultsAsOf, parse

__all__ = ["read_tally", "read_totals"]


async def read_tally(
    service: VotingService,
    store: EventStore,
    poll_id: str,
    *,
    at: datetime | None = None,
    position: int | None = None,
) -> Tally:
    """The tally of ``poll_id``: now (from the projection), or as of ``at`` / ``position``
    (time travel over the log). ValidationFailed for a bad id, time or position (checked here,
    so time travel never sees a time it cannot hold); PollNotFound when there is no such poll;
    a poll nobody voted in yet has a tally of zeros."""
    query = parse(ResultsAsOf, poll_id=poll_id, at=at, position=position)  # ValidationFailed
    poll = await service.get_poll(query.poll_id)  # PollNotFound if unknown
    pid = str(poll.id)
    if query.at is None and query.position is None:
        tally = await get_tally(store, pid)
    else:
        tally = await tally_at(store, pid, at=query.at, position=query.position)
    if tally is None:
        return Tally.empty(pid, poll.options)
    if tally.counts.keys() != set(poll.options):
        counts = {o: tally.counts.get(o, 0) for o in poll.options}
        tally = tally.model_copy(update={"counts": counts})
    return tally


async def read_totals(store: EventStore, poll_ids: list[str]) -> dict[str, int]:
    """The current number of votes in each of ``poll_ids`` (0 for a poll without a tally
    yet), from the live projection in one read."""
    tallies = await get_tallies(store, poll_ids)
    return {pid: tallies[pid].total if pid in tallies else 0 for pid in poll_ids}
