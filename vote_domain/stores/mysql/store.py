"""The MySQL event store, for MariaDB 10.11 and MySQL 8.0 / Aurora MySQL 3, on aiomysql.

The store's SQL is in :mod:`vote_domain.stores.mysql.sql` and
:mod:`vote_domain.stores.mysql.append`. Tables are InnoDB; notification ids are a ``BIGINT
AUTO_INCREMENT`` primary key; originator ids are ASCII text (UUIDs in their 36-character
form); connections run READ COMMITTED and autocommit, and every write is one explicit,
durable transaction. An append is one round trip: ``START TRANSACTION``, the gate (below),
one INSERT per event and ``COMMIT`` go as one multi-statement batch.

Group commit and read coalescing
--------------------------------
Concurrent calls share round trips (:mod:`vote_domain.stores._coalesce`): while up to
``groups_in_flight`` batches are running, new calls queue, and the next batch takes up to
``group_size`` of them. Appends without tracking (and under 256 KiB) become one *group*: one
transaction, one gate lock, each request's INSERTs (under a savepoint when it has several
events), one COMMIT, in key order so that concurrent groups lock the unique key in the same
order. A duplicate version fails only its own request (IntegrityError; the rest of the group
is sent on in the same transaction); every caller learns its outcome only after the COMMIT,
and a failed COMMIT or connection fails the whole group with OperationalError. A group that
deadlocks twice was rolled back as a whole and its requests are appended one by one.
Plain stream reads (``select_streams``, and ``select_events`` with no range) of concurrent
callers become one ``WHERE originator_id IN (...)`` query, split per caller.
Appends with tracking run alone, a group of one; caller-driven transactions append through
the same path (:func:`vote_domain.stores.mysql.append.append`) inside their transaction.

Gap safety holds for groups as for single appends: a group is one transaction that takes
the shared gate lock before its first INSERT and holds it until its COMMIT or rollback, so
rule (1) below is unchanged; a request failing inside a group leaves at most a hole (its
statement or savepoint rolled back), like a rolled-back append; and a group whose
transaction might have ended early (anything but a statement error, checked from the
server's transaction status before sending on) is abandoned, never continued in autocommit.

Gap safety
----------
AUTO_INCREMENT ids are assigned at INSERT, not at COMMIT, so a reader could see id 11
committed while id 10 is still in flight, move past 10 and miss it. The store prevents that
with a one-row *append gate* table:

1. Every transaction that inserts events takes a SHARED lock on the gate row
   (``LOCK IN SHARE MODE``) before its first INSERT and holds it until it commits or rolls
   back. Writers do not block each other.
2. The *high-water mark* (HWM) is computed in a transaction that first takes an EXCLUSIVE
   lock on the gate row (``FOR UPDATE``) and then reads ``MAX(notification_id)``.

Claim: once the HWM ``H`` is computed, no event with id <= H is ever committed later.
Proof: the exclusive lock is granted only when no transaction holds the shared lock; by (1)
every transaction that has been assigned an id holds it until it ends, so when the lock is
granted every id assigned so far belongs to a committed or a rolled-back transaction (and
new writers wait at the gate). A committed row is visible to the READ COMMITTED read that
follows, so ``H`` >= every committed id, and every id assigned later is greater than every id
assigned before (AUTO_INCREMENT is monotonic, even across restarts since it never goes below
MAX+1), hence > ``H``. So the set of committed ids <= ``H`` is final. []

A reader therefore never returns an event above a *safe* position, below which the log is
known to be final. The store keeps the highest one it has established and extends it without
any lock when the ids are contiguous: if every id in (safe, N] is present and committed, none
of them can appear later, so N is safe too. :meth:`select_notifications` reads its page; if
the page reaches above the safe position with no hole in it (ids from one snapshot, checked
without a topic filter) it is returned as it is. Otherwise the store establishes a new safe
position -- the end of the log if ``MAX`` and ``COUNT`` above the old one show no hole, else
a fresh HWM (concurrent readers share one) -- and reads the page again up to it. (The
count looks at most ``SAFE_SPAN`` ids past the old safe position: a log that grew further
since takes the HWM, so establishing a safe position reads a bounded number of rows.) The gate is
thus taken only when an id is missing: a rolled-back or failed insert (a permanent hole,
passed once) or a writer still in flight. :meth:`max_notification_id` returns the same safe
position.

The proof assumes every writer goes through this store (or takes the gate the same way).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, OperationalError, StoredEvent, Tracking

from vote_domain.codec import StateField
from vote_domain.stores._coalesce import Coalescer
from vote_domain.stores._ids import MAX_POSITION, encode_originator_id
from vote_domain.stores._migrations import in_order
from vote_domain.stores._reads import decoded, group_key, plan_count
from vote_domain.stores.base import EventGroup, EventStore, Grouping, Migration, Transaction
from vote_domain.stores.mysql import reads, sql
from vote_domain.stores.mysql.append import Append, Outcome, append, append_one
from vote_domain.stores.mysql.errors import DEADLOCK, error_code
from vote_domain.stores.mysql.pool import LoginSource, MySQLPool, params_from_url
from vote_domain.stores.mysql.reads import max_versions
from vote_domain.stores.mysql.run import Runner
from vote_domain.stores.mysql.transaction import open_transaction

__all__ = ["MySQLEventStore"]

#: Appends larger than this (bytes of state) are not grouped with others.
GROUP_MAX_STATE = 256 * 1024
#: How far past its safe position the store counts ids to extend it without the gate.
SAFE_SPAN = 4096


class MySQLEventStore(EventStore):
    """An :class:`EventStore` in a MySQL database, given by URL or by connection keywords."""

    dialect = "mysql"

    def __init__(
        self,
        url: str | None = None,
        *,
        pool_size: int = 10,
        pool_recycle_s: int = 300,
        connect_timeout_s: float = 10.0,
        group_size: int = 16,
        groups_in_flight: int = 4,
        on_access_denied: LoginSource | None = None,
        **params: Any,
    ) -> None:
        """``on_access_denied``: where a fresh login comes from when the server refuses the
        current one (a rotated password), see :data:`LoginSource`."""
        self.params = {**(params_from_url(url) if url else {}), **params}
        if "db" not in self.params:
            raise ValueError("a MySQL URL (mysql://user@host:3306/db) or db=... is required")
        self.pool_size = pool_size
        self._pool = MySQLPool(
            self.params,
            size=pool_size,
            recycle_s=pool_recycle_s,
            connect_timeout_s=connect_timeout_s,
            on_access_denied=on_access_denied,
        )
        self._run = Runner(self._pool)
        self._appends: Coalescer[Append, list[int]] = Coalescer(
            self._append_group, max_batch=group_size, max_in_flight=groups_in_flight
        )
        self._reads: Coalescer[list[str], dict[str, list[StoredEvent]]] = Coalescer(
            self._read_streams, max_batch=group_size, max_in_flight=groups_in_flight
        )
        self._safe = 0  # every id <= this is final (see the module docstring)
        self._hwm: asyncio.Future[int] | None = None
        self.gate_waits = 0  # high-water marks computed under the exclusive gate (a metric)

    # -- lifecycle ---------------------------------------------------------------------------

    async def open(self) -> None:
        self._pool.release(await self._pool.acquire())

    async def close(self) -> None:
        await self._pool.close()

    async def migrate(self, migrations: Sequence[Migration] = ()) -> list[Migration]:
        todo = in_order(sql.EVENTS_MIGRATIONS, migrations)
        return await self._run.write(lambda conn: sql.migrate(conn, self.params["db"], todo))

    # -- writes ------------------------------------------------------------------------------

    async def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        tracking: Tracking | None = kwargs.get("tracking")
        if not stored_events and tracking is None:
            return []
        request = Append(stored_events, tracking)
        if tracking is None and sum(len(s.state) for s in stored_events) <= GROUP_MAX_STATE:
            return await self._appends.submit(request)
        return await self._append_alone(request)

    async def insert_tracking(self, tracking: Tracking) -> None:
        await self.insert_events([], tracking=tracking)

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        return open_transaction(self._run)

    # -- reads -------------------------------------------------------------------------------

    async def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        if gt is None and lte is None and not desc and limit is None:
            key = encode_originator_id(originator_id)
            return (await self._reads.submit([key])).get(key, [])
        statement, params = sql.select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        return sql.decode_events(originator_id, await self._run.read(statement, params))

    async def select_streams(
        self, originator_ids: Sequence[UUID | str]
    ) -> dict[UUID | str, Sequence[StoredEvent]]:
        keys = {oid: encode_originator_id(oid) for oid in originator_ids}
        found = await self._reads.submit(list(set(keys.values()))) if keys else {}
        return {oid: found.get(key, []) for oid, key in keys.items()}

    # -- grouped appends and reads (see the module docstring) -------------------------------

    async def _append_group(self, requests: list[Append]) -> list[Outcome]:
        # In key order, so that concurrent groups lock the unique key in the same order.
        order = sorted(range(len(requests)), key=lambda k: _first_key(requests[k].events))
        ordered = [requests[k] for k in order]
        try:
            outcomes = await self._run.write(
                lambda conn: append(conn, ordered), retry_deadlock=True
            )
        except OperationalError as e:
            if len(requests) == 1 or e.__cause__ is None or error_code(e.__cause__) != DEADLOCK:
                raise
            # Rolled back as a whole, twice: nothing of it was written; append one by one.
            return await asyncio.gather(
                *(self._append_alone(r) for r in requests), return_exceptions=True
            )
        by_request: list[Outcome] = [[] for _ in requests]
        for k, outcome in zip(order, outcomes, strict=True):
            by_request[k] = outcome
        return by_request

    async def _append_alone(self, request: Append) -> list[int]:
        return await self._run.write(lambda conn: append_one(conn, request), retry_deadlock=True)

    async def _read_streams(self, requests: list[list[str]]) -> list[dict[str, list[StoredEvent]]]:
        keys = list(dict.fromkeys(key for request in requests for key in request))
        found = await self._run.read_with(lambda conn: sql.select_streams(conn, keys))
        # (each caller gets lists of its own; the events themselves are immutable)
        return [{k: list(found[k]) for k in request if k in found} for request in requests]

    async def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        if start is not None and start > MAX_POSITION:
            return []  # nothing can be there (and the driver could not bind it)
        stop = None if stop is None else min(stop, MAX_POSITION)

        def statement(upto: int | None) -> sql.Statement:
            return sql.select_notifications(
                start, limit, upto, topics, inclusive_of_start=inclusive_of_start
            )

        page = await self._page(statement(stop))
        if not page or page[-1].id <= self._safe:
            return page
        if not topics:
            # Ids up to the caller's position are final (it was read from this log); ids
            # present without a hole above it in this one snapshot are final too. Only a run
            # from the store's own safe position extends that position.
            safe = self._safe
            floor = 0 if start is None else start if not inclusive_of_start else start - 1
            base = max(safe, floor)
            if [n.id for n in page if n.id > base] == list(range(base + 1, page[-1].id + 1)):
                if base == safe:
                    self._safe = max(self._safe, page[-1].id)
                return page
        bound = await self._safe_position()
        return await self._page(statement(bound if stop is None else min(stop, bound)))

    async def select_group(
        self,
        group: UUID | str,
        start: int | None,
        limit: int,
        stop: int | None = None,
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        if start is not None and start > MAX_POSITION:
            return []
        stop = None if stop is None else min(stop, MAX_POSITION)
        key = group_key(group)

        def statement(upto: int | None) -> sql.Statement:
            return sql.select_group(key, start, limit, upto, inclusive_of_start=inclusive_of_start)

        page = await self._page(statement(stop))
        if not page or page[-1].id <= self._safe:
            return page
        bound = await self._safe_position()
        return await self._page(statement(bound if stop is None else min(stop, bound)))

    async def max_notification_id(self) -> int | None:
        return await self._safe_position() or None

    async def max_tracking_id(self, application_name: str) -> int | None:
        rows = await self._run.read(*sql.max_tracking_id(application_name))
        return rows[0][0] if rows else None

    # -- reads for projections, run in the database ------------------------------------------

    async def count_events(
        self, after: int, upto: int, groupings: Sequence[Grouping], *, window: int = 0
    ) -> list[EventGroup]:
        plan = plan_count(groupings, window)
        upto = min(upto, MAX_POSITION)
        if not plan.topics or upto <= after:
            return []
        return plan.groups(await self._run.read(*reads.count_statement(after, upto, plan)))

    async def field_values(
        self, positions: Sequence[int], fields: Sequence[StateField]
    ) -> dict[int, tuple[Any, ...]]:
        wanted = [p for p in positions if 0 < p <= MAX_POSITION]
        out: dict[int, tuple[Any, ...]] = {}
        for statement, params in reads.field_values(wanted, fields):
            for position, *values in await self._run.read(statement, params):
                out[int(position)] = decoded(fields, values)
        return out

    async def max_versions(
        self, originator_ids: Sequence[UUID | str], *, upto: int
    ) -> dict[UUID | str, int]:
        return await max_versions(self._run.read, originator_ids, min(upto, MAX_POSITION))

    # -- gap safety --------------------------------------------------------------------------

    async def _page(self, statement: sql.Statement) -> list[Notification]:
        return sql.decode_notifications(await self._run.read(*statement))

    async def _safe_position(self) -> int:
        """A position below which the log is final, as high as is cheaply known: the end of
        the log if no id above the last safe position is missing (counted only when the log
        has grown by at most ``SAFE_SPAN`` since: a bounded read), else a fresh HWM."""
        safe = self._safe
        if safe:  # (a cold process goes straight to the HWM rather than count the log)
            top, count = (await self._run.read(*sql.top_and_count_above(safe, SAFE_SPAN)))[0]
            if top is None or top <= safe:
                return self._safe
            if top - safe <= SAFE_SPAN and count == top - safe:
                self._safe = max(self._safe, top)
                return self._safe
        return await self._high_water_mark()

    async def _high_water_mark(self) -> int:
        """A fresh HWM (see the module docstring); concurrent callers share one."""
        if self._hwm is None or self._hwm.done():
            self.gate_waits += 1
            self._hwm = asyncio.ensure_future(self._run.read_with(sql.high_water_mark))
        shared = self._hwm
        try:
            hwm = await asyncio.shield(shared)
        finally:
            # Another caller may have cleared or replaced it meanwhile: clear only our own.
            if self._hwm is shared and shared.done():
                self._hwm = None
        self._safe = max(self._safe, hwm)
        return self._safe


def _first_key(stored_events: Sequence[StoredEvent]) -> tuple[str, int]:
    first = stored_events[0]
    return encode_originator_id(first.originator_id), first.originator_version
