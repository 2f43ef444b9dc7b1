"""The blue-green swap: making a rebuilt set of tally tables the active one, atomically.

One transaction takes the active-set pointer row exclusively — waiting for the live
projector's batches in flight (they hold it shared), holding new ones back — then brings over
from the old set whatever the live projector applied that the new set lacks, and points
readers and the projector at the new set. The new set holds every event up to its checkpoint
(replayed) and nothing after it, so what it lacks is, per ballot the old set has a row for,
the events past that checkpoint up to the old set's version, and per poll the events above
its version there; they are read from the store and applied exactly once
(:func:`projections.apply.apply_events`, which fills each ballot's chain from the new set's
own applied version). The old set is kept, ``retired``.
"""

from __future__ import annotations

from uuid import UUID

from projections.apply import apply_events
from projections.events import KINDS, decode_state
from projections.retry import retrying
from projections.schema import active_set, sql_for
from projections.sql import TallySQL
from vote_domain.stores.base import EventStore, Transaction

__all__ = ["swap_in"]


async def _bring_over(tx: Transaction, sql: TallySQL, old: str, new: str) -> int:
    """Apply to ``new`` the stream events ``old`` has applied beyond it; how many streams."""
    rows = await tx.execute(sql.select_checkpoint(), (new,))
    checkpoint = int(rows[0][0]) if rows else 0
    rows = await tx.execute(sql.ballots_beyond(old), (checkpoint,))
    events = []
    for bid, version in rows:
        # The newest event is enough: applying it fills the chain from the store.
        (stored,) = await tx.select_events(UUID(str(bid)), gt=int(version) - 1, lte=int(version))
        events.append(decode_state(KINDS[stored.topic], str(bid), int(version), stored.state, None))
    polls = await tx.execute(sql.polls_behind(old, new))
    for pid, version, applied in polls:
        for stored in await tx.select_events(UUID(str(pid)), gt=int(applied), lte=int(version)):
            events.append(
                decode_state(
                    KINDS[stored.topic], str(pid), stored.originator_version, stored.state, None
                )
            )
    for start in range(0, len(events), 500):
        await apply_events(tx, sql, new, events[start : start + 500])
    # Dates: the newest position either set has folded.
    dates = await tx.execute(sql.select_poll_dates(old))
    if dates:
        await tx.executemany(
            sql.upsert_polls(new, 1), [(pid, 0, 0, pos, as_of, 0) for pid, pos, as_of in dates]
        )
    return len(rows) + len(polls)


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
