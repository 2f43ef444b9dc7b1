"""Reading tallies: the current ones from the active set, and any poll's as of the past.

Time travel (:func:`tally_at`) starts from the poll's latest tally checkpoint at or before
the asked position, and whose last event is :data:`TIME_DISORDER` before the asked time
(:mod:`projections.checkpoints`: at most three single-row index reads), and folds the poll's
events after it, read from the store's group index (:meth:`EventStore.select_group`): fewer
than the bound that module states, plus those the projector has not checkpointed yet, plus
-- for a time -- the poll's events within :data:`TIME_DISORDER` around it; never another
poll's events, so the cost does not grow with the log. It gives exactly what
:func:`fold_tally_at` gives, the reference fold of the log from the poll's creation (kept as
the oracle of the property tests), because event times run out of position order by less
than :data:`~vote_domain.stores.stamps.TIME_DISORDER` (2.5 s), a bound every store enforces.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from projections.apply import read_tallies
from projections.checkpoints import checkpoint_for, position_after
from projections.events import (
    CREATED,
    POLL,
    TIMESTAMP,
    TallyEvent,
    as_of_text,
    decode,
    decode_notifications,
)
from projections.fold import LogFold
from projections.schema import active_set, sql_for
from projections.tally import Tally
from vote_domain.codec import read_fields
from vote_domain.stores import EventStore
from vote_domain.stores.stamps import TIME_DISORDER

__all__ = [
    "all_tallies",
    "fold_tally_at",
    "get_tallies",
    "get_tally",
    "position_at",
    "tally_at",
]

LAST_POSITION = 2**63 - 1
PAGE = 2000
FIRST_PAGE = 100


async def get_tally(store: EventStore, poll_id: UUID | str) -> Tally | None:
    """The current tally of ``poll_id`` from the active set (None if it has none yet)."""
    pid = str(UUID(str(poll_id)))
    return (await get_tallies(store, [pid])).get(pid)


async def get_tallies(store: EventStore, poll_ids: Sequence[UUID | str]) -> dict[str, Tally]:
    """The current tallies of several polls in one read, by poll id (polls without a
    tally yet are left out)."""
    pids = [str(UUID(str(p))) for p in poll_ids]
    if not pids:
        return {}
    sql = sql_for(store)
    async with store.transaction() as tx:
        name = await active_set(tx, sql)
        return await read_tallies(tx, sql, name, pids)


async def all_tallies(store: EventStore, set_name: str | None = None) -> dict[str, Tally]:
    """Every poll's tally in ``set_name`` (default: the active set), by poll id."""
    sql = sql_for(store)
    async with store.transaction() as tx:
        name = set_name or await active_set(tx, sql)
        return await read_tallies(tx, sql, name)


async def _time_of(store: EventStore, position: int) -> tuple[int, str] | None:
    """The first event at or after ``position``: its position and time."""
    page = await store.select_notifications(position, 1)
    if not page:
        return None
    (when,) = read_fields(page[0].state, [TIMESTAMP])
    return page[0].id, as_of_text(when)


async def position_at(store: EventStore, when: datetime) -> int:
    """The highest position whose event happened at or before ``when`` (0 if none), found by
    bisecting the log on event times (which follow positions within TIME_DISORDER)."""
    target = as_of_text(when)
    high = await store.max_notification_id()
    if not high:
        return 0
    low, best = 1, 0
    while low <= high:
        mid = (low + high) // 2
        found = await _time_of(store, mid)
        if found is None:
            high = mid - 1
            continue
        pos, ts = found
        if ts <= target:
            best, low = pos, pos + 1
        else:
            high = mid - 1
    return best


async def _created(store: EventStore, poll_uuid: UUID) -> TallyEvent | None:
    stream = await store.select_events(poll_uuid, limit=1)
    created = decode(stream[0].topic, str(poll_uuid), 1, stream[0].state) if stream else None
    return created if created is not None and created.kind == CREATED else None


