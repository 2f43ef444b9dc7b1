"""Rebuilding tallies from the log: streaming replay into a fresh set, then an atomic swap.

The log is summed range by range of positions (:mod:`projections.logsum`: the store counts
each range's ballot events by poll and option in the database, reading only the few state
fields a tally needs; no aggregates, no domain-event objects), and each range's per-(poll,
option) deltas and per-poll positions are written in bulk — in the background while the next
range is summed — in one transaction with the set's checkpoint (the range's end). No
per-ballot state is written: each ballot event carries its own deltas, and the live projector
derives a ballot's replayed version from the log and the checkpoint when it first meets it
(:mod:`projections.apply`). An interrupted replay resumes from the checkpoint.

Blue-green: the replay builds a set that nobody reads while the live projector keeps serving
the active one; it catches up with the log, then swaps in one transaction that takes the
active-set pointer row exclusively (waiting for batches in flight, holding new ones back),
brings over from the old set whatever the live projector applied that the new set lacks
(ballot events past the new set's checkpoint at or below the old set's versions, and polls at
a higher version there, read from the store), and points readers and the projector at the new
set. The old set is kept, ``retired``, until dropped.

Tally checkpoints (:mod:`projections.checkpoints`) are rebuilt in the same pass, before the
swap: the store counts each range per window of positions too (still one read of the range),
the range's tallies are summed from those groups, and a :class:`CheckpointFold` carries every
poll's running tally through the windows in order and takes the checkpoints it passes,
written after the range's transaction. A replay that resumes first folds the part of the log
already in its set for the checkpoints alone (:func:`build_checkpoints`, inserting what is
missing). Without checkpoints (the live projector then writes them as polls get votes), a
range is counted per poll and option only.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from projections import checkpoints as checkpoint_rules
from projections.checkpoints import (
    Checkpoint,
    CheckpointFold,
    boundary_of,
    complete_upto,
    insert,
    with_times,
)
from projections.events import TallyEvent
from projections.logsum import RangeSum, sum_log
from projections.schema import (
    INITIAL_SET,
    create_set,
    drop_set,
    list_sets,
    migrate,
    sql_for,
)
from projections.sql import TallySQL, check_set_name
from projections.swap import swap_in
from vote_domain.stores.base import EventGroup, EventStore

__all__ = ["Progress", "ReplayResult", "build_checkpoints", "fold_into_set", "replay"]

Progress = Callable[[int, int], None]
"""Called with (events read so far, events to read in all as far as known)."""

OTHER_COLOUR = {"blue": "green", "green": "blue"}


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did: the set built, the one it replaced, events read, last position."""

    set_name: str
    replaced: str | None
    events: int
    position: int


async def _flush(
    store: EventStore, sql: TallySQL, name: str, batch: RangeSum, taken: list[Checkpoint]
) -> None:
    """Write ``batch`` and the checkpoint (its end) in one transaction, then the tally
    checkpoints ``taken`` it completed."""
    counts, polls = batch.count_rows(), batch.poll_rows()
    async with store.transaction() as tx:
        if counts:
            await tx.executemany(sql.upsert_counts(name, 1), counts)
        if polls:
            await tx.executemany(sql.upsert_polls(name, 1), polls)
        await tx.execute(sql.update_set(), ("building", batch.upto, name))
    await insert(store, name, await with_times(store, taken))


def _windows_of(fold: CheckpointFold, batch: RangeSum) -> list[Checkpoint]:
    """Fold ``batch`` window by window into ``fold``; the checkpoints it passed."""
    groups: dict[int, list[EventGroup]] = defaultdict(list)
    for g in batch.groups:
        groups[g.window].append(g)
    events: dict[int, list[TallyEvent]] = defaultdict(list)
    for e in batch.poll_events:
        events[boundary_of(e.position or 0)].append(e)
    for window in sorted({*groups, *events}):
        fold.add_window(window, groups.get(window, ()), events.get(window, ()))
    return fold.finish(complete_upto(batch.upto))


