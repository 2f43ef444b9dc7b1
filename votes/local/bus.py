"""The local app's in-process event bus: log -> live tally projector -> publisher.

Every commit of the voting service wakes :class:`InProcessBus` (run on a thread of its own by
:mod:`votes.local.bus_thread`) and hands it the committed notifications; one task then
feeds the projector, batch by batch in position order, from the last position it handled (the
projector publishes ``TallyUpdated`` to the in-process publisher, hence to SSE clients).
Handed notifications that continue the position reached without a gap are projected at once
(the fast path: no read of the log); otherwise the bus reads the log. Reading the log keeps it
gap-safe: events committed by another process (a CLI, a second server) or whose hook never ran
are picked up too, by the periodic wake-up. The position reached is kept as a tracking record
(at most once a second), so a restart resumes about there; the projector is idempotent, so
re-reading a batch after a crash changes nothing. At the same pace, when it projected anything,
it logs a ``projected`` line: events projected since the last one and the largest lag seen (ms
from the timestamp of the oldest event of a batch to the batch's commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Iterable, Sequence

from eventsourcing.persistence import IntegrityError, Notification, Tracking

from projections import TallyProjector
from vote_domain import EventStore
from votes.observability import logger
from votes.relay.events import event_time

__all__ = ["InProcessBus"]

TRACKING_NAME = "local-tally-bus"


class InProcessBus:
    """Tails the event log and projects it, woken by each commit (and every ``idle`` s)."""

    def __init__(
        self,
        store: EventStore,
        projector: TallyProjector,
        *,
        batch_size: int = 500,
        idle: float = 1.0,
        track_every: float = 1.0,
        min_interval: float = 0.005,
        max_interval: float = 0.02,
    ) -> None:
        self.store = store
        self.projector = projector
        self.batch_size = batch_size
        self.idle = idle
        self.position = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.track_every = track_every
        self.min_interval = min_interval
        self.max_interval = max_interval
        self._tracked_at = 0.0
        self._stopping = False
        self._projected = 0
        self._lag_ms_max: float | None = None
        self._handed: deque[Notification] = deque()
        self.fast_batches = 0
        """Batches projected from handed notifications, without reading the log (a metric)."""

    def hand(self, notifications: Iterable[Notification]) -> None:
        """Committed notifications, in commit order (safe from any thread: a deque append)."""
        self._handed.extend(notifications)

    def wake(self) -> None:
        """Catch up now rather than at the next idle wake-up (on the bus's own loop)."""
        self._wake.set()

    def _take_handed(self) -> list[Notification]:
        """The handed notifications that continue :attr:`position` without a gap (at most a
        batch); those at or below it are dropped; [] if the next one is missing."""
        handed, page = self._handed, list[Notification]()
        while handed and handed[0].id <= self.position:
            handed.popleft()
        expected = self.position + 1
        while handed and len(page) < self.batch_size and handed[0].id == expected:
            page.append(handed.popleft())
            expected += 1
        return page

    async def start(self) -> None:
        self._stopping = False
        self.position = await self.store.max_tracking_id(TRACKING_NAME) or 0
        self._task = asyncio.create_task(self._run(), name="votes-in-process-bus")

    async def stop(self, grace: float = 10.0) -> None:
        """Finish the catch-up in progress (never cut a projector transaction short), stop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._track()

    async def catch_up(self) -> int:
        """Project everything committed so far; the position reached."""
        while True:
            page: Sequence[Notification] = self._take_handed()
            fast = bool(page)
            if fast:
                self.fast_batches += 1
            else:
                page = await self.store.select_notifications(
                    self.position, self.batch_size, inclusive_of_start=False
                )
            if page:
                await self.projector.process(page)
                self.position = page[-1].id
                self._note(page[0].state, len(page))
            if fast and self._handed:
                continue  # more handed, past a gap: read the log for what is missing
            if len(page) < self.batch_size:
                break
        if time.monotonic() - self._tracked_at >= self.track_every:
            await self._track()
        return self.position

    def _note(self, oldest_state: bytes, events: int) -> None:
        """Count a committed batch of ``events`` whose oldest event has ``oldest_state``."""
        self._projected += events
        at = event_time(oldest_state)
        if at is not None:
            lag = max(0.0, (time.time() - at) * 1000)
            self._lag_ms_max = max(lag, self._lag_ms_max or 0.0)

    def _report(self) -> None:
        if self._projected:
            lag = None if self._lag_ms_max is None else round(self._lag_ms_max, 1)
            logger.info(
                "projected",
                extra={"events": self._projected, "position": self.position, "lag_ms_max": lag},
            )
        self._projected, self._lag_ms_max = 0, None

    async def _track(self) -> None:
        self._report()
        self._tracked_at = time.monotonic()
        tracked = await self.store.max_tracking_id(TRACKING_NAME) or 0
        if self.position > tracked:
            with contextlib.suppress(IntegrityError):
                await self.store.insert_tracking(Tracking(TRACKING_NAME, self.position))

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.idle)
            self._wake.clear()
            if self._stopping:
                return
            try:
                started = time.monotonic()
                await self.catch_up()
                took = time.monotonic() - started
                # Let commits gather so each projector transaction (which holds the store's
                # writer) covers many of them: pause at least min_interval, and as long as the
                # catch-up took, so projecting never takes more than about half the writer.
                await asyncio.sleep(min(max(self.min_interval, took), self.max_interval))
            except Exception:  # keep tailing: the next wake-up retries from the same position
                logger.exception("in-process bus: projecting failed; retrying")
                await asyncio.sleep(0.5)

    def __repr__(self) -> str:
        return f"InProcessBus(position={self.position})"
