"""The log events a tally depends on, decoded from their stored state through the codec.

A tally needs only the poll, the options a ballot event moves (the counting rule,
:data:`vote_domain.model.COUNTING`) and the event's time, all of which the domain events
carry, so stored state is read field by field (:func:`vote_domain.codec.read_fields`): no
aggregate, no domain-event object. Topics of other events decode to ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification

from vote_domain.codec import StateField, read_fields, state_field, topic
from vote_domain.model import COUNTING, POLL_FIELD, Poll

__all__ = [
    "BALLOT",
    "BALLOT_TOPICS",
    "CLOSED",
    "CREATED",
    "MOVES",
    "POLL",
    "POLL_TOPICS",
    "TALLY_TOPICS",
    "TIMESTAMP",
    "TallyEvent",
    "as_of_text",
    "decode",
    "decode_notifications",
    "poll_key",
]

CREATED: Final = 1
CLOSED: Final = 2
BALLOT: Final = 3

TIMESTAMP: Final = state_field(Aggregate.Event, "timestamp")
"""Every domain event's time."""
OPTIONS: Final = state_field(Poll.Created, "options")

MOVES: Final[dict[str, tuple[tuple[StateField, int], ...]]] = {
    topic(cls): tuple((state_field(cls, m.field), m.weight) for m in moves)
    for cls, moves in COUNTING.items()
}
"""The counting rule by topic: per ballot event, the fields naming the options it moves,
each with the change to that option's count."""
POLL: Final[dict[str, StateField]] = {topic(c): state_field(c, POLL_FIELD) for c in COUNTING}
"""By ballot event topic: the field naming the poll it counts in."""

POLL_TOPICS: Final = (topic(Poll.Created), topic(Poll.Closed))
BALLOT_TOPICS: Final = tuple(MOVES)
TALLY_TOPICS: Final = POLL_TOPICS + BALLOT_TOPICS
_KINDS: Final = {POLL_TOPICS[0]: CREATED, POLL_TOPICS[1]: CLOSED} | dict.fromkeys(MOVES, BALLOT)
_FIELDS: Final[dict[str, tuple[StateField, ...]]] = {
    POLL_TOPICS[0]: (TIMESTAMP, OPTIONS),
    POLL_TOPICS[1]: (TIMESTAMP,),
} | {t: (TIMESTAMP, POLL[t], *(f for f, _ in moves)) for t, moves in MOVES.items()}

_poll_keys: dict[UUID, str] = {}


def poll_key(poll_id: UUID) -> str:
    """A poll id as the tallies key it: canonical UUID text."""
    found = _poll_keys.get(poll_id)
    if found is None:
        found = str(poll_id)
        if len(_poll_keys) < 100_000:
            _poll_keys[poll_id] = found
    return found


def as_of_text(when: datetime) -> str:
    """A time as tallies show it: ISO 8601 in UTC with microseconds (sortable as text)."""
    if when.tzinfo is None:  # a time without zone is read as UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class TallyEvent:
    """One event that moves a tally, with its position in the log when known.

    ``moves``: for a ballot event, the options it moves and by how much (the counting rule
    applied to this event); ``options``: for a poll's creation, its options in order.
    """

    kind: int
    originator_id: str
    version: int
    poll_id: str
    timestamp: str
    position: int | None = None
    moves: tuple[tuple[str, int], ...] = ()
    options: tuple[str, ...] = ()


def decode(
    topic: str, originator_id: Any, version: int, state: bytes, position: int | None = None
) -> TallyEvent | None:
    """The tally event stored with ``topic``, or None when tallies ignore that topic."""
    kind = _KINDS.get(topic)
    if kind is None:
        return None
    values = read_fields(state, _FIELDS[topic])
    when = as_of_text(values[0])
    oid = str(originator_id)
    if kind == CREATED:
        return TallyEvent(kind, oid, version, oid, when, position, options=tuple(values[1]))
    if kind == CLOSED:
        return TallyEvent(kind, oid, version, oid, when, position)
    moves = tuple(
        (option, weight) for option, (_, weight) in zip(values[2:], MOVES[topic], strict=True)
    )
    return TallyEvent(kind, oid, version, poll_key(values[1]), when, position, moves)


def decode_notifications(notifications: Iterable[Notification]) -> list[TallyEvent]:
    """The tally events among ``notifications`` (anything with id, originator_id,
    originator_version, topic and state, such as eventsourcing's Notification)."""
    out: list[TallyEvent] = []
    for n in notifications:
        event = decode(n.topic, n.originator_id, n.originator_version, n.state, n.id)
        if event is not None:
            out.append(event)
    return out
