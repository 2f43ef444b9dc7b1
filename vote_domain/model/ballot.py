"""A ballot: the one vote a voter holds in a poll, which can be changed or retracted.

Events carry everything a tally needs (poll, option, and the option given up), so projectors
fold them without loading the aggregate.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from vote_domain.errors import AlreadyVoted, BallotNotFound
from vote_domain.model.ids import ballot_id_for


class Ballot(Aggregate):
    """An event-sourced ballot, identified by (poll id, voter id)."""

    class VoteCast(Aggregate.Created):
        """A vote was cast: the first time (version 1) or again after a retraction."""

        poll_id: UUID
        voter_id: UUID
        option: str

        def mutate(self, aggregate: Any) -> Any:
            if aggregate is None:
                return super().mutate(None)
            return Aggregate.Event.mutate(self, aggregate)

        def apply(self, aggregate: Any) -> None:
            aggregate.option = self.option

    class VoteChanged(Aggregate.Event):
        """The voter moved their vote from ``previous_option`` to ``option``."""

        poll_id: UUID
        option: str
        previous_option: str

        def apply(self, aggregate: Any) -> None:
            aggregate.option = self.option

    class VoteRetracted(Aggregate.Event):
        """The voter withdrew their vote for ``previous_option``."""

        poll_id: UUID
        previous_option: str

        def apply(self, aggregate: Any) -> None:
            aggregate.option = None

    @staticmethod
    def create_id(poll_id: UUID, voter_id: UUID, **_: Any) -> UUID:
        return ballot_id_for(poll_id, voter_id)

    def __init__(self, poll_id: UUID, voter_id: UUID, option: str) -> None:
        self.poll_id = poll_id
        self.voter_id = voter_id
        self.option: str | None = option

    @classmethod
    def cast(cls, poll_id: UUID, voter_id: UUID, option: str) -> Ballot:
        """A new ballot holding ``option``."""
        return cls._create(cls.VoteCast, poll_id=poll_id, voter_id=voter_id, option=option)

    def recast(self, option: str) -> None:
        """Vote again after a retraction (AlreadyVoted while an option is held)."""
        if self.option is not None:
            raise AlreadyVoted("the ballot holds an option: change it instead", option=self.option)
        self.trigger_event(
            self.VoteCast,
            originator_topic=get_topic(type(self)),
            poll_id=self.poll_id,
            voter_id=self.voter_id,
            option=option,
        )

    def change(self, option: str) -> None:
        """Move the vote to ``option`` (BallotNotFound once retracted)."""
        if self.option is None:
            raise BallotNotFound("the vote was retracted: cast it again instead")
        self.trigger_event(
            self.VoteChanged, poll_id=self.poll_id, option=option, previous_option=self.option
        )

    def retract(self) -> None:
        """Withdraw the vote (BallotNotFound once retracted)."""
        if self.option is None:
            raise BallotNotFound("the vote was already retracted")
        self.trigger_event(self.VoteRetracted, poll_id=self.poll_id, previous_option=self.option)
