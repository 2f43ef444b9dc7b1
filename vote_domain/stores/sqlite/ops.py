"""The SQLite event store's SQL: schema, statements and their blocking operations.

Every function takes an open :class:`sqlite3.Connection` and runs on the thread that owns it.
:func:`translated` is the one place where :mod:`sqlite3` errors become
``eventsourcing.persistence``'s PEP-249 exceptions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    Notification,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
    Tracking,
)

from vote_domain.stores import stamps
from vote_domain.stores._ids import decode_originator_id, encode_originator_id
from vote_domain.stores._reads import GROUP_KEY_LENGTH, GROUP_PATH
from vote_domain.stores.base import ForEach, LockConflict, Migration

T = TypeVar("T")

EVENTS_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        component="events",
        version=1,
        description="event log and tracking",
        sqlite=(
            "CREATE TABLE IF NOT EXISTS stored_events ("
            " notification_id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " originator_id TEXT NOT NULL,"
            " originator_version INTEGER NOT NULL,"
            " topic TEXT NOT NULL,"
            " state BLOB NOT NULL,"
            " UNIQUE (originator_id, originator_version))",
            "CREATE INDEX IF NOT EXISTS stored_events_topic"
            " ON stored_events (topic, notification_id)",
            "CREATE TABLE IF NOT EXISTS tracking ("
            " application_name TEXT NOT NULL,"
            " notification_id INTEGER NOT NULL,"
            " PRIMARY KEY (application_name, notification_id)) WITHOUT ROWID",
        ),
        mysql=(),
    ),
    Migration(
        component="events",
        version=2,
        description="each event's group (its poll), indexed with its position",
        sqlite=(
            # A VIRTUAL column: computed when read, never stored; only the index holds its
            # values, written in the appending transaction. Non-JSON state: its stream's.
            "ALTER TABLE stored_events ADD COLUMN event_group TEXT GENERATED ALWAYS AS"
            " (substr(coalesce(CASE WHEN json_valid(CAST(state AS TEXT))"
            f" THEN json_extract(CAST(state AS TEXT), '{GROUP_PATH}') END,"
            f" replace(originator_id, '-', '')), 1, {GROUP_KEY_LENGTH})) VIRTUAL",
            "CREATE INDEX IF NOT EXISTS stored_events_group"
            " ON stored_events (event_group, notification_id)",
        ),
        mysql=(),
    ),
)

CREATE_SCHEMA_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " component TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " description TEXT NOT NULL,"
    " applied_at TEXT NOT NULL,"
    " PRIMARY KEY (component, version))"
)
INSERT_EVENT = (
    "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
    " VALUES (?, ?, ?, ?)"
)
NOTIFICATION_COLUMNS = "notification_id, originator_id, originator_version, topic, state"

_ERRORS: tuple[tuple[type[Exception], type[PersistenceError]], ...] = (
    (sqlite3.IntegrityError, IntegrityError),
    (sqlite3.OperationalError, OperationalError),
    (sqlite3.ProgrammingError, ProgrammingError),
    (sqlite3.DataError, DataError),
    (sqlite3.InterfaceError, InterfaceError),
    (sqlite3.InternalError, InternalError),
    (sqlite3.NotSupportedError, NotSupportedError),
    (sqlite3.DatabaseError, DatabaseError),
    (OverflowError, DataError),
)


_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def translated(fn: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    """``fn(conn)``, with any :mod:`sqlite3` error raised as its ``eventsourcing`` twin
    (a busy or locked database as :class:`LockConflict`)."""
    try:
        return fn(conn)
    except (sqlite3.Error, OverflowError) as e:  # OverflowError: an int beyond 64 bits
        code = getattr(e, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _BUSY:
            raise LockConflict(str(e)) from e
        cls = next((ours for theirs, ours in _ERRORS if isinstance(e, theirs)), PersistenceError)
        raise cls(str(e)) from e


def insert_tracking(conn: sqlite3.Connection, tracking: Tracking) -> None:
    """Record ``tracking``; IntegrityError unless it is above the application's last one."""
    last = max_tracking_id(conn, tracking.application_name)
    if last is not None and tracking.notification_id <= last:
        msg = f"tracking {tracking.application_name} {tracking.notification_id} is not after {last}"
        raise IntegrityError(msg)
    conn.execute(
        "INSERT INTO tracking (application_name, notification_id) VALUES (?, ?)",
        (tracking.application_name, tracking.notification_id),
    )


