"""Retrying a whole transaction when the database made it the loser of a lock conflict."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from vote_domain.stores import LockConflict

__all__ = ["retrying"]

T = TypeVar("T")


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    *,
    attempts: int = 10,
    base_delay: float = 0.01,
    max_delay: float = 1.0,
) -> T:
    """``await attempt()``, run again (at most ``attempts`` times in all, after a jittered
    exponential pause) while it fails with :class:`~vote_domain.stores.LockConflict`."""
    for n in range(1, attempts + 1):
        try:
            return await attempt()
        except LockConflict:
            if n == attempts:
                raise
            await asyncio.sleep(random.uniform(0, min(max_delay, base_delay * 2**n)))
    raise AssertionError("unreachable")
