"""Deterministic identities: one voter per identity subject, one ballot per voter per poll.

Because these ids are derived rather than random, "register again" and "vote again" land on
the same event stream, and the event store's unique (originator id, version) key enforces the
rules without any lock on the poll.
"""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID, uuid5

VOTER_NAMESPACE = UUID("0b5f2a4e-6f0c-4d0e-9c1c-2f3b8f2d7a10")
BALLOT_NAMESPACE = UUID("6a1d9c37-1b7e-4f53-8f0a-93c2d3e4b5a6")


@lru_cache(maxsize=8192)  # (hashing is a visible part of a cast's CPU)
def voter_id_for(subject: str) -> UUID:
    """The voter id of an identity subject (a Cognito ``sub``)."""
    return uuid5(VOTER_NAMESPACE, subject)


@lru_cache(maxsize=1024)  # (the service and the Ballot both derive it, once per cast)
def ballot_id_for(poll_id: UUID, voter_id: UUID) -> UUID:
    """The id of the one ballot a voter may hold in a poll."""
    return uuid5(BALLOT_NAMESPACE, f"{poll_id}/{voter_id}")
