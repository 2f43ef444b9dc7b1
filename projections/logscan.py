"""Scanning the log through the store's own API, for replay where the database cannot sum it
(:mod:`projections.logsum`): pages of tally rows with the JSON fields the tally needs.

A *tally row* is ``(position, poll_originator_id, poll_version, kind, poll_hex, option,
previous_option, timestamp, options_json)`` where ``kind`` is one of
:data:`projections.events.KINDS`' values and the originator id and version are given for poll
events only (the replay keeps no per-ballot state: ballot events carry their deltas). Rows
come from ``select_notifications``, parsed with :func:`json.loads`, and stop at the position
given, which the caller takes from :meth:`EventStore.max_notification_id` (gap-safe), so a
scan never passes an event still being committed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from projections.events import KINDS
from vote_domain.stores.base import EventStore

__all__ = ["TallyRow", "scan"]

TallyRow = tuple[int, Any, Any, int, Any, Any, Any, Any, Any]


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


async def scan(
    store: EventStore, after: int, upto: int, page_size: int = 5000
) -> AsyncIterator[Sequence[TallyRow]]:
    """Pages of tally rows with positions in (``after``, ``upto``], in position order."""
    while after < upto:
        page = await store.select_notifications(after, page_size, upto, inclusive_of_start=False)
        if not page:
            return
        rows = [_from_notification(n) for n in page if n.topic in KINDS]
        if rows:
            yield rows
        after = page[-1].id
        if len(page) < page_size:
            return
