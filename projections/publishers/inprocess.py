"""The in-process publisher: fans updates out to asyncio subscribers (the local app's SSE)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from projections.publishers.base import TallyPublisher
from projections.tally import TallyUpdated

__all__ = ["InProcessPublisher"]


class InProcessPublisher(TallyPublisher):
    """Each subscriber gets its own bounded queue; when one falls behind, its oldest update
    is dropped (a later update of the same poll supersedes it), so no one slows the projector.
    """

    def __init__(self, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self._subscribers: list[tuple[str | None, asyncio.Queue[TallyUpdated]]] = []

    async def publish(self, updates: Sequence[TallyUpdated]) -> None:
        for update in updates:
            for poll_id, queue in list(self._subscribers):
                if poll_id is not None and poll_id != update.poll_id:
                    continue
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(update)

    @asynccontextmanager
    async def subscribe(
        self, poll_id: str | None = None
    ) -> AsyncIterator[asyncio.Queue[TallyUpdated]]:
        """A queue receiving updates of ``poll_id`` (None: of every poll) while open."""
        entry = (poll_id, asyncio.Queue[TallyUpdated](self.queue_size))
        self._subscribers.append(entry)
        try:
            yield entry[1]
        finally:
            self._subscribers.remove(entry)
