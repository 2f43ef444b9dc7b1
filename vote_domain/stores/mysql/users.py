"""The database users an application of this store logs in as, and their privileges.

Two users, each with its own password (on AWS, its own Secrets Manager secret):

* the **application** user runs the app (append, read, project, relay): data only --
  ``SELECT, INSERT, UPDATE, DELETE`` (UPDATE or DELETE is also what MySQL 8 asks of
  ``SELECT ... FOR UPDATE`` / ``LOCK IN SHARE MODE``; ``GET_LOCK`` and user variables need
  nothing);
* the **migrator** brings the schema up to date and builds tally sets (``votes replay`` makes
  and drops tables at run time): those and ``CREATE, ALTER, DROP, INDEX, REFERENCES``.

Both are granted on the database's tables (``` `db`.* ```), not on a list of them: tables that
later migrations or a replay create are covered the moment they exist, with no grant to
repeat (MySQL has no "every table but one" grant; a table list would break the projector the
first time a replay made a new tally set). Neither has any privilege outside the database, and
both must log in over TLS (``REQUIRE SSL``) when ``require_tls``.

:func:`provision_users`, run as an administrator, makes the users converge on that: a missing
user is created with the given password; an existing one keeps its password (its secret's
rotation owns it), gets ``REQUIRE SSL`` and the missing privileges, and loses any other
privilege it was given by hand. Every statement works on MariaDB 10.11 and MySQL 8.0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiomysql

from vote_domain.stores.mysql.errors import errors_translated
from vote_domain.stores.mysql.pool import params_from_url

__all__ = ["APP_PRIVILEGES", "MIGRATOR_PRIVILEGES", "DatabaseUser", "provision_users"]

APP_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
"""What the application needs on its database's tables: data, no schema."""
MIGRATOR_PRIVILEGES = (*APP_PRIVILEGES, "CREATE", "ALTER", "DROP", "INDEX", "REFERENCES")
"""What migrations and replays need: the application's privileges and the schema's."""

HOST = "%"  # the users log in from anywhere the network lets them (a VPC's security group)
_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


@dataclass(frozen=True)
class DatabaseUser:
    """A user to provision: its name, the password it is created with, its privileges."""

    name: str
    password: str
    privileges: tuple[str, ...]
    require_tls: bool = True

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or len(self.name) > 32:  # MySQL 8 user names: 32
            raise ValueError(f"invalid database user name {self.name!r}")
        if not self.password:
            raise ValueError(f"no password for database user {self.name!r}")


async def provision_users(url: str, users: Sequence[DatabaseUser], **connect: Any) -> list[str]:
    """Make ``users`` exist with exactly their privileges on the database of ``url`` (an
    administrator's login; ``connect`` goes to aiomysql, e.g. ``ssl``); the names of those
    created now."""
    params = {**params_from_url(url), **connect}
    database = params["db"]
    if not _NAME.match(database):
        raise ValueError(f"invalid database name {database!r}")
    created: list[str] = []
    with errors_translated():
        conn = await aiomysql.connect(**{**params, "autocommit": True, "charset": "utf8mb4"})
        try:
            async with conn.cursor() as cur:
                for user in users:
                    if await _provision(cur, database, user):
                        created.append(user.name)
        finally:
            conn.close()
    return created


async def _provision(cur: aiomysql.Cursor, database: str, user: DatabaseUser) -> bool:
    await cur.execute(
        "SELECT COUNT(*) FROM mysql.user WHERE user = %s AND host = %s", [user.name, HOST]
    )
    (exists,) = await cur.fetchone()
    account = [user.name, HOST]
    tls = "SSL" if user.require_tls else "NONE"
    if not exists:
        await cur.execute(
            f"CREATE USER %s@%s IDENTIFIED BY %s REQUIRE {tls}", [*account, user.password]
        )
    else:
        await cur.execute(f"ALTER USER %s@%s REQUIRE {tls}", account)
    wanted = set(user.privileges)
    held = await _held(cur, user.name, database)
    extra_global = held["global"]
    extra_schema = held["schema"] - wanted
    if extra_global:
        await cur.execute(f"REVOKE {', '.join(sorted(extra_global))} ON *.* FROM %s@%s", account)
    if extra_schema:
        await cur.execute(
            f"REVOKE {', '.join(sorted(extra_schema))} ON `{database}`.* FROM %s@%s", account
        )
    await cur.execute(f"GRANT {', '.join(user.privileges)} ON `{database}`.* TO %s@%s", account)
    return not exists


async def _held(cur: aiomysql.Cursor, name: str, database: str) -> dict[str, set[str]]:
    """The privileges ``name`` holds now: on every database (``global``, USAGE aside) and on
    ``database`` (``schema``)."""
    grantee = f"'{name}'@'{HOST}'"
    held: dict[str, set[str]] = {}
    for scope, statement, params in (
        ("global", "user_privileges WHERE grantee = %s", [grantee]),
        (
            "schema",
            "schema_privileges WHERE grantee = %s AND table_schema = %s",
            [grantee, database],
        ),
    ):
        await cur.execute(
            f"SELECT privilege_type, is_grantable FROM information_schema.{statement}", params
        )
        rows = await cur.fetchall()
        held[scope] = {p for p, _ in rows if p != "USAGE"}
        if any(grantable == "YES" for _, grantable in rows):
            held[scope].add("GRANT OPTION")
    return held
