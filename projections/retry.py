"""Retrying a whole transaction when the database chose it as a deadlock or lock-wait victim."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["is_transient", "retrying"]

T = TypeVar("T")

# MySQL/MariaDB: 1213 deadlock victim, 1205 lock wait timeout (both roll back the statement or
# transaction; running the transaction again is the documented remedy).
TRANSIENT_MYSQL_CODES = frozenset({1205, 1213})


def is_transient(error: BaseException) -> bool:
    """True if ``error`` (or what it was raised from) is a deadlock or a lock wait timeout."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        args = getattr(current, "args", ())
        if args and isinstance(args[0], int) and args[0] in TRANSIENT_MYSQL_CODES:
            return True
        text = str(current).lower()
        if "deadlock found" in text or "lock wait timeout" in text or "database is locked" in text:
            return True
        current = current.__cause__ or current.__context__
    return False


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    *,
    attempts: int = 10,
    base_delay: float = 0.01,
    max_delay: float = 1.0,
) -> T:
    """``await attempt()``, run again (at most ``attempts`` times in all, after a jittered
    exponential pause) while it fails with a transient lock error."""
    for n in range(1, attempts + 1):
        try:
            return await attempt()
        except Exception as e:
            if n == attempts or not is_transient(e):
                raise
            await asyncio.sleep(random.uniform(0, min(max_delay, base_delay * 2**n)))
    raise AssertionError("unreachable")
