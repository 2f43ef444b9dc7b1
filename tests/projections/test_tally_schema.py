"""The projections' migrations: version 2 drops the unwritten ``choice`` column from the
ballot table of every set that has one, version 3 gives every set its checkpoint table, on
both dialects, each applied once."""

from __future__ import annotations

import pytest

from projections import MIGRATIONS, list_sets
from vote_domain.stores import EventStore, ForEach, Transaction

OLD_BALLOTS = {  # a set's ballot table as sets were made before migration 2
    "sqlite": "CREATE TABLE tally_green_ballots (ballot_id TEXT PRIMARY KEY,"
    " version INTEGER NOT NULL, choice TEXT) WITHOUT ROWID",
    "mysql": "CREATE TABLE tally_green_ballots (ballot_id CHAR(36) NOT NULL PRIMARY KEY,"
    " version INT NOT NULL, choice VARCHAR(255) NULL) ENGINE=InnoDB",
}


async def columns(tx: Transaction, dialect: str, table: str) -> list[str]:
    if dialect == "sqlite":
        return [str(r[1]) for r in await tx.execute(f"PRAGMA table_info({table})")]
    rows = await tx.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = DATABASE() AND table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [str(r[0]) for r in rows]


async def test_migration_2_drops_choice_from_every_set(store: EventStore) -> None:
    first, second, third = MIGRATIONS
    await store.migrate([first])
    async with store.transaction() as tx:  # as databases migrated before version 2 are
        await tx.execute("ALTER TABLE tally_blue_ballots ADD COLUMN choice TEXT")
        await tx.execute(OLD_BALLOTS[store.dialect])
    assert await store.migrate(MIGRATIONS) == [second, third]
    async with store.transaction() as tx:
        for table in ("tally_blue_ballots", "tally_green_ballots"):
            assert await columns(tx, store.dialect, table) == ["ballot_id", "version"]
    assert await store.migrate(MIGRATIONS) == []
    assert [s.name for s in await list_sets(store)] == ["blue"]


async def test_migration_3_gives_every_set_a_checkpoint_table(store: EventStore) -> None:
    first, second, third = MIGRATIONS
    await store.migrate([first, second])
    async with store.transaction() as tx:  # as sets were made before version 3
        await tx.execute("DROP TABLE tally_blue_checkpoints")
        await tx.execute(OLD_BALLOTS[store.dialect].replace(", choice", ", size"))
        await tx.execute("INSERT INTO tally_sets (set_name, status) VALUES ('green', 'building')")
    assert await store.migrate(MIGRATIONS) == [third]
    async with store.transaction() as tx:
        for name in ("blue", "green"):
            assert await columns(tx, store.dialect, f"tally_{name}_checkpoints") == [
                "poll_id",
                "position",
                "last_position",
                "last_as_of",
                "is_final",
                "counts",
            ]
    assert await store.migrate(MIGRATIONS) == []


def test_for_each_takes_only_plain_names() -> None:
    each = ForEach("SELECT ...", "DROP TABLE {0}")
    assert each.statements([("tally_x_ballots",)]) == ["DROP TABLE tally_x_ballots"]
    with pytest.raises(ValueError, match="plain SQL names"):
        each.statements([("x; DROP TABLE stored_events",)])
