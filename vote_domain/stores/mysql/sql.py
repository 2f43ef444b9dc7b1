"""The MySQL event store's SQL: schema, statements and the operations that send them.

Portable to MariaDB 10.11 and MySQL 8.0 / Aurora MySQL 3: no RETURNING, no sequences,
``LOCK IN SHARE MODE`` (accepted by both) rather than ``FOR SHARE``. Statements use the
``%s`` parameter style; several are sent in one round trip as a multi-statement batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import aiomysql
from eventsourcing.persistence import Notification, OperationalError, StoredEvent, Tracking

from vote_domain.stores._ids import decode_originator_id, encode_originator_id
from vote_domain.stores._reads import GROUP_PATH
from vote_domain.stores.base import ForEach, Migration

Statement = tuple[str, list[Any]]

EVENTS_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        component="events",
        version=1,
        description="event log, tracking and the append gate",
        sqlite=(),
        mysql=(
            "CREATE TABLE IF NOT EXISTS stored_events ("
            " notification_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
            " originator_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " originator_version BIGINT NOT NULL,"
            " topic VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
            " state LONGBLOB NOT NULL,"
            " UNIQUE KEY stored_events_stream (originator_id, originator_version),"
            " KEY stored_events_topic (topic, notification_id)"
            ") ENGINE=InnoDB",
            "CREATE TABLE IF NOT EXISTS tracking ("
            " application_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
            " notification_id BIGINT NOT NULL,"
            " PRIMARY KEY (application_name, notification_id)"
            ") ENGINE=InnoDB",
            "CREATE TABLE IF NOT EXISTS event_append_gate ("
            " id TINYINT UNSIGNED NOT NULL PRIMARY KEY"
            ") ENGINE=InnoDB",
            "INSERT IGNORE INTO event_append_gate (id) VALUES (1)",
        ),
    ),
    Migration(
        component="events",
        version=2,
        description="each event's group (its poll), indexed with its position",
        sqlite=(),
        mysql=(
            # A VIRTUAL column: computed, never stored; only its index holds the values, kept
            # by InnoDB in the appending transaction. Non-JSON state has no field: its stream.
            "ALTER TABLE stored_events ADD COLUMN event_group"
            " VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin AS (LEFT(COALESCE("
            " IF(JSON_VALID(CAST(state AS CHAR CHARACTER SET utf8mb4)),"
            " JSON_UNQUOTE(JSON_EXTRACT(CAST(state AS CHAR CHARACTER SET utf8mb4),"
            f" '{GROUP_PATH}')), NULL),"
            " REPLACE(originator_id, '-', '')), 64)) VIRTUAL,"
            " ADD KEY stored_events_group (event_group, notification_id)",
        ),
    ),
)

BEGIN = "START TRANSACTION"
GATE_SHARED = "SELECT id INTO @votes_gate FROM event_append_gate WHERE id = 1 LOCK IN SHARE MODE"
GATE_EXCLUSIVE = "SELECT id FROM event_append_gate WHERE id = 1 FOR UPDATE"
# Sent after an append's inserts and before its COMMIT: past the deadline (the oldest stamp
# plus the stamp limit, UTC) it inserts the gate's one row again, a duplicate key (1062) that
# stops the batch before the COMMIT; before it, it inserts nothing and locks nothing.
STAMP_DEADLINE = "INSERT INTO event_append_gate (id) SELECT 1 FROM DUAL WHERE UTC_TIMESTAMP(6) > %s"
INSERT_EVENT = (
    "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
    " VALUES (%s, %s, %s, %s)"
)
# Tracking is monotonic per application: the (name, 0) row serialises its writers (an
# exclusive row lock until commit); then (name, position) is added if no recorded position of
# the application is at or above it, else (name, 0) again, which fails as a duplicate key. So
# a tracking record that is not after the last one is a statement error (1062), as a
# duplicate event version is, and fails its own append alone.
TRACKING_LOCK = (
    "INSERT INTO tracking (application_name, notification_id) VALUES (%s, 0)"
    " ON DUPLICATE KEY UPDATE notification_id = 0"
)
TRACKING_INSERT = (
    "INSERT INTO tracking (application_name, notification_id)"
    " SELECT %s, CASE WHEN EXISTS (SELECT 1 FROM tracking"
    " WHERE application_name = %s AND notification_id >= %s) THEN 0 ELSE %s END"
)
NOTIFICATION_COLUMNS = "notification_id, originator_id, originator_version, topic, state"


def event_params(s: StoredEvent) -> list[Any]:
    return [encode_originator_id(s.originator_id), s.originator_version, s.topic, s.state]


def tracking_params(t: Tracking) -> list[Any]:
    name, position = t.application_name, t.notification_id
    return [name, name, name, position, position]


def select_events(
    originator_id: UUID | str,
    *,
    gt: int | None = None,
    lte: int | None = None,
    desc: bool = False,
    limit: int | None = None,
) -> Statement:
    statement = (
        "SELECT originator_version, topic, state FROM stored_events WHERE originator_id = %s"
    )
    params: list[Any] = [encode_originator_id(originator_id)]
    if gt is not None:
        statement += " AND originator_version > %s"
        params.append(gt)
    if lte is not None:
        statement += " AND originator_version <= %s"
        params.append(lte)
    statement += " ORDER BY originator_version" + (" DESC" if desc else "")
    if limit is not None:
        statement += " LIMIT %s"
        params.append(limit)
    return statement, params


def decode_events(originator_id: UUID | str, rows: Sequence[tuple[Any, ...]]) -> list[StoredEvent]:
    oid = decode_originator_id(encode_originator_id(originator_id))
    return [StoredEvent(oid, v, t, bytes(s)) for v, t, s in rows]


async def select_streams(
    conn: aiomysql.Connection, stored_ids: Sequence[str]
) -> dict[str, list[StoredEvent]]:
    """The events of each of the streams ``stored_ids``, by stored originator id."""
    placeholders = ",".join(["%s"] * len(stored_ids))
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events"
            f" WHERE originator_id IN ({placeholders}) ORDER BY originator_id, originator_version",
            list(stored_ids),
        )
        rows = await cur.fetchall()
    streams: dict[str, list[StoredEvent]] = {}
    events: list[StoredEvent] = []
    last: str | None = None
    originator_id: UUID | str = ""
    for oid, v, t, s in rows:  # (ordered by originator id)
        if oid != last:
            last, originator_id, events = oid, decode_originator_id(oid), []
            streams[oid] = events
        events.append(StoredEvent(originator_id, v, t, s))
    return streams


def _position_clauses(
    start: int | None, stop: int | None, inclusive_of_start: bool
) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if start is not None:
        clauses.append("notification_id >= %s" if inclusive_of_start else "notification_id > %s")
        params.append(start)
    if stop is not None:
        clauses.append("notification_id <= %s")
        params.append(stop)
    return clauses, params


def _indexed_page(
    index: str, column: str, key: str, clauses: list[str], params: list[Any], limit: int
) -> Statement:
    """The first ``limit`` events whose ``column`` is ``key`` in the position range, read in
    order from the ``(column, notification_id)`` index: no more rows than it returns."""
    where = " AND ".join([f"{column} = %s", *clauses])
    return (
        f"SELECT {NOTIFICATION_COLUMNS} FROM stored_events FORCE INDEX ({index})"
        f" WHERE {where} ORDER BY notification_id LIMIT %s",
        [key, *params, limit],
    )


def select_notifications(
    start: int | None,
    limit: int,
    stop: int | None,
    topics: Sequence[str],
    *,
    inclusive_of_start: bool,
) -> Statement:
    clauses, params = _position_clauses(start, stop, inclusive_of_start)
    if not topics:
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return (
            f"SELECT {NOTIFICATION_COLUMNS} FROM stored_events{where}"
            " ORDER BY notification_id LIMIT %s",
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
    union = " UNION ALL ".join(f"({statement})" for statement, _ in parts)
    return (
        f"SELECT {NOTIFICATION_COLUMNS} FROM ({union}) AS t ORDER BY notification_id LIMIT %s",
        [*(p for _, part in parts for p in part), limit],
    )


def select_group(
    group: str, start: int | None, limit: int, stop: int | None, *, inclusive_of_start: bool
) -> Statement:
    """The events of ``group`` (see :meth:`EventStore.select_group`) from its index."""
    clauses, params = _position_clauses(start, stop, inclusive_of_start)
    return _indexed_page("stored_events_group", "event_group", group, clauses, params, limit)


def decode_notifications(rows: Sequence[tuple[Any, ...]]) -> list[Notification]:
    return [
        Notification(
            id=n, originator_id=decode_originator_id(o), originator_version=v, topic=t, state=s
        )
        for n, o, v, t, s in rows
    ]


def top_and_count_above(position: int, span: int) -> Statement:
    """The log's greatest position, and how many events lie in (position, position + span]:
    at most ``span`` rows read, however far the log has grown past ``position``."""
    return (
        "SELECT (SELECT MAX(notification_id) FROM stored_events),"
        " (SELECT COUNT(*) FROM stored_events"
        " WHERE notification_id > %s AND notification_id <= %s)",
        [position, position + span],
    )


def max_tracking_id(application_name: str) -> Statement:
    return (
        "SELECT MAX(notification_id) FROM tracking"
        " WHERE application_name = %s AND notification_id > 0",
        [application_name],
    )


async def high_water_mark(conn: aiomysql.Connection) -> int:
    """The gap-safe high-water mark: MAX(notification_id) read under the exclusive gate."""
    async with conn.cursor() as cur:
        await cur.execute(
            f"{BEGIN}; {GATE_EXCLUSIVE}; SELECT MAX(notification_id) FROM stored_events; COMMIT"
        )
        await cur.nextset()
        await cur.nextset()
        (top,) = await cur.fetchone()
        await cur.nextset()
    return int(top or 0)


async def migrate(
    conn: aiomysql.Connection, database: str, migrations: Sequence[Migration]
) -> list[Migration]:
    """Apply each migration not yet recorded, under a named lock per database."""
    lock = f"votes_migrate:{database}"[:64]
    applied: list[Migration] = []
    async with conn.cursor() as cur:
        await cur.execute("SELECT GET_LOCK(%s, 30)", [lock])
        (granted,) = await cur.fetchone()
        if granted != 1:
            raise OperationalError(f"timed out waiting for the migration lock {lock!r}")
        try:
            await cur.execute("SHOW TABLES LIKE 'schema_migrations'")
            if not await cur.fetchall():
                await cur.execute(
                    "CREATE TABLE schema_migrations ("
                    " component VARCHAR(100) NOT NULL, version INT NOT NULL,"
                    " description VARCHAR(255) NOT NULL, applied_at DATETIME(6) NOT NULL,"
                    " PRIMARY KEY (component, version)) ENGINE=InnoDB"
                )
            await cur.execute("SELECT component, version FROM schema_migrations")
            done = {(c, v) for c, v in await cur.fetchall()}
            for m in migrations:
                if (m.component, m.version) in done:
                    continue
                for statement in m.statements("mysql"):
                    if isinstance(statement, ForEach):
                        await cur.execute(statement.query)
                        for each in statement.statements(await cur.fetchall()):
                            await cur.execute(each)
                    else:
                        await cur.execute(statement)
                await cur.execute(
                    "INSERT INTO schema_migrations VALUES (%s, %s, %s, UTC_TIMESTAMP(6))",
                    [m.component, m.version, m.description[:255]],
                )
                applied.append(m)
        finally:
            await cur.execute("SELECT RELEASE_LOCK(%s)", [lock])
            await cur.fetchall()
    return applied
