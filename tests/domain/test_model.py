"""The aggregates on their own: no store, no service."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from vote_domain import (
    AlreadyVoted,
    Ballot,
    BallotNotFound,
    Poll,
    Voter,
    ballot_id_for,
    mapper,
    voter_id_for,
)


def replay(events):
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def test_voter_id_is_derived_from_the_subject():
    assert Voter.register("sub-1", "Ann").id == voter_id_for("sub-1")
    assert voter_id_for("sub-1") != voter_id_for("sub-2")


def test_ballot_id_is_one_per_voter_per_poll():
    poll_a, poll_b, voter = uuid4(), uuid4(), voter_id_for("v")
    assert Ballot.cast(poll_a, voter, "x").id == ballot_id_for(poll_a, voter)
    assert ballot_id_for(poll_a, voter) != ballot_id_for(poll_b, voter)


def test_poll_options_compare_trimmed_and_casefolded():
    poll = Poll.create("Lunch?", ["Pizza", "Sushi"], "admin", None)
    assert poll.canonical_option("  pIZZA ") == "Pizza"
    assert poll.canonical_option("Tacos") is None


def test_poll_is_open_until_closed_or_past_its_closing_time():
    now = datetime.now(UTC)
    poll = Poll.create("Q", ["a", "b"], "admin", now + timedelta(minutes=5))
    assert poll.is_open(now)
    assert not poll.is_open(now + timedelta(minutes=5))
    poll.close("admin")
    assert not poll.is_open(now)


def test_closing_a_closed_poll_records_nothing():
    poll = Poll.create("Q", ["a", "b"], "admin", None)
    poll.close("admin")
    poll.close("admin")
    assert [type(e).__name__ for e in poll.collect_events()] == ["Created", "Closed"]


def test_ballot_cast_retract_recast_change_replays_to_the_same_state():
    ballot = Ballot.cast(uuid4(), voter_id_for("v"), "a")
    ballot.retract()
    ballot.recast("b")
    ballot.change("a")
    events = ballot.collect_events()
    assert [type(e).__name__ for e in events] == [
        "VoteCast",
        "VoteRetracted",
        "VoteCast",
        "VoteChanged",
    ]
    copy = replay(mapper().to_domain_event(mapper().to_stored_event(e)) for e in events)
    assert (copy.option, copy.version) == ("a", 4)
    assert events[3].previous_option == "b"


def _stored_poll_created(class_version: int, **fields: object) -> StoredEvent:
    state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": datetime.now(UTC).isoformat()},
        "originator_topic": get_topic(Poll),
        "question": "Old?",
        "options": ["a", "b"],
        "created_by": "admin",
        **fields,
    }
    if class_version > 1:
        state["class_version"] = class_version
    return StoredEvent(
        originator_id=uuid4(),
        originator_version=1,
        topic=get_topic(Poll.Created),
        state=mapper().transcoder.encode(state),
    )


def test_poll_created_v1_events_are_upcast_to_v3():
    """Version 1 of Poll.Created had no closing time, version 2 no results visibility; old
    logs still load, as polls that close by hand and always show their results."""
    poll = replay([mapper().to_domain_event(_stored_poll_created(1))])
    assert poll.closes_at is None
    assert poll.question == "Old?"
    assert poll.results_visibility == "always"
    assert Poll.Created.class_version == 3


def test_poll_created_v2_events_are_upcast_to_v3():
    closes = {"_type_": "datetime_iso", "_data_": "2030-01-01T00:00:00+00:00"}
    poll = replay([mapper().to_domain_event(_stored_poll_created(2, closes_at=closes))])
    assert poll.closes_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert poll.results_visibility == "always"


def test_results_visibility_rule():
    """after_vote hides an open poll's tally from readers who never voted, except the
    privileged; closing (or the closing time) shows it to everyone."""
    now = datetime.now(UTC)
    shown = Poll.create("Q?", ["a", "b"], "admin", None)
    hidden = Poll.create("Q?", ["a", "b"], "admin", now + timedelta(hours=1), "after_vote")
    assert shown.results_visible(has_voted=False, privileged=False, now=now)
    assert not hidden.results_visible(has_voted=False, privileged=False, now=now)
    assert hidden.results_visible(has_voted=True, privileged=False, now=now)
    assert hidden.results_visible(has_voted=False, privileged=True, now=now)
    later = now + timedelta(hours=2)
    assert hidden.results_visible(has_voted=False, privileged=False, now=later)
    hidden.close("admin")
    assert hidden.results_visible(has_voted=False, privileged=False, now=now)


def test_ballot_preconditions_are_domain_errors_not_asserts() -> None:
    # (They must hold under ``python -O`` too, which drops asserts.)
    ballot = Ballot.cast(uuid4(), uuid4(), "a")
    with pytest.raises(AlreadyVoted):
        ballot.recast("b")
    ballot.retract()
    with pytest.raises(BallotNotFound):
        ballot.retract()
    with pytest.raises(BallotNotFound):
        ballot.change("b")
    ballot.recast("b")
    assert ballot.option == "b"
