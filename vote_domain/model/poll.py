"""A poll: a question, its options, who asked it, and whether it still accepts votes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

ResultsVisibility = Literal["always", "after_vote"]
"""Who sees a poll's results while it is open: everyone (``always``), or only those who have
voted in it (``after_vote``, so the running tally cannot sway a first vote)."""


def option_key(option: str) -> str:
    """How options are compared: after trimming and case-folding."""
    return option.strip().casefold()


class Poll(Aggregate):
    """An event-sourced poll. Created open; closed by an admin or by its closing time."""

    class Created(Aggregate.Created):
        """A poll was created. Version 2 added ``closes_at``, version 3 ``results_visibility``."""

        class_version = 3

        question: str
        options: list[str]
        created_by: str
        closes_at: datetime | None
        results_visibility: ResultsVisibility

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["closes_at"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["results_visibility"] = "always"

    class Closed(Aggregate.Event):
        """The poll was closed and accepts no more votes."""

        closed_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.closed = True
            aggregate.closed_by = self.closed_by
            aggregate.closed_at = self.timestamp

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    def __init__(
        self,
        question: str,
        options: list[str],
        created_by: str,
        closes_at: datetime | None,
        results_visibility: ResultsVisibility,
    ) -> None:
        self.question = question
        self.options = list(options)
        self.created_by = created_by
        self.closes_at = closes_at
        self.results_visibility: ResultsVisibility = results_visibility
        self.closed = False
        self.closed_by: str | None = None
        self.closed_at: datetime | None = None

    @classmethod
    def create(
        cls,
        question: str,
        options: list[str],
        created_by: str,
        closes_at: datetime | None,
        results_visibility: ResultsVisibility = "always",
    ) -> Poll:
        """Open a new poll (inputs already validated by the service)."""
        return cls._create(
            cls.Created,
            question=question,
            options=list(options),
            created_by=created_by,
            closes_at=closes_at,
            results_visibility=results_visibility,
        )

    def is_open(self, now: datetime | None = None) -> bool:
        """True while the poll accepts casts, changes and retractions."""
        if self.closed:
            return False
        now = now or datetime.now(UTC)
        return self.closes_at is None or now < self.closes_at

    def results_visible(self, *, has_voted: bool, privileged: bool, now: datetime) -> bool:
        """Whether a reader may see the tally: always once the poll no longer accepts votes;
        while open, under ``after_vote`` only readers who have cast a vote in it (a later
        retraction does not hide again what they have seen) or ``privileged`` ones (the entry
        point decides who: admins, who run the poll)."""
        return (
            self.results_visibility == "always" or not self.is_open(now) or has_voted or privileged
        )

    def canonical_option(self, option: str) -> str | None:
        """The poll's own spelling of ``option``, or None if it is not one of them."""
        key = option_key(option)
        for candidate in self.options:
            if option_key(candidate) == key:
                return candidate
        return None

    def close(self, closed_by: str) -> None:
        """Close the poll; closing a closed poll changes nothing."""
        if not self.closed:
            self.trigger_event(self.Closed, closed_by=closed_by)
