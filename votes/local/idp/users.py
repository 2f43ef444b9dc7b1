"""The local identity provider's user table, in the app's own database (SQLite or MySQL).

Each user has a sign-in name (the e-mail address on a pool whose ``UsernameAttributes`` is
``[email]``, else the username), unique in the table under ``username_key`` -- folded to one
case unless the pool is case-sensitive -- and a Cognito username (the generated ``sub`` on
such a pool, else the username as first given), which tokens carry. Passwords are stored only
as argon2 hashes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError

from vote_domain import EventStore, Migration

__all__ = ["MIGRATIONS", "UserRecord", "UserTable"]

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        component="local_idp",
        version=1,
        description="local identity provider users",
        sqlite=(
            "CREATE TABLE IF NOT EXISTS local_idp_users ("
            " username_key TEXT NOT NULL PRIMARY KEY,"
            " username TEXT NOT NULL,"
            " sub TEXT NOT NULL UNIQUE,"
            " password_hash TEXT NOT NULL,"
            " attributes TEXT NOT NULL,"
            " created_at TEXT NOT NULL)",
        ),
        mysql=(
            "CREATE TABLE IF NOT EXISTS local_idp_users ("
            " username_key VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
            " username VARCHAR(128) CHARACTER SET utf8mb4 NOT NULL,"
            " sub CHAR(36) CHARACTER SET ascii NOT NULL,"
            " password_hash VARCHAR(255) CHARACTER SET ascii NOT NULL,"
            " attributes TEXT CHARACTER SET utf8mb4 NOT NULL,"
            " created_at VARCHAR(40) CHARACTER SET ascii NOT NULL,"
            " PRIMARY KEY (username_key),"
            " UNIQUE KEY local_idp_users_sub (sub)"
            ") ENGINE=InnoDB",
        ),
    ),
)

_COLUMNS = "username, sub, password_hash, attributes, created_at"
_SQL = {
    "sqlite": {
        "by_name": f"SELECT {_COLUMNS} FROM local_idp_users WHERE username_key = ?",
        "by_sub": f"SELECT {_COLUMNS} FROM local_idp_users WHERE sub = ?",
        "insert": (
            "INSERT INTO local_idp_users"
            " (username_key, username, sub, password_hash, attributes, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
        ),
    },
    "mysql": {
        "by_name": f"SELECT {_COLUMNS} FROM local_idp_users WHERE username_key = %s",
        "by_sub": f"SELECT {_COLUMNS} FROM local_idp_users WHERE sub = %s",
        "insert": (
            "INSERT INTO local_idp_users"
            " (username_key, username, sub, password_hash, attributes, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
        ),
    },
}


def username_key(sign_in_name: str, case_sensitive: bool = False) -> str:
    """How sign-in names are compared: as given on a case-sensitive pool, else folded."""
    return sign_in_name if case_sensitive else sign_in_name.casefold()


@dataclass(frozen=True)
class UserRecord:
    """One signed-up user."""

    username: str
    """The Cognito username: the ``sub`` on an e-mail-as-username pool."""
    sub: str
    password_hash: str
    attributes: dict[str, str]
    created_at: str

    @classmethod
    def _of_row(cls, row: tuple[Any, ...]) -> UserRecord:
        username, sub, password_hash, attributes, created_at = row
        return cls(
            str(username), str(sub), str(password_hash), json.loads(attributes), str(created_at)
        )


class UserTable:
    """Reads and writes ``local_idp_users`` through the store's transactions."""

    def __init__(self, store: EventStore, *, case_sensitive: bool = False) -> None:
        self.store = store
        self.case_sensitive = case_sensitive
        self._sql = _SQL[store.dialect]

    async def find(self, sign_in_name: str) -> UserRecord | None:
        """The user who signs in as ``sign_in_name`` (in any case unless the pool is
        case-sensitive), or None."""
        return await self._one(
            self._sql["by_name"], username_key(sign_in_name, self.case_sensitive)
        )

    async def find_by_sub(self, sub: str) -> UserRecord | None:
        return await self._one(self._sql["by_sub"], sub)

    async def insert(self, user: UserRecord, sign_in_name: str) -> bool:
        """Add ``user``, who signs in as ``sign_in_name``; False if that name is taken."""
        params = (
            username_key(sign_in_name, self.case_sensitive),
            user.username,
            user.sub,
            user.password_hash,
            json.dumps(user.attributes, separators=(",", ":"), sort_keys=True),
            user.created_at or datetime.now(UTC).isoformat(),
        )
        try:
            async with self.store.transaction() as txn:
                await txn.execute(self._sql["insert"], params)
        except IntegrityError:
            return False
        return True

    async def _one(self, sql: str, key: str) -> UserRecord | None:
        async with self.store.transaction() as txn:
            rows = await txn.execute(sql, (key,))
        return UserRecord._of_row(rows[0]) if rows else None
