"""Applying tally events to a set of tally tables, exactly once, inside one transaction.

The set records, per ballot and per poll, the version applied so far. Within the caller's
transaction the rows of the batch's ballots are claimed (created at version 0 if new) and
locked in id order; an event at or below the applied version is skipped; a version beyond the
next is preceded by the missing ones read from the store (``tx.select_events``), so a change
delivered before its cast is resolved. The batch is folded into one upsert per (poll, option)
and one per poll, in key order, so concurrent batches meet on a hot poll only once each, and
in the same order (no deadlock between them). Nothing here takes a table or global lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from projections.events import CLOSED, CREATED, KINDS, TallyEvent, decode_state
from projections.fold import ballot_deltas, held_after
from projections.sql import TallySQL
from projections.tally import Tally
from vote_domain.stores.base import Transaction

__all__ = ["Changes", "apply_events", "read_tallies"]


@dataclass
class _PollDelta:
    version: int = 0
    total: int = 0
    position: int = 0
    as_of: str | None = None
    final: int = 0

    def seen(self, event: TallyEvent) -> None:
        if event.position is not None and event.position > self.position:
            self.position, self.as_of = event.position, event.timestamp


@dataclass
class Changes:
    """What one application changed: ballot rows, count deltas, poll rows."""

    ballots: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    counts: dict[tuple[str, str], list[int | None]] = field(default_factory=dict)
    polls: dict[str, _PollDelta] = field(default_factory=lambda: defaultdict(_PollDelta))

    def count(self, poll_id: str, option: str, delta: int, ordinal: int | None = None) -> None:
        row = self.counts.setdefault((poll_id, option), [None, 0])
        if ordinal is not None:
            row[0] = ordinal
        row[1] = int(row[1] or 0) + delta  # type: ignore[call-overload]


def _by_stream(events: Iterable[TallyEvent], poll_level: bool) -> dict[str, dict[int, TallyEvent]]:
    streams: dict[str, dict[int, TallyEvent]] = defaultdict(dict)
    for e in events:
        if (e.kind in (CREATED, CLOSED)) == poll_level:
            streams[e.originator_id].setdefault(e.version, e)
    return streams


async def _chain(
    tx: Transaction, stream_id: str, applied: int, given: dict[int, TallyEvent]
) -> list[TallyEvent]:
    """The events of one stream after ``applied`` up to the highest given, none missing."""
    top = max(given)
    if top <= applied:
        return []
    if all(v in given for v in range(applied + 1, top + 1)):
        return [given[v] for v in range(applied + 1, top + 1)]
    chain: list[TallyEvent] = []
    for stored in await tx.select_events(stream_id, gt=applied, lte=top):
        v = stored.originator_version
        event = given.get(v) or decode_state(KINDS[stored.topic], stream_id, v, stored.state, None)
        chain.append(event)
    return chain


async def _claim(
    tx: Transaction, sql: TallySQL, ids: list[str], claim: str, select: str, zero: bool
) -> dict[str, tuple[int, str | None]]:
    params: list[object] = []
    for i in ids:
        params.extend((i, 0) if zero else (i,))
    await tx.execute(claim, params)
    rows = await tx.execute(select, ids)
    return {str(r[0]): (int(r[1]), r[2] if len(r) > 2 else None) for r in rows}


async def apply_events(
    tx: Transaction, sql: TallySQL, set_name: str, events: Sequence[TallyEvent]
) -> Changes:
    """Apply ``events`` (any order, duplicates allowed) to set ``set_name`` in ``tx``."""
    changes = Changes()
    ballots = _by_stream(events, poll_level=False)
    polls = _by_stream(events, poll_level=True)
    if ballots:
        ids = sorted(ballots)
        applied = await _claim(
            tx,
            sql,
            ids,
            sql.claim_ballots(set_name, len(ids)),
            sql.select_ballots(set_name, len(ids)),
            zero=True,
        )
        for bid in ids:
            version, held = applied.get(bid, (0, None))
            chain = await _chain(tx, bid, version, ballots[bid])
            for e in chain:
                for option, delta in ballot_deltas(e):
                    changes.count(e.poll_id, option, delta)
                    changes.polls[e.poll_id].total += delta
                changes.polls[e.poll_id].seen(e)
                version, held = e.version, held_after(e)
            if chain:
                changes.ballots[bid] = (version, held)
    if polls:
        ids = sorted(polls)
        applied = await _claim(
            tx,
            sql,
            ids,
            sql.claim_polls(set_name, len(ids)),
            sql.select_poll_versions(set_name, len(ids)),
            zero=False,
        )
        for pid in ids:
            chain = await _chain(tx, pid, applied.get(pid, (0, None))[0], polls[pid])
            if not chain:
                continue
            delta = changes.polls[pid]
            for e in chain:
                if e.kind == CREATED:
                    for ordinal, option in enumerate(e.options):
                        changes.count(pid, option, 0, ordinal)
                else:
                    delta.final = 1
                delta.version = e.version
                delta.seen(e)
    await _write(tx, sql, set_name, changes)
    return changes


async def _write(tx: Transaction, sql: TallySQL, set_name: str, changes: Changes) -> None:
    if changes.ballots:
        params: list[object] = []
        for bid in sorted(changes.ballots):
            params.extend((bid, *changes.ballots[bid]))
        await tx.execute(sql.upsert_ballots(set_name, len(changes.ballots)), params)
    counts = [
        (pid, option, ordinal, n)
        for (pid, option), (ordinal, n) in sorted(changes.counts.items())
        if n or ordinal is not None
    ]
    if counts:
        await tx.execute(
            sql.upsert_counts(set_name, len(counts)), [v for row in counts for v in row]
        )
    if changes.polls:
        params = []
        for pid in sorted(changes.polls):
            d = changes.polls[pid]
            params.extend((pid, d.version, d.total, d.position, d.as_of, d.final))
        await tx.execute(sql.upsert_polls(set_name, len(changes.polls)), params)


async def read_tallies(
    tx: Transaction, sql: TallySQL, set_name: str, poll_ids: Sequence[str] | None = None
) -> dict[str, Tally]:
    """The tallies of ``poll_ids`` (None: of every poll) in set ``set_name``."""
    if poll_ids is not None and not poll_ids:
        return {}
    rows = await tx.execute(
        sql.select_tallies(set_name, None if poll_ids is None else len(poll_ids)),
        list(poll_ids or ()),
    )
    out: dict[str, Tally] = {}
    current: dict[str, object] | None = None
    for pid, total, position, as_of, final, choice, _ordinal, n in rows:
        pid = str(pid)
        if current is None or current["poll_id"] != pid:
            if current is not None:
                out[str(current["poll_id"])] = Tally(**current)  # type: ignore[arg-type]
            current = {
                "poll_id": pid,
                "counts": {},
                "total": int(total),
                "position": int(position),
                "as_of": as_of,
                "final": bool(final),
            }
        if choice is not None:
            current["counts"][choice] = int(n)  # type: ignore[index]
    if current is not None:
        out[str(current["poll_id"])] = Tally(**current)  # type: ignore[arg-type]
    return out
