"""Checking the live tallies against a fresh fold of the whole log."""

from __future__ import annotations

from dataclasses import dataclass

from projections.events import decode_notifications
from projections.fold import LogFold
from projections.query import all_tallies
from projections.replay import Progress
from projections.tally import Tally
from vote_domain.stores.base import EventStore

__all__ = ["Difference", "fold_log", "verify"]

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


async def fold_log(
    store: EventStore, *, page_size: int = 5000, progress: Progress | None = None
) -> dict[str, Tally]:
    """Every poll's tally folded in memory from the whole log (writes nothing)."""
    fold = LogFold()
    end = await store.max_notification_id() or 0
    # No topic filter: on SQLite the store would then sort the rest of the log per page.
    async for page in store.iter_notifications(page_size=page_size):
        fold.apply_all(decode_notifications(page))
        if progress is not None:
            progress(min(page[-1].id, end), end)
    return fold.tallies()


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


async def verify(store: EventStore, *, progress: Progress | None = None) -> list[Difference]:
    """Differences between the active set's tallies and a fresh replay of the log."""
    replayed = await fold_log(store, progress=progress)
    live = await all_tallies(store)
    return compare(live, replayed)
