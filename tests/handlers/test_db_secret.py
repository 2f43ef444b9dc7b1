"""The database login from a secret: read once, re-read when RDS rotates the password."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pymysql
import pytest
from aws_fixtures import aws, moto_endpoint, unique  # noqa: F401
from eventsourcing.persistence import OperationalError

from vote_domain.stores import MySQLEventStore
from votes.bootstrap import database_url, open_store
from votes.db_secret import DatabaseSecret, secrets_manager_reader
from votes.settings import Settings


class FakeSecret:
    """A secret source whose value the test changes, counting reads."""

    def __init__(self, username: str, password: str) -> None:
        self.value = {"username": username, "password": password}
        self.reads = 0

    def __call__(self) -> dict[str, Any]:
        self.reads += 1
        return dict(self.value)


def test_the_url_is_made_from_the_secret_with_its_characters_escaped() -> None:
    secret = DatabaseSecret(FakeSecret("votes", "p@ss/w:rd"))
    assert (
        secret.url("db.example", 3306, "votes")
        == "mysql://votes:p%40ss%2Fw%3Ard@db.example:3306/votes"
    )


async def test_refusals_at_the_same_moment_read_the_secret_once() -> None:
    source = FakeSecret("votes", "old")
    secret = DatabaseSecret(source, min_interval=60)
    assert secret.login() == {"user": "votes", "password": "old"}
    source.value["password"] = "new"
    # WHEN ten connections are refused at once, just after the first read
    logins = await asyncio.gather(*(secret.fresh_login() for _ in range(10)))
    # THEN the secret was not read again (it was read moments ago)
    assert source.reads == 1 and logins[0]["password"] == "old"
    # WHEN refused after the interval THEN it is read again, once, for all of them
    secret.min_interval = 0.0
    logins = await asyncio.gather(*(secret.fresh_login() for _ in range(10)))
    assert 2 <= source.reads <= 11 and {login["password"] for login in logins} == {"new"}


def test_database_url_setting_wins_over_the_secret() -> None:
    settings = Settings(database_url="sqlite:///./x.db", database_secret_arn="arn:x")
    assert database_url(settings) == "sqlite:///./x.db"


@pytest.fixture
def mysql_login(
    fresh_mysql_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str, Any]]:
    """A MySQL user of its own with access to a fresh database: (user, database, admin conn);
    the secret may be re-read at every refusal."""
    monkeypatch.setattr("votes.db_secret.REREAD_INTERVAL_S", 0.0)
    parts = urlsplit(fresh_mysql_url)
    admin = pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        autocommit=True,
    )
    user = f"votes_rot_{secrets.token_hex(4)}"
    database = parts.path.lstrip("/")
    with admin.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'first-Passw0rd'")
        cur.execute(f"GRANT ALL ON `{database}`.* TO '{user}'@'%'")
    try:
        yield user, database, admin
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        admin.close()


async def test_a_rotated_password_is_read_again_and_the_store_reconnects(
    mysql_login: tuple[str, str, Any],
) -> None:
    user, database, admin = mysql_login
    source = FakeSecret(user, "first-Passw0rd")
    settings = Settings(
        database_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
        database_host="127.0.0.1",
        database_name=database,
    )
    store = open_store(settings, secret_reader=source)
    try:
        await store.migrate()
        assert await store.max_notification_id() in (None, 0)
        # GIVEN RDS rotated the password: the secret holds the new one, the old is refused
        with admin.cursor() as cur:
            cur.execute(f"ALTER USER '{user}'@'%' IDENTIFIED BY 'second-Passw0rd'")
        source.value["password"] = "second-Passw0rd"
        # (open connections stay logged in: end them so that the store needs new ones)
        with admin.cursor() as cur:
            cur.execute("SELECT id FROM information_schema.processlist WHERE user = %s", (user,))
            for (connection_id,) in cur.fetchall():
                cur.execute(f"KILL {int(connection_id)}")
        # WHEN the store needs a new connection THEN it reads the secret again and connects
        assert await store.max_notification_id() in (None, 0)
        assert source.reads == 2
    finally:
        await store.close()


async def test_a_refused_login_with_an_unchanged_secret_fails_without_looping(
    mysql_login: tuple[str, str, Any],
) -> None:
    user, database, _ = mysql_login
    source = FakeSecret(user, "wrong-Passw0rd")
    settings = Settings(
        database_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
        database_host="127.0.0.1",
        database_name=database,
    )
    store = open_store(settings, secret_reader=source)
    try:
        with pytest.raises(OperationalError):
            await store.max_notification_id()
        # read at start, then once per refused connect (the store tries a connect twice)
        assert 2 <= source.reads <= 3
    finally:
        await store.close()


async def test_mid_rotation_the_pending_password_is_tried(
    mysql_login: tuple[str, str, Any],
) -> None:
    # GIVEN a user secret under single-user rotation: the function stored the new password as
    # AWSPENDING and set it in the database, and has not yet made it AWSCURRENT
    user, database, admin = mysql_login
    current, pending = FakeSecret(user, "first-Passw0rd"), FakeSecret(user, "second-Passw0rd")
    secret = DatabaseSecret(current, read_pending=pending, min_interval=0.0)
    store = MySQLEventStore(
        f"mysql://{user}:first-Passw0rd@{admin.host}:{admin.port}/{database}",
        on_access_denied=secret.fresh_login,
    )
    try:
        secret.login()
        with admin.cursor() as cur:
            cur.execute(f"ALTER USER '{user}'@'%' IDENTIFIED BY 'second-Passw0rd'")
        # WHEN the store needs a connection THEN the current login is refused, the secret's
        # AWSCURRENT is unchanged, and the pending login gets in: no request is refused
        await store.migrate()
        assert await store.max_notification_id() in (None, 0)
        assert current.reads == 2 and pending.reads == 1
    finally:
        await store.close()


def test_no_rotation_under_way_means_no_pending_login(aws: str) -> None:  # noqa: F811
    client = boto3.client("secretsmanager", endpoint_url=aws, region_name="us-east-1")
    arn = client.create_secret(
        Name=unique("votes-db"), SecretString=json.dumps({"username": "u", "password": "1"})
    )["ARN"]
    pending = secrets_manager_reader(arn, "us-east-1", "AWSPENDING")
    assert pending() == {}
    client.put_secret_value(
        SecretId=arn,
        SecretString=json.dumps({"username": "u", "password": "2"}),
        VersionStages=["AWSPENDING"],
    )
    assert pending()["password"] == "2"
    assert secrets_manager_reader(arn, "us-east-1")()["password"] == "1"
