"""Rebuilding tallies from the log: streaming replay into a fresh set, then an atomic swap.

The log is read in position order, page by page (:mod:`projections.logscan`), and only the
few JSON fields a tally needs are decoded: no aggregates, no domain-event objects. Pages are
folded in memory into per-(poll, option) deltas and per-poll positions, and every
``flush_every`` events these are written in bulk — in the background while the next pages
are read — in one transaction with the set's checkpoint (the last position folded). The
per-ballot record (each ballot's last version and the option it holds) is upserted by the
database straight from the log rows (:meth:`TallySQL.ballots_from_log`): with each flush,
or, on SQLite's first build, once for the whole range with the last flush. An
interrupted replay resumes from the checkpoint.

Blue-green: the replay builds a set that nobody reads while the live projector keeps serving
the active one; it catches up with the log, then swaps in one transaction that takes the
active-set pointer row exclusively (waiting for batches in flight, holding new ones back),
brings over from the old set whatever the live projector applied that the new set lacks
(ballots and polls at a higher version there, read from the store), and points readers and
the projector at the new set. The old set is kept, ``retired``, until dropped.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from projections.events import (
    CAST,
    CHANGED,
    CLOSED,
    CREATED,
    canonical_uuid,
    iso_time,
)
from projections.logscan import TallyRow, scan
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
from vote_domain.stores.base import EventStore

__all__ = ["Progress", "ReplayResult", "fold_into_set", "replay"]

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


class _Batch:
    """Deltas folded from the log positions in (``after``, last flushed position]."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.counts: dict[tuple[str, str], int] = {}
        self.ordinals: dict[tuple[str, str], int] = {}
        self.polls: dict[str, list] = {}  # poll_id -> [version, total, position, as_of, final]
        self.events = 0

    def poll(self, pid: str) -> list:
        row = self.polls.get(pid)
        if row is None:
            row = self.polls[pid] = [0, 0, 0, None, 0]
        return row


def _fold_page(batch: _Batch, page: Sequence[TallyRow], polls_hex: dict[str, str]) -> None:
    """Fold one page of tally rows into ``batch`` (the replay's hot loop)."""
    counts = batch.counts
    polls = batch.polls
    for position, oid, version, kind, poll_hex, option, previous, ts, options in page:
        if kind >= CAST:
            pid = polls_hex.get(poll_hex)
            if pid is None:
                pid = polls_hex[poll_hex] = canonical_uuid(poll_hex)
            if kind == CAST:
                key = (pid, option)
                counts[key] = counts.get(key, 0) + 1
                delta = 1
            elif kind == CHANGED:
                key = (pid, option)
                counts[key] = counts.get(key, 0) + 1
                key = (pid, previous)
                counts[key] = counts.get(key, 0) - 1
                delta = 0
            else:
                key = (pid, previous)
                counts[key] = counts.get(key, 0) - 1
                delta = -1
            row = polls.get(pid)
            if row is None:
                row = batch.poll(pid)
        else:
            pid = str(oid)
            delta = 0
            row = batch.poll(pid)
            row[0] = max(row[0], version)
            if kind == CREATED:
                for ordinal, name in enumerate(json.loads(options)):
                    batch.ordinals[(pid, name)] = ordinal
                    counts.setdefault((pid, name), 0)
            elif kind == CLOSED:
                row[4] = 1
        row[1] += delta
        row[2] = position
        row[3] = ts
    batch.events += len(page)


async def _flush(
    store: EventStore,
    sql: TallySQL,
    name: str,
    batch: _Batch,
    checkpoint: int,
    *,
    ballots_from: int | None = None,
    whole: bool = False,
) -> None:
    """Write ``batch`` and the checkpoint in one transaction. Ballot rows (version, option
    held) are upserted by the database straight from the log rows of the batch's range."""
    counts = [
        (pid, option, batch.ordinals.get((pid, option)), n)
        for (pid, option), n in sorted(batch.counts.items())
    ]
    polls = [
        (pid, v, total, pos, iso_time(ts) if ts is not None else None, final)
        for pid, (v, total, pos, ts, final) in sorted(batch.polls.items())
    ]
    async with store.transaction() as tx:
        if ballots_from is not None:
            statement = sql.ballots_from_log(name, whole=whole)
            await tx.execute(statement, (ballots_from, checkpoint))
        if counts:
            await tx.executemany(sql.upsert_counts(name, 1), counts)
        if polls:
            await tx.executemany(sql.upsert_polls(name, 1), polls)
        await tx.execute(sql.update_set(), ("building", checkpoint, name))


async def fold_into_set(
    store: EventStore,
    name: str,
    *,
    page_size: int = 5000,
    flush_every: int = 100_000,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Fold the log after set ``name``'s checkpoint into it, up to the end of the log as it
    is now; (events folded, new checkpoint)."""
    sql = sql_for(store)
    info = next(s for s in await list_sets(store) if s.name == name)
    position = info.checkpoint
    end = await store.max_notification_id() or 0
    total = max(end - position, 0)
    done = 0
    polls_hex: dict[str, str] = {}
    batch = _Batch(position)
    # Where the dialect prefers it (SQLite), a first build writes its ballot rows once, at its
    # end, in key order: a million random keys inserted flush after flush would rewrite most
    # of the table's pages every time.
    async with store.transaction() as tx:
        first_build = sql.ballots_at_end and not await tx.execute(sql.any_ballot(name))
    pending: asyncio.Task[None] | None = None
    try:
        async for page in scan(store, position, end, page_size):
            _fold_page(batch, page, polls_hex)
            position = page[-1][0]
            done = position - info.checkpoint
            if progress is not None:
                progress(done, total)
            if batch.events >= flush_every:
                if pending is not None:
                    await pending
                pending = asyncio.create_task(
                    _flush(
                        store,
                        sql,
                        name,
                        batch,
                        position,
                        ballots_from=None if first_build else batch.after,
                    )
                )
                batch = _Batch(position)
        position = max(position, end)  # every tally event up to ``end`` has been read
        if pending is not None:
            await pending
            pending = None
        await _flush(
            store,
            sql,
            name,
            batch,
            position,
            ballots_from=0 if first_build else batch.after,
            whole=first_build,
        )
    finally:
        if pending is not None:
            pending.cancel()
    if progress is not None:
        progress(total, total)
    return done, position


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
) -> ReplayResult:
    """Rebuild every tally from the log into set ``into`` (default: the inactive one of
    blue/green, rebuilt from scratch), resuming a build that was interrupted, then catch up
    and, if ``swap``, make it the active set. The replaced set is kept (``retired``)."""
    await migrate(store)
    name = await _target(store, into)
    await create_set(store, name)
    events, position = await fold_into_set(
        store, name, page_size=page_size, flush_every=flush_every, progress=progress
    )
    for _ in range(catch_up_passes):
        more, position = await fold_into_set(
            store, name, page_size=page_size, flush_every=flush_every
        )
        events += more
        if more < page_size:
            break
    replaced = await swap_in(store, name) if swap else None
    return ReplayResult(name, replaced, events, position)
