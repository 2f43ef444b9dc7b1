"""Tally checkpoints: a poll's tally as of every ``EVERY``-th log position, so time travel
reads at most one window of the poll's events, whatever the length of the log.

Definition (the one every writer and verify follow): set ``S`` holds, for poll ``P`` and
boundary ``b`` (a multiple of :data:`EVERY`), the checkpoint ``(P, b)`` -- the full fold of
P's events at positions <= ``b`` (counts, last position and its time, final, the poll
stream's version, and ``max_as_of``: the latest time among those events) -- only if P has
an event in ``(b - EVERY, b]``. A checkpoint is a function of the log below ``b`` alone,
which is final once ``b`` is at or below a gap-safe position, so it never changes: writers
insert it if missing and never update it, in any order, as often as they like.

Who writes them: the live projector, after each batch, for the batch's polls whose newest
event is past their last checkpoint's window (:func:`advance_polls`), up to the log's
gap-safe end; replay, for every poll of the set it built (:func:`advance_set`). Each reads
the poll's events after its last checkpoint from the store's group index
(:meth:`EventStore.select_group`): no other poll's events. A crash between a batch's commit
and its checkpoints loses nothing: the next batch of that poll (or a replay) writes them.
``votes verify`` compares every checkpoint with a fold of the whole log
(:class:`CheckpointFold`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from projections.events import TallyEvent, decode_notifications
from projections.fold import LogFold, PollTally
from projections.schema import active_set, sql_for
from projections.sql import TallySQL
from vote_domain.stores import EventStore, Transaction

__all__ = [
    "EVERY",
    "Checkpoint",
    "CheckpointFold",
    "advance_polls",
    "advance_set",
    "boundary_of",
    "checkpoint_for",
    "complete_upto",
    "stored_checkpoints",
]

EVERY = 1000
"""Positions per checkpoint window: a read past a checkpoint folds at most this many of the
poll's events (plus what the projector has not reached yet)."""
PAGE = 2000
LAST_POSITION = 2**63 - 1


