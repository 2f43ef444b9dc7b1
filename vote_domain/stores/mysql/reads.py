"""The MySQL store's in-database reads for projections (see :class:`EventStore`): grouped
counts over a range of the log, state fields at positions, streams' versions at a position.

SQL that MariaDB 10.11 and MySQL 8.0 both accept. MySQL refuses JSON functions on binary
strings, so the LONGBLOB state is read ``CAST(state AS CHAR CHARACTER SET utf8mb4)``;
extracted text is compared ``utf8mb4_bin``, so values differing only in case or accents
never group together whatever the database's default collation. ``JSON_UNQUOTE`` would read
a JSON ``null`` as the text ``null``, so nullable fields check the JSON type first. Ranges
walk the primary key (``FORCE INDEX``): the topic index would visit every event of the
topics rather than only the range's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

from vote_domain.codec import StateField
from vote_domain.stores._ids import encode_originator_id
from vote_domain.stores._reads import CountPlan, chunks, json_path
from vote_domain.stores.mysql.sql import Statement

__all__ = ["count_statement", "field_values", "max_versions"]

STATE_TEXT = "CAST(state AS CHAR CHARACTER SET utf8mb4)"


def _value(f: StateField) -> str:
    extract = f"JSON_EXTRACT(s, '{json_path(f)}')"
    text = f"JSON_UNQUOTE({extract})"
    if f.nullable:
        text = f"IF(JSON_TYPE({extract}) = 'NULL', NULL, {text})"
    return f"{text} COLLATE utf8mb4_bin"


def _columns(fields: Sequence[StateField]) -> str:
    return "".join(f", {_value(f)}" for f in fields)


def count_statement(after: int, upto: int, plan: CountPlan) -> Statement:
    """Rows ``(topic, *field values, count, max position)``, see :meth:`CountPlan.groups`."""
    group_by = ", ".join(str(i) for i in range(1, len(plan.fields) + 2 + bool(plan.window)))
    topics = ",".join(["%s"] * len(plan.topics))
    return (
        f"SELECT topic{plan.window_column('DIV')}{_columns(plan.fields)},"
        " COUNT(*), MAX(notification_id)"
        f" FROM (SELECT notification_id, topic, {STATE_TEXT} AS s"
        " FROM stored_events FORCE INDEX (PRIMARY)"
        " WHERE notification_id > %s AND notification_id <= %s"
        f" AND topic IN ({topics})) AS r GROUP BY {group_by}",
        [after, upto, *plan.topics],
    )


def field_values(positions: Sequence[int], fields: Sequence[StateField]) -> list[Statement]:
    """Rows ``(position, *field values)``, in as many statements as it takes."""
    return [
        (
            f"SELECT notification_id{_columns(fields)}"
            f" FROM (SELECT notification_id, {STATE_TEXT} AS s FROM stored_events"
            f" WHERE notification_id IN ({','.join(['%s'] * len(part))})) AS r",
            list(part),
        )
        for part in chunks(sorted(set(positions)))
    ]


async def max_versions(
    read: Callable[[str, list[Any]], Awaitable[list[tuple[Any, ...]]]],
    originator_ids: Sequence[UUID | str],
    upto: int,
) -> dict[UUID | str, int]:
    """See :meth:`EventStore.max_versions`; ``read`` runs one statement, the rows."""
    keys = {encode_originator_id(oid): oid for oid in originator_ids}
    out: dict[UUID | str, int] = {}
    for part in chunks(list(keys)):
        rows = await read(
            "SELECT originator_id, MAX(originator_version) FROM stored_events"
            f" WHERE originator_id IN ({','.join(['%s'] * len(part))})"
            " AND notification_id <= %s GROUP BY originator_id",
            [*part, upto],
        )
        out.update({keys[oid]: int(version) for oid, version in rows})
    return out
