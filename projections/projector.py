"""The live tally projector: applies batches of notifications exactly once, then publishes.

Batches come at least once, duplicated, out of order and in any grouping (SQS, EventBridge,
the local app's in-process feed). Each batch is applied in one transaction of the store,
together with the per-ballot and per-poll versions that record what it applied (a ballot it
has not touched yet is at its version as of the set's replay checkpoint, read from the log;
:mod:`projections.apply`), so a batch redelivered after a crash, before or after its commit,
changes nothing twice. Deadlock and lock-wait victims are retried whole. After the commit,
one ``TallyUpdated`` per changed poll goes to the publisher; then the batch's polls that
passed a checkpoint window get their tally checkpoints (:func:`advance_polls`, for bounded
time travel; a redelivered batch does it again, so a crash in between loses none).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from eventsourcing.persistence import Notification

from projections.apply import apply_events, read_tallies
from projections.checkpoints import advance_polls
from projections.events import TallyEvent, decode_notifications
from projections.publishers.base import TallyPublisher
from projections.retry import retrying
from projections.schema import active_set, sql_for
from projections.tally import TallyUpdated
from vote_domain.stores.base import EventStore

__all__ = ["TallyProjector"]

_EXAMINED: WeakKeyDictionary[EventStore, dict[str, int]] = WeakKeyDictionary()


class TallyProjector:
    """Keeps the active set of tally tables up to date from notifications of the log."""

    def __init__(
        self, store: EventStore, publisher: TallyPublisher | None = None, *, attempts: int = 10
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.attempts = attempts
        self.sql = sql_for(store)
        # Per poll, the window end its checkpoints were looked at up to: one memory for the
        # projectors of a store in this process (see advance_polls).
        self._examined = _EXAMINED.setdefault(store, {})

    async def process(self, notifications: Iterable[Notification | Any]) -> list[TallyUpdated]:
        """Apply one batch (in one transaction) and publish its updates; the updates."""
        return await self.process_events(decode_notifications(notifications))

    async def process_events(self, events: Sequence[TallyEvent]) -> list[TallyUpdated]:
        """As :meth:`process`, for events already decoded."""
        if not events:
            return []
        updates = await retrying(lambda: self._apply(events), attempts=self.attempts)
        if updates and self.publisher is not None:
            await self.publisher.publish(updates)
        newest: dict[str, int] = {}
        for e in events:
            if e.position is not None and e.position > newest.get(e.poll_id, 0):
                newest[e.poll_id] = e.position
        await retrying(
            lambda: advance_polls(self.store, newest, self._examined), attempts=self.attempts
        )
        return updates

    async def _apply(self, events: Sequence[TallyEvent]) -> list[TallyUpdated]:
        async with self.store.transaction() as tx:
            # A shared lock on the pointer row: batches never wait for each other here, only
            # for a blue-green swap in progress (which takes it exclusively).
            set_name = await active_set(tx, self.sql, lock=self.sql.lock_share)
            changes = await apply_events(tx, self.sql, set_name, events)
            if not changes.polls:
                return []
            tallies = await read_tallies(tx, self.sql, set_name, sorted(changes.polls))
        return [TallyUpdated.of(t) for t in tallies.values()]
