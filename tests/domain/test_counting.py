"""The counting rule agrees with the ballot itself: after any history of casts, changes,
retractions and recasts, the moves of its events sum to exactly the option it holds."""

from __future__ import annotations

from collections import Counter
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from vote_domain.model import COUNTING, Ballot

OPTIONS = ["a", "b", "c"]


@given(
    st.lists(st.tuples(st.sampled_from(["cast", "change", "retract"]), st.sampled_from(OPTIONS)))
)
def test_moves_sum_to_the_option_held(steps: list[tuple[str, str]]) -> None:
    ballot = Ballot.cast(uuid4(), uuid4(), "a")
    for action, option in steps:
        if action == "cast" and ballot.option is None:
            ballot.recast(option)
        elif action == "change" and ballot.option not in (None, option):
            ballot.change(option)
        elif action == "retract" and ballot.option is not None:
            ballot.retract()
    counts: Counter[str] = Counter()
    for event in ballot.collect_events():
        for move in COUNTING[type(event)]:  # type: ignore[index]
            counts[getattr(event, move.field)] += move.weight
    assert +counts == (Counter({ballot.option: 1}) if ballot.option else Counter())
    assert all(n >= 0 for n in counts.values())


def test_every_ballot_event_has_a_rule() -> None:
    # (Ballot.Created is eventsourcing's default creation event: a ballot is created by
    # VoteCast, so it never records one.)
    events = {
        c
        for c in vars(Ballot).values()
        if isinstance(c, type)
        and issubclass(c, Ballot.Event)
        and c not in (Ballot.Event, Ballot.Created)
    }
    assert events == set(COUNTING)
