"""The ``votes`` command line: its commands, and ``db migrate`` (idempotent)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from handlers.cli import app

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
    assert len(tables) > 5
