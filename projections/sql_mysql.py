"""The tally tables' SQL for MySQL 8 / Aurora MySQL 3 and MariaDB 10.11.

Only syntax both accept: ``INSERT ... ON DUPLICATE KEY UPDATE c = c + VALUES(c)`` (MySQL
8.0.20+ merely warns that ``VALUES()`` there is deprecated; its ``AS new`` alias is not
MariaDB syntax), ``LOCK IN SHARE MODE`` rather than ``FOR SHARE``. Ids are ASCII, options
``utf8mb4_bin`` so options differing only in accents or case stay distinct rows. In
``ON DUPLICATE KEY UPDATE`` MySQL assigns left to right, each seeing the columns already
assigned, so ``as_of`` is set before ``log_position``.
"""

from __future__ import annotations

from projections.sql import TallySQL, check_set_name
from vote_domain.stores import ForEach

__all__ = ["MySQLTallySQL"]


ID = "CHAR(36) CHARACTER SET ascii COLLATE ascii_bin"
TEXT = "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"


class MySQLTallySQL(TallySQL):
    """MySQL/MariaDB statements (``%s`` parameters, row locks by locking reads)."""

    ph = "%s"
    lock_share = " LOCK IN SHARE MODE"
    lock_update = " FOR UPDATE"

    def create_shared(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS tally_sets ("
            " set_name VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,"
            " status VARCHAR(16) NOT NULL,"
            " checkpoint BIGINT NOT NULL DEFAULT 0,"
            " created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
            ") ENGINE=InnoDB",
            "CREATE TABLE IF NOT EXISTS tally_active ("
            " id INT NOT NULL PRIMARY KEY,"
            " set_name VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL"
            ") ENGINE=InnoDB",
            "INSERT IGNORE INTO tally_sets (set_name, status) VALUES ('blue', 'active')",
            "INSERT IGNORE INTO tally_active (id, set_name) VALUES (1, 'blue')",
        ]

    def create_set(self, name: str) -> list[str]:
        p = f"tally_{check_set_name(name)}"
        return [
            f"CREATE TABLE IF NOT EXISTS {p}_polls ("
            f" poll_id {ID} NOT NULL PRIMARY KEY,"
            " version INT NOT NULL DEFAULT 0,"
            " total BIGINT NOT NULL DEFAULT 0,"
            " log_position BIGINT NOT NULL DEFAULT 0,"
            " as_of VARCHAR(40) CHARACTER SET ascii NULL,"
            " is_final TINYINT NOT NULL DEFAULT 0"
            ") ENGINE=InnoDB",
            f"CREATE TABLE IF NOT EXISTS {p}_counts ("
            f" poll_id {ID} NOT NULL,"
            f" choice {TEXT} NOT NULL,"
            " ordinal INT NULL,"
            " n BIGINT NOT NULL DEFAULT 0,"
            " PRIMARY KEY (poll_id, choice)"
            ") ENGINE=InnoDB",
            f"CREATE TABLE IF NOT EXISTS {p}_ballots ("
            f" ballot_id {ID} NOT NULL PRIMARY KEY,"
            " version INT NOT NULL"
            ") ENGINE=InnoDB",
            self._checkpoints(p),
        ]

    @staticmethod
    def _checkpoints(table_prefix: str) -> str:
        p = table_prefix
        return (
            f"CREATE TABLE IF NOT EXISTS {p}_checkpoints ("
            f" poll_id {ID} NOT NULL,"
            " position BIGINT NOT NULL,"
            " last_position BIGINT NOT NULL,"
            " last_as_of VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " is_final TINYINT NOT NULL,"
            " counts TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
            " PRIMARY KEY (poll_id, position),"
            f" KEY {p}_checkpoints_time (poll_id, last_as_of, position)"
            ") ENGINE=InnoDB"
        )

    def create_missing_checkpoints(self) -> list[ForEach]:
        missing = (
            "SELECT s.set_name FROM tally_sets s WHERE NOT EXISTS (SELECT 1"
            " FROM information_schema.tables t WHERE t.table_schema = DATABASE()"
            " AND t.table_name = CONVERT(CONCAT('tally_', s.set_name, '_checkpoints')"
            " USING utf8mb4) COLLATE utf8mb4_bin)"
        )
        return [ForEach(missing, self._checkpoints("tally_{0}"))]

    def insert_checkpoints(self, name: str) -> str:
        return (
            f"INSERT IGNORE INTO tally_{name}_checkpoints"
            " (poll_id, position, last_position, last_as_of, is_final, counts)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
        )

    def drop_ballot_choice(self) -> ForEach:
        return ForEach(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = DATABASE() AND table_name LIKE 'tally\\_%\\_ballots'"
            " AND column_name = 'choice'",
            "ALTER TABLE {0} DROP COLUMN choice",
        )

    def insert_set(self) -> str:
        return "INSERT IGNORE INTO tally_sets (set_name, status, checkpoint) VALUES (%s, %s, 0)"

    def claim_ballots(self, name: str, count: int) -> str:
        # ODKU takes an exclusive lock on an existing row at once (INSERT IGNORE would take
        # a shared one, and two batches upgrading theirs would deadlock).
        return (
            f"INSERT INTO tally_{name}_ballots (ballot_id, version) VALUES {self.rows(2, count)}"
            " ON DUPLICATE KEY UPDATE version = version"
        )

    def claim_polls(self, name: str, count: int) -> str:
        return (
            f"INSERT INTO tally_{name}_polls (poll_id) VALUES {self.rows(1, count)}"
            " ON DUPLICATE KEY UPDATE version = version"
        )

    def upsert_ballots(self, name: str, count: int) -> str:
        return (
            f"INSERT INTO tally_{name}_ballots (ballot_id, version)"
            f" VALUES {self.rows(2, count)}"
            " ON DUPLICATE KEY UPDATE version = VALUES(version)"
        )

    def upsert_counts(self, name: str, count: int) -> str:
        return (
            f"INSERT INTO tally_{name}_counts (poll_id, choice, ordinal, n)"
            f" VALUES {self.rows(4, count)}"
            " ON DUPLICATE KEY UPDATE"
            " ordinal = COALESCE(VALUES(ordinal), ordinal), n = n + VALUES(n)"
        )

    def upsert_polls(self, name: str, count: int) -> str:
        return (
            f"INSERT INTO tally_{name}_polls"
            " (poll_id, version, total, log_position, as_of, is_final)"
            f" VALUES {self.rows(6, count)}"
            " ON DUPLICATE KEY UPDATE"
            " version = GREATEST(version, VALUES(version)),"
            " total = total + VALUES(total),"
            " as_of = IF(VALUES(log_position) > log_position, VALUES(as_of), as_of),"
            " log_position = GREATEST(log_position, VALUES(log_position)),"
            " is_final = GREATEST(is_final, VALUES(is_final))"
        )
