"""A voter: someone known by an identity subject who registered to vote."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from vote_domain.model.ids import voter_id_for


class Voter(Aggregate):
    """An event-sourced voter. Its id is derived from the subject, so registering is idempotent."""

    class Registered(Aggregate.Created):
        """A person registered to vote."""

        subject: str
        display_name: str

    @staticmethod
    def create_id(subject: str, **_: Any) -> UUID:
        return voter_id_for(subject)

    def __init__(self, subject: str, display_name: str) -> None:
        self.subject = subject
        self.display_name = display_name

    @classmethod
    def register(cls, subject: str, display_name: str) -> Voter:
        """A new voter for ``subject``."""
        return cls._create(cls.Registered, subject=subject, display_name=display_name)
