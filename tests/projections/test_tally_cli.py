"""The ``replay``, ``verify`` and ``tally`` commands: help, output, exit status, quiet bars."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from tally_log import VoteLog
from typer.testing import CliRunner

from projections import TallyProjector, migrate
from projections.cli import app, progress_bar
from vote_domain.stores import SQLiteEventStore

runner = CliRunner()


@pytest.mark.parametrize("command", ["replay", "verify", "tally"])
def test_each_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "--database" in result.output


def _seed(path: Path) -> VoteLog:
    async def main() -> VoteLog:
        store = SQLiteEventStore(str(path))
        try:
            await migrate(store)
            log = VoteLog(store)
            await log.add_polls(1)
            for voter in range(5):
                await log.act(0, voter, "cast", voter)
            from tally_log import all_notifications

            await TallyProjector(store).process(await all_notifications(store))
            return log
        finally:
            await store.close()

    return asyncio.run(main())


def test_replay_verify_tally_on_a_file(tmp_path: Path) -> None:
    db = tmp_path / "votes.db"
    log = _seed(db)
    url = f"sqlite:///{db}"
    poll = str(log.polls[0].id)

    result = runner.invoke(app, ["verify", "--database", url])
    assert result.exit_code == 0, result.output
    assert "no differences" in result.output

    result = runner.invoke(app, ["replay"], env={"VOTES_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "into set green" in result.output
    assert "events/s" not in result.output and "━" not in result.output  # not a terminal

    result = runner.invoke(app, ["tally", poll, "--database", url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"] == {"e": 2, "é": 2, "E!": 1}

    result = runner.invoke(app, ["tally", poll, "--position", "2", "--database", url])
    assert json.loads(result.output)["total"] == 1

    result = runner.invoke(app, ["replay", "--drop", "green", "--database", url])
    assert result.exit_code != 0  # green is active now
    result = runner.invoke(app, ["replay", "--drop", "blue", "--database", url])
    assert result.exit_code == 0, result.output

    # A wrong live tally: verify reports it and exits 1.
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("UPDATE tally_green_counts SET n = n + 1 WHERE choice = 'e'")
    conn.commit()
    conn.close()
    result = runner.invoke(app, ["verify", "--database", url])
    assert result.exit_code == 1
    assert "counts" in result.output and "1 difference" in result.output


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--at", "9999-12-31T23:59:59-00:01"], "must lie between"),  # the year 10000 in UTC
        (["--at", "0001-01-01T00:00:00+00:00"], "must lie between"),
        (["--at", "2026-11-27T12:00:00"], "time zone"),
        (["--at", "yesterday"], "Invalid isoformat"),
    ],
)
def test_tally_refuses_a_time_the_service_would_refuse(
    tmp_path: Path, args: list[str], problem: str
) -> None:
    db = tmp_path / "votes.db"
    poll = str(_seed(db).polls[0].id)
    result = runner.invoke(app, ["tally", poll, *args, "--database", f"sqlite:///{db}"])
    assert result.exit_code == 2, result.output  # a usage error, no traceback
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert problem in result.output
    result = runner.invoke(app, ["tally", "not-a-poll", "--at", "2026-11-27T12:00:00Z"])
    assert result.exit_code == 2 and "poll_id" in result.output


def test_progress_bar_draws_on_a_terminal_only() -> None:
    for terminal in (True, False):
        out = io.StringIO()
        console = Console(file=out, force_terminal=terminal, width=100)
        with progress_bar(console, "replay") as progress:
            progress(500, 1000)
            progress(1000, 1000)
        assert ("events/s" in out.getvalue()) == terminal