async def tally_at(
    store: EventStore,
    poll_id: UUID | str,
    at: datetime | None = None,
    position: int | None = None,
) -> Tally | None:
    """The tally of ``poll_id`` as of time ``at`` and/or log ``position`` (both None: now),
    from its nearest checkpoint and its events since (see the module docstring); None if
    there is no such poll."""
    poll_uuid = UUID(str(poll_id))
    pid = str(poll_uuid)
    created = await _created(store, poll_uuid)
    if created is None:
        return None
    if position is not None:
        position = min(position, LAST_POSITION)  # (no log holds more)
    cutoff = as_of_text(at) if at is not None else None
    # Past this time every event happened after ``at`` (the time disorder bound).
    horizon = as_of_text(at + TIME_DISORDER) if at is not None else None
    sql = sql_for(store)
    async with store.transaction() as tx:
        name = await active_set(tx, sql)
        # A checkpoint whose last event is TIME_DISORDER before ``at`` holds no event after ``at``.
        settled = as_of_text(at - TIME_DISORDER) if at is not None else None
        checkpoint = await checkpoint_for(
            tx, sql, name, pid, position=position, settled_before=settled
        )
        # Past a checkpoint whose last event is beyond the horizon, no event is before ``at``.
        if horizon is not None:
            beyond = await position_after(tx, sql, name, pid, horizon)
            if beyond is not None:
                position = beyond if position is None else min(position, beyond)
    fold = LogFold()
    if checkpoint is None:
        fold.poll(pid).options = created.options
        cursor = 0
    else:
        checkpoint.restore(fold, created.options)
        cursor = checkpoint.position
    # Pages grow from FIRST_PAGE: a read that stops at the horizon reads at most about twice
    # the events it needs, not a whole PAGE.
    size = FIRST_PAGE
    while True:
        page = await store.select_group(poll_uuid, cursor, size, position, inclusive_of_start=False)
        for event in decode_notifications(page):
            if horizon is not None and event.timestamp > horizon:
                return fold.poll(pid).to_tally()
            if event.poll_id != pid or (cutoff is not None and event.timestamp > cutoff):
                continue
            fold.apply(event)
        if len(page) < size:
            break
        cursor, size = page[-1].id, min(2 * size, PAGE)
    return fold.poll(pid).to_tally()


async def fold_tally_at(
    store: EventStore,
    poll_id: UUID | str,
    at: datetime | None = None,
    position: int | None = None,
) -> Tally | None:
    """The tally of ``poll_id`` as of time ``at`` and/or log ``position`` (both None: now),
    folded from the log from shortly before the poll's creation (a scan of every event
    since, each poll's skipped undecoded by a byte search for the poll's id); None if there
    is no such poll. The reference :func:`tally_at` is checked against."""
    poll_uuid = UUID(str(poll_id))
    pid = str(poll_uuid)
    stream = await store.select_events(poll_uuid, limit=1)
    created = decode(stream[0].topic, pid, 1, stream[0].state) if stream else None
    if created is None or created.kind != CREATED:
        return None
    start = await position_at(store, datetime.fromisoformat(created.timestamp) - TIME_DISORDER)
    cutoff = as_of_text(at) if at is not None else None
    stop = position
    if at is not None:
        bound = await position_at(store, at + TIME_DISORDER)
        stop = bound if stop is None else min(stop, bound)
    # Ballot events name their poll in the one field the counting rule reads it from.
    needles = {f.marker(poll_uuid) for f in POLL.values()}
    fold = LogFold()
    fold.poll(pid).options = created.options
    cursor = max(start - 1, 0)
    while True:
        page = await store.select_notifications(cursor, PAGE, stop, inclusive_of_start=False)
        for n in page:
            state = n.state
            if str(n.originator_id) != pid and not any(m in state for m in needles):
                continue
            event = decode(n.topic, n.originator_id, n.originator_version, state, n.id)
            if event is None or event.poll_id != pid:
                continue
            if cutoff is not None and event.timestamp > cutoff:
                continue
            fold.apply(event)
        if len(page) < PAGE:
            break
        cursor = page[-1].id
    return fold.poll(pid).to_tally()
