"""The tally tables' SQL for SQLite."""

from __future__ import annotations

from projections.sql import TallySQL, check_set_name
from vote_domain.stores import ForEach

__all__ = ["SQLiteTallySQL"]


class SQLiteTallySQL(TallySQL):
    """SQLite statements (``?`` parameters, ``ON CONFLICT`` upserts, no row locks: the store's
    transactions are serialised by ``BEGIN IMMEDIATE``)."""

    ph = "?"

    def create_shared(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS tally_sets ("
            " set_name TEXT PRIMARY KEY,"
            " status TEXT NOT NULL,"
            " checkpoint INTEGER NOT NULL DEFAULT 0,"
            " created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
            "CREATE TABLE IF NOT EXISTS tally_active ("
            " id INTEGER PRIMARY KEY,"
            " set_name TEXT NOT NULL)",
            "INSERT OR IGNORE INTO tally_sets (set_name, status) VALUES ('blue', 'active')",
            "INSERT OR IGNORE INTO tally_active (id, set_name) VALUES (1, 'blue')",
        ]

    def create_set(self, name: str) -> list[str]:
        p = f"tally_{check_set_name(name)}"
        return [
            f"CREATE TABLE IF NOT EXISTS {p}_polls ("
            " poll_id TEXT PRIMARY KEY,"
            " version INTEGER NOT NULL DEFAULT 0,"
            " total INTEGER NOT NULL DEFAULT 0,"
            " log_position INTEGER NOT NULL DEFAULT 0,"
            " as_of TEXT,"
            " is_final INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {p}_counts ("
            " poll_id TEXT NOT NULL,"
            " choice TEXT NOT NULL,"
            " ordinal INTEGER,"
            " n INTEGER NOT NULL DEFAULT 0,"
            " PRIMARY KEY (poll_id, choice)) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {p}_ballots ("
            " ballot_id TEXT PRIMARY KEY,"
            " version INTEGER NOT NULL) WITHOUT ROWID",
            *self._checkpoints(p),
        ]

    @staticmethod
    def _checkpoints(table_prefix: str) -> list[str]:
        p = table_prefix
        return [
            f"CREATE TABLE IF NOT EXISTS {p}_checkpoints ("
            " poll_id TEXT NOT NULL,"
            " position INTEGER NOT NULL,"
            " last_position INTEGER NOT NULL,"
            " last_as_of TEXT NOT NULL,"
            " is_final INTEGER NOT NULL,"
            " counts TEXT NOT NULL,"
            " PRIMARY KEY (poll_id, position)) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {p}_checkpoints_time"
            f" ON {p}_checkpoints (poll_id, last_as_of, position)",
        ]

    def create_missing_checkpoints(self) -> list[ForEach]:
        query = "SELECT set_name FROM tally_sets"
        return [ForEach(query, statement) for statement in self._checkpoints("tally_{0}")]

    def insert_checkpoints(self, name: str) -> str:
        return (
            f"INSERT OR IGNORE INTO tally_{name}_checkpoints"
            " (poll_id, position, last_position, last_as_of, is_final, counts)"
            " VALUES (?, ?, ?, ?, ?, ?)"
        )

    def drop_ballot_choice(self) -> ForEach:
        return ForEach(
            "SELECT m.name FROM sqlite_master AS m WHERE m.type = 'table'"
            " AND m.name LIKE 'tally\\_%\\_ballots' ESCAPE '\\'"
            " AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) AS c WHERE c.name = 'choice')",
            "ALTER TABLE {0} DROP COLUMN choice",
        )

    def insert_set(self) -> str:
        return "INSERT OR IGNORE INTO tally_sets (set_name, status, checkpoint) VALUES (?, ?, 0)"

    def claim_ballots(self, name: str, count: int) -> str:
        return (
            f"INSERT OR IGNORE INTO tally_{name}_ballots (ballot_id, version)"
            f" VALUES {self.rows(2, count)}"
        )

    def claim_polls(self, name: str, count: int) -> str:
        return f"INSERT OR IGNORE INTO tally_{name}_polls (poll_id) VALUES {self.rows(1, count)}"

    def upsert_ballots(self, name: str, count: int) -> str:
        return (
            f"INSERT INTO tally_{name}_ballots (ballot_id, version)"
            f" VALUES {self.rows(2, count)}"
            " ON CONFLICT (ballot_id) DO UPDATE SET version = excluded.version"
        )

    def upsert_counts(self, name: str, count: int) -> str:
        return (
            f"INSERT INTO tally_{name}_counts (poll_id, choice, ordinal, n)"
            f" VALUES {self.rows(4, count)}"
            " ON CONFLICT (poll_id, choice) DO UPDATE SET"
            " ordinal = COALESCE(excluded.ordinal, ordinal), n = n + excluded.n"
        )

    def upsert_polls(self, name: str, count: int) -> str:
        return (
            f"INSERT INTO tally_{name}_polls"
            " (poll_id, version, total, log_position, as_of, is_final)"
            f" VALUES {self.rows(6, count)}"
            " ON CONFLICT (poll_id) DO UPDATE SET"
            " version = max(version, excluded.version),"
            " total = total + excluded.total,"
            " as_of = CASE WHEN excluded.log_position > log_position"
            " THEN excluded.as_of ELSE as_of END,"
            " log_position = max(log_position, excluded.log_position),"
            " is_final = max(is_final, excluded.is_final)"
        )
