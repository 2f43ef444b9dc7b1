"""The HTTP API's routes, one module per resource; :func:`register` adds them all."""

from __future__ import annotations

from votes.http.resolver import ConcurrentHttpResolver
from votes.http.routes import ballots, meta, polls, results, voters

__all__ = ["register"]


def register(app: ConcurrentHttpResolver) -> None:
    """Add every route of the API to ``app``."""
    for module in (meta, voters, polls, ballots, results):
        module.register(app)
