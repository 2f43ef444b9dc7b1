"""One long-lived event loop per process for synchronous entry points (Lambda, CLI), and the
time a Lambda invocation has left.

A Lambda container handles one invocation at a time and stays warm between them. Running each
invocation with ``asyncio.run`` would create and close a loop per call and with it every
connection pool bound to that loop. :func:`run` instead drives coroutines on one loop kept for
the life of the process, so the pool built on the first invocation serves the warm ones.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["loop", "run", "seconds_left"]

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def loop() -> asyncio.AbstractEventLoop:
    """The process's long-lived loop for synchronous callers (created on first use)."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
        return _loop


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on the process's long-lived loop and return its result.

    For synchronous callers only (a Lambda handler, a CLI command): inside a running loop,
    await the coroutine instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        inside_a_loop = False
    else:
        inside_a_loop = True
    if inside_a_loop:
        coro.close()
        raise RuntimeError("votes.runtime.run() called inside a running event loop; await it")
    return loop().run_until_complete(coro)


def seconds_left(context: Any, *, reserve: float) -> float | None:
    """Seconds the Lambda invocation of ``context`` has left, less ``reserve`` (at least 1);
    None without a deadline (a direct call without a Lambda context)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return None if remaining is None else max(1.0, remaining() / 1000 - reserve)