def append(
    conn: sqlite3.Connection, stored_events: Sequence[StoredEvent], tracking: Tracking | None
) -> list[int]:
    """Insert ``stored_events`` (and ``tracking``) in the open transaction, under a savepoint:
    all of them and their ids, or none (the error raised). The store's one append path, for
    its group commits and for callers' transactions alike. Refused (StaleAppend) if the
    events waited too long since their stamps (:mod:`vote_domain.stores.stamps`): checked
    here, on the writer thread holding the write lock, right before the inserts."""
    refused = stamps.refusal(stamps.oldest_stamp(stored_events))
    if refused is not None:
        raise refused
    conn.execute("SAVEPOINT append")
    try:
        ids: list[int] = []
        for s in stored_events:
            cursor = conn.execute(
                INSERT_EVENT,
                (encode_originator_id(s.originator_id), s.originator_version, s.topic, s.state),
            )
            ids.append(cursor.lastrowid or 0)
        if tracking is not None:
            insert_tracking(conn, tracking)
    except BaseException:
        conn.execute("ROLLBACK TO append")
        conn.execute("RELEASE append")
        raise
    conn.execute("RELEASE append")
    return ids


def select_events(
    conn: sqlite3.Connection,
    originator_id: UUID | str,
    *,
    gt: int | None = None,
    lte: int | None = None,
    desc: bool = False,
    limit: int | None = None,
) -> list[StoredEvent]:
    """The events of one originator, by version."""
    sql = "SELECT originator_version, topic, state FROM stored_events WHERE originator_id = ?"
    params: list[Any] = [encode_originator_id(originator_id)]
    if gt is not None:
        sql += " AND originator_version > ?"
        params.append(gt)
    if lte is not None:
        sql += " AND originator_version <= ?"
        params.append(lte)
    sql += " ORDER BY originator_version DESC" if desc else " ORDER BY originator_version"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    oid = decode_originator_id(encode_originator_id(originator_id))
    return [StoredEvent(oid, v, t, bytes(s)) for v, t, s in conn.execute(sql, params)]


def select_streams(
    conn: sqlite3.Connection, originator_ids: Sequence[UUID | str]
) -> dict[UUID | str, list[StoredEvent]]:
    """The events of each of ``originator_ids``, keyed as given."""
    keys = {encode_originator_id(oid): oid for oid in originator_ids}
    streams: dict[UUID | str, list[StoredEvent]] = {oid: [] for oid in originator_ids}
    if not keys:
        return streams
    sql = (
        "SELECT originator_id, originator_version, topic, state FROM stored_events"
        f" WHERE originator_id IN ({','.join('?' * len(keys))})"
        " ORDER BY originator_id, originator_version"
    )
    for oid, v, t, s in conn.execute(sql, list(keys)):
        streams[keys[oid]].append(StoredEvent(decode_originator_id(oid), v, t, bytes(s)))
    return streams


def _position_clauses(
    start: int | None, stop: int | None, inclusive_of_start: bool
) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if start is not None:
        clauses.append("notification_id >= ?" if inclusive_of_start else "notification_id > ?")
        params.append(start)
    if stop is not None:
        clauses.append("notification_id <= ?")
        params.append(stop)
    return clauses, params


def _indexed_page(
    index: str, column: str, key: str, clauses: list[str], params: list[Any], limit: int
) -> tuple[str, list[Any]]:
    """The first ``limit`` events whose ``column`` is ``key`` in the position range, read in
    order from the ``(column, notification_id)`` index: no more rows than it returns."""
    where = " AND ".join([f"{column} = ?", *clauses])
    return (
        f"SELECT {NOTIFICATION_COLUMNS} FROM stored_events INDEXED BY {index}"
        f" WHERE {where} ORDER BY notification_id LIMIT ?",
        [key, *params, limit],
    )


