"""The voting service on every store backend (the ``store`` fixture is parametrised)."""

import asyncio
import random
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from vote_domain import (
    AlreadyVoted,
    BallotNotFound,
    InvalidOption,
    NotRegistered,
    PollClosed,
    PollNotFound,
    ResultsHidden,
    Unavailable,
    ValidationFailed,
    VotingService,
    ballot_id_for,
    voter_id_for,
)
from vote_domain.stores import stamps


@pytest.fixture
def votes(store):
    return VotingService(store)


def who() -> str:
    return f"user-{uuid4()}"


async def open_poll(votes, options=("Red", "Green", "Blue")):
    return await votes.create_poll(who(), "Favourite colour?", list(options))


async def registered(votes) -> str:
    subject = who()
    await votes.register_voter(subject, "Voter")
    return subject


async def log_snapshot(store):
    """Every notification in the log, as comparable tuples."""
    rows = []
    async for page in store.iter_notifications():
        rows.extend((n.id, str(n.originator_id), n.originator_version) for n in page)
    return rows


async def test_registering_twice_returns_the_same_voter_and_writes_once(votes, store):
    subject = who()
    first = await votes.register_voter(subject, "Ann")
    before = await log_snapshot(store)
    second = await votes.register_voter(subject, "Someone else")
    assert first.created and not second.created
    assert second.voter == first.voter
    assert await log_snapshot(store) == before


async def test_concurrent_registrations_create_one_voter(votes, store):
    subject = who()
    results = await asyncio.gather(*(votes.register_voter(subject) for _ in range(10)))
    assert sum(r.created for r in results) == 1
    assert len(await store.select_events(voter_id_for(subject))) == 1


async def test_cast_then_same_option_again_is_an_idempotent_success(votes):
    poll, subject = await open_poll(votes), await registered(votes)
    first = await votes.cast_vote(poll.id, subject, "Green")
    again = await votes.cast_vote(poll.id, subject, "  green ")
    assert (first.outcome, again.outcome) == ("cast", "unchanged")
    assert again.ballot == first.ballot
    assert first.ballot.option == "Green"


async def test_a_different_option_is_already_voted_unless_changing(votes):
    poll, subject = await open_poll(votes), await registered(votes)
    await votes.cast_vote(poll.id, subject, "Red")
    with pytest.raises(AlreadyVoted) as caught:
        await votes.cast_vote(poll.id, subject, "Blue")
    assert caught.value.code == "already_voted"
    changed = await votes.change_vote(poll.id, subject, "Blue")
    assert (changed.outcome, changed.ballot.option, changed.ballot.version) == (
        "changed",
        "Blue",
        2,
    )


async def test_retract_then_cast_again(votes):
    poll, subject = await open_poll(votes), await registered(votes)
    await votes.cast_vote(poll.id, subject, "Red")
    retracted = await votes.retract_vote(poll.id, subject)
    assert retracted.option is None
    assert (await votes.get_ballot(poll.id, subject)).option is None
    with pytest.raises(BallotNotFound):
        await votes.retract_vote(poll.id, subject)
    again = await votes.cast_vote(poll.id, subject, "Blue")
    assert (again.outcome, again.ballot.option, again.ballot.version) == ("cast", "Blue", 3)


async def test_closed_polls_accept_no_casts_changes_or_retractions(votes):
    poll, subject = await open_poll(votes), await registered(votes)
    await votes.cast_vote(poll.id, subject, "Red")
    closed = await votes.close_poll(poll.id, "admin")
    assert closed.closed and not closed.is_open
    for attempt in (
        votes.cast_vote(poll.id, subject, "Red"),
        votes.change_vote(poll.id, subject, "Blue"),
        votes.retract_vote(poll.id, subject),
    ):
        with pytest.raises(PollClosed):
            await attempt
    assert (await votes.close_poll(poll.id, "admin")).version == closed.version


async def test_a_poll_past_its_closing_time_is_closed(store):
    now = datetime.now(UTC)
    clock = {"now": now}
    votes = VotingService(store, clock=lambda: clock["now"])
    poll = await votes.create_poll(who(), "Q?", ["a", "b"], now + timedelta(minutes=1))
    subject = await registered(votes)
    clock["now"] = now + timedelta(minutes=2)
    with pytest.raises(PollClosed):
        await votes.cast_vote(poll.id, subject, "a")
    assert not (await votes.get_poll(poll.id)).is_open


