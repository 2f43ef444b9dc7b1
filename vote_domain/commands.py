"""The service's inputs, validated at the boundary with pydantic.

Each command is an imperative (``CastVote``); a failed validation becomes
:class:`vote_domain.errors.ValidationFailed` with pydantic's error list in ``details``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from vote_domain.errors import ValidationFailed
from vote_domain.model.poll import option_key

__all__ = [
    "BallotRef",
    "BallotsRef",
    "CastVote",
    "ClosePoll",
    "CreatePoll",
    "Instant",
    "PollRef",
    "RegisterVoter",
    "ResultsAsOf",
    "RetractVote",
    "parse",
]

MAX_QUESTION = 280
MAX_OPTION = 80
MIN_OPTIONS, MAX_OPTIONS = 2, 20

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Question = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUESTION)
]
Option = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_OPTION)
]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _distinct(options: list[str]) -> list[str]:
    keys = [option_key(o) for o in options]
    if len(set(keys)) != len(keys):
        raise ValueError("options must be distinct (compared ignoring case and spaces)")
    return options


#: The first and last instants the service takes. A day inside what ``datetime`` can hold in
#: UTC, so that code past the boundary may add or subtract up to a day (time travel's clock
#: skew, say) without an OverflowError; outside it a time is ``validation_failed``.
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def _instant(value: datetime) -> datetime:
    """``value`` in UTC, if it has a time zone and lies in [EARLIEST, LATEST]."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone, e.g. 2026-11-27T12:00:00Z")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-00:01, in the year 10000 in UTC
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise ValueError(f"must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()} in UTC")
    return utc


Instant = Annotated[datetime, AfterValidator(_instant)]
"""A point in time the service takes: with a time zone, within [EARLIEST, LATEST], as UTC."""


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class RegisterVoter(_Command):
    """Register the person behind ``subject`` as a voter."""

    subject: Subject
    display_name: DisplayName


class CreatePoll(_Command):
    """Open a poll with 2-20 distinct options."""

    subject: Subject
    question: Question
    options: Annotated[
        list[Option],
        AfterValidator(_distinct),
    ]
    closes_at: Instant | None = None
    results_visibility: Literal["always", "after_vote"] = "always"

    @field_validator("options")
    @classmethod
    def _count(cls, options: list[str]) -> list[str]:
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise ValueError(f"a poll has {MIN_OPTIONS} to {MAX_OPTIONS} options")
        return options


class PollRef(_Command):
    """Refer to one poll."""

    poll_id: UUID


class ClosePoll(PollRef):
    """Close a poll."""

    subject: Subject


class CastVote(PollRef):
    """Cast (or, with ``change``, move) the voter's vote."""

    subject: Subject
    option: Option
    change: bool = False


class RetractVote(PollRef):
    """Withdraw the voter's vote."""

    subject: Subject


class ResultsAsOf(PollRef):
    """Refer to a poll's results now, or as of a time and/or a log position."""

    at: Instant | None = None
    position: Annotated[int, Field(ge=0)] | None = None


class BallotRef(PollRef):
    """Refer to one voter's ballot in a poll."""

    subject: Subject


class BallotsRef(_Command):
    """Refer to one voter's ballots in up to 100 polls."""

    subject: Subject
    poll_ids: Annotated[list[UUID], Field(max_length=100)]


TCommand = TypeVar("TCommand", bound=_Command)


def parse(command: type[TCommand], **values: Any) -> TCommand:
    """Validate ``values`` into ``command``, or raise ValidationFailed."""
    try:
        return command.model_validate(values)
    except ValidationError as e:
        errors = [
            {"field": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]}
            for err in e.errors(include_url=False, include_input=False)
        ]
        first = errors[0]
        raise ValidationFailed(
            f"{first['field']}: {first['problem']}" if first["field"] else first["problem"],
            errors=errors,
        ) from None
