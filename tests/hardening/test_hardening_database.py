"""Least privilege and TLS in the database (issue 16, finding 3): the app no longer logs in as
the master user, nor in clear text.

On a private MariaDB that speaks TLS (:mod:`tls_mariadb`: the shared test server cannot be
given TLS without a restart), with a certificate authority made for the run:

* the migration, as the master user, provisions an application user (data only) and a
  migrator (schema), both ``REQUIRE SSL``, idempotently, taking back privileges given by hand;
* the migrator migrates and replays; the application runs the whole app as its user, over
  TLS, on tables made later too -- and cannot change the schema or read other databases;
* without TLS, or with a server certificate from another authority, nobody gets in;
* the migration Lambda does all of it from three Secrets Manager secrets (moto).
"""

from __future__ import annotations

import json
import secrets
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pymysql
import pytest
from aws_fixtures import aws, moto_endpoint, unique  # noqa: F401
from eventsourcing.persistence import OperationalError
from lambda_context import LambdaContext
from tls_mariadb import TlsMariaDB, make_ca

from handlers import migrate
from projections import replay
from vote_domain import Migration
from vote_domain.stores.mysql import (
    APP_PRIVILEGES,
    MIGRATOR_PRIVILEGES,
    DatabaseUser,
    provision_users,
)
from votes import bootstrap, runtime
from votes.bootstrap import Container, open_store, tls_options
from votes.migrations import apply_all
from votes.settings import Settings

pytestmark = pytest.mark.mysql

APP = DatabaseUser("votes_app", "app-" + secrets.token_hex(8), APP_PRIVILEGES)
MIGRATOR = DatabaseUser("votes_migrator", "mig-" + secrets.token_hex(8), MIGRATOR_PRIVILEGES)


