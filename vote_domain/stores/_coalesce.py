"""Coalescing concurrent requests into batches: one round trip serves every request that
was waiting when it was sent.

A request is queued with a future. If fewer than ``max_in_flight`` batches are running, a
new runner task starts; each runner takes up to ``max_batch`` waiting requests, runs them as
one batch, resolves their futures, and repeats while requests are waiting. A request that
arrives while every runner is busy waits for the next batch, so batches grow exactly when
the server is the bottleneck, and a lone request runs at once.

The runner is a task of its own: cancelling a caller only abandons its future (a request
still queued is then dropped; one already sent runs to completion), never the batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Coalescer"]

R = TypeVar("R")
T = TypeVar("T")


class Coalescer(Generic[R, T]):
    """Runs ``run_batch(requests)`` for requests submitted concurrently.

    ``run_batch`` returns one outcome per request, in order: a value, or an exception for
    that request alone. If it raises, every request of the batch fails with that exception.
    """

    def __init__(
        self,
        run_batch: Callable[[list[R]], Awaitable[Sequence[T | BaseException]]],
        *,
        max_batch: int,
        max_in_flight: int,
    ) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[R, asyncio.Future[T]]] = []
        self._runners: set[asyncio.Task[None]] = set()  # (strong references to them)
        self.batches = 0  # batches run (a metric)

    async def submit(self, request: R) -> T:
        """The outcome of ``request``, run in the next batch."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop: the old one's state is gone
            self._loop, self._waiting, self._runners = loop, [], set()
        future: asyncio.Future[T] = loop.create_future()
        self._waiting.append((request, future))
        if len(self._runners) < self._max_in_flight:
            self._runners.add(loop.create_task(self._drain()))
        return await future

    async def _drain(self) -> None:
        try:
            await self._drain_waiting()
        finally:  # at once, so a request queued from now on starts a runner of its own
            task = asyncio.current_task()
            if task is not None:
                self._runners.discard(task)

    async def _drain_waiting(self) -> None:
        while self._waiting:
            taken = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            batch = [(r, f) for r, f in taken if not f.done()]  # drop abandoned requests
            if not batch:
                continue
            self.batches += 1
            try:
                outcomes = await self._run_batch([r for r, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch:
                    future.cancel()
                raise
            except BaseException as e:  # handed to every caller of the batch
                for _, future in batch:
                    if not future.done():
                        future.set_exception(e)
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
