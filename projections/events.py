"""The log events a tally depends on, decoded straight from their stored JSON state.

A tally needs only the poll, the option(s) and the event's time, all of which the domain
events carry, so stored state is read with :func:`json.loads` alone: no aggregate, no
domain-event object, no transcoder hooks. Topics of other events decode to ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

from eventsourcing.utils import get_topic

from vote_domain.model import Ballot, Poll

__all__ = [
    "BALLOT_TOPICS",
    "CAST",
    "CHANGED",
    "CLOSED",
    "CREATED",
    "KINDS",
    "POLL_TOPICS",
    "RETRACTED",
    "RETRACTED_TOPIC",
    "TALLY_TOPICS",
    "TallyEvent",
    "canonical_uuid",
    "decode",
    "decode_notifications",
    "decode_state",
    "iso_time",
]

CREATED: Final = 1
CLOSED: Final = 2
CAST: Final = 3
CHANGED: Final = 4
RETRACTED: Final = 5

KINDS: Final[dict[str, int]] = {
    get_topic(Poll.Created): CREATED,
    get_topic(Poll.Closed): CLOSED,
    get_topic(Ballot.VoteCast): CAST,
    get_topic(Ballot.VoteChanged): CHANGED,
    get_topic(Ballot.VoteRetracted): RETRACTED,
}
POLL_TOPICS: Final = tuple(t for t, k in KINDS.items() if k in (CREATED, CLOSED))
BALLOT_TOPICS: Final = tuple(t for t, k in KINDS.items() if k >= CAST)
TALLY_TOPICS: Final = POLL_TOPICS + BALLOT_TOPICS
RETRACTED_TOPIC: Final = get_topic(Ballot.VoteRetracted)

_uuid_cache: dict[str, str] = {}


def canonical_uuid(hex_or_text: str) -> str:
    """The 36-character form of a UUID given as 32 hex digits (or already canonical)."""
    found = _uuid_cache.get(hex_or_text)
    if found is None:
        found = str(UUID(hex_or_text))
        if len(_uuid_cache) < 100_000:
            _uuid_cache[hex_or_text] = found
    return found


def iso_time(encoded: Any) -> str:
    """A transcoded ``datetime`` as fixed-width ISO 8601 UTC text (sortable as text)."""
    text = encoded["_data_"] if isinstance(encoded, dict) else str(encoded)
    if len(text) == 25:  # no microseconds: isoformat() leaves them out when zero
        text = text[:19] + ".000000" + text[19:]
    return text


@dataclass(frozen=True, slots=True)
class TallyEvent:
    """One event that moves a tally, with its position in the log when known."""

    kind: int
    originator_id: str
    version: int
    poll_id: str
    timestamp: str
    position: int | None = None
    option: str | None = None
    previous_option: str | None = None
    options: tuple[str, ...] = ()


def decode_state(
    kind: int, originator_id: str, version: int, state: Any, position: int | None
) -> TallyEvent:
    """The tally event of ``kind`` from its stored (transcoded JSON) ``state``."""
    d = json.loads(state) if isinstance(state, bytes | str) else state
    ts = iso_time(d["timestamp"])
    if kind == CREATED:
        return TallyEvent(
            kind, originator_id, version, originator_id, ts, position, options=tuple(d["options"])
        )
    if kind == CLOSED:
        return TallyEvent(kind, originator_id, version, originator_id, ts, position)
    poll_id = canonical_uuid(d["poll_id"]["_data_"])
    return TallyEvent(
        kind,
        originator_id,
        version,
        poll_id,
        ts,
        position,
        option=d.get("option"),
        previous_option=d.get("previous_option"),
    )


def decode(
    topic: str, originator_id: Any, version: int, state: Any, position: int | None = None
) -> TallyEvent | None:
    """The tally event stored with ``topic``, or None when tallies ignore that topic."""
    kind = KINDS.get(topic)
    if kind is None:
        return None
    return decode_state(kind, str(originator_id), version, state, position)


def decode_notifications(notifications: Iterable[Any]) -> list[TallyEvent]:
    """The tally events among ``notifications`` (anything with id, originator_id,
    originator_version, topic and state, such as eventsourcing's Notification)."""
    out: list[TallyEvent] = []
    for n in notifications:
        event = decode(n.topic, n.originator_id, n.originator_version, n.state, n.id)
        if event is not None:
            out.append(event)
    return out
