"""Operator commands for tallies: ``replay``, ``verify`` and ``tally`` (mounted under ``votes``).

Progress bars (events/s, ETA) show on a terminal and stay quiet when output is redirected.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from projections.query import get_tally, tally_at
from projections.replay import replay
from projections.schema import drop_set
from projections.verify import verify
from vote_domain import ValidationFailed
from vote_domain.commands import ResultsAsOf, parse
from vote_domain.stores import EventStore, connect

__all__ = ["app"]

T = TypeVar("T")

app = typer.Typer(help="Tallies: rebuild them from the log, check them, look into the past.")

Database = Annotated[
    str,
    typer.Option(
        "--database",
        envvar="VOTES_DATABASE_URL",
        help="Event store URL: sqlite:///path or mysql://user:password@host:3306/db.",
    ),
]
DEFAULT_DATABASE = "sqlite:///./votes.db"


class RateColumn(ProgressColumn):
    """Events per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} events/s" if speed else "- events/s", style="cyan")


@contextmanager
def progress_bar(console: Console, description: str) -> Any:
    """A callback ``(done, total)`` drawing a bar on a terminal, doing nothing otherwise."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=False,
    )
    task = bar.add_task(description, total=None)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total or None)


def _run(database: str, work: Callable[[EventStore], Awaitable[T]]) -> T:
    async def main() -> T:
        store = connect(database)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


@app.command("replay")
def replay_command(
    into: Annotated[
        str | None,
        typer.Option(
            "--into",
            help="Build into this set of tables (resumed if interrupted), then swap it in. "
            "Default: the inactive one of blue/green.",
        ),
    ] = None,
    drop: Annotated[
        str | None, typer.Option("--drop", help="Drop this retired set of tables, and stop.")
    ] = None,
    database: Database = DEFAULT_DATABASE,
) -> None:
    """Rebuild every tally from the event log, then swap the new tables in atomically."""
    console = Console()
    try:
        if drop is not None:
            _run(database, lambda store: drop_set(store, drop))
            console.print(f"dropped tally set {drop}")
            return
        with progress_bar(console, "replay") as progress:
            result = _run(database, lambda store: replay(store, into=into, progress=progress))
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    console.print(
        f"replayed {result.events} positions into set {result.set_name} "
        f"(up to position {result.position}); active now; "
        f"previous set: {result.replaced or '-'}"
    )


@app.command("verify")
def verify_command(database: Database = DEFAULT_DATABASE) -> None:
    """Compare the live tallies with a fresh replay of the log; exit 1 on any difference."""
    console = Console()
    with progress_bar(console, "verify") as progress:
        differences = _run(database, lambda store: verify(store, progress=progress))
    for difference in differences:
        console.print(str(difference), markup=False, highlight=False)
    if differences:
        console.print(f"{len(differences)} difference(s)")
        raise typer.Exit(1)
    console.print("no differences")


@app.command("tally")
def tally_command(
    poll_id: Annotated[str, typer.Argument(help="The poll's id.")],
    at: Annotated[
        str | None,
        typer.Option("--at", help="As of this time (ISO 8601 with zone: 2026-11-27T12:00:00Z)."),
    ] = None,
    position: Annotated[
        int | None, typer.Option("--position", help="As of this log position.", min=0)
    ] = None,
    database: Database = DEFAULT_DATABASE,
) -> None:
    """Print a poll's tally as JSON: the current one, or as of a time or a log position."""
    try:
        when = datetime.fromisoformat(at) if at is not None else None
        # The service's rules for a time (a zone, within the range it can hold) and a poll id.
        query = parse(ResultsAsOf, poll_id=poll_id, at=when, position=position)
    except (ValueError, ValidationFailed) as e:
        raise typer.BadParameter(str(e)) from e
    if query.at is None and query.position is None:
        tally = _run(database, lambda store: get_tally(store, query.poll_id))
    else:
        tally = _run(
            database, lambda store: tally_at(store, query.poll_id, query.at, query.position)
        )
    if tally is None:
        typer.echo(f"no tally for poll {poll_id}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(tally.model_dump(), indent=2, ensure_ascii=False))
