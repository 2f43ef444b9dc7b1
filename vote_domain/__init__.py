"""vote_domain: an async, event-sourced voting library.

Polls, voters and ballots are event-sourced aggregates (on the ``eventsourcing`` package);
:class:`VotingService` runs the use cases on an async :class:`EventStore` (SQLite embedded, or
MySQL / Aurora MySQL through aiomysql), chosen by URL with :func:`connect`::

    import asyncio
    from vote_domain import VotingService, connect

    async def main() -> None:
        async with connect("sqlite:///./votes.db") as store:
            await store.migrate()
            votes = VotingService(store)
            await votes.register_voter("alice")
            poll = await votes.create_poll("alice", "Tabs or spaces?", ["Tabs", "Spaces"])
            await votes.cast_vote(poll.id, "alice", "Spaces")

    asyncio.run(main())

Every error raised on purpose is a :class:`VoteError` with a stable ``code``.
"""

from vote_domain.codec import StateField, mapper, state_field
from vote_domain.errors import (
    AlreadyVoted,
    BallotNotFound,
    Conflict,
    InvalidOption,
    NotFound,
    NotRegistered,
    PollClosed,
    PollNotFound,
    ResultsHidden,
    RuleViolation,
    Unavailable,
    ValidationFailed,
    VoteError,
)
from vote_domain.model import COUNTING, Ballot, Move, Poll, Voter, ballot_id_for, voter_id_for
from vote_domain.service import OnRecorded, VotingService
from vote_domain.stores import (
    EventGroup,
    EventStore,
    ForEach,
    Grouping,
    LockConflict,
    Migration,
    Transaction,
    connect,
)
from vote_domain.views import BallotView, CastResult, PollView, Registration, VoterView

__all__ = [
    "COUNTING",
    "AlreadyVoted",
    "Ballot",
    "BallotNotFound",
    "BallotView",
    "CastResult",
    "Conflict",
    "EventGroup",
    "EventStore",
    "ForEach",
    "Grouping",
    "InvalidOption",
    "LockConflict",
    "Migration",
    "Move",
    "NotFound",
    "NotRegistered",
    "OnRecorded",
    "Poll",
    "PollClosed",
    "PollNotFound",
    "PollView",
    "Registration",
    "ResultsHidden",
    "RuleViolation",
    "StateField",
    "Transaction",
    "Unavailable",
    "ValidationFailed",
    "VoteError",
    "Voter",
    "VoterView",
    "VotingService",
    "ballot_id_for",
    "connect",
    "mapper",
    "state_field",
    "voter_id_for",
]
