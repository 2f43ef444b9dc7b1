"""The database login from an RDS-managed Secrets Manager secret, re-read when it rotates.

On AWS the database URL is made from ``VOTES_DATABASE_SECRET_ARN`` (JSON ``{"username",
"password"}``, managed by RDS) and ``VOTES_DATABASE_HOST`` / ``_PORT`` / ``_NAME``. RDS rotates
that password (about weekly); connections open at the time stay logged in, new ones are refused
(MySQL error 1045). The event store then asks :meth:`DatabaseSecret.fresh_login` once for the
login again, which re-reads the secret (at most once per ``min_interval`` seconds, however
many connections were refused at the same moment) and the store connects again with it.

The application user's and the migrator's secrets rotate differently: Secrets Manager's
single-user rotation function first stores the new password as the secret's ``AWSPENDING``
version, then sets it in the database, then makes it ``AWSCURRENT``. A connection refused in
between finds ``AWSCURRENT`` unchanged; the login then tried is ``AWSPENDING``'s, so rotation
refuses no request.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

__all__ = ["REREAD_INTERVAL_S", "DatabaseSecret", "SecretReader", "secrets_manager_reader"]

REREAD_INTERVAL_S = 1.0
"""The secret is read again at most this often (refusals within it share one read)."""

SecretReader = Callable[[], Mapping[str, Any]]
"""Reads the secret's current value (blocking): a mapping with ``username`` and ``password``."""


def secrets_manager_reader(
    secret_arn: str, region: str, stage: str = "AWSCURRENT", *, config: Any = None
) -> SecretReader:
    """A reader of one Secrets Manager secret holding JSON ``{"username", "password"}``, at
    version ``stage`` (an empty mapping when the secret has no version at that stage;
    ``config``: the client's ``botocore.config.Config``, :func:`votes.aws_sdk.client_config`)."""
    client: Any = None

    def read() -> Mapping[str, Any]:
        nonlocal client
        if client is None:
            # Lazy: boto3 takes 130-250 ms to import (python -X importtime after the app's
            # other imports, loaded 2-core machine); the local app and the CLI never need it.
            import boto3

            client = boto3.client("secretsmanager", region_name=region, config=config)
        try:
            value = client.get_secret_value(SecretId=secret_arn, VersionStage=stage)
        except client.exceptions.ResourceNotFoundException:
            if stage == "AWSCURRENT":
                raise
            return {}  # no rotation under way
        secret = json.loads(value["SecretString"])
        if not isinstance(secret, dict):
            raise ValueError("the database secret is not a JSON object")
        return secret

    return read


class DatabaseSecret:
    """The database login kept in a secret: read on first use, re-read after a refusal."""

    def __init__(
        self,
        read: SecretReader,
        *,
        read_pending: SecretReader | None = None,
        min_interval: float | None = None,
    ) -> None:
        """``read``: the current version; ``read_pending``: the version a rotation under way
        is setting (an empty mapping when none), tried when the current one did not change."""
        self._read = read
        self._read_pending = read_pending
        self.min_interval = REREAD_INTERVAL_S if min_interval is None else min_interval
        self._login: dict[str, str] | None = None
        self._read_at = float("-inf")
        self._lock: asyncio.Lock | None = None

    def login(self) -> dict[str, str]:
        """``{"user", "password"}``: as last read, reading the secret if never read (blocking)."""
        if self._login is None:
            self._refresh()
        assert self._login is not None
        return dict(self._login)

    def url(self, host: str, port: int, database: str) -> str:
        """``mysql://user:password@host:port/database`` with the current login (blocking)."""
        login = self.login()
        user, password = quote(login["user"], safe=""), quote(login["password"], safe="")
        return f"mysql://{user}:{password}@{host}:{port}/{database}"

    async def fresh_login(self) -> dict[str, str]:
        """The login after the server refused the last one: the secret is read again, unless
        it was read less than ``min_interval`` seconds ago (a concurrent refusal did)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if time.monotonic() - self._read_at >= self.min_interval:
                refused = self._login
                await asyncio.to_thread(self._refresh)
                if self._login == refused and self._read_pending is not None:
                    pending = await asyncio.to_thread(self._read_pending)
                    if pending:  # mid-rotation: the database may already hold this one
                        self._login = _login_of(pending)
            return self.login()

    def _refresh(self) -> None:
        self._login = _login_of(self._read())
        self._read_at = time.monotonic()


def _login_of(secret: Mapping[str, Any]) -> dict[str, str]:
    return {"user": str(secret["username"]), "password": str(secret["password"])}
