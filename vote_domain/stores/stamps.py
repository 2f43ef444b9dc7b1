"""Event times follow positions, within a bound the stores enforce.

An event is stamped (its ``timestamp``) when its aggregate makes it, and gets its position
when a store inserts it. Every store refuses, writing nothing, an append whose oldest event
was stamped more than :data:`STAMP_LIMIT` before the insert, as the writer's clock tells
(:class:`StaleAppend`): SQLite checks in its writer thread holding the write lock, right
before the inserts; MySQL checks before sending, and again on the server, by a statement
between the inserts and the COMMIT that fails once the deadline has passed, so a wait at the
append gate or for a row lock counts too (:mod:`vote_domain.stores.mysql.append`).

Hence, for two committed events A and B with A's position below B's, A was inserted before
B, and B was stamped at most STAMP_LIMIT before its insert; so A's stamp exceeds B's by less
than STAMP_LIMIT plus twice the most any clock is off (:data:`CLOCK_ERROR`; the writers'
and, for MySQL's check, the database server's: Lambda's and Aurora's follow the Amazon Time
Sync Service; a local app has one clock). That is
:data:`TIME_DISORDER`, the bound time travel relies on to find a time's events among
positions (:mod:`projections.query`).

A refused append is an :class:`~eventsourcing.persistence.OperationalError`: the caller
makes its events again, freshly stamped, or answers "unavailable; retry" (the voting
service does). It happens only when the database keeps writers waiting for seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Final

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import OperationalError, StoredEvent

from vote_domain.codec import state_field

__all__ = ["CLOCK_ERROR", "STAMP_LIMIT", "TIME_DISORDER", "StaleAppend", "oldest_stamp", "refusal"]

STAMP_LIMIT: Final = timedelta(seconds=2)
"""The longest an event may wait between its stamp and its insert."""
CLOCK_ERROR: Final = timedelta(milliseconds=250)
"""The most a writer's or the database server's clock may be off (Amazon Time Sync keeps
them well within a millisecond; this leaves a wide margin)."""
TIME_DISORDER: Final = STAMP_LIMIT + 2 * CLOCK_ERROR
"""How far, at most, a committed event's time exceeds a later-positioned event's."""

_STAMP: Final = state_field(Aggregate.Event, "timestamp")


class StaleAppend(OperationalError):
    """The append's events were stamped too long before they reached the database; nothing
    of it was written. Make them again (freshly stamped) and append those."""


def _stamp(state: bytes) -> datetime | None:
    try:
        when = _STAMP.read(state)
    except (ValueError, TypeError, AttributeError):  # not JSON, or not an aggregate's event
        return None
    if not isinstance(when, datetime):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def oldest_stamp(events: Iterable[StoredEvent]) -> datetime | None:
    """The earliest stamp among ``events`` (None if none carries one)."""
    return min((s for e in events if (s := _stamp(e.state)) is not None), default=None)


def refusal(oldest: datetime | None) -> StaleAppend | None:
    """The error refusing an append whose oldest stamp is ``oldest``, if it is too old now."""
    if oldest is None:
        return None
    waited = datetime.now(UTC) - oldest
    if waited <= STAMP_LIMIT:
        return None
    return StaleAppend(
        f"events stamped {waited.total_seconds():.1f} s ago reached the database; the limit"
        f" is {STAMP_LIMIT.total_seconds():.0f} s (nothing was written)"
    )
