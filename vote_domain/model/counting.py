"""The counting rule: how each ballot event moves its poll's counts.

A ballot holds at most one option of its poll, and every ballot event names the option the
ballot takes and the one it gives up, so a tally is the sum of the events' moves, each read
from the event alone: no earlier event of the ballot is needed. This table is the one
statement of that rule; projections derive every fold from it (in Python event by event,
and in the database as grouped counts), and a domain test checks it against the ballot's
own state after every history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from vote_domain.model.ballot import Ballot

__all__ = ["COUNTING", "POLL_FIELD", "Move"]


@dataclass(frozen=True)
class Move:
    """One option a ballot event moves: the event field naming it, and the change to its
    count (+1: the ballot now holds it; -1: it no longer does)."""

    field: str
    weight: int


COUNTING: Mapping[type[Ballot.Event], tuple[Move, ...]] = MappingProxyType(
    {
        Ballot.VoteCast: (Move("option", +1),),
        Ballot.VoteChanged: (Move("previous_option", -1), Move("option", +1)),
        Ballot.VoteRetracted: (Move("previous_option", -1),),
    }
)
"""Per ballot event class, the options it moves."""

POLL_FIELD = "poll_id"
"""The field of every ballot event naming the poll whose counts it moves."""
