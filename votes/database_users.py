"""A deployment's database users, made by the migration before it migrates.

On AWS three secrets hold three logins (deploy/database.yml):

* the RDS-managed **master** secret (``VOTES_DATABASE_ADMIN_SECRET_ARN``), rotated by RDS: it
  only creates the two users below, in the migration custom resource;
* the **migrator**'s (the migration's ``VOTES_DATABASE_SECRET_ARN``): schema changes;
* the **application** user's (``VOTES_DATABASE_APP_SECRET_ARN`` here; the ``api``, ``relay``
  and ``projector`` functions log in with it): data only.

The two user secrets are made by CloudFormation with a generated password and rotated by
Secrets Manager's hosted single-user rotation function; :func:`provision` creates each user
with its secret's password the first time and afterwards only keeps its privileges and
``REQUIRE SSL`` as :mod:`vote_domain.stores.mysql.users` says (its password is the rotation's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from vote_domain.stores.mysql import (
    APP_PRIVILEGES,
    MIGRATOR_PRIVILEGES,
    DatabaseUser,
    provision_users,
)
from votes.aws_sdk import client_config
from votes.bootstrap import tls_options
from votes.db_secret import DatabaseSecret, SecretReader, secrets_manager_reader
from votes.observability import logger
from votes.settings import Settings

__all__ = ["provision"]

ReaderFor = Callable[[str], SecretReader]
"""Makes the reader of the secret with a given ARN (tests pass their own)."""


async def provision(settings: Settings, reader_for: ReaderFor | None = None) -> list[str]:
    """Create or update the application user and the migrator as the master user; the names
    created now. Nothing to do (``[]``) without ``database_admin_secret_arn``."""
    if not settings.database_admin_secret_arn:
        return []
    app_arn, migrator_arn = settings.database_app_secret_arn, settings.database_secret_arn
    if not (app_arn and migrator_arn and settings.database_host):
        raise RuntimeError(
            "VOTES_DATABASE_ADMIN_SECRET_ARN needs VOTES_DATABASE_APP_SECRET_ARN, "
            "VOTES_DATABASE_SECRET_ARN (the migrator's) and VOTES_DATABASE_HOST"
        )
    config = client_config(settings)
    read = reader_for or (lambda arn: secrets_manager_reader(arn, settings.region, config=config))
    admin = DatabaseSecret(read(settings.database_admin_secret_arn))
    url = admin.url(settings.database_host, settings.database_port, settings.database_name)
    users = [
        _user(read(app_arn)(), APP_PRIVILEGES),
        _user(read(migrator_arn)(), MIGRATOR_PRIVILEGES),
    ]
    created = await provision_users(url, users, **tls_options(settings))
    logger.info(
        "database users provisioned",
        extra={"users": [u.name for u in users], "users_created": created},
    )
    return created


def _user(secret: Mapping[str, Any], privileges: tuple[str, ...]) -> DatabaseUser:
    return DatabaseUser(str(secret["username"]), str(secret["password"]), privileges)
