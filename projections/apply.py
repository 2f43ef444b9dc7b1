"""Applying tally events to a set of tally tables, exactly once, inside one transaction.

The set records, per poll and per ballot it has touched, the version applied so far. A ballot
the set has no row for is at its highest version at or below the set's replay checkpoint (the
replay folded exactly those events), looked up in the log by the unique (stream, version)
index, once per batch for all such ballots; 0 when nothing was replayed. Within the caller's
transaction the rows of the batch's ballots are claimed (created at that version if new) and
locked in id order; an event at or below the applied version is skipped; a version beyond the
next is preceded by the missing ones read from the store (``tx.select_events``), so a change
delivered before its cast is resolved. Events carry their own deltas (the option taken and the
one given up), so no option held is recorded. The batch is folded into one upsert per
(poll, option) and one per poll, in key order, so concurrent batches meet on a hot poll only
once each, and in the same order (no deadlock between them). Nothing here takes a table or
global lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from projections.events import CLOSED, CREATED, TallyEvent, decode
from projections.fold import Tallies
from projections.sql import TallySQL
from projections.tally import Tally
from vote_domain.stores import Transaction

__all__ = ["Changes", "apply_events", "read_tallies", "replayed_versions"]


class Changes(Tallies):
    """What one application changed: per poll the change to its tally, and the version each
    ballot is applied up to now."""

    def __init__(self) -> None:
        super().__init__()
        self.ballots: dict[str, int] = {}


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
        event = given.get(v) or decode(stored.topic, stream_id, v, stored.state)
        if event is not None:
            chain.append(event)
    return chain


async def _claim_polls(
    tx: Transaction, sql: TallySQL, set_name: str, ids: list[str]
) -> dict[str, int]:
    await tx.execute(sql.claim_polls(set_name, len(ids)), ids)
    rows = await tx.execute(sql.select_poll_versions(set_name, len(ids)), ids)
    return {str(r[0]): int(r[1]) for r in rows}


async def replayed_versions(
    tx: Transaction, sql: TallySQL, set_name: str, ids: Sequence[str]
) -> dict[str, int]:
    """The version of each of ``ids`` that set ``set_name``'s replay folded (absent: 0)."""
    rows = await tx.execute(sql.select_checkpoint(), (set_name,))
    checkpoint = int(rows[0][0]) if rows else 0
    if not checkpoint or not ids:
        return {}
    versions = await tx.max_versions(ids, upto=checkpoint)
    return {str(oid): version for oid, version in versions.items()}


async def _claim_ballots(
    tx: Transaction, sql: TallySQL, set_name: str, given: dict[str, dict[int, TallyEvent]]
) -> dict[str, int]:
    """The applied version of each ballot in ``given``; the rows of those with something to
    apply are created (if new) and locked, in id order."""
    ids = sorted(given)
    # A plain read first (no locks, so no gap locks on missing keys); the claim then locks.
    known = {str(r[0]) for r in await tx.execute(sql.select_ballots(set_name, len(ids)), ids)}
    missing = [i for i in ids if i not in known]
    applied = await replayed_versions(tx, sql, set_name, missing) if missing else {}
    applied = {i: applied.get(i, 0) for i in missing}
    # A ballot without a row whose events were all replayed needs no row: nothing to apply.
    claim = [i for i in ids if i in known or max(given[i]) > applied[i]]
    if claim:
        params: list[object] = []
        for i in claim:
            params.extend((i, applied.get(i, 0)))
        await tx.execute(sql.claim_ballots(set_name, len(claim)), params)
        rows = await tx.execute(sql.select_ballots(set_name, len(claim), lock=True), claim)
        applied.update({str(r[0]): int(r[1]) for r in rows})
    return applied


async def apply_events(
    tx: Transaction, sql: TallySQL, set_name: str, events: Sequence[TallyEvent]
) -> Changes:
    """Apply ``events`` (any order, duplicates allowed) to set ``set_name`` in ``tx``."""
    changes = Changes()
    ballots = _by_stream(events, poll_level=False)
    polls = _by_stream(events, poll_level=True)
    if ballots:
        applied = await _claim_ballots(tx, sql, set_name, ballots)
        for bid in sorted(ballots):
            chain = await _chain(tx, bid, applied.get(bid, 0), ballots[bid])
            for e in chain:
                changes.apply(e)
            if chain:
                changes.ballots[bid] = chain[-1].version
    if polls:
        ids = sorted(polls)
        applied = await _claim_polls(tx, sql, set_name, ids)
        for pid in ids:
            for e in await _chain(tx, pid, applied.get(pid, 0), polls[pid]):
                changes.apply(e)
    await _write(tx, sql, set_name, changes)
    return changes


async def _write(tx: Transaction, sql: TallySQL, set_name: str, changes: Changes) -> None:
    if changes.ballots:
        params: list[object] = []
        for bid in sorted(changes.ballots):
            params.extend((bid, changes.ballots[bid]))
        await tx.execute(sql.upsert_ballots(set_name, len(changes.ballots)), params)
    counts = changes.count_rows()
    if counts:
        await tx.execute(
            sql.upsert_counts(set_name, len(counts)), [v for row in counts for v in row]
        )
    polls = changes.poll_rows()
    if polls:
        await tx.execute(sql.upsert_polls(set_name, len(polls)), [v for row in polls for v in row])


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
