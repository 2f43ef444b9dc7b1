"""Lambda entry of the CloudFormation custom resource that migrates the database schema at
every deploy (:mod:`votes.custom_resource`); invoked directly, it just migrates."""

from __future__ import annotations

from typing import Any

from vote_domain import Migration
from votes import bootstrap
from votes.custom_resource import PHYSICAL_ID, respond

__all__ = ["PHYSICAL_ID", "handler"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Migrate on Create and Update, answer CloudFormation; the outcome."""
    return respond(event, context, _migrate)


async def _migrate() -> list[Migration]:
    return await bootstrap.container().migrate()
