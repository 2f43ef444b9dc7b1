"""``votes``: run the local app, migrate the database, and rebuild or check tallies.

    votes serve [--host 127.0.0.1] [--port 8000] [--database URL] [--admins alice,bob]
                [--allowed-hosts votes.lan,192.168.1.20]
    votes db migrate [--database URL]
    votes replay | verify | tally ...      (the projections' commands)

Settings not given as options come from the environment (``VOTES_*``, see
:mod:`votes.settings`); the database defaults to ``sqlite:///./votes.db``.
"""

from __future__ import annotations

import os
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import typer
import uvicorn
from eventsourcing.persistence import PersistenceError

from projections.cli import app as projections_app
from votes import bootstrap
from votes.local.http_limits import BoundedHttpToolsProtocol
from votes.local.idp.users import MIGRATIONS as IDP_MIGRATIONS
from votes.local.server import create_app
from votes.migrations import apply_all
from votes.runtime import run
from votes.settings import Settings

__all__ = ["SERVER_OPTIONS", "app", "main"]

SERVER_OPTIONS: dict[str, Any] = {
    "log_level": "warning",
    # No access log: a line per request costs a fifth of a vote's CPU time here.
    "access_log": False,
    "loop": "auto",
    # httptools with a request-head limit (431) and a deadline for each request to arrive
    # whole (408): votes/local/http_limits.py says why uvicorn's own options are not enough.
    "http": BoundedHttpToolsProtocol,
    # Connections (idle keep-alive ones included) and requests at once; beyond: 503.
    "limit_concurrency": 1000,
    # Idle time allowed between two requests on one connection.
    "timeout_keep_alive": 5,
    "lifespan": "on",
    "proxy_headers": False,
    "server_header": False,
    "timeout_graceful_shutdown": 3,
    # /event/realtime: a client's messages are a few hundred bytes (a subscribe with a token)
    "ws_max_size": 64 * 1024,
}
"""uvicorn's options for ``votes serve`` (bench/http_cast.py runs its baseline with them)."""

app = typer.Typer(
    name="votes",
    help="Event-sourced vote casting: the local app and its maintenance commands.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db = typer.Typer(help="The event store's database.", no_args_is_help=True)
app.add_typer(db, name="db")

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        "-d",
        help="sqlite:///<path> or mysql://user:pw@host:3306/db",
        show_default=False,
    ),
]


def _without_password(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for printing)."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database: DatabaseOption = None,
    admins: Annotated[
        str | None,
        typer.Option(help="Comma-separated usernames put in the admins group (VOTES_ADMINS)."),
    ] = None,
    allowed_hosts: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated Host names to answer (VOTES_ALLOWED_HOSTS; default: the "
            "--host and localhost). Name the machine's address here to serve on 0.0.0.0.",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(
            help="Log level of the server and the app; at info the app logs each request "
            "(default: warning, the app's from VOTES_LOG_LEVEL if set).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the whole app on this machine: API, live results, local Cognito and the client."""
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{shown_host}:{port}"
    app_log_level = log_level or os.environ.get("VOTES_LOG_LEVEL") or "warning"
    settings = _settings(
        database_url=database,
        admins=admins,
        allowed_hosts=allowed_hosts,
        public_url=url,
        log_level=app_log_level.upper(),
    )
    local = create_app(settings)

    def ready() -> None:
        shown = _without_password(bootstrap.database_url(settings))
        typer.echo(f"votes: serving {url}  (database {shown}; Ctrl+C stops)")

    local.on_ready = ready
    uvicorn.run(
        local, host=host, port=port, **{**SERVER_OPTIONS, "log_level": log_level or "warning"}
    )


@db.command("migrate")
def migrate(database: DatabaseOption = None) -> None:
    """Create or upgrade every table (event store, tallies, local users); idempotent."""
    settings = _settings(database_url=database)
    url = bootstrap.database_url(settings)

    async def go() -> list[str]:
        store = bootstrap.open_store(settings, pool_size=1)
        try:
            applied = await apply_all(store, IDP_MIGRATIONS)
        finally:
            await store.close()
        return [f"{m.component}:{m.version}" for m in applied]

    applied = run(go())
    done = f"applied {', '.join(applied)}" if applied else "nothing to apply"
    typer.echo(f"votes: {_without_password(url)} is up to date ({done})")


# The projections' commands (replay, verify, tally) are commands of `votes` too.
app.registered_commands += projections_app.registered_commands
app.registered_groups += projections_app.registered_groups


def main() -> None:
    """Console-script entry point: a database that cannot be used is a message, not a trace."""
    try:
        app()
    except PersistenceError as e:
        typer.echo(f"votes: the database cannot be used: {e}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
