"""Tally checkpoints: a poll's tally as of some window ends of the log, so time travel folds
a bounded number of the poll's events, whatever the length of the log.

The log is cut into windows of :data:`WINDOW` positions, ``(b - WINDOW, b]`` for ``b`` a
multiple of WINDOW. Definition (the one every writer and verify follow): set ``S`` holds the
checkpoint ``(P, b)`` -- the fold of poll P's events at positions <= ``b``: counts, last
position and its time, final -- exactly when

(a) P has at least :data:`DENSE` events in the window ending at ``b``, or
(b) ``b`` is a multiple of :data:`COARSE` and P has an event in ``(b - COARSE, b]``.

So a busy poll has one per window, a quiet one at most one per COARSE positions, and the
poll's events between a position and its nearest checkpoint below are fewer than
``2 * (COARSE / WINDOW) * DENSE + WINDOW`` (the windows without a checkpoint each hold fewer
than DENSE of them, and a coarse checkpoint follows any of them within COARSE positions).
A checkpoint is a function of the log below ``b`` alone, final once ``b`` is at or below a
gap-safe position: writers insert it if missing and never update it, in any order.

Who writes them: the live projector, after each batch, for the batch's polls that passed a
window end (:func:`advance_polls`: the poll's events after its last checkpoint, from the
store's group index, :meth:`EventStore.select_group`); replay, for every poll, from the same
grouped counts it folds the log with, counted per window (:class:`CheckpointFold.add_window`;
no event decoded one by one). A crash between a batch's commit and its checkpoints loses
nothing: the next batch of that poll writes them. ``votes verify`` compares every checkpoint
with a fold of the whole log (:class:`CheckpointFold`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from projections.events import TIMESTAMP, TallyEvent, as_of_text, decode_notifications, poll_key
from projections.fold import LogFold, PollTally
from projections.schema import active_set, sql_for
from projections.sql import TallySQL
from vote_domain.stores import EventGroup, EventStore, Transaction

__all__ = [
    "COARSE",
    "DENSE",
    "WINDOW",
    "Checkpoint",
    "CheckpointFold",
    "advance_polls",
    "boundary_of",
    "checkpoint_for",
    "complete_upto",
    "insert",
    "position_after",
    "stored_checkpoints",
    "with_times",
]

WINDOW = 1000
"""Positions per window."""
DENSE = 20
"""A poll with this many events in a window gets a checkpoint at its end."""
COARSE = 50_000
"""Every poll with an event in the last COARSE positions gets a checkpoint at a multiple."""
PAGE = 2000
LAST_POSITION = 2**63 - 1


def boundary_of(position: int) -> int:
    """The end of the window holding ``position``: the least multiple of WINDOW >= it."""
    return -(-position // WINDOW) * WINDOW


def complete_upto(position: int) -> int:
    """The end of the last window wholly at or below ``position``."""
    return position - position % WINDOW


@dataclass(frozen=True)
class Checkpoint:
    """Poll ``poll_id``'s fold over positions <= ``position`` (see the module docstring);
    ``last_as_of`` None only while a writer has still to read that time."""

    poll_id: str
    position: int
    last_position: int
    last_as_of: str | None
    final: bool
    counts: dict[str, int]

    def row(self) -> tuple[object, ...]:
        counts = json.dumps(self.counts, ensure_ascii=False, sort_keys=True)
        return (self.poll_id, self.position, self.last_position, self.last_as_of,
                int(self.final), counts)  # fmt: skip

    @classmethod
    def of_row(cls, poll_id: str, row: Sequence[object]) -> Checkpoint:
        position, last, last_as_of, final, counts = row
        return cls(
            poll_id=poll_id,
            position=int(position),  # type: ignore[call-overload]
            last_position=int(last),  # type: ignore[call-overload]
            last_as_of=str(last_as_of),
            final=bool(final),
            counts={str(k): int(v) for k, v in json.loads(str(counts)).items()},
        )

    def restore(self, fold: LogFold, options: Sequence[str]) -> PollTally:
        """Put this checkpoint's state into ``fold`` as poll ``poll_id``'s."""
        poll = fold.poll(self.poll_id)
        poll.options = tuple(options)
        poll.counts = dict(self.counts)
        poll.total = sum(self.counts.values())
        poll.version = 2 if self.final else 1  # (a poll's stream: created, then closed)
        poll.position, poll.as_of = self.last_position, self.last_as_of
        poll.final = self.final
        return poll


class CheckpointFold(LogFold):
    """A fold of the log in position order that takes the checkpoints it passes: events one
    by one (:meth:`apply`, verify and the live projector) or a window's grouped counts at a
    time (:meth:`add_window`, replay). A poll's window is closed -- rule (a), then rule (b)
    at the next multiple of COARSE -- when the poll's events move to a later window, or by
    :meth:`finish`."""

    def __init__(self) -> None:
        super().__init__()
        self.window: dict[str, int] = {}
        self.in_window: dict[str, int] = {}  # -1: rule (a) already decided
        self.taken: list[Checkpoint] = []

    def restore(self, checkpoint: Checkpoint, options: Sequence[str] = ()) -> None:
        """Continue poll ``checkpoint.poll_id`` from ``checkpoint``."""
        checkpoint.restore(self, options)
        window = boundary_of(checkpoint.last_position)
        if checkpoint.position < -(-window // COARSE) * COARSE:  # its rule (b) still to come
            self.resume(checkpoint.poll_id, checkpoint.last_position)

    def resume(self, poll_id: str, last_position: int) -> None:
        """Poll ``poll_id``'s state is as of its event at ``last_position``, the rule (a) of
        that event's window decided (or unknowable) already."""
        if last_position:
            self.window[poll_id] = boundary_of(last_position)
            self.in_window[poll_id] = -1

    def _enter(self, pid: str, window: int, events: int) -> None:
        current = self.window.get(pid)
        if current is not None and current != window:
            self._close(pid, window - WINDOW)
        if current != window:
            self.window[pid], self.in_window[pid] = window, 0
        if self.in_window[pid] >= 0:
            self.in_window[pid] += events

    def apply(self, event: TallyEvent) -> PollTally:
        if event.position is None:
            raise ValueError("checkpoints fold events with their positions")
        self._enter(event.poll_id, boundary_of(event.position), 1)
        return super().apply(event)

    def add_window(
        self, window: int, groups: Iterable[EventGroup], poll_events: Iterable[TallyEvent]
    ) -> None:
        """Fold one window's ballot events, as grouped counts of the window (times unread:
        a poll whose last event is among them has ``as_of`` None), and its poll events."""
        for g in groups:
            pid = poll_key(g.key[0])
            self._enter(pid, window, g.count)
            self.poll(pid).add(g)
        for event in poll_events:
            self.apply(event)

    def _close(self, pid: str, upto: int) -> None:
        """Take poll ``pid``'s checkpoints of its current window -- rule (a) at its end,
        rule (b) at the next multiple of COARSE -- those that end at or below ``upto``."""
        window = self.window[pid]
        if window > upto:
            return
        dense = self.in_window[pid] >= DENSE
        if dense:
            self._take(pid, window)
        self.in_window[pid] = -1
        coarse = -(-window // COARSE) * COARSE
        if coarse > upto:
            return  # (closed again once the log passes it)
        if not (dense and coarse == window):
            self._take(pid, coarse)
        del self.window[pid], self.in_window[pid]

    def _take(self, pid: str, boundary: int) -> None:
        poll = self.polls[pid]
        self.taken.append(
            Checkpoint(pid, boundary, poll.position, poll.as_of, poll.final, dict(poll.counts))
        )

    def finish(self, upto: int) -> list[Checkpoint]:
        """Every checkpoint taken so far, with those of windows ending at or below ``upto``
        (a window end); the list is then emptied."""
        for pid in sorted(self.window):
            self._close(pid, upto)
        taken, self.taken = self.taken, []
        return taken


async def with_times(store: EventStore, found: list[Checkpoint]) -> list[Checkpoint]:
    """``found``, each with the time of its last event (read by position where unknown)."""
    need = sorted({c.last_position for c in found if c.last_as_of is None})
    if not need:
        return found
    times = await store.field_values(need, [TIMESTAMP])
    return [
        c if c.last_as_of else replace(c, last_as_of=as_of_text(times[c.last_position][0]))
        for c in found
    ]


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
    settled_before: str | None = None,
) -> Checkpoint | None:
    """A checkpoint of ``poll_id`` at or below ``position`` whose last event happened at or
    before ``settled_before`` (each bound optional), the latest such by each bound: three
    single-row index reads at most. As the stores enforce (:mod:`vote_domain.stores.stamps`),
    every event of a checkpoint happened before its last one's time plus TIME_DISORDER."""
    candidates: list[int] = []
    bounds = ((sql.checkpoint_by_position(set_name), position),
              (sql.checkpoint_by_time(set_name), settled_before))  # fmt: skip
    for statement, bound in bounds:
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
    # A checkpoint below one that meets a bound meets it too: its events are among that one's.
    rows = await tx.execute(sql.select_tally_checkpoint(set_name), (poll_id, min(candidates)))
    return Checkpoint.of_row(poll_id, rows[0]) if rows else None


async def position_after(
    tx: Transaction, sql: TallySQL, set_name: str, poll_id: str, horizon: str
) -> int | None:
    """The position of a checkpoint of ``poll_id`` whose last event happened after
    ``horizon`` (one index read; None if none has yet): every event of the poll positioned
    after it happened after ``horizon`` minus TIME_DISORDER, as the stores enforce."""
    rows = await tx.execute(sql.checkpoint_after_time(set_name), (poll_id, horizon))
    return int(rows[0][0]) if rows else None


async def _advance(
    store: EventStore, poll_id: str, last: Checkpoint | None, upto: int
) -> list[Checkpoint]:
    """The checkpoints of ``poll_id`` after ``last`` in windows ending at or below ``upto``
    (a gap-safe position), folded from the poll's events in the store's group index."""
    end = complete_upto(upto)
    start = 0 if last is None else last.position
    if end <= start:
        return []
    fold = CheckpointFold()
    if last is not None:
        fold.restore(last)
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


async def insert(store: EventStore, set_name: str, found: Iterable[Checkpoint]) -> int:
    """Write ``found`` (times known) to set ``set_name``, keeping those already there."""
    rows = [c.row() for c in found]
    if rows:
        async with store.transaction() as tx:
            await tx.executemany(sql_for(store).insert_checkpoints(set_name), rows)
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


