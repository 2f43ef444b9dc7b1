"""The stack under test: a local `votes serve` on a fresh database, or a deployed stage; its
Cognito endpoint, an admin's token to seed polls, and the setup step's users."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.api import Cognito, CognitoError, VotesApi, random_password
from runner.identities import (
    AWS_RATES,
    LOCAL_RATES,
    Identity,
    Rates,
    admin_creator,
    new_person,
    provision,
    signup_creator,
)
from runner.server import fresh_database, serve

__all__ = ["SEED_POLLS", "Target", "local_target", "provision_users", "remote_target", "seed"]

SEED_POLLS = [
    ("Best breakfast?", ["Pancakes", "Waffles", "Porridge", "Toast"]),
    ("Tabs or spaces?", ["Tabs", "Spaces"]),
    ("Favourite season?", ["Spring", "Summer", "Autumn", "Winter"]),
    ("Coffee or tea?", ["Coffee", "Tea", "Neither"]),
    ("Which database?", ["Aurora MySQL", "SQLite", "MariaDB", "DynamoDB", "Postgres"]),
]


@dataclass
class Target:
    """Where the load goes: the API, its Cognito app client, and a token to read with."""

    env: str  # "local" or "aws" (votes.yml's environment)
    backend: str  # sqlite, mysql or aws
    api_url: str
    cognito: Cognito
    token: str  # an admin's when one was given (it seeded), else a reader's
    server_pid: int | None = None  # the local `votes serve`


def sign_in(cognito: Cognito, email: str, password: str) -> str:
    """Sign ``email`` up if it is new, then in; return an access token."""
    try:
        cognito.sign_up(email, password, "Load Test Admin")
    except CognitoError:
        pass  # an existing user (a stage's admin): signing in tells whether the password is right
    return cognito.access_token(email, password)


def seed(api_url: str, token: str, count: int) -> None:
    """Create ``count`` polls as the admin whose token this is."""
    api = VotesApi(api_url, token)
    try:
        for n in range(count):
            question, options = SEED_POLLS[n % len(SEED_POLLS)]
            if n >= len(SEED_POLLS):
                question = f"{question} (round {n // len(SEED_POLLS) + 1})"
            api.create_poll(question, options)
    finally:
        api.close()


@contextmanager
def local_target(database: str | None, out: Path, polls: int) -> Iterator[Target]:
    """`votes serve` on a fresh database with ``polls`` polls seeded by a fresh admin."""
    admin = f"load-admin-{secrets.token_hex(3)}@loadtest.example.com"
    with (
        fresh_database(database, out) as db_url,
        serve(db_url, [admin], out / "server.log") as server,
    ):
        api_url = server.url
        anonymous = VotesApi(api_url)
        config = anonymous.runtime_config()
        anonymous.close()
        cognito = Cognito(
            config.get("cognitoEndpoint") or f"{api_url}/cognito", config["userPoolClientId"]
        )
        token = sign_in(cognito, admin, random_password())
        seed(api_url, token, polls)
        backend = "mysql" if db_url.startswith("mysql") else "sqlite"
        pid = server.process.pid if server.process else None
        yield Target("local", backend, api_url, cognito, token, pid)


def remote_target(
    api_url: str,
    cognito: Cognito,
    polls: int,
    admin: tuple[str, str] | None,
) -> Target:
    """A deployed stage: seed ``polls`` polls when an admin is given, else use its open polls
    (read as a new user)."""
    api_url = api_url.rstrip("/")
    if admin is not None:
        token = sign_in(cognito, *admin)
        seed(api_url, token, polls)
    else:
        email, _ = new_person("reader-")
        token = sign_in(cognito, email, random_password())
    return Target("aws", "aws", api_url, cognito, token)


def provision_users(
    target: Target,
    count: int,
    *,
    method: str,
    rates: Rates | None = None,
    user_pool_id: str | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
) -> list[Identity]:
    """The setup step: ``count`` users created (``signup`` or ``admin``) and signed in."""
    rates = rates or (LOCAL_RATES if target.env == "local" else AWS_RATES)

    def progress(done: int) -> None:
        if done % 100 == 0 or done == count:
            print(f"setup: {done}/{count} users signed in", flush=True)

    if method == "admin":
        if not user_pool_id:
            raise SystemExit("--provision admin needs --user-pool-id (or VOTES_USER_POOL_ID)")
        import boto3  # 150 ms: only the admin path talks to Cognito's admin API

        client: Any = boto3.client("cognito-idp", region_name=region, endpoint_url=endpoint_url)
        create = admin_creator(client, user_pool_id, rates)
    else:
        create = signup_creator(target.cognito, rates.creation)
    try:
        return provision(
            count,
            target.cognito,
            create,
            sign_in_rate=rates.authentication,
            progress=progress,
        )
    except CognitoError as e:
        if "UserNotConfirmed" in str(e):
            print(
                "setup: the pool does not confirm sign-ups (no pre sign-up trigger on this "
                "stage): use --provision admin",
                file=sys.stderr,
            )
        raise
