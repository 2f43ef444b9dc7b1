"""Tallies of the vote log: the live projector, replay with blue-green swap, time travel.

Entry points for handlers:

* :func:`migrate` / :data:`MIGRATIONS` — the projections' tables (``votes db migrate``);
* :class:`TallyProjector` — ``await TallyProjector(store, publisher).process(notifications)``;
* :func:`get_tally`, :func:`get_tallies`, :func:`tally_at`, :func:`all_tallies` — reading tallies;
* :func:`replay`, :func:`verify` — operator commands (also in :mod:`projections.cli`);
* publishers: :class:`InProcessPublisher`, :class:`projections.publishers.sns.SnsPublisher`.
"""

from projections.projector import TallyProjector
from projections.publishers import InProcessPublisher, TallyPublisher
from projections.query import all_tallies, get_tallies, get_tally, position_at, tally_at
from projections.replay import ReplayResult, replay
from projections.schema import MIGRATIONS, drop_set, list_sets, migrate
from projections.tally import TALLY_UPDATED_SCHEMA, Tally, TallyUpdated
from projections.verify import Difference, verify

__all__ = [
    "MIGRATIONS",
    "TALLY_UPDATED_SCHEMA",
    "Difference",
    "InProcessPublisher",
    "ReplayResult",
    "Tally",
    "TallyProjector",
    "TallyPublisher",
    "TallyUpdated",
    "all_tallies",
    "drop_set",
    "get_tallies",
    "get_tally",
    "list_sets",
    "migrate",
    "position_at",
    "replay",
    "tally_at",
    "verify",
]
