"""Which positions the fast path has already published, so the scheduled relay skips them.

The fast path marks a position once EventBridge has accepted its event; the scheduled relay
publishes only the unmarked positions after its tracked one, then tracks and forgets the
marks at or below its new position. Without marks, every event would go out twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vote_domain import EventStore, Migration, Transaction

__all__ = ["MIGRATIONS", "forget_through", "mark", "marked_between"]

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        component="relay",
        version=1,
        description="positions the relay's fast path has published",
        sqlite=("CREATE TABLE IF NOT EXISTS relay_published (position INTEGER PRIMARY KEY)",),
        mysql=(
            "CREATE TABLE IF NOT EXISTS relay_published ("
            " position BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB",
        ),
    ),
)

_SQL = {
    "sqlite": {
        "mark": "INSERT OR IGNORE INTO relay_published (position) VALUES (?)",
        "between": ("SELECT position FROM relay_published WHERE position > ? AND position <= ?"),
        "forget": "DELETE FROM relay_published WHERE position <= ?",
    },
    "mysql": {
        "mark": "INSERT IGNORE INTO relay_published (position) VALUES (%s)",
        "between": ("SELECT position FROM relay_published WHERE position > %s AND position <= %s"),
        "forget": "DELETE FROM relay_published WHERE position <= %s",
    },
}


def _sql(store: EventStore, name: str) -> str:
    return _SQL[store.dialect][name]


async def mark(store: EventStore, positions: Iterable[int]) -> None:
    """Record that ``positions`` were published."""
    rows = [(p,) for p in positions]
    if rows:
        async with store.transaction() as txn:
            await txn.executemany(_sql(store, "mark"), rows)


async def marked_between(store: EventStore, after: int, through: int) -> set[int]:
    """The marked positions in ``(after, through]``."""
    async with store.transaction() as txn:
        rows: list[tuple[Any, ...]] = await txn.execute(_sql(store, "between"), (after, through))
    return {int(r[0]) for r in rows}


async def forget_through(txn: Transaction, store: EventStore, position: int) -> None:
    """Drop the marks at or below ``position`` (inside the transaction that tracks it)."""
    await txn.execute(_sql(store, "forget"), (position,))