async def test_get_and_list_polls(votes):
    poll = await open_poll(votes)
    await votes.close_poll(poll.id, "admin")
    fetched = await votes.get_poll(poll.id)
    assert fetched.closed and fetched.options == ["Red", "Green", "Blue"]
    listed = {p.id: p for p in await votes.list_polls()}
    assert listed[poll.id] == fetched


async def test_thousand_concurrent_casts_by_a_hundred_voters_make_a_hundred_ballots(votes, store):
    poll = await open_poll(votes)
    voters = [await registered(votes) for _ in range(100)]
    attempts = [(v, random.choice(poll.options)) for v in voters for _ in range(10)]
    random.shuffle(attempts)

    async def attempt(subject, option):
        try:
            return (await votes.cast_vote(poll.id, subject, option)).outcome
        except AlreadyVoted:
            return "already_voted"

    outcomes = await asyncio.gather(*(attempt(s, o) for s, o in attempts))
    assert set(outcomes) <= {"cast", "unchanged", "already_voted"}
    assert outcomes.count("cast") == 100
    for subject in voters:
        events = await store.select_events(ballot_id_for(poll.id, voter_id_for(subject)))
        assert [e.originator_version for e in events] == [1]


BAD_POLLS = {
    "empty question": dict(question="", options=["a", "b"]),
    "blank question": dict(question="   ", options=["a", "b"]),
    "10 MB question": dict(question="x" * 10_000_000, options=["a", "b"]),
    "duplicate options": dict(question="Q", options=["Yes", " yes "]),
    "one option": dict(question="Q", options=["only"]),
    "21 options": dict(question="Q", options=[f"o{i}" for i in range(21)]),
    "empty option": dict(question="Q", options=["a", ""]),
    "long option": dict(question="Q", options=["a", "b" * 81]),
    "options not a list": dict(question="Q", options="ab"),
    "naive closing time": dict(question="Q", options=["a", "b"], closes_at="2099-01-01T00:00:00"),
    "past closing time": dict(question="Q", options=["a", "b"], closes_at="2000-01-01T00:00:00Z"),
}


@pytest.mark.parametrize("case", BAD_POLLS)
async def test_bad_polls_are_refused_and_write_nothing(votes, store, case):
    before = await log_snapshot(store)
    with pytest.raises(ValidationFailed) as caught:
        await votes.create_poll(who(), **BAD_POLLS[case])
    assert caught.value.code == "validation_failed"
    assert await log_snapshot(store) == before


async def test_bad_votes_get_typed_errors_and_write_nothing(votes, store):
    poll, subject = await open_poll(votes), await registered(votes)
    closed = await open_poll(votes)
    await votes.close_poll(closed.id, "admin")
    before = await log_snapshot(store)
    cases = [
        (InvalidOption, votes.cast_vote(poll.id, subject, "Purple")),
        (PollNotFound, votes.cast_vote(uuid4(), subject, "Red")),
        (PollClosed, votes.cast_vote(closed.id, subject, "Red")),
        (NotRegistered, votes.cast_vote(poll.id, who(), "Red")),
        (ValidationFailed, votes.cast_vote("not-a-uuid", subject, "Red")),
        (ValidationFailed, votes.cast_vote(poll.id, subject, "")),
        (ValidationFailed, votes.cast_vote(poll.id, "", "Red")),
        (ValidationFailed, votes.get_poll("123")),
        (PollNotFound, votes.get_poll(uuid4())),
        (PollNotFound, votes.close_poll(uuid4(), "admin")),
        (BallotNotFound, votes.get_ballot(poll.id, subject)),
        (BallotNotFound, votes.retract_vote(poll.id, subject)),
        (ValidationFailed, votes.register_voter("")),
        (ValidationFailed, votes.register_voter("x" * 129)),
    ]
    for error, attempt in cases:
        with pytest.raises(error):
            await attempt
    assert await log_snapshot(store) == before


