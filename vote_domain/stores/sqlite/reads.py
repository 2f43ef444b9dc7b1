"""The SQLite store's in-database reads for projections (see :class:`EventStore`): grouped
counts over a range of the log, state fields at positions, streams' versions at a position.

State is stored as JSON text in a BLOB column: it is read ``CAST(state AS TEXT)``, since
SQLite's JSON functions would take a BLOB for their binary JSONB format. Ranges walk the
primary key (position order); the unary ``+`` keeps the planner off the topic index, which
would visit every event of the topics rather than only the range's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from vote_domain.codec import StateField
from vote_domain.stores._ids import encode_originator_id
from vote_domain.stores._reads import CountPlan, chunks, decoded, json_path
from vote_domain.stores.base import EventGroup

__all__ = ["count_events", "count_statement", "field_values", "max_versions"]


def _columns(fields: Sequence[StateField]) -> str:
    return "".join(f", json_extract(s, '{json_path(f)}')" for f in fields)


def count_statement(after: int, upto: int, plan: CountPlan) -> tuple[str, list[Any]]:
    """The statement (and its parameters) of :func:`count_events`: rows ``(topic, *field
    values, count, max position)``, see :meth:`CountPlan.groups`."""
    group_by = ", ".join(str(i) for i in range(1, len(plan.fields) + 2 + bool(plan.window)))
    sql = (
        f"SELECT topic{plan.window_column('/')}{_columns(plan.fields)},"
        " COUNT(*), MAX(notification_id)"
        " FROM (SELECT notification_id, topic, CAST(state AS TEXT) AS s FROM stored_events"
        " WHERE notification_id > ? AND notification_id <= ?"
        f" AND +topic IN ({','.join('?' * len(plan.topics))})) GROUP BY {group_by}"
    )
    return sql, [after, upto, *plan.topics]


def count_events(
    conn: sqlite3.Connection, after: int, upto: int, plan: CountPlan
) -> list[EventGroup]:
    """See :meth:`EventStore.count_events`."""
    if not plan.topics or upto <= after:
        return []
    # Fetched whole, then grouped: grouping row by row as they are stepped held the GIL
    # between steps, slowing a count running beside it on another reader (~15% of replay).
    return plan.groups(conn.execute(*count_statement(after, upto, plan)).fetchall())


def field_values(
    conn: sqlite3.Connection, positions: Sequence[int], fields: Sequence[StateField]
) -> dict[int, tuple[Any, ...]]:
    """See :meth:`EventStore.field_values`."""
    out: dict[int, tuple[Any, ...]] = {}
    for part in chunks(sorted(set(positions))):
        sql = (
            f"SELECT notification_id{_columns(fields)} FROM (SELECT notification_id,"
            " CAST(state AS TEXT) AS s FROM stored_events"
            f" WHERE notification_id IN ({','.join('?' * len(part))}))"
        )
        for position, *values in conn.execute(sql, list(part)):
            out[position] = decoded(fields, values)
    return out


def max_versions(
    conn: sqlite3.Connection, originator_ids: Sequence[UUID | str], upto: int
) -> dict[UUID | str, int]:
    """See :meth:`EventStore.max_versions`."""
    keys = {encode_originator_id(oid): oid for oid in originator_ids}
    out: dict[UUID | str, int] = {}
    for part in chunks(list(keys)):
        sql = (
            "SELECT originator_id, MAX(originator_version) FROM stored_events"
            f" WHERE originator_id IN ({','.join('?' * len(part))}) AND notification_id <= ?"
            " GROUP BY originator_id"
        )
        for oid, version in conn.execute(sql, [*part, upto]):
            out[keys[oid]] = version
    return out