async def build_checkpoints(
    store: EventStore,
    name: str,
    upto: int,
    *,
    page_size: int = 5000,
    flush_every: int = 100_000,
    fold: CheckpointFold | None = None,
) -> int:
    """Every tally checkpoint of the log up to ``upto`` (a gap-safe position) into set
    ``name``, from grouped counts per window (see the module docstring); how many. ``fold``,
    if given, is left as of ``upto``, to go on with the log after it."""
    fold = CheckpointFold() if fold is None else fold
    written = 0
    window = checkpoint_rules.WINDOW
    async for part in sum_log(store, 0, upto, flush_every, page_size, per_window=window):
        written += await insert(store, name, await with_times(store, _windows_of(fold, part)))
    rest = fold.finish(complete_upto(upto))
    return written + await insert(store, name, await with_times(store, rest))


async def fold_into_set(
    store: EventStore,
    name: str,
    *,
    page_size: int = 5000,
    flush_every: int = 100_000,
    progress: Progress | None = None,
    checkpoints: CheckpointFold | None = None,
) -> tuple[int, int]:
    """Fold the log after set ``name``'s checkpoint into it, up to the end of the log as it
    is now, ``flush_every`` positions per transaction; (events folded, new checkpoint).
    With ``checkpoints`` (a fold of the log up to that checkpoint), the tally checkpoints of
    the part folded too, from the same grouped counts (counted per window)."""
    sql = sql_for(store)
    info = next(s for s in await list_sets(store) if s.name == name)
    start = position = info.checkpoint
    end = max(await store.max_notification_id() or 0, position)
    total = end - start
    events = 0
    window = 0 if checkpoints is None else checkpoint_rules.WINDOW
    pending: asyncio.Task[None] | None = None
    try:
        async for deltas in sum_log(
            store, position, end, flush_every, page_size, per_window=window
        ):
            taken = [] if checkpoints is None else _windows_of(checkpoints, deltas)
            # Written in the background while the next range is summed.
            if pending is not None:
                await pending
            pending = asyncio.create_task(_flush(store, sql, name, deltas, taken))
            position, events = deltas.upto, events + deltas.events
            if progress is not None:
                progress(position - start, total)
        if pending is not None:
            await pending
            pending = None
    finally:
        if pending is not None:
            pending.cancel()
    if progress is not None:
        progress(total, total)
    return events, position


async def _target(store: EventStore, into: str | None) -> str:
    sets = {s.name: s for s in await list_sets(store)}
    active = next((s.name for s in sets.values() if s.status == "active"), INITIAL_SET)
    if into is None:
        into = OTHER_COLOUR.get(active, INITIAL_SET)
        if into in sets and sets[into].status == "retired":
            await drop_set(store, into)
        return into
    check_set_name(into)
    if into == active:
        raise ValueError(f"tally set {into!r} is the active set: replay into another name")
    if into in sets and sets[into].status == "retired":
        raise ValueError(f"tally set {into!r} holds retired tallies: drop it first (--drop)")
    return into


async def replay(
    store: EventStore,
    *,
    into: str | None = None,
    page_size: int = 5000,
    flush_every: int = 100_000,
    progress: Progress | None = None,
    swap: bool = True,
    catch_up_passes: int = 5,
    checkpoints: bool = True,
) -> ReplayResult:
    """Rebuild every tally from the log into set ``into`` (default: the inactive one of
    blue/green, rebuilt from scratch), resuming a build that was interrupted, then catch up,
    build its tally checkpoints (unless ``checkpoints`` is false: the live projector writes
    them as polls get votes) and, if ``swap``, make it the active set. The replaced set is
    kept (``retired``)."""
    await migrate(store)
    name = await _target(store, into)
    done = (await create_set(store, name)).checkpoint
    fold = None
    if checkpoints:  # those of the log a resumed build has folded already, then as it folds
        fold = CheckpointFold()
        await build_checkpoints(
            store, name, done, page_size=page_size, flush_every=flush_every, fold=fold
        )
    events, position = await fold_into_set(
        store,
        name,
        page_size=page_size,
        flush_every=flush_every,
        progress=progress,
        checkpoints=fold,
    )
    for _ in range(catch_up_passes):
        more, position = await fold_into_set(
            store, name, page_size=page_size, flush_every=flush_every, checkpoints=fold
        )
        events += more
        if more < page_size:
            break
    replaced = await swap_in(store, name) if swap else None
    return ReplayResult(name, replaced, events, position)
