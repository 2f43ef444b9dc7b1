"""The MySQL store's one append path: the appends of one or many callers in one transaction,
sent as one multi-statement batch.

In a transaction of its own (``own_transaction``, the store's appends and append groups)::

    START TRANSACTION; <gate, shared>;
    INSERT ...;                                   -- a request of one statement
    SAVEPOINT r1; INSERT ...; INSERT ...; RELEASE SAVEPOINT r1;   -- of several
    SAVEPOINT r2; INSERT ...; <tracking lock>; <tracking insert>; RELEASE SAVEPOINT r2;
    ...; <stamp deadline>; COMMIT

The stamps are checked twice (:mod:`vote_domain.stores.stamps`): a request whose events are
too old already is refused before anything is sent; and ``<stamp deadline>`` fails, on the
server's clock, if the inserts ran after the batch's oldest stamp plus the limit (a wait at
the gate or for a row lock), which stops the batch before its COMMIT: the transaction is
rolled back and each of its requests refused. A caller's transaction is checked before its
COMMIT instead (:class:`~vote_domain.stores.mysql.transaction.MySQLTransaction`).

In a caller's open transaction (:class:`~vote_domain.stores.mysql.transaction.MySQLTransaction`)
the same without ``START TRANSACTION`` and ``COMMIT``, and with the gate only the first time.

A single statement is atomic, so only requests of several statements need a savepoint. A
statement error in request ``k`` (a duplicate version, or a tracking record not after the
last one: both 1062) stops the server's batch at that statement with the transaction still
open and the failed statement undone: the store rolls back to ``k``'s savepoint (or sends
``DO 0`` for a one-statement request), checks from that OK packet's status that the
transaction is indeed still open, fails ``k`` alone, and sends the rest of the batch (and the
COMMIT). Errors that end the transaction or the connection (deadlock, lock wait timeout, a
lost connection, an error at the gate or the COMMIT) fail the whole batch; in a transaction
of its own nothing of it was committed, unless the COMMIT itself was lost, which the callers
learn as OperationalError (the store never retries that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

import aiomysql
import pymysql
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent, Tracking

from vote_domain.stores import stamps
from vote_domain.stores.mysql.errors import (
    DEADLOCK,
    DRIVER_ERRORS,
    LOCK_WAIT_TIMEOUT,
    error_code,
    is_connection_error,
    translated,
)
from vote_domain.stores.mysql.sql import (
    BEGIN,
    GATE_SHARED,
    INSERT_EVENT,
    STAMP_DEADLINE,
    TRACKING_INSERT,
    TRACKING_LOCK,
    event_params,
    tracking_params,
)
from vote_domain.stores.stamps import StaleAppend

__all__ = ["Append", "Outcome", "append"]

Step = Literal["savepoint", "event", "tracking", "release"]


@dataclass(frozen=True)
class Append:
    """One caller's append: its events, and the tracking record to write with them."""

    events: Sequence[StoredEvent]
    tracking: Tracking | None = None

    @cached_property
    def oldest(self) -> datetime | None:
        """The oldest stamp among the events."""
        return stamps.oldest_stamp(self.events)

    def steps(self, k: int) -> tuple[list[tuple[Step, str]], list[Any]]:
        """The statements of request ``k`` with what each is, and their parameters."""
        steps: list[tuple[Step, str]] = [("event", INSERT_EVENT) for _ in self.events]
        params = [p for s in self.events for p in event_params(s)]
        if self.tracking is not None:
            steps += [("tracking", TRACKING_LOCK), ("tracking", TRACKING_INSERT)]
            params += tracking_params(self.tracking)
        if len(steps) > 1:
            steps = [
                ("savepoint", f"SAVEPOINT r{k}"),
                *steps,
                ("release", f"RELEASE SAVEPOINT r{k}"),
            ]
        return steps, params


#: Per request: its events' notification ids, or the error it alone fails with.
Outcome = list[int] | BaseException


@dataclass(frozen=True)
class _Tail:
    """What ends a batch in a transaction of its own: the stamp deadline and the COMMIT."""

    statements: tuple[str, ...] = ()
    params: tuple[Any, ...] = ()

    @classmethod
    def of(cls, requests: Sequence[Append], own_transaction: bool) -> _Tail:
        if not own_transaction:
            return cls()
        oldest = min((r.oldest for r in requests if r.oldest is not None), default=None)
        if oldest is None:
            return cls(("COMMIT",))
        deadline = (oldest + stamps.STAMP_LIMIT).astimezone(UTC).replace(tzinfo=None)
        return cls((STAMP_DEADLINE, "COMMIT"), (deadline,))


def _batch(requests: Sequence[Append], first: int, tail: _Tail) -> tuple[str, list[Any]]:
    """Requests ``first``.. and the tail, as one batch."""
    statements: list[str] = []
    params: list[Any] = []
    for k in range(first, len(requests)):
        steps, more = requests[k].steps(k)
        statements += [statement for _, statement in steps]
        params += more
    return ";\n".join([*statements, *tail.statements]), [*params, *tail.params]


async def _next(cur: aiomysql.Cursor) -> None:
    if not await cur.nextset():
        raise OperationalError("the server sent fewer results than statements")


def _ends_transaction(e: BaseException) -> bool:
    """True if ``e`` may have ended the transaction or the connection (not one statement)."""
    code = error_code(e)
    return (
        not isinstance(e, pymysql.err.MySQLError)
        or code is None
        or code in (DEADLOCK, LOCK_WAIT_TIMEOUT)
        or is_connection_error(e)
    )


def _failure(request: Append, step: Step, e: BaseException) -> BaseException:
    if step == "tracking" and isinstance(e, pymysql.err.IntegrityError):
        error = IntegrityError(f"{request.tracking} is not after the last tracked position")
        error.__cause__ = e
        return error
    return translated(e)


async def append(
    conn: aiomysql.Connection,
    requests: Sequence[Append],
    *,
    own_transaction: bool = True,
    take_gate: bool = True,
) -> list[Outcome]:
    """Insert each request's events and tracking; an outcome per request.

    ``own_transaction``: in one durable transaction begun and committed here; otherwise in
    the connection's open transaction. ``take_gate``: take the shared append gate first (if
    any request has events); a caller's transaction takes it once. A request whose events
    are too old is refused unsent (:class:`~vote_domain.stores.stamps.StaleAppend`).
    """
    refused = {k: e for k, r in enumerate(requests) if (e := stamps.refusal(r.oldest))}
    sent = [r for k, r in enumerate(requests) if k not in refused]
    outcomes = iter(await _append(conn, sent, own_transaction, take_gate) if sent else [])
    return [refused[k] if k in refused else next(outcomes) for k in range(len(requests))]


async def _append(
    conn: aiomysql.Connection,
    requests: Sequence[Append],
    own_transaction: bool,
    take_gate: bool,
) -> list[Outcome]:
    head = [BEGIN] if own_transaction else []
    tail = _Tail.of(requests, own_transaction)
    if take_gate and any(r.events for r in requests):
        head.append(GATE_SHARED)
    if not any(r.events or r.tracking for r in requests):
        return [[] for _ in requests]
    outcomes: list[Outcome] = []
    async with conn.cursor() as cur:
        # The next result is read already (True), to be read (False), or not sent (None).
        read_ahead: bool | None = None
        if head:
            statement, params = _batch(requests, 0, tail)
            await cur.execute(";\n".join([*head, statement]), params)
            for _ in head[1:]:
                await _next(cur)
            read_ahead = False
        while len(outcomes) < len(requests):
            k = len(outcomes)
            steps, _ = requests[k].steps(k)
            step: Step = "event"
            try:
                if read_ahead is None:  # a new batch from request k on
                    statement, params = _batch(requests, k, tail)
                    if statement:
                        await cur.execute(statement, params)
                    read_ahead = bool(statement)
                ids: list[int] = []
                for step, _ in steps:
                    if read_ahead:
                        read_ahead = False
                    else:
                        await _next(cur)
                    if step == "event":
                        ids.append(cur.lastrowid)
            except pymysql.err.MySQLError as e:
                savepoint = steps[0][0] == "savepoint"
                if _ends_transaction(e):
                    if not own_transaction and savepoint and conn.get_transaction_status():
                        try:  # undo this request's part in the caller's transaction
                            await cur.execute(f"ROLLBACK TO SAVEPOINT r{k}")
                        except DRIVER_ERRORS:
                            pass
                    raise
                await cur.execute(f"ROLLBACK TO SAVEPOINT r{k}" if savepoint else "DO 0")
                if not conn.get_transaction_status():
                    raise OperationalError("the transaction ended at a failed insert") from e
                outcomes.append(_failure(requests[k], step, e))
                read_ahead = None
                if k + 1 == len(requests) and not own_transaction:
                    read_ahead = False  # nothing left to send
                continue
            outcomes.append(ids)
        if tail.statements and not await _commit(cur, tail, sent=read_ahead is not None):
            late = StaleAppend("the inserts ran past the stamp limit; nothing was written")
            return [o if isinstance(o, BaseException) else late for o in outcomes]
    return outcomes


async def _commit(cur: aiomysql.Cursor, tail: _Tail, *, sent: bool) -> bool:
    """Read (or send, if not ``sent``) the tail's results: True if it committed; False if the
    stamp deadline had passed, and the transaction is rolled back."""
    try:
        if sent:
            await _next(cur)
        else:
            await cur.execute(";\n".join(tail.statements), list(tail.params))
        if len(tail.statements) > 1:  # the deadline passed; now the COMMIT
            await _next(cur)
    except pymysql.err.IntegrityError:  # (only the deadline inserts a duplicate here)
        await cur.execute("ROLLBACK")
        return False
    return True


async def append_one(
    conn: aiomysql.Connection,
    request: Append,
    *,
    own_transaction: bool = True,
    take_gate: bool = True,
) -> list[int]:
    """:func:`append` of one request: its ids, or its error raised."""
    (outcome,) = await append(conn, [request], own_transaction=own_transaction, take_gate=take_gate)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