def boundary_of(position: int) -> int:
    """The end of the window holding ``position``: the least multiple of EVERY >= it."""
    return -(-position // EVERY) * EVERY


def complete_upto(position: int) -> int:
    """The end of the last window wholly at or below ``position``."""
    return position - position % EVERY


@dataclass(frozen=True)
class Checkpoint:
    """Poll ``poll_id``'s fold over positions <= ``position`` (see the module docstring)."""

    poll_id: str
    position: int
    version: int
    last_position: int
    last_as_of: str | None
    max_as_of: str
    final: bool
    counts: dict[str, int]

    def row(self) -> tuple[object, ...]:
        counts = json.dumps(self.counts, ensure_ascii=False, sort_keys=True)
        last = self.last_position
        return (self.poll_id, self.position, self.version, last, self.last_as_of,
                self.max_as_of, int(self.final), counts)  # fmt: skip

    @classmethod
    def of_row(cls, poll_id: str, row: Sequence[object]) -> Checkpoint:
        position, version, last, last_as_of, max_as_of, final, counts = row
        return cls(
            poll_id=poll_id,
            position=int(position),  # type: ignore[call-overload]
            version=int(version),  # type: ignore[call-overload]
            last_position=int(last),  # type: ignore[call-overload]
            last_as_of=None if last_as_of is None else str(last_as_of),
            max_as_of=str(max_as_of),
            final=bool(final),
            counts={str(k): int(v) for k, v in json.loads(str(counts)).items()},
        )

    def restore(self, fold: LogFold, options: Sequence[str]) -> PollTally:
        """Put this checkpoint's state into ``fold`` as poll ``poll_id``'s."""
        poll = fold.poll(self.poll_id)
        poll.options = tuple(options)
        poll.counts = dict(self.counts)
        poll.total = sum(self.counts.values())
        poll.version = self.version
        poll.position, poll.as_of = self.last_position, self.last_as_of
        poll.final = self.final
        return poll


class CheckpointFold(LogFold):
    """A fold of events in log order that takes every checkpoint as it passes it: when an
    event of a poll falls in a later window than the poll's previous one, the poll's state
    then is the checkpoint at that previous window's end. :meth:`finish` takes the last
    windows of those that end at or below ``upto``."""

    def __init__(self) -> None:
        super().__init__()
        self.window: dict[str, int] = {}
        self.max_as_of: dict[str, str] = {}
        self.taken: list[Checkpoint] = []

    def restore(self, checkpoint: Checkpoint, options: Sequence[str]) -> None:
        checkpoint.restore(self, options)
        self.max_as_of[checkpoint.poll_id] = checkpoint.max_as_of

    def apply(self, event: TallyEvent) -> PollTally:
        if event.position is None:
            raise ValueError("checkpoints fold events with their positions")
        pid = event.poll_id
        window = boundary_of(event.position)
        previous = self.window.get(pid)
        if previous is not None and previous != window:
            self._take(pid, previous)
        self.window[pid] = window
        known = self.max_as_of.get(pid)
        if known is None or event.timestamp > known:
            self.max_as_of[pid] = event.timestamp
        return super().apply(event)

    def _take(self, pid: str, boundary: int) -> None:
        poll = self.polls[pid]
        self.taken.append(
            Checkpoint(
                poll_id=pid,
                position=boundary,
                version=poll.version,
                last_position=poll.position,
                last_as_of=poll.as_of,
                max_as_of=self.max_as_of[pid],
                final=poll.final,
                counts={o: n for o, n in poll.counts.items()},
            )
        )

    def finish(self, upto: int) -> list[Checkpoint]:
        """Every checkpoint taken, with the last windows that end at or below ``upto``."""
        for pid, window in sorted(self.window.items()):
            if window <= upto:
                self._take(pid, window)
        self.window = {p: w for p, w in self.window.items() if w > upto}
        return self.taken


async def stored_checkpoints(store: EventStore, set_name: str) -> dict[tuple[str, int], Checkpoint]:
    """Every checkpoint of set ``set_name``, by (poll id, position)."""
    sql = sql_for(store)
    async with store.transaction() as tx:
        rows = await tx.execute(sql.select_all_checkpoints(set_name))
    return {(str(r[0]), int(r[1])): Checkpoint.of_row(str(r[0]), r[1:]) for r in rows}


async def checkpoint_for(
    tx: Transaction,
    sql: TallySQL,
    set_name: str,
    poll_id: str,
    *,
    position: int | None = None,
    as_of: str | None = None,
) -> Checkpoint | None:
    """Poll ``poll_id``'s latest checkpoint at or below ``position`` whose events all
    happened at or before ``as_of`` (each bound optional): two single-row index reads."""
    candidates: list[int] = []
    for statement, bound in (
        (sql.checkpoint_by_position(set_name), position),
        (sql.checkpoint_by_time(set_name), as_of),
    ):
        if bound is not None:
            rows = await tx.execute(statement, (poll_id, bound))
            if not rows:
                return None
            candidates.append(int(rows[0][0]))
    if not candidates:
        rows = await tx.execute(sql.checkpoint_by_position(set_name), (poll_id, LAST_POSITION))
        if not rows:
            return None
        candidates.append(int(rows[0][0]))
    # max_as_of never decreases with the position, so the lower of the two meets both.
    rows = await tx.execute(sql.select_tally_checkpoint(set_name), (poll_id, min(candidates)))
    return Checkpoint.of_row(poll_id, rows[0]) if rows else None


async def _advance(
    store: EventStore,
    sql: TallySQL,
    set_name: str,
    poll_id: str,
    last: Checkpoint | None,
    upto: int,
) -> list[Checkpoint]:
    """The checkpoints of ``poll_id`` after ``last`` whose windows end at or below ``upto``
    (a gap-safe position), folded from the poll's events in the store's group index."""
    end = complete_upto(upto)
    start = 0 if last is None else last.position
    if end <= start:
        return []
    fold = CheckpointFold()
    if last is not None:
        # (options come with the poll's creation, folded before any checkpoint)
        fold.restore(last, ())
    cursor = start
    while True:
        page = await store.select_group(poll_id, cursor, PAGE, end, inclusive_of_start=False)
        for event in decode_notifications(page):
            if event.poll_id == poll_id:
                fold.apply(event)
        if len(page) < PAGE:
            break
        cursor = page[-1].id
    return fold.finish(end)


async def _insert(store: EventStore, sql: TallySQL, name: str, found: Iterable[Checkpoint]) -> int:
    rows = [c.row() for c in found]
    if rows:
        async with store.transaction() as tx:
            await tx.executemany(sql.insert_checkpoints(name), rows)
    return len(rows)


async def _last(
    tx: Transaction, sql: TallySQL, name: str, poll_ids: Sequence[str]
) -> dict[str, Checkpoint]:
    """The latest checkpoint of each of ``poll_ids`` that has one, in one read per 500."""
    out: dict[str, Checkpoint] = {}
    for start in range(0, len(poll_ids), 500):
        part = list(poll_ids[start : start + 500])
        for row in await tx.execute(sql.last_checkpoints(name, len(part)), part):
            out[str(row[0])] = Checkpoint.of_row(str(row[0]), row[1:])
    return out


async def advance_polls(store: EventStore, newest: dict[str, int]) -> int:
    """After the live projector applied events up to position ``newest[poll]`` of each poll:
    the checkpoints of the active set that those polls now complete; how many were written.
    Polls whose newest event is still in their last checkpoint's next window cost one index
    read in all; the others read their events since their last checkpoint."""
    if not newest:
        return 0
    sql = sql_for(store)
    async with store.transaction() as tx:
        name = await active_set(tx, sql)
        last = await _last(tx, sql, name, sorted(newest))
    due = [
        pid
        for pid, position in sorted(newest.items())
        if boundary_of(position) - EVERY > (last[pid].position if pid in last else 0)
    ]
    if not due:
        return 0
    upto = await store.max_notification_id() or 0  # gap-safe: windows below it are final
    written = 0
    for pid in due:
        found = await _advance(store, sql, name, pid, last.get(pid), upto)
        written += await _insert(store, sql, name, found)
    return written


async def advance_set(store: EventStore, set_name: str, upto: int) -> int:
    """Every checkpoint of every poll of set ``set_name`` whose window ends at or below
    ``upto`` (a gap-safe position), from each poll's last one on (so an interrupted run
    resumes); how many were written."""
    sql = sql_for(store)
    async with store.transaction() as tx:
        poll_ids = [str(r[0]) for r in await tx.execute(sql.select_poll_ids(set_name))]
        last = await _last(tx, sql, set_name, poll_ids)
    written = 0
    for pid in poll_ids:
        found = await _advance(store, sql, set_name, pid, last.get(pid), upto)
        written += await _insert(store, sql, set_name, found)
    return written
