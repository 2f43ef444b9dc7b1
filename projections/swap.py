"""The blue-green swap: making a rebuilt set of tally tables the active one, atomically.

One transaction takes the active-set pointer row exclusively — waiting for the live
projector's batches in flight (they hold it shared), holding new ones back — then brings over
from the old set whatever the live projector applied that the new set lacks, and points
readers and the projector at the new set. The new set holds every event up to its checkpoint
(replayed) and nothing after it, so what it lacks is, per ballot, its events past that
checkpoint up to the old set's version (read from the log after the checkpoint: the replay
caught up just before, so that is a short read), and per poll the events above its version
there; they are applied exactly once (:func:`projections.apply.apply_events`, which fills
each ballot's chain from the new set's own applied version). The old set is kept,
``retired``.
"""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from projections.apply import apply_events
from projections.events import BALLOT_TOPICS, TallyEvent, decode, decode_notifications
from projections.retry import retrying
from projections.schema import active_set, sql_for
from projections.sql import TallySQL
from vote_domain.stores import EventStore, Transaction

__all__ = ["swap_in"]

PAGE = 1000
BATCH = 500


async def _ballots_beyond(
    tx: Transaction, sql: TallySQL, old: str, checkpoint: int
) -> list[TallyEvent]:
    """Ballot events past ``checkpoint`` that set ``old`` has applied."""
    after: dict[str, list[TallyEvent]] = defaultdict(list)
    position = checkpoint
    while True:
        page = await tx.select_notifications(
            position, PAGE, topics=BALLOT_TOPICS, inclusive_of_start=False
        )
        for event in decode_notifications(page):
            after[event.originator_id].append(event)
        if len(page) < PAGE:
            break
        position = page[-1].id
    ids = sorted(after)
    applied: dict[str, int] = {}
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        rows = await tx.execute(sql.select_ballots(old, len(part)), part)
        applied.update({str(bid): int(version) for bid, version in rows})
    return [e for bid in ids for e in after[bid] if e.version <= applied.get(bid, 0)]


async def _bring_over(tx: Transaction, sql: TallySQL, old: str, new: str) -> int:
    """Apply to ``new`` the stream events ``old`` has applied beyond it; how many."""
    rows = await tx.execute(sql.select_checkpoint(), (new,))
    checkpoint = int(rows[0][0]) if rows else 0
    events = await _ballots_beyond(tx, sql, old, checkpoint)
    polls = await tx.execute(sql.polls_behind(old, new))
    for pid, version, applied in polls:
        for stored in await tx.select_events(UUID(str(pid)), gt=int(applied), lte=int(version)):
            event = decode(stored.topic, str(pid), stored.originator_version, stored.state)
            if event is not None:
                events.append(event)
    for start in range(0, len(events), BATCH):
        await apply_events(tx, sql, new, events[start : start + BATCH])
    # Dates: the newest position either set has folded.
    dates = await tx.execute(sql.select_poll_dates(old))
    if dates:
        await tx.executemany(
            sql.upsert_polls(new, 1), [(pid, 0, 0, pos, as_of, 0) for pid, pos, as_of in dates]
        )
    return len(events)


async def swap_in(store: EventStore, name: str) -> str:
    """Make set ``name`` the active one atomically; the name of the set it replaced."""
    return await retrying(lambda: _swap(store, name))


async def _swap(store: EventStore, name: str) -> str:
    sql = sql_for(store)
    async with store.transaction() as tx:
        old = await active_set(tx, sql, lock=sql.lock_update)
        if old == name:
            return old
        await _bring_over(tx, sql, old, name)
        await tx.execute(sql.update_active(), (name,))
        rows = await tx.execute(sql.select_sets())
        checkpoints = {str(n): int(c) for n, _s, c in rows}
        await tx.execute(sql.update_set(), ("active", checkpoints.get(name, 0), name))
        await tx.execute(sql.update_set(), ("retired", checkpoints.get(old, 0), old))
    return old
