"""The batching of concurrent requests that the MySQL store's group commit stands on."""

from __future__ import annotations

import asyncio

import pytest

from vote_domain.stores._coalesce import Coalescer


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.running = 0
        self.most_running = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def run(self, requests: list[int]) -> list[object]:
        self.batches.append(requests)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await self.gate.wait()
            await asyncio.sleep(0)
            if -1 in requests:
                raise RuntimeError("the whole batch failed")
            return [ValueError(r) if r % 7 == 0 else r * 10 for r in requests]
        finally:
            self.running -= 1


async def test_each_caller_gets_its_own_outcome_in_bounded_batches() -> None:
    rec = Recorder()
    co: Coalescer[int, int] = Coalescer(rec.run, max_batch=5, max_in_flight=2)
    outcomes = await asyncio.gather(*(co.submit(r) for r in range(1, 41)), return_exceptions=True)
    for r, outcome in zip(range(1, 41), outcomes, strict=True):
        if r % 7 == 0:
            assert isinstance(outcome, ValueError) and outcome.args == (r,)
        else:
            assert outcome == r * 10
    assert sorted(r for batch in rec.batches for r in batch) == list(range(1, 41))
    assert max(len(b) for b in rec.batches) <= 5 and len(rec.batches) < 40
    assert rec.most_running <= 2


async def test_a_failed_batch_fails_every_request_in_it() -> None:
    rec = Recorder()
    co: Coalescer[int, int] = Coalescer(rec.run, max_batch=10, max_in_flight=1)
    rec.gate.clear()
    first = asyncio.ensure_future(co.submit(1))
    await asyncio.sleep(0.01)  # the first batch is running; the next ones queue
    rest = [asyncio.ensure_future(co.submit(r)) for r in (2, -1, 3)]
    rec.gate.set()
    assert await first == 10
    for future in rest:
        with pytest.raises(RuntimeError):
            await future
    assert rec.batches == [[1], [2, -1, 3]]
    assert await co.submit(4) == 40  # and it goes on


async def test_a_cancelled_caller_is_dropped_before_its_batch_is_sent() -> None:
    rec = Recorder()
    co: Coalescer[int, int] = Coalescer(rec.run, max_batch=10, max_in_flight=1)
    rec.gate.clear()
    first = asyncio.ensure_future(co.submit(1))
    await asyncio.sleep(0.01)
    abandoned = asyncio.ensure_future(co.submit(2))
    kept = asyncio.ensure_future(co.submit(3))
    await asyncio.sleep(0)
    abandoned.cancel()
    rec.gate.set()
    assert (await first, await kept) == (10, 30)
    assert rec.batches == [[1], [3]]
