"""The async event store contract, mirroring ``eventsourcing``'s recorder interfaces.

Method names, arguments, semantics and exceptions are those of
:class:`eventsourcing.persistence.ApplicationRecorder` and
:class:`eventsourcing.persistence.TrackingRecorder`, but every I/O method is ``async``.
The stored types (:class:`StoredEvent`, :class:`Notification`, :class:`Tracking`) and the
exception tree (:class:`eventsourcing.persistence.IntegrityError` on a duplicate version,
:class:`eventsourcing.persistence.OperationalError` when the database cannot be reached, ...)
are ``eventsourcing``'s own, so one reader knows both.

Additions serve what the recorders do not cover:

* :meth:`EventStore.transaction` opens one database transaction in which a projection
  writes its own tables, its tracking record and reads the log, atomically;
* :meth:`EventStore.migrate` applies versioned, idempotent schema migrations, for the store's
  own tables and for any component that brings its own (the projections);
* :meth:`EventStore.select_group`: the events of one poll (its stream and its ballots'), in
  position order from an index, whatever else the log holds;
* reads for projections that run in the database and know nothing of any projection:
  :meth:`EventStore.count_events` (a range of the log counted per topic and values of some
  state fields, named by :class:`vote_domain.codec.StateField`), :meth:`EventStore.field_values`
  (state fields of the events at given positions) and :meth:`EventStore.max_versions`
  (streams' versions as of a position). Calls made concurrently run concurrently, each on a
  connection of the store's own (its pool, its reader threads), under the store's policies.

The store's tables and columns are private to it: other components read the log only
through these methods.

Positions (notification ids) are **gap-safe**: a reader that has seen position N never later
finds an event committed with a position <= N. Each backend documents how it ensures that.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from eventsourcing.persistence import Notification, OperationalError, StoredEvent, Tracking

from vote_domain.codec import StateField

__all__ = [
    "EventGroup",
    "EventStore",
    "ForEach",
    "Grouping",
    "LockConflict",
    "Migration",
    "Transaction",
]

Dialect = Literal["sqlite", "mysql"]
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


class LockConflict(OperationalError):
    """The database made this transaction the loser of a lock conflict (a deadlock victim,
    a lock wait timeout, a busy SQLite database): roll it back and run it again.

    Each backend raises it from its one place of error translation, chained to the driver's
    error, so callers retry on a type rather than on error numbers or messages.
    """


@dataclass(frozen=True)
class ForEach:
    """A migration statement run once per row that ``query`` returns when the migration is
    applied: ``template`` with the row's values in its ``{0}``, ``{1}``..., each of which must
    be a plain SQL name (letters, digits, underscores). For DDL on tables a component makes
    and drops at run time (such as the projections' sets of tables)."""

    query: str
    template: str

    def statements(self, rows: Iterable[Sequence[Any]]) -> list[str]:
        out: list[str] = []
        for row in rows:
            names = [str(v) for v in row]
            if not all(_NAME.match(n) for n in names):
                raise ValueError(f"not plain SQL names: {names!r}")
            out.append(self.template.format(*names))
        return out


Statement = str | ForEach


@dataclass(frozen=True)
class Migration:
    """One versioned step of a component's schema, with the statements for each dialect.

    Versions of a component are applied in order, each exactly once, recorded in the
    store's ``schema_migrations`` table as (component, version).
    """

    component: str
    version: int
    description: str
    sqlite: Sequence[Statement]
    mysql: Sequence[Statement]

    def statements(self, dialect: Dialect) -> Sequence[Statement]:
        return self.sqlite if dialect == "sqlite" else self.mysql


@dataclass(frozen=True)
class Grouping:
    """Events of one topic, to be counted per distinct values of some of their state fields
    (scalar ones: see :attr:`vote_domain.codec.StateField.scalar`)."""

    topic: str
    fields: tuple[StateField, ...]


@dataclass(frozen=True)
class EventGroup:
    """The events of ``topic`` in a range of the log whose grouped fields hold ``key`` (the
    values in the order of the grouping's fields): how many, and the greatest position; when
    counted per window of positions, the end of their window (else 0)."""

    topic: str
    key: tuple[Any, ...]
    count: int
    last_position: int
    window: int = 0


class Transaction(ABC):
    """One open database transaction. Committed when its context exits cleanly,
    rolled back when it exits with an exception.

    SQL uses the store's dialect and its parameter style (``?`` for SQLite,
    ``%s`` for MySQL): callers keep their SQL per dialect.
    """

    @abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; the rows it returns (empty for writes)."""

    @abstractmethod
    async def executemany(self, sql: str, seq_of_params: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter sequence."""

    @abstractmethod
    async def insert_events(
        self, stored_events: Sequence[StoredEvent], *, tracking: Tracking | None = None
    ) -> Sequence[int]:
        """As :meth:`EventStore.insert_events`, inside this transaction: the events (and
        ``tracking``) commit or roll back with it. IntegrityError on a duplicate version."""

    @abstractmethod
    async def insert_tracking(self, tracking: Tracking) -> None:
        """Record ``tracking`` in this transaction (IntegrityError if already recorded)."""

    @abstractmethod
    async def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """As :meth:`EventStore.select_events`, inside this transaction."""

    @abstractmethod
    async def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """As :meth:`EventStore.select_notifications`, inside this transaction: the events
        committed before it read them, and its own. Not gap-safe: an event another transaction
        is still committing may be missing, so read only events that are known committed (for
        example those a projection has already applied)."""

    @abstractmethod
    async def max_versions(
        self, originator_ids: Sequence[UUID | str], *, upto: int
    ) -> dict[UUID | str, int]:
        """As :meth:`EventStore.max_versions`, inside this transaction."""


class EventStore(ABC):
    """An async application and tracking recorder with a lifecycle."""

    dialect: Dialect

    # -- lifecycle ---------------------------------------------------------------------------

    @abstractmethod
    async def open(self) -> None:
        """Connect (idempotent). Called lazily by the first operation if not called."""

    @abstractmethod
    async def close(self) -> None:
        """Release every connection and thread."""

    async def __aenter__(self) -> EventStore:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abstractmethod
    async def migrate(self, migrations: Sequence[Migration] = ()) -> list[Migration]:
        """Apply the store's own migrations and then ``migrations``, each at most once;
        return those applied now. Safe to run concurrently and repeatedly."""

    # -- aggregate recorder ------------------------------------------------------------------

    @abstractmethod
    async def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Write ``stored_events`` atomically; return their notification ids.

        Raises IntegrityError, writing nothing, if any (originator_id, originator_version)
        is already recorded. ``tracking=Tracking(...)`` records tracking in the same
        transaction.
        """

    @abstractmethod
    async def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The events of one originator, by version."""

    async def select_streams(
        self, originator_ids: Sequence[UUID | str]
    ) -> dict[UUID | str, Sequence[StoredEvent]]:
        """The events of several originators at once (one round trip where possible)."""
        return {oid: await self.select_events(oid) for oid in originator_ids}

    # -- application recorder ----------------------------------------------------------------

    @abstractmethod
    async def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """Events in position order, from ``start`` (inclusive unless told otherwise) up to
        ``stop``, at most ``limit``, optionally only those with the given topics. Gap-safe."""

    @abstractmethod
    async def select_group(
        self,
        group: UUID | str,
        start: int | None,
        limit: int,
        stop: int | None = None,
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """As :meth:`select_notifications`, only the events of one *group*, read from an
        index on (group, position): no more rows than it returns. An event's group is the
        poll its state names in the ballot events' poll field
        (:data:`vote_domain.model.POLL_FIELD`), else its own stream: so a poll's group is its
        own events and its ballots' events. Gap-safe."""

    @abstractmethod
    async def max_notification_id(self) -> int | None:
        """The greatest gap-safe position, or None if the log is empty."""

    async def iter_notifications(
        self, gt: int | None = None, *, page_size: int = 1000, topics: Sequence[str] = ()
    ) -> AsyncIterator[Sequence[Notification]]:
        """Pages of notifications after ``gt`` up to the current end of the log."""
        position = gt or 0
        while True:
            page = await self.select_notifications(
                position, page_size, topics=topics, inclusive_of_start=False
            )
            if not page:
                return
            yield page
            position = page[-1].id
            if len(page) < page_size:
                return

    # -- reads for projections, run in the database --------------------------------------

    @abstractmethod
    async def count_events(
        self, after: int, upto: int, groupings: Sequence[Grouping], *, window: int = 0
    ) -> list[EventGroup]:
        """The events with positions in (``after``, ``upto``] whose topic has a grouping,
        counted per topic and values of that grouping's fields, and with ``window`` > 0 per
        window of that many positions too (``(end - window, end]``, ``end`` a multiple of
        ``window``: :attr:`EventGroup.window`), in the same one read of the range. ``upto``
        should be a gap-safe position (at most :meth:`max_notification_id`)."""

    @abstractmethod
    async def field_values(
        self, positions: Sequence[int], fields: Sequence[StateField]
    ) -> dict[int, tuple[Any, ...]]:
        """The values of ``fields`` (scalar ones) in the events at ``positions``, by position;
        positions holding no event are left out."""

    @abstractmethod
    async def max_versions(
        self, originator_ids: Sequence[UUID | str], *, upto: int
    ) -> dict[UUID | str, int]:
        """Each stream's greatest version among its events at positions <= ``upto``, keyed
        as given; streams with no event there are left out."""

    # -- tracking recorder -------------------------------------------------------------------

    @abstractmethod
    async def insert_tracking(self, tracking: Tracking) -> None:
        """Record ``tracking``; IntegrityError if that position is already recorded."""

    @abstractmethod
    async def max_tracking_id(self, application_name: str) -> int | None:
        """The greatest tracked position of ``application_name``, or None."""

    async def has_tracking_id(self, application_name: str, notification_id: int | None) -> bool:
        """True if ``notification_id`` is None or a position >= it is tracked."""
        if notification_id is None:
            return True
        max_id = await self.max_tracking_id(application_name)
        return max_id is not None and max_id >= notification_id

    # -- projections -------------------------------------------------------------------------

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """One write transaction for a projection's tables, tracking and reads."""
