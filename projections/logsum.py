"""Summing the log for replay: per range of positions, the change to every tally, folded by
the database.

Each range's ballot events are counted by the store per poll and option field, and per
window of positions for the tally checkpoints (:meth:`EventStore.count_events` with
:data:`projections.fold.BALLOT_GROUPINGS`, the counting rule's fold in the database); the
rare poll events come back as notifications (``select_notifications`` with their topics) and
are folded in Python; each poll's newest time in the range is read by position
(:meth:`EventStore.field_values`). Consecutive ranges are summed at once, ``READERS`` at a
time (the next ones' counts begin as soon as one ends), each call on a connection of the
store's own (its pool, its reader threads), and handed out in order. A range never passes
the position the caller took from :meth:`EventStore.max_notification_id` (gap-safe), so
nothing still being committed is summed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

from projections.events import (
    POLL_TOPICS,
    TIMESTAMP,
    TallyEvent,
    as_of_text,
    decode_notifications,
)
from projections.fold import BALLOT_GROUPINGS, Tallies
from vote_domain.stores import EventGroup, EventStore

__all__ = ["READERS", "RangeSum", "sum_log"]

READERS = 2
"""Ranges summed at once (the database does the work)."""


class RangeSum(Tallies):
    """The change to every tally of the log positions in (``after``, ``upto``]; and what it
    was summed from: the ballot events' groups (per window of positions if asked) and the
    poll events."""

    def __init__(self, after: int, upto: int) -> None:
        super().__init__()
        self.after = after
        self.upto = upto
        self.events = 0
        self.groups: list[EventGroup] = []
        self.poll_events: list[TallyEvent] = []


async def _summed(
    store: EventStore,
    after: int,
    upto: int,
    page_size: int,
    window: int,
    counting: asyncio.Semaphore,
) -> RangeSum:
    d = RangeSum(after, upto)
    async with counting:
        d.groups = await store.count_events(after, upto, BALLOT_GROUPINGS, window=window)
    d.events = d.add_groups(d.groups)
    position = after
    while position < upto:
        page = await store.select_notifications(
            position, page_size, upto, POLL_TOPICS, inclusive_of_start=False
        )
        for event in decode_notifications(page):
            d.apply(event)
            d.poll_events.append(event)
            d.events += 1
        if len(page) < page_size:
            break
        position = page[-1].id
    need = sorted({p.position for p in d.polls.values() if p.as_of is None and p.position})
    if need:
        times = await store.field_values(need, [TIMESTAMP])
        for p in d.polls.values():
            if p.as_of is None and p.position:
                p.as_of = as_of_text(times[p.position][0])
    return d


async def sum_log(
    store: EventStore,
    after: int,
    upto: int,
    size: int,
    page_size: int = 5000,
    *,
    per_window: int = 0,
) -> AsyncIterator[RangeSum]:
    """The sums of (``after``, ``upto``] in consecutive ranges of ``size`` positions, in
    order, the last ending at ``upto``; the next ranges are summed meanwhile. With
    ``per_window``, each range's groups (:attr:`RangeSum.groups`) are counted per window of
    that many positions too, for the tally checkpoints."""
    todo = iter([(a, min(a + size, upto)) for a in range(after, upto, size)])
    window: deque[asyncio.Task[RangeSum]] = deque()
    counting = asyncio.Semaphore(READERS)

    def start() -> None:
        r = next(todo, None)
        if r is not None:
            summed = _summed(store, *r, page_size, per_window, counting)
            window.append(asyncio.ensure_future(summed))

    # READERS ranges counted at once, and as many more waiting to be counted the moment one
    # of those counts ends (not once its range's few other reads are done and handed out).
    for _ in range(2 * READERS):
        start()
    try:
        while window:
            summed = await window.popleft()
            start()
            yield summed
    finally:
        for task in window:
            task.cancel()
        if window:
            await asyncio.wait(window)
