"""How a committed event of the log becomes an EventBridge entry, and back.

An entry's ``source`` is ``votes``, its ``detail-type`` the event's name (``VoteCast``,
``VoteChanged``, ``VoteRetracted``, ``PollCreated``, ``PollClosed``, ``VoterRegistered``) and its
``detail`` the JSON object::

    {"originator_id": "<uuid>", "originator_version": 1, "topic": "<eventsourcing topic>",
     "position": 42, "timestamp": "<ISO 8601>", "data": {...}}

``data`` is the event's state exactly as the log stores it (eventsourcing's JSON, where a UUID
is ``{"_type_": "uuid_hex", "_data_": "..."}``), so a consumer rebuilds the very notification
that was committed: :func:`notification_of_detail`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from vote_domain import Ballot, Poll, Voter, state_field
from vote_domain.codec import read_fields

__all__ = [
    "DETAIL_TYPES",
    "LogEvent",
    "detail_of",
    "detail_type",
    "entry_of",
    "event_of_detail",
    "event_time",
]

DETAIL_TYPES: dict[str, str] = {
    get_topic(Ballot.VoteCast): "VoteCast",
    get_topic(Ballot.VoteChanged): "VoteChanged",
    get_topic(Ballot.VoteRetracted): "VoteRetracted",
    get_topic(Poll.Created): "PollCreated",
    get_topic(Poll.Closed): "PollClosed",
    get_topic(Voter.Registered): "VoterRegistered",
}
MAX_DETAIL_TYPE = 128


def detail_type(topic: str) -> str:
    """The ``detail-type`` of events with ``topic`` (the class path joined, if not listed)."""
    known = DETAIL_TYPES.get(topic)
    if known is not None:
        return known
    qualname = topic.rpartition(":")[2]
    return "".join(qualname.split("."))[:MAX_DETAIL_TYPE] or "Event"


_TIMESTAMP = state_field(Ballot.VoteCast, "timestamp")
"""Every event's ``timestamp`` is stored alike (eventsourcing's base class field)."""


def _when(state: bytes | str) -> datetime | None:
    """The event's time, read through the codec (None if the state holds none)."""
    try:
        (value,) = read_fields(state.encode() if isinstance(state, str) else state, [_TIMESTAMP])
    except (AttributeError, TypeError, ValueError):
        return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def event_time(state: bytes | str) -> float | None:
    """The timestamp (epoch seconds) of the event whose stored state is ``state``; None if it
    has none (a naive time is taken as UTC)."""
    at = _when(state)
    return None if at is None else at.timestamp()


def _stored_time(state: bytes) -> str:
    at = _when(state)
    return "" if at is None else at.isoformat()


def detail_of(notification: Notification) -> dict[str, Any]:
    """The ``detail`` object of ``notification``."""
    data = json.loads(notification.state)
    return {
        "originator_id": str(notification.originator_id),
        "originator_version": notification.originator_version,
        "topic": notification.topic,
        "position": notification.id,
        "timestamp": _stored_time(notification.state),
        "data": data,
    }


def entry_of(notification: Notification, *, bus_name: str, source: str) -> dict[str, Any]:
    """The PutEvents entry publishing ``notification`` on ``bus_name``."""
    detail = detail_of(notification)
    entry: dict[str, Any] = {
        "Source": source,
        "DetailType": detail_type(notification.topic),
        "Detail": json.dumps(detail, separators=(",", ":"), ensure_ascii=False),
        "EventBusName": bus_name,
        "Resources": [],
    }
    if detail["timestamp"]:
        try:
            entry["Time"] = datetime.fromisoformat(detail["timestamp"])
        except ValueError:
            pass
    return entry


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A committed event as a consumer of the bus sees it: ``Notification``-shaped (``id`` is
    the position) so projectors take it as they take the log's own notifications."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


def event_of_detail(detail: Mapping[str, Any]) -> LogEvent:
    """The committed event an entry's ``detail`` carries (ValueError/KeyError/TypeError if
    it is not one)."""
    data = detail["data"]
    if not isinstance(data, dict):
        raise TypeError("detail.data must be an object")
    position, version, topic = detail["position"], detail["originator_version"], detail["topic"]
    if not isinstance(position, int) or isinstance(position, bool) or position < 1:
        raise ValueError(f"bad position {position!r}")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"bad originator_version {version!r}")
    if not isinstance(topic, str) or ":" not in topic:
        raise ValueError(f"bad topic {topic!r}")
    return LogEvent(
        id=position,
        originator_id=UUID(str(detail["originator_id"])),
        originator_version=version,
        topic=topic,
        state=json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode(),
    )
