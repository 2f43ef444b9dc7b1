"""The errors a caller of :mod:`vote_domain` can see, each with a stable code.

Every error the library raises on purpose derives from :class:`VoteError` and carries
``code``, a short machine-readable string that never changes once released, and a
human-readable ``message``. Entry points (HTTP, CLI) map codes to their own status values in
one place; the library itself knows nothing of HTTP.

    VoteError                   vote_error          (base; never raised itself)
    ├── ValidationFailed        validation_failed   malformed input (ids, lengths, duplicates)
    ├── NotFound                not_found
    │   ├── PollNotFound        poll_not_found
    │   └── BallotNotFound      ballot_not_found    the voter holds no ballot in that poll
    ├── RuleViolation           rule_violation      well-formed input a domain rule refuses
    │   ├── PollClosed          poll_closed
    │   ├── InvalidOption       invalid_option
    │   ├── NotRegistered       not_registered
    │   └── ResultsHidden       results_hidden      an open poll shows results only after a vote
    ├── AlreadyVoted            already_voted       a different option is already held
    ├── Conflict                conflict            concurrent writers kept colliding
    └── Unavailable             unavailable         the event store cannot be reached; retry
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AlreadyVoted",
    "BallotNotFound",
    "Conflict",
    "InvalidOption",
    "NotFound",
    "NotRegistered",
    "PollClosed",
    "PollNotFound",
    "ResultsHidden",
    "RuleViolation",
    "Unavailable",
    "ValidationFailed",
    "VoteError",
]


class VoteError(Exception):
    """Base of every error the voting library raises on purpose."""

    code: ClassVar[str] = "vote_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(VoteError):
    """The input is malformed: wrong type, length, format or duplicated values."""

    code = "validation_failed"


class NotFound(VoteError):
    """The thing asked for does not exist."""

    code = "not_found"


class PollNotFound(NotFound):
    """No poll has that id."""

    code = "poll_not_found"


class BallotNotFound(NotFound):
    """The voter holds no ballot in that poll (never cast, or retracted)."""

    code = "ballot_not_found"


class RuleViolation(VoteError):
    """Well-formed input that a rule of the domain refuses."""

    code = "rule_violation"


class PollClosed(RuleViolation):
    """The poll was closed or is past its closing time."""

    code = "poll_closed"


class InvalidOption(RuleViolation):
    """The option is not one of the poll's options."""

    code = "invalid_option"


class NotRegistered(RuleViolation):
    """Only registered voters may vote."""

    code = "not_registered"


class ResultsHidden(RuleViolation):
    """The poll shows its results only to those who voted, until it closes."""

    code = "results_hidden"


class AlreadyVoted(VoteError):
    """The voter holds a ballot for a different option and did not ask to change it."""

    code = "already_voted"


class Conflict(VoteError):
    """Concurrent writers to the same stream kept colliding; the caller may retry."""

    code = "conflict"


class Unavailable(VoteError):
    """The event store cannot be reached right now; the caller may retry."""

    code = "unavailable"
