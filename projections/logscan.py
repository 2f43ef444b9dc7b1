"""Scanning the log for replay: pages of tally rows, with the JSON fields the tally needs.

A *tally row* is ``(position, poll_originator_id, poll_version, kind, poll_hex, option,
previous_option, timestamp, options_json)`` where ``kind`` is one of
:data:`projections.events.KINDS`' values and the originator id and version are given for poll
events only (the replay keeps no per-ballot state: ballot events carry their deltas).
The fast scanners read the store's ``stored_events`` table on a connection of their own
and let the database pull the few fields out of each event's JSON state (SQLite
``json_extract``, MySQL/MariaDB ``JSON_EXTRACT``), so Python never parses whole documents;
other stores are read through
``select_notifications`` and parsed with :func:`json.loads`. Every scan stops at a position
the store reported as gap-safe (:meth:`EventStore.max_notification_id`), so it never passes an
event still being committed.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from typing import Any

from projections.events import KINDS, POLL_TOPICS, TALLY_TOPICS
from vote_domain.stores.base import EventStore

__all__ = ["TallyRow", "scan"]

TallyRow = tuple[int, Any, Any, int, Any, Any, Any, Any, Any]

_CREATED = POLL_TOPICS[0]


def _select(dialect: str, limit_marker: str, ph: str) -> str:
    topics = ",".join(f"'{t}'" for t in TALLY_TOPICS)
    if dialect == "sqlite":
        s = "CAST(state AS TEXT)"

        def field(path: str) -> str:
            return f"json_extract(s, '{path}')"

    else:
        s = "CONVERT(state USING utf8mb4)"

        def field(path: str) -> str:
            return f"JSON_UNQUOTE(JSON_EXTRACT(s, '{path}'))"

    options = "JSON_EXTRACT(s, '$.options')" if dialect != "sqlite" else field("$.options")
    kind = "CASE topic " + " ".join(f"WHEN '{t}' THEN {k}" for t, k in KINDS.items()) + " END"
    polls = ",".join(f"'{t}'" for t in POLL_TOPICS)
    # Walk the primary key by position: the topic index would make each page sort the
    # whole rest of the log (SQLite's unary + and MySQL's hint keep the planner off it).
    hint = " FORCE INDEX (PRIMARY)" if dialect != "sqlite" else ""
    plus = "+" if dialect == "sqlite" else ""
    return (
        f"SELECT notification_id, CASE WHEN topic IN ({polls}) THEN originator_id END,"
        f" CASE WHEN topic IN ({polls}) THEN originator_version END, {kind},"
        f" {field('$.poll_id._data_')}, {field('$.option')}, {field('$.previous_option')},"
        f" {field('$.timestamp._data_')},"
        f" CASE WHEN topic = '{_CREATED}' THEN {options} END"
        " FROM (SELECT notification_id, originator_id, originator_version, topic,"
        f" {s} AS s FROM stored_events{hint}"
        f" WHERE notification_id > {ph} AND notification_id <= {ph} AND {plus}topic IN ({topics})"
        f" ORDER BY notification_id LIMIT {limit_marker}) AS page"
        " ORDER BY notification_id"
    )


def _from_notification(n: Any) -> TallyRow:
    d = json.loads(n.state)
    poll = d.get("poll_id")
    options = d.get("options")
    return (
        n.id,
        str(n.originator_id),
        n.originator_version,
        KINDS[n.topic],
        poll["_data_"] if poll else None,
        d.get("option"),
        d.get("previous_option"),
        d["timestamp"]["_data_"],
        json.dumps(options) if options is not None else None,
    )


async def _generic(
    store: EventStore, after: int, upto: int, page_size: int
) -> AsyncIterator[list[TallyRow]]:
    while after < upto:
        page = await store.select_notifications(after, page_size, upto, inclusive_of_start=False)
        if not page:
            return
        yield [_from_notification(n) for n in page if n.topic in KINDS]
        after = page[-1].id
        if len(page) < page_size:
            return


async def _sqlite(path: str, after: int, upto: int, page_size: int) -> AsyncIterator[list[Any]]:
    sql = _select("sqlite", str(int(page_size)), "?")

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, check_same_thread=False, uri=path.startswith("file:"))
        conn.execute("PRAGMA query_only=ON")
        return conn

    conn = await asyncio.to_thread(connect)
    try:

        def read(position: int) -> list[Any]:
            return conn.execute(sql, (position, upto)).fetchall()

        # Read the next page in a thread (SQLite runs without the GIL) while this one folds.
        ahead = asyncio.ensure_future(asyncio.to_thread(read, after))
        while True:
            page = await ahead
            if not page:
                return
            if len(page) == page_size and page[-1][0] < upto:
                ahead = asyncio.ensure_future(asyncio.to_thread(read, page[-1][0]))
            else:
                ahead = asyncio.ensure_future(asyncio.sleep(0, []))
            yield page
    finally:
        if not ahead.done():
            await asyncio.wait([ahead])
        await asyncio.to_thread(conn.close)


async def _mysql(
    params: dict[str, Any], after: int, upto: int, page_size: int
) -> AsyncIterator[list[Any]]:
    import aiomysql

    sql = _select("mysql", str(int(page_size)), "%s")
    conn = await aiomysql.connect(**params, charset="utf8mb4", autocommit=True)
    try:
        async with conn.cursor() as cur:
            position = after
            while position < upto:
                await cur.execute(sql, (position, upto))
                page = await cur.fetchall()
                if not page:
                    return
                yield page
                position = page[-1][0]
                if len(page) < page_size:
                    return
    finally:
        conn.close()


def scan(
    store: EventStore, after: int, upto: int, page_size: int = 5000
) -> AsyncIterator[Sequence[TallyRow]]:
    """Pages of tally rows with positions in (``after``, ``upto``], in position order."""
    path = getattr(store, "path", None)
    if store.dialect == "sqlite" and path and not getattr(store, "in_memory", True):
        return _sqlite(str(path), after, upto, page_size)
    params = getattr(store, "params", None)
    if store.dialect == "mysql" and isinstance(params, dict):
        return _mysql(params, after, upto, page_size)
    return _generic(store, after, upto, page_size)
