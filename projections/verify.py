"""Checking the live tallies, and the active set's tally checkpoints, against a fresh fold
of the whole log."""

from __future__ import annotations

from dataclasses import dataclass, replace

from projections.checkpoints import (
    Checkpoint,
    CheckpointFold,
    complete_upto,
    stored_checkpoints,
)
from projections.events import decode_notifications
from projections.query import all_tallies
from projections.replay import Progress
from projections.schema import active_set, sql_for
from projections.tally import Tally
from vote_domain.stores.base import EventStore

__all__ = ["Difference", "fold_log", "fold_log_with_checkpoints", "verify"]

COMPARED = ("counts", "total", "final")


@dataclass(frozen=True)
class Difference:
    """One poll whose live tally differs from the log's: the field and both values."""

    poll_id: str
    field: str
    live: object
    replayed: object

    def __str__(self) -> str:
        return f"{self.poll_id} {self.field}: live={self.live!r} replay={self.replayed!r}"


async def fold_log_with_checkpoints(
    store: EventStore, *, page_size: int = 5000, progress: Progress | None = None
) -> tuple[dict[str, Tally], dict[tuple[str, int], Checkpoint], int]:
    """Every poll's tally folded in memory from the whole log (writes nothing), every tally
    checkpoint of the log up to its end, and that end."""
    fold = CheckpointFold()
    end = await store.max_notification_id() or 0
    # No topic filter: on SQLite the store would then sort the rest of the log per page.
    async for page in store.iter_notifications(page_size=page_size):
        fold.apply_all(decode_notifications(n for n in page if n.id <= end))
        if progress is not None:
            progress(min(page[-1].id, end), end)
        if page[-1].id >= end:
            break
    checkpoints = {(c.poll_id, c.position): c for c in fold.finish(complete_upto(end))}
    return fold.tallies(), checkpoints, end


async def fold_log(
    store: EventStore, *, page_size: int = 5000, progress: Progress | None = None
) -> dict[str, Tally]:
    """Every poll's tally folded in memory from the whole log (writes nothing)."""
    tallies, _, _ = await fold_log_with_checkpoints(store, page_size=page_size, progress=progress)
    return tallies


def compare(live: dict[str, Tally], replayed: dict[str, Tally]) -> list[Difference]:
    """The differences between two sets of tallies (counts of 0 equal a missing option)."""
    out: list[Difference] = []
    for pid in sorted(set(live) | set(replayed)):
        a = live.get(pid) or Tally.empty(pid)
        b = replayed.get(pid) or Tally.empty(pid)
        for field in COMPARED:
            x, y = getattr(a, field), getattr(b, field)
            if field == "counts":
                x = {k: v for k, v in x.items() if v}
                y = {k: v for k, v in y.items() if v}
            if x != y:
                out.append(Difference(pid, field, x, y))
    return out


def compare_checkpoints(
    live: dict[tuple[str, int], Checkpoint], replayed: dict[tuple[str, int], Checkpoint], end: int
) -> list[Difference]:
    """Checkpoints at or below ``end`` that the live set holds and that differ from the
    log's, or that the log has no reason for (one the projector has not written yet is no
    difference: it is written when the poll's next batch comes, or by a replay)."""
    out: list[Difference] = []
    for (pid, position), checkpoint in sorted(live.items()):
        if position > end:
            continue
        expected = replayed.get((pid, position))
        if expected is None or _comparable(checkpoint) != _comparable(expected):
            out.append(Difference(pid, f"checkpoint@{position}", checkpoint, expected))
    return out


def _comparable(c: Checkpoint) -> Checkpoint:
    return replace(c, counts={k: v for k, v in sorted(c.counts.items()) if v})


async def verify(store: EventStore, *, progress: Progress | None = None) -> list[Difference]:
    """Differences between the active set's tallies and checkpoints and a fresh replay of
    the log."""
    replayed, checkpoints, end = await fold_log_with_checkpoints(store, progress=progress)
    live = await all_tallies(store)
    sql = sql_for(store)
    async with store.transaction() as tx:
        name = await active_set(tx, sql)
    stored = await stored_checkpoints(store, name)
    return compare(live, replayed) + compare_checkpoints(stored, checkpoints, end)
