"""The in-process bus on a thread of its own, with its own event loop.

The projector's transaction holds the store's single writer while its statements go back and
forth between the database and the coroutine. On the server's loop, busy with hundreds of
requests, every such round trip waits its turn, so each projection held the writer (and every
vote waiting to commit) for tens of milliseconds. On a quiet loop of its own it takes a few.

The SQLite store takes requests from any loop, so the bus shares the server's store. A MySQL
pool belongs to one loop, so the bus opens a small pool of its own (``make_store``).
Updates go back to the server's loop, where the SSE subscribers' queues live.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Recording

from projections import TallyProjector, TallyPublisher, TallyUpdated
from vote_domain import EventStore
from votes.local.bus import InProcessBus
from votes.observability import logger

_new_loop: Callable[[], asyncio.AbstractEventLoop]
try:  # a new event loop: uvloop's when installed (as the server's), else asyncio's
    from uvloop import new_event_loop as _new_loop
except ImportError:  # uvloop is optional: not on Windows (pyproject.toml)
    _new_loop = asyncio.new_event_loop

__all__ = ["BusThread", "LoopPublisher"]


class LoopPublisher(TallyPublisher):
    """Hands updates to a publisher that lives on another event loop, in order, without
    waiting for that loop (busy serving requests) to take them: the bus goes on projecting.

    Batches are delivered in the order handed (the other loop runs them first in, first out);
    a failing delivery is logged (SSE updates are best effort: a client's next message or a
    reconnect carries the current tally)."""

    def __init__(self, inner: TallyPublisher, loop: asyncio.AbstractEventLoop) -> None:
        self.inner = inner
        self.loop = loop

    async def publish(self, updates: Sequence[TallyUpdated]) -> None:
        batch = list(updates)
        future = asyncio.run_coroutine_threadsafe(self.inner.publish(batch), self.loop)
        future.add_done_callback(_log_failure)


def _log_failure(future: concurrent.futures.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("publishing tally updates failed", exc_info=future.exception())


class BusThread:
    """Runs an :class:`InProcessBus` on a daemon thread; its methods are called from the
    server's loop."""

    def __init__(
        self,
        make_store: Callable[[], EventStore],
        publisher: TallyPublisher | None,
        *,
        owns_store: bool,
        **bus_options: Any,
    ) -> None:
        self.make_store = make_store
        self.publisher = publisher
        self.owns_store = owns_store
        self.bus_options = bus_options
        self.bus: InProcessBus | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._pending = False
        self._thread: threading.Thread | None = None
        self._done: concurrent.futures.Future[None] = concurrent.futures.Future()

    async def start(self) -> None:
        """Start the thread, catch up with the log, and return once the bus runs."""
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._main, args=(ready,), name="votes-bus", daemon=True
        )
        self._thread.start()
        await asyncio.wrap_future(ready)

    async def on_recorded(self, recordings: Sequence[Recording[UUID]]) -> None:
        """The voting service's hook (on the server's loop): hand the bus what was committed
        and wake it (one wake-up for all commits until it runs)."""
        loop, bus = self._loop, self.bus
        if loop is None or bus is None:
            return
        bus.hand(r.notification for r in recordings)
        if not self._pending:
            self._pending = True
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        self._pending = False
        if self.bus is not None:
            self.bus.wake()

    async def catch_up(self) -> int:
        """Project everything committed so far (on the bus's loop); the position reached."""
        assert self._loop is not None and self.bus is not None
        future = asyncio.run_coroutine_threadsafe(self.bus.catch_up(), self._loop)
        return await asyncio.wrap_future(future)

    async def stop(self) -> None:
        """Let the bus finish its catch-up in progress, stop it and its thread."""
        if self._loop is None or self._stop is None or self._done.done():
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        await asyncio.wrap_future(self._done)

    def _main(self, ready: concurrent.futures.Future[None]) -> None:
        loop = _new_loop()
        try:
            loop.run_until_complete(self._serve(loop, ready))
        finally:
            loop.close()
            if not ready.done():
                ready.set_exception(RuntimeError("the bus thread ended before starting"))
            self._done.set_result(None)

    async def _serve(
        self, loop: asyncio.AbstractEventLoop, ready: concurrent.futures.Future[None]
    ) -> None:
        store = self.make_store()
        try:
            bus = InProcessBus(store, TallyProjector(store, self.publisher), **self.bus_options)
            self._stop = asyncio.Event()
            await bus.catch_up()
            await bus.start()
        except BaseException as e:
            ready.set_exception(e)
            if self.owns_store:
                await store.close()
            return
        self.bus, self._loop = bus, loop
        ready.set_result(None)
        try:
            await self._stop.wait()
            await bus.stop()
        finally:
            if self.owns_store:
                await store.close()
