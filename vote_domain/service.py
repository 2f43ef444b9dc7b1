"""The voting service: the async application methods every entry point calls.

Each method validates its input (:mod:`vote_domain.commands`), loads the aggregates it needs in
one read, decides with the domain model, and appends the new events. Concurrent writers to the
same stream collide on the store's unique (originator id, version) key; the method then reloads
and decides again, which is safe because every decision is re-made on fresh state.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    Recording,
    StoredEvent,
)
from eventsourcing.utils import get_topic

from vote_domain.codec import mapper
from vote_domain.commands import (
    BallotRef,
    BallotsRef,
    CastVote,
    ClosePoll,
    CreatePoll,
    PollRef,
    RegisterVoter,
    RetractVote,
    parse,
)
from vote_domain.errors import (
    AlreadyVoted,
    BallotNotFound,
    Conflict,
    InvalidOption,
    NotRegistered,
    PollClosed,
    PollNotFound,
    ResultsHidden,
    Unavailable,
    ValidationFailed,
)
from vote_domain.model import Ballot, Poll, Voter, ballot_id_for, voter_id_for
from vote_domain.stores.base import EventStore
from vote_domain.views import BallotView, CastResult, PollView, Registration, VoterView

__all__ = ["OnRecorded", "VotingService"]

log = logging.getLogger(__name__)

OnRecorded = Callable[[Sequence[Recording[UUID]]], Awaitable[None]]
"""Called after each commit with what was recorded (e.g. to relay it at once)."""

POLL_TOPICS = (get_topic(Poll.Created), get_topic(Poll.Closed))
CACHE_SIZE = 4096


def _utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _store_errors() -> Iterator[None]:
    """Turn an unreachable store into :class:`Unavailable`."""
    try:
        yield
    except (OperationalError, InterfaceError) as e:
        raise Unavailable("the vote store is unavailable; retry shortly") from e


class VotingService:
    """Register voters, run polls and record ballots on an :class:`EventStore`."""

    def __init__(
        self,
        store: EventStore,
        *,
        clock: Callable[[], datetime] = _utcnow,
        max_attempts: int = 8,
        on_recorded: OnRecorded | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.max_attempts = max_attempts
        self.on_recorded = on_recorded
        self._mapper = mapper()
        # Stored events never change, so an aggregate projected from a stream is valid for as
        # long as the stream's last version is the same; voters are never unregistered.
        self._projected: OrderedDict[tuple[UUID | str, int], Any] = OrderedDict()
        self._registered: OrderedDict[UUID, None] = OrderedDict()

    # -- voters ------------------------------------------------------------------------------

    async def register_voter(self, subject: str, display_name: str | None = None) -> Registration:
        """Register ``subject``; registering again returns the same voter and writes nothing."""
        cmd = parse(RegisterVoter, subject=subject, display_name=display_name or subject)
        voter_id = voter_id_for(cmd.subject)
        for _ in range(2):
            voter = await self._load_one(voter_id)
            if voter is not None:
                self._remember(self._registered, voter_id, None)
                return Registration(voter=VoterView.of(voter), created=False)
            voter = Voter.register(cmd.subject, cmd.display_name)
            try:
                await self._save(voter)
            except IntegrityError:
                continue  # registered concurrently: read it back
            self._remember(self._registered, voter_id, None)
            return Registration(voter=VoterView.of(voter), created=True)
        raise Conflict("could not register the voter; retry")

    # -- polls -------------------------------------------------------------------------------

    async def create_poll(
        self,
        subject: str,
        question: str,
        options: list[str],
        closes_at: datetime | str | None = None,
        results_visibility: str = "always",
    ) -> PollView:
        """Open a new poll; with ``results_visibility="after_vote"`` its results stay hidden
        from those who have not voted until it closes (see :meth:`require_results_visible`)."""
        cmd = parse(
            CreatePoll,
            subject=subject,
            question=question,
            options=options,
            closes_at=closes_at,
            results_visibility=results_visibility,
        )
        if cmd.closes_at is not None and cmd.closes_at <= self.clock():
            raise parse_error("closes_at", "closes_at must be in the future")
        poll = Poll.create(
            cmd.question, list(cmd.options), cmd.subject, cmd.closes_at, cmd.results_visibility
        )
        await self._save(poll)
        return PollView.of(poll, self.clock())

    async def close_poll(self, poll_id: UUID | str, subject: str) -> PollView:
        """Close a poll; closing a closed poll changes nothing."""
        cmd = parse(ClosePoll, poll_id=poll_id, subject=subject)
        for _ in range(self.max_attempts):
            poll = await self._poll(cmd.poll_id, for_update=True)
            if poll.closed:
                return PollView.of(poll, self.clock())
            poll.close(cmd.subject)
            if await self._try_save(poll):
                return PollView.of(poll, self.clock())
        raise Conflict("the poll kept changing; retry")

    async def get_poll(self, poll_id: UUID | str) -> PollView:
        """One poll."""
        cmd = parse(PollRef, poll_id=poll_id)
        return PollView.of(await self._poll(cmd.poll_id), self.clock())

    async def list_polls(self) -> list[PollView]:
        """Every poll, newest first."""
        polls: dict[UUID, Any] = {}
        with _store_errors():
            async for page in self.store.iter_notifications(topics=POLL_TOPICS):
                for notification in page:
                    event: Any = self._mapper.to_domain_event(notification)
                    polls[event.originator_id] = event.mutate(polls.get(event.originator_id))
        now = self.clock()
        views = [PollView.of(poll, now) for poll in polls.values()]
        return sorted(views, key=lambda v: v.created_at, reverse=True)

    async def require_results_visible(
        self, poll_id: UUID | str, subject: str, *, privileged: bool = False
    ) -> PollView:
        """The poll, if ``subject`` may read its results now; else ResultsHidden.

        Results are hidden only while an ``after_vote`` poll is open, from readers who never
        cast a vote in it and are not ``privileged`` (the entry point passes its admins)."""
        cmd = parse(BallotRef, poll_id=poll_id, subject=subject)
        ballot_id = ballot_id_for(cmd.poll_id, voter_id_for(cmd.subject))
        with _store_errors():
            streams = await self.store.select_streams([cmd.poll_id, ballot_id])
        poll = self._project_read_only(streams.get(cmd.poll_id, ()))
        if not isinstance(poll, Poll):
            raise PollNotFound(f"no poll has id {cmd.poll_id}")
        now = self.clock()
        has_voted = bool(streams.get(ballot_id))
        if not poll.results_visible(has_voted=has_voted, privileged=privileged, now=now):
            raise ResultsHidden("this poll shows its results once you have voted")
        return PollView.of(poll, now)

    # -- ballots -----------------------------------------------------------------------------

    async def cast_vote(
        self, poll_id: UUID | str, subject: str, option: str, *, change: bool = False
    ) -> CastResult:
        """Cast the voter's vote for ``option``.

        Casting the option already held is an idempotent success (``unchanged``). Holding a
        different option raises AlreadyVoted unless ``change`` is true.
        """
        cmd = parse(CastVote, poll_id=poll_id, subject=subject, option=option, change=change)
        voter_id = voter_id_for(cmd.subject)
        ballot_id = ballot_id_for(cmd.poll_id, voter_id)
        outcome: Literal["cast", "changed"]
        for _ in range(self.max_attempts):
            poll, registered, ballot = await self._load_for_vote(cmd.poll_id, voter_id, ballot_id)
            if not registered:
                raise NotRegistered("register as a voter before voting")
            self._require_open(poll)
            chosen = poll.canonical_option(cmd.option)
            if chosen is None:
                raise InvalidOption(f"{cmd.option!r} is not an option of this poll")
            if ballot is None:
                ballot, outcome = Ballot.cast(poll.id, voter_id, chosen), "cast"
            elif ballot.option is None:
                ballot.recast(chosen)
                outcome = "cast"
            elif ballot.option == chosen:
                return CastResult(ballot=BallotView.of(ballot), outcome="unchanged")
            elif cmd.change:
                ballot.change(chosen)
                outcome = "changed"
            else:
                raise AlreadyVoted(
                    "you already voted for another option; change your vote instead",
                    option=ballot.option,
                )
            if await self._try_save(ballot):
                return CastResult(ballot=BallotView.of(ballot), outcome=outcome)
        raise Conflict("your ballot kept changing; retry")

    async def change_vote(self, poll_id: UUID | str, subject: str, option: str) -> CastResult:
        """Move the voter's vote to ``option`` (casting it if they hold none)."""
        return await self.cast_vote(poll_id, subject, option, change=True)

    async def retract_vote(self, poll_id: UUID | str, subject: str) -> BallotView:
        """Withdraw the voter's vote."""
        cmd = parse(RetractVote, poll_id=poll_id, subject=subject)
        voter_id = voter_id_for(cmd.subject)
        ballot_id = ballot_id_for(cmd.poll_id, voter_id)
        for _ in range(self.max_attempts):
            poll, registered, ballot = await self._load_for_vote(cmd.poll_id, voter_id, ballot_id)
            if not registered:
                raise NotRegistered("register as a voter before voting")
            self._require_open(poll)
            if ballot is None or ballot.option is None:
                raise BallotNotFound("you hold no vote in this poll")
            ballot.retract()
            if await self._try_save(ballot):
                return BallotView.of(ballot)
        raise Conflict("your ballot kept changing; retry")

    async def get_ballot(self, poll_id: UUID | str, subject: str) -> BallotView:
        """The voter's ballot in a poll (``option`` None once retracted)."""
        cmd = parse(BallotRef, poll_id=poll_id, subject=subject)
        await self._poll(cmd.poll_id)
        ballot = await self._load_one(ballot_id_for(cmd.poll_id, voter_id_for(cmd.subject)))
        if ballot is None:
            raise BallotNotFound("you have not voted in this poll")
        return BallotView.of(ballot)

    async def list_ballots(self, subject: str, poll_ids: Sequence[UUID | str]) -> list[BallotView]:
        """The voter's ballots (``option`` None where retracted) in the polls named (at most
        100), in that order; polls they never voted in, or that do not exist, are left out.
        One read of the ballot streams, whose ids the voter and poll ids give."""
        cmd = parse(BallotsRef, subject=subject, poll_ids=list(poll_ids))
        voter_id = voter_id_for(cmd.subject)
        ballot_ids = [ballot_id_for(pid, voter_id) for pid in dict.fromkeys(cmd.poll_ids)]
        if not ballot_ids:
            return []
        with _store_errors():
            streams = await self.store.select_streams(ballot_ids)
        ballots = (self._project(streams.get(bid, ())) for bid in ballot_ids)
        return [BallotView.of(b) for b in ballots if b is not None]

    # -- loading and saving ------------------------------------------------------------------

    def _require_open(self, poll: Poll) -> None:
        if not poll.is_open(self.clock()):
            raise PollClosed("this poll is closed")

    def _project(self, stored: Sequence[StoredEvent]) -> Any:
        aggregate: Any = None
        for record in stored:
            aggregate = self._mapper.to_domain_event(record).mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate

    def _project_read_only(self, stored: Sequence[StoredEvent]) -> Any:
        """As :meth:`_project`, shared with other readers: the caller must not change it."""
        if not stored:
            return None
        last = stored[-1]
        key = (last.originator_id, last.originator_version)
        aggregate = self._projected.get(key)
        if aggregate is None:
            aggregate = self._project(stored)
        self._remember(self._projected, key, aggregate)
        return aggregate

    @staticmethod
    def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        cache[key] = value
        cache.move_to_end(key)
        if len(cache) > CACHE_SIZE:
            cache.popitem(last=False)

    async def _load_one(self, originator_id: UUID) -> Any:
        with _store_errors():
            return self._project(await self.store.select_events(originator_id))

    async def _poll(self, poll_id: UUID, *, for_update: bool = False) -> Poll:
        with _store_errors():
            stored = await self.store.select_events(poll_id)
        poll = self._project(stored) if for_update else self._project_read_only(stored)
        if not isinstance(poll, Poll):
            raise PollNotFound(f"no poll has id {poll_id}")
        return poll

    async def _load_for_vote(
        self, poll_id: UUID, voter_id: UUID, ballot_id: UUID
    ) -> tuple[Poll, bool, Ballot | None]:
        """The poll (read-only), whether the voter is registered, and their ballot."""
        known = voter_id in self._registered
        ids = [poll_id, ballot_id] if known else [poll_id, voter_id, ballot_id]
        with _store_errors():
            streams = await self.store.select_streams(ids)
        poll = self._project_read_only(streams.get(poll_id, ()))
        if not isinstance(poll, Poll):
            raise PollNotFound(f"no poll has id {poll_id}")
        if not known and streams.get(voter_id):
            self._remember(self._registered, voter_id, None)
            known = True
        ballot = self._project(streams.get(ballot_id, ()))
        return poll, known, ballot

    async def _try_save(self, aggregate: Aggregate) -> bool:
        """Save, or return False after a short random pause if another writer got there first."""
        try:
            await self._save(aggregate)
        except IntegrityError:
            await asyncio.sleep(random.uniform(0, 0.005))
            return False
        return True

    async def _save(self, aggregate: Aggregate) -> None:
        events = aggregate.collect_events()
        stored = [self._mapper.to_stored_event(e) for e in events]
        with _store_errors():
            ids = await self.store.insert_events(stored)
        if self.on_recorded is None or not ids:
            return
        recordings = [
            Recording(domain_event=event, notification=_notification(record, position))
            for event, record, position in zip(events, stored, ids, strict=True)
        ]
        try:
            await self.on_recorded(recordings)
        except Exception:  # the events are committed; the relay will catch up with them
            log.exception("on_recorded hook failed; the scheduled relay will deliver these events")


def _notification(record: StoredEvent, position: int) -> Notification:
    return Notification(
        id=position,
        originator_id=record.originator_id,
        originator_version=record.originator_version,
        topic=record.topic,
        state=record.state,
    )


def parse_error(field: str, problem: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {problem}", errors=[{"field": field, "problem": problem}])