@pytest.fixture(scope="module")
def server() -> Iterator[TlsMariaDB]:
    with TlsMariaDB() as running:
        with running.root() as root, root.cursor() as cur:
            cur.execute("CREATE DATABASE votes CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            cur.execute("CREATE DATABASE other")
            cur.execute("CREATE TABLE other.secrets (v TEXT)")
        yield running


def settings_for(server: TlsMariaDB, user: DatabaseUser, **fields: Any) -> Settings:
    fields.setdefault("database_tls", True)
    fields.setdefault("database_tls_ca", server.ca)
    return Settings(database_url=server.url(user.name, user.password), **fields)


def provision(server: TlsMariaDB, *users: DatabaseUser) -> list[str]:
    tls = tls_options(Settings(database_tls=True, database_tls_ca=server.ca))
    return runtime.run(provision_users(server.url(), list(users), **tls))


def connect(server: TlsMariaDB, user: DatabaseUser, *, tls: bool = True) -> Any:
    return pymysql.connect(
        host="127.0.0.1",
        port=server.port,
        user=user.name,
        password=user.password,
        database="votes",
        autocommit=True,
        ssl={"ca": str(server.ca)} if tls else None,
    )


def privileges(server: TlsMariaDB, user: str) -> dict[str, set[str]]:
    grantee = f"'{user}'@'%'"
    with server.root() as root, root.cursor() as cur:
        cur.execute(
            "SELECT privilege_type FROM information_schema.user_privileges WHERE grantee = %s",
            [grantee],
        )
        on_all = {p for (p,) in cur.fetchall()} - {"USAGE"}
        cur.execute(
            "SELECT privilege_type, is_grantable FROM information_schema.schema_privileges"
            " WHERE grantee = %s AND table_schema = 'votes'",
            [grantee],
        )
        rows = cur.fetchall()
        cur.execute("SELECT ssl_type FROM mysql.user WHERE user = %s", [user])
        (tls,) = cur.fetchone()
    on_votes = {p for p, _ in rows} | {"GRANT OPTION" for _, g in rows if g == "YES"}
    return {"*": on_all, "votes": on_votes, "tls": {str(tls)}}


@pytest.fixture(scope="module")
def provisioned(server: TlsMariaDB) -> TlsMariaDB:
    assert provision(server, APP, MIGRATOR) == ["votes_app", "votes_migrator"]
    return server


# -- the users -----------------------------------------------------------------------------------


def test_two_users_each_with_only_its_privileges_and_tls_required(provisioned: TlsMariaDB) -> None:
    app, migrator = privileges(provisioned, "votes_app"), privileges(provisioned, "votes_migrator")
    assert app == {"*": set(), "votes": set(APP_PRIVILEGES), "tls": {"ANY"}}
    assert migrator == {"*": set(), "votes": set(MIGRATOR_PRIVILEGES), "tls": {"ANY"}}
    # AND provisioning again creates nothing and changes nothing (every deploy runs it)
    assert provision(provisioned, APP, MIGRATOR) == []
    assert privileges(provisioned, "votes_app") == app


def test_privileges_given_by_hand_are_taken_back(provisioned: TlsMariaDB) -> None:
    with provisioned.root() as root, root.cursor() as cur:
        cur.execute("GRANT DROP, CREATE ON votes.* TO 'votes_app'@'%' WITH GRANT OPTION")
        cur.execute("GRANT SELECT, PROCESS ON *.* TO 'votes_app'@'%'")
        cur.execute("ALTER USER 'votes_app'@'%' REQUIRE NONE")
    provision(provisioned, APP, MIGRATOR)
    assert privileges(provisioned, "votes_app") == {
        "*": set(),
        "votes": set(APP_PRIVILEGES),
        "tls": {"ANY"},
    }


def test_an_existing_users_password_is_left_to_its_rotation(provisioned: TlsMariaDB) -> None:
    # GIVEN the secret's rotation changed the password (as the hosted rotation function does)
    rotated = DatabaseUser(APP.name, "rotated-" + secrets.token_hex(8), APP_PRIVILEGES)
    with connect(provisioned, APP) as conn, conn.cursor() as cur:
        cur.execute("SET PASSWORD = PASSWORD(%s)", [rotated.password])
    try:
        # WHEN a deploy provisions again with an older copy of the password
        provision(provisioned, APP, MIGRATOR)
        # THEN the rotated password still works
        connect(provisioned, rotated).close()
    finally:
        with connect(provisioned, rotated) as conn, conn.cursor() as cur:
            cur.execute("SET PASSWORD = PASSWORD(%s)", [APP.password])


# -- what each may do ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated(provisioned: TlsMariaDB) -> TlsMariaDB:
    async def go() -> None:
        store = open_store(settings_for(provisioned, MIGRATOR), pool_size=1)
        try:
            await apply_all(store)
        finally:
            await store.close()

    runtime.run(go())
    return provisioned


def test_the_app_runs_whole_as_its_user_over_tls(
    migrated: TlsMariaDB, app_container: Callable[..., Container]
) -> None:
    c = app_container(settings_for(migrated, APP), migrate=False)

    async def go() -> Any:
        await c.service.register_voter("alice")
        poll = await c.service.create_poll("alice", "TLS?", ["Yes", "No"])
        await c.service.cast_vote(poll.id, "alice", "Yes")
        async for page in c.store.iter_notifications():
            await c.projector.process(page)
        return await c.results(str(poll.id))

    tally = runtime.run(go())
    assert tally.counts == {"Yes": 1, "No": 0}
    with connect(migrated, APP) as conn, conn.cursor() as cur:
        cur.execute("SHOW STATUS LIKE 'Ssl_version'")
        assert cur.fetchone()[1].startswith("TLSv1.")


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE sneaky (id INT)",
        "DROP TABLE stored_events",
        "ALTER TABLE stored_events ADD COLUMN x INT",
        "CREATE INDEX i ON stored_events (topic)",
        "TRUNCATE TABLE stored_events",
        "SELECT * FROM other.secrets",
        "SELECT user FROM mysql.user",
        "CREATE DATABASE mine",
        "GRANT SELECT ON votes.* TO 'votes_migrator'@'%'",
    ],
)
def test_the_app_user_cannot_change_the_schema_nor_reach_beyond_its_data(
    migrated: TlsMariaDB, statement: str
) -> None:
    with connect(migrated, APP) as conn, conn.cursor() as cur:
        with pytest.raises(pymysql.err.OperationalError) as refused:
            cur.execute(statement)
    assert refused.value.args[0] in (1044, 1142, 1227), refused.value  # access denied


