"""Reading one field of a stored state by its bytes gives what parsing the state gives."""

from __future__ import annotations

import uuid

from eventsourcing.domain import Aggregate
from hypothesis import given
from hypothesis import strategies as st

from vote_domain.codec import mapper, read_fields, state_field
from vote_domain.model import Ballot, Poll

STAMP = state_field(Aggregate.Event, "timestamp")
POLL_ID = state_field(Ballot.VoteCast, "poll_id")


@given(question=st.text(min_size=1, max_size=200))
def test_a_field_read_by_its_bytes_is_the_parsed_one_whatever_the_text_beside_it(
    question: str,
) -> None:
    # A question may spell the stamp's own bytes: they are escaped inside a string.
    fake = '"timestamp":{"_type_":"datetime_iso","_data_":"2000-01-01T00:00:00+00:00"}'
    poll = Poll.create(f"{fake}{question}", ["a", "b"], "someone", None)
    ballot = Ballot.cast(poll.id, uuid.uuid4(), "a")
    for event in [*poll.collect_events(), *ballot.collect_events()]:
        state = mapper().to_stored_event(event).state
        for f in (STAMP, POLL_ID):
            assert f.read(state) == read_fields(state, [f])[0]


def test_a_state_in_another_layout_is_parsed() -> None:
    state = b'{ "timestamp" : {"_type_": "datetime_iso", "_data_": "2026-01-02T03:04:05+00:00"} }'
    assert STAMP.read(state).isoformat() == "2026-01-02T03:04:05+00:00"
    assert STAMP.read(b'{"x": 1}') is None