async def test_on_recorded_sees_each_commit_with_its_position(store):
    seen = []

    async def hook(recordings):
        seen.extend(recordings)

    votes = VotingService(store, on_recorded=hook)
    subject = await registered(votes)
    poll = await open_poll(votes)
    await votes.cast_vote(poll.id, subject, "Red")
    names = [type(r.domain_event).__name__ for r in seen]
    assert names == ["Registered", "Created", "VoteCast"]
    positions = [r.notification.id for r in seen]
    assert positions == sorted(positions)
    stored = await store.select_notifications(positions[-1], 1)
    assert stored[0].originator_id == seen[-1].domain_event.originator_id


async def test_a_poll_closed_by_another_process_refuses_votes_at_once(store):
    """Each process keeps projected polls; a new event in the stream must be seen at once."""
    here, elsewhere = VotingService(store), VotingService(store)
    poll, subject = await open_poll(here), await registered(here)
    await here.cast_vote(poll.id, subject, "Red")  # `here` now holds the open poll
    await elsewhere.close_poll(poll.id, "admin")
    with pytest.raises(PollClosed):
        await here.change_vote(poll.id, subject, "Blue")
    assert (await here.get_poll(poll.id)).closed


async def test_after_vote_results_are_hidden_until_the_reader_votes(store):
    now = datetime.now(UTC)
    clock = {"now": now}
    votes = VotingService(store, clock=lambda: clock["now"])
    poll = await votes.create_poll(
        who(), "Q?", ["a", "b"], now + timedelta(hours=1), results_visibility="after_vote"
    )
    assert poll.results_visibility == "after_vote"
    reader = await registered(votes)
    with pytest.raises(ResultsHidden) as hidden:
        await votes.require_results_visible(poll.id, reader)
    assert hidden.value.code == "results_hidden"
    assert (await votes.require_results_visible(poll.id, reader, privileged=True)).id == poll.id
    await votes.cast_vote(poll.id, reader, "a")
    await votes.retract_vote(poll.id, reader)  # having voted once is enough: seen is seen
    assert (await votes.require_results_visible(poll.id, reader)).id == poll.id
    other = await registered(votes)
    clock["now"] = now + timedelta(hours=2)  # past its closing time: results for everyone
    assert (await votes.require_results_visible(poll.id, other)).id == poll.id


async def test_polls_show_results_always_by_default(votes):
    poll = await open_poll(votes)
    assert poll.results_visibility == "always"
    assert (await votes.require_results_visible(poll.id, who())).id == poll.id
    with pytest.raises(PollNotFound):
        await votes.require_results_visible(uuid4(), who())
    with pytest.raises(ValidationFailed):
        await votes.create_poll(who(), "Q?", ["a", "b"], results_visibility="never")


async def test_list_ballots_reads_the_voters_ballots_in_the_polls_named(votes):
    first, second, unvoted = await open_poll(votes), await open_poll(votes), await open_poll(votes)
    subject = await registered(votes)
    await votes.cast_vote(first.id, subject, "Red")
    await votes.cast_vote(second.id, subject, "Blue")
    await votes.retract_vote(second.id, subject)
    ballots = await votes.list_ballots(subject, [unvoted.id, second.id, str(first.id), uuid4()])
    assert [(b.poll_id, b.option) for b in ballots] == [(second.id, None), (first.id, "Red")]
    assert await votes.list_ballots(subject, []) == []
    assert await votes.list_ballots(who(), [first.id]) == []
    with pytest.raises(ValidationFailed):
        await votes.list_ballots(subject, [uuid4() for _ in range(101)])
    with pytest.raises(ValidationFailed):
        await votes.list_ballots(subject, ["not-a-poll-id"])


async def test_a_vote_the_store_refuses_as_stale_is_unavailable_and_writes_nothing(
    votes, store, monkeypatch
):
    """An append whose events waited past the stamp limit (vote_domain.stores.stamps) is
    refused by the store: the caller is told to retry, and the log is unchanged."""
    poll = await open_poll(votes)
    subject = await registered(votes)
    before = await log_snapshot(store)
    monkeypatch.setattr(stamps, "STAMP_LIMIT", timedelta(0))
    with pytest.raises(Unavailable):
        await votes.cast_vote(poll.id, subject, "Red")
    assert await log_snapshot(store) == before
    monkeypatch.undo()
    assert (await votes.cast_vote(poll.id, subject, "Red")).outcome == "cast"