def test_tables_made_later_are_the_apps_without_a_new_grant(migrated: TlsMariaDB) -> None:
    # GIVEN a later migration, and a replay that builds a new tally set, both by the migrator
    later = Migration(
        component="later",
        version=1,
        description="a table a later release adds",
        sqlite=(),
        mysql=("CREATE TABLE later_things (id INT PRIMARY KEY)",),
    )

    async def as_migrator() -> None:
        store = open_store(settings_for(migrated, MIGRATOR), pool_size=2)
        try:
            await store.migrate([later])
            await replay(store)
        finally:
            await store.close()

    runtime.run(as_migrator())
    # THEN the application user uses them at once
    with connect(migrated, APP) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO later_things VALUES (1)")
        cur.execute("SELECT set_name FROM tally_active")
        (active,) = cur.fetchone()
        cur.execute(f"SELECT COUNT(*) FROM tally_{active}_counts")
        assert cur.fetchone()[0] >= 1


# -- TLS -------------------------------------------------------------------------------------


def test_without_tls_the_users_are_refused(migrated: TlsMariaDB) -> None:
    with pytest.raises(pymysql.err.OperationalError) as refused:
        connect(migrated, APP, tls=False)
    assert refused.value.args[0] == 1045

    async def go() -> None:
        store = open_store(settings_for(migrated, APP, database_tls=False), pool_size=1)
        try:
            await store.max_notification_id()
        finally:
            await store.close()

    with pytest.raises(OperationalError):
        runtime.run(go())


def test_a_server_certificate_from_another_authority_is_refused(
    migrated: TlsMariaDB, tmp_path: Path
) -> None:
    other, _, _ = make_ca(tmp_path, "someone-else")

    async def go() -> None:
        store = open_store(settings_for(migrated, APP, database_tls_ca=other), pool_size=1)
        try:
            await store.max_notification_id()
        finally:
            await store.close()

    with pytest.raises(OperationalError) as refused:
        runtime.run(go())
    causes, error = [], refused.value.__cause__
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, ssl.SSLCertVerificationError) for e in causes), causes


def test_tls_is_off_unless_asked() -> None:
    assert Settings().database_tls is False
    assert tls_options(Settings(database_url="mysql://u@h/db")) == {}
    context = tls_options(Settings(database_tls=True))["ssl"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


# -- the migration Lambda, from three secrets ----------------------------------------------------


@pytest.fixture
def fresh_database(server: TlsMariaDB) -> Iterator[str]:
    name = f"votes_{secrets.token_hex(3)}"
    with server.root() as root, root.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    yield name
    with server.root() as root, root.cursor() as cur:
        cur.execute(f"DROP DATABASE {name}")


def test_the_migration_lambda_provisions_the_users_then_migrates_as_the_migrator(
    server: TlsMariaDB,
    fresh_database: str,
    aws: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sm = boto3.client("secretsmanager", endpoint_url=aws, region_name="us-east-1")
    app_name, migrator_name = f"app_{secrets.token_hex(3)}", f"mig_{secrets.token_hex(3)}"

    def secret(username: str, password: str) -> str:
        value = json.dumps({"username": username, "password": password, "engine": "mysql"})
        return str(sm.create_secret(Name=unique("votes-db"), SecretString=value)["ARN"])

    app_password, migrator_password = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    env = {
        "VOTES_DATABASE_ADMIN_SECRET_ARN": secret("root", ""),
        "VOTES_DATABASE_APP_SECRET_ARN": secret(app_name, app_password),
        "VOTES_DATABASE_SECRET_ARN": secret(migrator_name, migrator_password),
        "VOTES_DATABASE_HOST": "127.0.0.1",
        "VOTES_DATABASE_PORT": str(server.port),
        "VOTES_DATABASE_NAME": fresh_database,
        "VOTES_DATABASE_TLS": "true",
        "VOTES_DATABASE_TLS_CA": str(server.ca),
        "VOTES_DATABASE_POOL_SIZE": "2",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    try:
        outcome = migrate.handler({"RequestType": "Create"}, LambdaContext())
    finally:
        runtime.run(bootstrap.close())
        bootstrap.reset()
    assert outcome["Status"] == "SUCCESS", outcome
    assert "events:1" in outcome["Data"]["Applied"]
    # THEN the tables exist, made by the migrator, and the app user can use them over TLS
    app = DatabaseUser(app_name, app_password, APP_PRIVILEGES)
    with (
        pymysql.connect(
            host="127.0.0.1",
            port=server.port,
            user=app.name,
            password=app.password,
            database=fresh_database,
            ssl={"ca": str(server.ca)},
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("SELECT COUNT(*) FROM stored_events")
        assert cur.fetchone() == (0,)
        with pytest.raises(pymysql.err.OperationalError):
            cur.execute("DROP TABLE stored_events")
