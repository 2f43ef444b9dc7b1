"""The HTTP API's routes, one module per resource; :func:`register` adds them all."""

from __future__ import annotations

from handlers.resolver import ConcurrentHttpResolver
from handlers.routes import ballots, meta, polls, results, voters

__all__ = ["register"]


def register(app: ConcurrentHttpResolver) -> None:
    """Add every route of the API to ``app``."""
    for module in (meta, voters, polls, ballots, results):
        module.register(app)
