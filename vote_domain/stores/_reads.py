"""What the backends' in-database reads share: the JSON path of a state field, the plan of a
grouped count, and turning its rows into :class:`EventGroup` values.

A count is one query over a range of the log: the topics of every grouping, grouped by the
topic and by the union of all groupings' fields (a field a topic does not group by is then
absent from its events, or the same for all of them, or merged back here), so the log range
is read once whatever the groupings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from vote_domain.codec import StateField, state_field
from vote_domain.model import POLL_FIELD, Ballot
from vote_domain.stores._ids import encode_originator_id
from vote_domain.stores.base import EventGroup, Grouping

__all__ = [
    "GROUP_FIELD",
    "GROUP_PATH",
    "CountPlan",
    "chunks",
    "decoded",
    "group_key",
    "json_path",
    "plan_count",
]

T = TypeVar("T")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CHUNK = 500  # ids or positions per statement


def json_path(f: StateField) -> str:
    """The JSON path of ``f`` (``$."poll_id"."_data_"``), as SQLite, MariaDB and MySQL read it."""
    if not f.scalar:
        raise ValueError(f"field {f.name!r} is not a scalar: the database cannot group by it")
    for key in f.path:
        if not _KEY.match(key):
            raise ValueError(f"unsupported key {key!r} in the path of field {f.name!r}")
    return "$." + ".".join(f'"{key}"' for key in f.path)


GROUP_FIELD = state_field(Ballot.VoteCast, POLL_FIELD)
"""The state field an event is grouped by: a ballot event's poll (the same field in every
ballot event). An event without it is in the group of its own stream."""
GROUP_PATH = json_path(GROUP_FIELD)
GROUP_KEY_LENGTH = 64


def group_key(group: UUID | str) -> str:
    """The stored key of ``group`` (a poll's, or any stream's, id), as both backends compute
    it from each event: the field's stored text (a UUID's 32 hex digits), else the stored
    originator id without its dashes."""
    if isinstance(group, UUID):
        return GROUP_FIELD.encode(group)  # type: ignore[no-any-return]
    return encode_originator_id(group).replace("-", "")[:GROUP_KEY_LENGTH]


def decoded(fields: Sequence[StateField], values: Sequence[Any]) -> tuple[Any, ...]:
    """``values`` as the database returned them, decoded field by field (None stays None)."""
    return tuple(None if v is None else f.decode(v) for f, v in zip(fields, values, strict=True))


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class CountPlan:
    """One grouped count: the topics to read, the fields to group them by, and the width of
    the windows of positions to group them by too (0: none)."""

    groupings: tuple[Grouping, ...]
    topics: tuple[str, ...]
    fields: tuple[StateField, ...]
    window: int = 0

    def window_column(self, division: str) -> str:
        """The SQL of each event's window end, ``division`` the dialect's integer division
        operator; empty with no windows."""
        w = self.window
        return f", ((notification_id + {w - 1}) {division} {w}) * {w}" if w else ""

    def groups(self, rows: Iterable[Sequence[Any]]) -> list[EventGroup]:
        """Rows ``(topic, [window end,] *field values, count, max position)`` as each
        grouping's groups."""
        index = {f.path: i for i, f in enumerate(self.fields)}
        skip = 2 if self.window else 1
        # Per topic, its grouping's fields and where they sit in a row's values; and each
        # distinct (values) decoded once (a poll's groups repeat in every window).
        wanted = {g.topic: (g.fields, [index[f.path] for f in g.fields]) for g in self.groupings}
        keys: dict[str, dict[tuple[Any, ...], tuple[Any, ...]]] = {t: {} for t in wanted}
        merged: dict[tuple[str, int, tuple[Any, ...]], EventGroup] = {}
        for row in rows:
            topic, values = row[0], tuple(row[skip:-2])
            known = keys[topic]
            key = known.get(values)
            if key is None:
                fields, at = wanted[topic]
                key = known[values] = decoded(fields, [values[i] for i in at])
            window = int(row[1]) if skip == 2 else 0
            count, last = int(row[-2]), int(row[-1])
            found = merged.get(group := (topic, window, key))
            if found is not None:  # (rows that differ in fields this topic is not grouped by)
                count, last = count + found.count, max(last, found.last_position)
            merged[group] = EventGroup(topic, key, count, last, window)
        return list(merged.values())


def plan_count(groupings: Sequence[Grouping], window: int = 0) -> CountPlan:
    """The plan of counting ``groupings`` in one query (one grouping per topic), per window
    of ``window`` positions if it is above 0."""
    if window < 0:
        raise ValueError(f"a window is a whole number of positions, not {window!r}")
    topics = tuple(g.topic for g in groupings)
    if len(set(topics)) != len(topics):
        raise ValueError("one grouping per topic")
    fields: dict[tuple[str, ...], StateField] = {}
    for g in groupings:
        for f in g.fields:
            json_path(f)  # refuses what the database cannot group by
            fields.setdefault(f.path, f)
    return CountPlan(tuple(groupings), topics, tuple(fields.values()), window)