async def advance_polls(
    store: EventStore, newest: dict[str, int], examined: dict[str, int] | None = None
) -> int:
    """After the live projector applied events up to position ``newest[poll]`` of each poll:
    the checkpoints of the active set those polls now complete; how many were written. A
    poll is looked at once its newest event is past a window end it has not been looked at
    up to (``examined``, this process's memory of that, may be given and shared by the
    process's projectors: a batch claims its polls there before it reads anything, so
    batches applied at once do not all read the same window); then its events since its
    last checkpoint are read, up to that window end (at most the log's gap-safe end): a
    projector catching up with a long log reads each window of a poll once, as it passes
    it."""
    examined = {} if examined is None else examined
    wanted = {p: n for p, n in newest.items() if complete_upto(n) > examined.get(p, 0)}
    if not wanted:
        return 0
    claimed = {p: examined.get(p, 0) for p in wanted}
    examined.update({p: complete_upto(n) for p, n in wanted.items()})
    try:
        return await _advance_claimed(store, wanted, examined)
    except BaseException:
        examined.update(claimed)  # (looked at again by the next batch of those polls)
        raise


async def _advance_claimed(
    store: EventStore, wanted: dict[str, int], examined: dict[str, int]
) -> int:
    sql = sql_for(store)
    async with store.transaction() as tx:
        name = await active_set(tx, sql)
        last = await _last(tx, sql, name, sorted(wanted))
    due: list[str] = []
    for pid, position in sorted(wanted.items()):
        reached = last[pid].position if pid in last else 0
        if complete_upto(position) > reached:
            due.append(pid)
        else:  # (another process took them)
            examined[pid] = reached
    if not due:
        return 0
    upto = await store.max_notification_id() or 0  # gap-safe: windows below it are final
    written = 0
    for pid in due:
        reach = min(upto, wanted[pid])
        examined[pid] = complete_upto(reach)
        written += await insert(store, name, await _advance(store, pid, last.get(pid), reach))
    if len(examined) > 100_000:
        examined.clear()
    return written
