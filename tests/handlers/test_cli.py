"""The ``votes`` command line: its commands, and ``db migrate`` (idempotent)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from votes import bootstrap, runtime
from votes.bootstrap import Container
from votes.cli import app
from votes.local.idp.users import MIGRATIONS as IDP_MIGRATIONS
from votes.migrations import all_migrations

runner = CliRunner()


def test_votes_offers_serve_db_and_the_tally_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "replay", "verify", "tally"):
        assert command in result.output


def test_db_migrate_creates_every_table_and_can_run_again(tmp_path: Path) -> None:
    # GIVEN an empty database file
    url = f"sqlite:///{tmp_path / 'votes.db'}"
    # WHEN it is migrated twice
    first = runner.invoke(app, ["db", "migrate", "--database", url])
    second = runner.invoke(app, ["db", "migrate", "--database", url])
    # THEN both succeed and the event log, tally and local user tables exist
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "up to date" in second.output
    with sqlite3.connect(tmp_path / "votes.db") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "schema_migrations" in tables
    assert any(t.startswith("tally_") for t in tables)
    assert {"stored_events", "relay_published", "local_idp_users"} <= tables
    assert "applied" in first.output and "nothing to apply" in second.output


def test_every_entry_migrates_the_same_components(
    tmp_path: Path, app_container: Callable[..., Container]
) -> None:
    """``votes db migrate``, the local server's and the Lambda's migrations are one list."""
    lambda_parts = {m.component for m in all_migrations()}
    assert lambda_parts == {"projections", "relay"}
    assert {m.component for m in all_migrations(IDP_MIGRATIONS)} == lambda_parts | {"local_idp"}
    # GIVEN the container as the Lambdas build it, and as the local server builds it
    for local in (False, True):
        url = f"sqlite:///{tmp_path / f'c{local}.db'}"
        built = app_container(database_url=url, local=local, migrate=False)
        applied = runtime.run(built.migrate(IDP_MIGRATIONS if local else ()))
        runtime.run(bootstrap.close())
        # THEN it applies the event log's and every component's migrations
        expected = {"events"} | lambda_parts | ({"local_idp"} if local else set())
        assert {m.component for m in applied} == expected


def test_an_unusable_database_is_a_message_not_a_traceback(mysql_server_url: str) -> None:
    missing = mysql_server_url.rsplit("/", 1)[0] + "/votes_no_such_database"
    done = subprocess.run(
        [sys.executable, "-m", "votes.cli", "db", "migrate", "--database", missing],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "votes: the database cannot be used" in done.stderr
    assert "Traceback" not in done.stderr
