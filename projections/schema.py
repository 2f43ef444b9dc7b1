"""The projections' migrations and the sets of tally tables (create, list, activate, drop).

Migration ``("projections", 1)`` creates ``tally_sets``, ``tally_active`` and the first set,
``blue``, which it makes active. Further sets are made by ``replay --into NAME`` (plain DDL,
not migrations, since sets come and go) and removed by ``replay --drop NAME``. Migration
``("projections", 2)`` drops the ballot tables' ``choice`` column, which nothing writes any
more, from every set that has one (:class:`vote_domain.stores.ForEach`). Migration
``("projections", 3)`` gives every set its table of tally checkpoints
(:mod:`projections.checkpoints`).
"""

from __future__ import annotations

from dataclasses import dataclass

from projections.sql import TallySQL, check_set_name
from projections.sql_mysql import MySQLTallySQL
from projections.sql_sqlite import SQLiteTallySQL
from vote_domain.stores import EventStore, Migration, Transaction

__all__ = [
    "INITIAL_SET",
    "MIGRATIONS",
    "SetInfo",
    "active_set",
    "create_set",
    "drop_set",
    "list_sets",
    "migrate",
    "sql_for",
]

INITIAL_SET = "blue"
_SQL: dict[str, TallySQL] = {"sqlite": SQLiteTallySQL(), "mysql": MySQLTallySQL()}

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        component="projections",
        version=1,
        description="tally sets, the active-set pointer and the first set",
        sqlite=(*_SQL["sqlite"].create_shared(), *_SQL["sqlite"].create_set(INITIAL_SET)),
        mysql=(*_SQL["mysql"].create_shared(), *_SQL["mysql"].create_set(INITIAL_SET)),
    ),
    Migration(
        component="projections",
        version=2,
        description="ballot tables without the unwritten choice column",
        sqlite=(_SQL["sqlite"].drop_ballot_choice(),),
        mysql=(_SQL["mysql"].drop_ballot_choice(),),
    ),
    Migration(
        component="projections",
        version=3,
        description="tally checkpoints per poll in every set (bounded time travel)",
        sqlite=tuple(_SQL["sqlite"].create_missing_checkpoints()),
        mysql=tuple(_SQL["mysql"].create_missing_checkpoints()),
    ),
)


def sql_for(store: EventStore) -> TallySQL:
    """The tally SQL in ``store``'s dialect."""
    return _SQL[store.dialect]


async def migrate(store: EventStore) -> list[Migration]:
    """Create the store's and the projections' tables (idempotent)."""
    return await store.migrate(MIGRATIONS)


@dataclass(frozen=True)
class SetInfo:
    """One set of tally tables: ``active`` (served), ``building`` (being replayed into,
    ``checkpoint`` = last position folded) or ``retired`` (replaced, kept until dropped)."""

    name: str
    status: str
    checkpoint: int


async def active_set(tx: Transaction, sql: TallySQL, *, lock: str = "") -> str:
    """The name of the set readers and the live projector use."""
    rows = await tx.execute(sql.select_active(lock))
    if not rows:
        raise LookupError("no active tally set: run the projections migration first")
    return str(rows[0][0])


async def list_sets(store: EventStore) -> list[SetInfo]:
    """Every set of tally tables."""
    sql = sql_for(store)
    async with store.transaction() as tx:
        rows = await tx.execute(sql.select_sets())
    return [SetInfo(str(n), str(s), int(c)) for n, s, c in rows]


async def create_set(store: EventStore, name: str, status: str = "building") -> SetInfo:
    """Make the tables of set ``name`` (if missing) and register it; the set as it now is."""
    sql = sql_for(store)
    check_set_name(name)
    known = {s.name: s for s in await list_sets(store)}
    if name in known:  # registered only once its tables exist
        return known[name]
    async with store.transaction() as tx:
        for statement in sql.create_set(name):
            await tx.execute(statement)
    async with store.transaction() as tx:
        await tx.execute(sql.insert_set(), (name, status))
    return next(s for s in await list_sets(store) if s.name == name)


async def drop_set(store: EventStore, name: str) -> None:
    """Drop the tables of set ``name``; ValueError if it is the active set."""
    sql = sql_for(store)
    check_set_name(name)
    async with store.transaction() as tx:
        if await active_set(tx, sql, lock=sql.lock_update) == name:
            raise ValueError(f"tally set {name!r} is active: replay into another set first")
        await tx.execute(sql.delete_set(), (name,))
    async with store.transaction() as tx:
        for statement in sql.drop_set(name):
            await tx.execute(statement)
