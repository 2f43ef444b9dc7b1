"""What the service returns: immutable, JSON-ready views of polls, voters and ballots."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from vote_domain.model import Ballot, Poll, Voter
from vote_domain.model.poll import ResultsVisibility

__all__ = ["BallotView", "CastResult", "PollView", "Registration", "VoterView"]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class PollView(_View):
    """A poll as readers see it."""

    id: UUID
    question: str
    options: list[str]
    created_by: str
    created_at: datetime
    closes_at: datetime | None
    closed: bool
    closed_at: datetime | None
    is_open: bool
    results_visibility: ResultsVisibility
    """``always``, or ``after_vote``: while open, only those who voted (and admins) may read
    the results."""
    version: int

    @classmethod
    def of(cls, poll: Poll, now: datetime) -> PollView:
        return cls(
            id=poll.id,
            question=poll.question,
            options=list(poll.options),
            created_by=poll.created_by,
            created_at=poll.created_on,
            closes_at=poll.closes_at,
            closed=poll.closed,
            closed_at=poll.closed_at,
            is_open=poll.is_open(now),
            results_visibility=poll.results_visibility,
            version=poll.version,
        )


class VoterView(_View):
    """A registered voter."""

    id: UUID
    subject: str
    display_name: str
    registered_at: datetime

    @classmethod
    def of(cls, voter: Voter) -> VoterView:
        return cls(
            id=voter.id,
            subject=voter.subject,
            display_name=voter.display_name,
            registered_at=voter.created_on,
        )


class Registration(_View):
    """The outcome of registering: the voter, and whether this call created it."""

    voter: VoterView
    created: bool


class BallotView(_View):
    """A voter's ballot in a poll; ``option`` is None once retracted."""

    id: UUID
    poll_id: UUID
    voter_id: UUID
    option: str | None
    version: int
    updated_at: datetime

    @classmethod
    def of(cls, ballot: Ballot) -> BallotView:
        return cls(
            id=ballot.id,
            poll_id=ballot.poll_id,
            voter_id=ballot.voter_id,
            option=ballot.option,
            version=ballot.version,
            updated_at=ballot.modified_on,
        )


class CastResult(_View):
    """The outcome of a cast or change: ``cast`` (new vote), ``changed``, or ``unchanged``
    (the voter already held that option: an idempotent success that wrote nothing)."""

    ballot: BallotView
    outcome: Literal["cast", "changed", "unchanged"]