def _notifications(rows: Iterable[Sequence[Any]]) -> list[Notification]:
    return [
        Notification(
            id=n, originator_id=decode_originator_id(o), originator_version=v, topic=t, state=s
        )
        for n, o, v, t, s in rows
    ]


def notifications_statement(
    start: int | None,
    limit: int,
    stop: int | None = None,
    topics: Sequence[str] = (),
    *,
    inclusive_of_start: bool = True,
) -> tuple[str, list[Any]]:
    """The statement of :func:`select_notifications`."""
    clauses, params = _position_clauses(start, stop, inclusive_of_start)
    if not topics:
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return (
            f"SELECT {NOTIFICATION_COLUMNS} FROM stored_events{where}"
            " ORDER BY notification_id LIMIT ?",
            [*params, limit],
        )
    # Per topic, its first ``limit`` events from the (topic, position) index, then merged: at
    # most ``limit`` rows read per topic, however rare the topic is in the log (IN over the
    # index would sort every match past ``start``; the primary key would walk the whole log).
    parts = [
        _indexed_page("stored_events_topic", "topic", t, clauses, params, limit)
        for t in dict.fromkeys(topics)
    ]
    if len(parts) == 1:
        return parts[0]
    union = " UNION ALL ".join(f"SELECT * FROM ({statement})" for statement, _ in parts)
    return (
        f"SELECT * FROM ({union}) ORDER BY notification_id LIMIT ?",
        [*(p for _, part in parts for p in part), limit],
    )


def select_notifications(
    conn: sqlite3.Connection,
    start: int | None,
    limit: int,
    stop: int | None = None,
    topics: Sequence[str] = (),
    *,
    inclusive_of_start: bool = True,
) -> list[Notification]:
    """Events in position order (see :meth:`EventStore.select_notifications`)."""
    statement = notifications_statement(
        start, limit, stop, topics, inclusive_of_start=inclusive_of_start
    )
    return _notifications(conn.execute(*statement))


def group_statement(
    key: str, start: int | None, limit: int, stop: int | None, *, inclusive_of_start: bool
) -> tuple[str, list[Any]]:
    """The statement of :func:`select_group`."""
    clauses, params = _position_clauses(start, stop, inclusive_of_start)
    return _indexed_page("stored_events_group", "event_group", key, clauses, params, limit)


def select_group(
    conn: sqlite3.Connection,
    key: str,
    start: int | None,
    limit: int,
    stop: int | None,
    *,
    inclusive_of_start: bool,
) -> list[Notification]:
    """The events of one group (see :meth:`EventStore.select_group`)."""
    statement = group_statement(key, start, limit, stop, inclusive_of_start=inclusive_of_start)
    return _notifications(conn.execute(*statement))


def max_notification_id(conn: sqlite3.Connection) -> int | None:
    """The greatest position, or None if the log is empty."""
    row = conn.execute("SELECT MAX(notification_id) FROM stored_events").fetchone()
    return row[0] if row else None


def max_tracking_id(conn: sqlite3.Connection, application_name: str) -> int | None:
    """The greatest tracked position of ``application_name``, or None."""
    row = conn.execute(
        "SELECT MAX(notification_id) FROM tracking WHERE application_name = ?",
        (application_name,),
    ).fetchone()
    return row[0] if row else None


def migrate(conn: sqlite3.Connection, migrations: Iterable[Migration]) -> list[Migration]:
    """Apply each not yet applied migration in one exclusive transaction; those applied."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(CREATE_SCHEMA_MIGRATIONS)
        done = set(conn.execute("SELECT component, version FROM schema_migrations"))
        applied: list[Migration] = []
        for m in migrations:
            if (m.component, m.version) in done:
                continue
            for statement in m.statements("sqlite"):
                if isinstance(statement, ForEach):
                    for each in statement.statements(conn.execute(statement.query).fetchall()):
                        conn.execute(each)
                else:
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                (m.component, m.version, m.description, datetime.now(UTC).isoformat()),
            )
            done.add((m.component, m.version))
            applied.append(m)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied
