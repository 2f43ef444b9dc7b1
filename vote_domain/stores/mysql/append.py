"""Group commit on MySQL: the appends of many callers in one transaction and one round trip,
and the reads of many callers' streams in one query.

An append group is sent as one multi-statement batch::

    START TRANSACTION; <gate, shared>;
    INSERT ...;                                   -- a request of one event
    SAVEPOINT r1; INSERT ...; INSERT ...; RELEASE SAVEPOINT r1;   -- of several
    ...; COMMIT

A single INSERT is atomic, so only requests of several events need a savepoint. A statement
error in request ``k`` (a duplicate version, 1062) stops the server's batch at that
statement with the transaction still open and the failed statement undone: the store rolls
back to ``k``'s savepoint (or sends ``DO 0`` for a one-event request), checks from that OK
packet's status that the transaction is indeed still open, fails ``k`` alone, and sends the
rest of the batch and the COMMIT. Errors that end the transaction or the connection
(deadlock, lock wait timeout, a lost connection, an error at the gate or the COMMIT) fail
the whole group; nothing of it was committed, unless the COMMIT itself was lost, which the
callers learn as OperationalError (the store never retries that).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import aiomysql
import pymysql
from eventsourcing.persistence import OperationalError, StoredEvent

from vote_domain.stores._ids import decode_originator_id
from vote_domain.stores.mysql.errors import (
    DEADLOCK,
    LOCK_WAIT_TIMEOUT,
    error_code,
    is_connection_error,
    translated,
)
from vote_domain.stores.mysql.sql import BEGIN, GATE_SHARED, INSERT_EVENT, event_params

#: Per request: its events' notification ids, or the error it alone fails with.
Outcome = list[int] | BaseException


def _statements(requests: Sequence[Sequence[StoredEvent]], first: int) -> tuple[str, list[Any]]:
    """Requests ``first``.. of the group and the COMMIT, as one batch."""
    statements: list[str] = []
    params: list[Any] = []
    for k in range(first, len(requests)):
        events = requests[k]
        if len(events) > 1:
            statements.append(f"SAVEPOINT r{k}")
        for s in events:
            statements.append(INSERT_EVENT)
            params += event_params(s)
        if len(events) > 1:
            statements.append(f"RELEASE SAVEPOINT r{k}")
    statements.append("COMMIT")
    return ";\n".join(statements), params


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


async def append_group(
    conn: aiomysql.Connection, requests: Sequence[Sequence[StoredEvent]]
) -> list[Outcome]:
    """Insert each request's events in one durable transaction; an outcome per request."""
    outcomes: list[Outcome] = []
    async with conn.cursor() as cur:
        statement, params = _statements(requests, 0)
        await cur.execute(f"{BEGIN};\n{GATE_SHARED};\n{statement}", params)
        await _next(cur)  # the gate
        read_ahead: bool | None = False  # the next result is read (True), or not sent (None)
        while len(outcomes) < len(requests):
            k = len(outcomes)
            events = requests[k]
            savepoint = len(events) > 1
            try:
                if read_ahead is None:  # a new batch from request k on
                    statement, params = _statements(requests, k)
                    await cur.execute(statement, params)
                    read_ahead = True
                ids: list[int] = []
                for i in range(len(events) + 2 * savepoint):
                    if read_ahead:
                        read_ahead = False
                    else:
                        await _next(cur)
                    if not savepoint or 0 < i <= len(events):
                        ids.append(cur.lastrowid)
            except pymysql.err.MySQLError as e:
                if _ends_transaction(e):
                    raise
                await cur.execute(f"ROLLBACK TO SAVEPOINT r{k}" if savepoint else "DO 0")
                if not conn.get_transaction_status():
                    raise OperationalError("the transaction ended at a failed insert") from e
                outcomes.append(translated(e))
                read_ahead = None
                continue
            outcomes.append(ids)
        if read_ahead is None:
            await cur.execute("COMMIT")
        else:
            await _next(cur)  # the COMMIT
    return outcomes


async def select_streams(
    conn: aiomysql.Connection, statement: str, params: list[Any]
) -> dict[str, list[StoredEvent]]:
    """The events of each stream ``statement`` selects, by stored originator id."""
    streams: dict[str, list[StoredEvent]] = {}
    async with conn.cursor() as cur:
        await cur.execute(statement, params)
        rows = await cur.fetchall()
    events: list[StoredEvent] = []
    last: str | None = None
    originator_id: UUID | str = ""
    for oid, v, t, s in rows:  # (ordered by originator id)
        if oid != last:
            last, originator_id, events = oid, decode_originator_id(oid), []
            streams[oid] = events
        events.append(StoredEvent(originator_id, v, t, s))
    return streams
