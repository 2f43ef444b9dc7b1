"""Every component's tables, applied in one place: the event log's, the tally projection's,
the relay's -- and what the caller adds (the local identity provider's users, in the local app
and the CLI, which alone carry that module)."""

from __future__ import annotations

from collections.abc import Sequence

from projections import MIGRATIONS as PROJECTIONS
from vote_domain import EventStore, Migration
from votes.relay import MIGRATIONS as RELAY

__all__ = ["all_migrations", "apply_all"]


def all_migrations(extra: Sequence[Migration] = ()) -> list[Migration]:
    """The tally projection's and the relay's migrations (``relay_published``), then
    ``extra``. The event store's own (the event log) come first by themselves: every
    ``store.migrate`` applies them."""
    return [*PROJECTIONS, *RELAY, *extra]


async def apply_all(store: EventStore, extra: Sequence[Migration] = ()) -> list[Migration]:
    """Bring ``store``'s schema up to date: the event log's, then :func:`all_migrations`
    (each (component, version) at most once); the migrations applied now. The one migration
    path of the Lambda custom resource, the local server and ``votes db migrate``."""
    return await store.migrate(all_migrations(extra))
