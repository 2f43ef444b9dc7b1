"""Which tally updates one push container sends, and when: bursts coalesced per poll.

A busy poll makes the projector publish a ``TallyUpdated`` for every batch it applies (tens a
second under load), while a chart needs a few a second, and AppSync bills every message to
every subscriber. So per poll, :class:`Coalescer` lets through

* only the newest update: of several in one delivery, the one with the highest ``position``;
  one at or below what was already sent for the poll is stale and dropped (the client keeps
  the highest position anyway, so it could only repeat or go back);
* at most one every ``interval`` seconds: :meth:`Coalescer.wait` says how long until the next
  may go. The caller holds the newest update that long and then sends it, so the last update
  of a burst is always delivered, at most ``interval`` late; updates arriving meanwhile wait
  in the queue and come with the next delivery, where only their newest survives.

The state is one container's (its memory, at most ``max_polls`` polls, least recently sent
forgotten first): two containers running at once may each send one update of a poll within
the same interval (the push function runs at most two, see deploy/live.yml).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

__all__ = ["Coalescer", "Update"]


class Update(Protocol):
    """What the coalescer reads of an update: whose it is and how new."""

    @property
    def poll_id(self) -> str: ...

    @property
    def position(self) -> int: ...


U = TypeVar("U", bound=Update)


class Coalescer:
    """Per poll: the newest update, at most one per ``interval`` seconds (``clock``: seconds,
    monotonic)."""

    def __init__(
        self,
        interval: float = 0.25,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_polls: int = 10_000,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.max_polls = max_polls
        self._sent: OrderedDict[str, tuple[int, float]] = OrderedDict()
        """poll id -> (position, time) of the last update sent."""

    def newest(self, updates: Iterable[U]) -> list[U]:
        """The newest of ``updates`` per poll, if newer than the one last sent (in the order
        their polls first appear)."""
        best: dict[str, U] = {}
        for update in updates:
            held = best.get(update.poll_id)
            if held is None or update.position > held.position:
                best[update.poll_id] = update
        return [u for u in best.values() if u.position > self.sent_position(u.poll_id)]

    def sent_position(self, poll_id: str) -> int:
        """The position of the last update sent for ``poll_id`` (0: none)."""
        sent = self._sent.get(poll_id)
        return 0 if sent is None else sent[0]

    def wait(self, poll_id: str) -> float:
        """Seconds until an update of ``poll_id`` may be sent (0: now)."""
        sent = self._sent.get(poll_id)
        if sent is None:
            return 0.0
        return max(0.0, sent[1] + self.interval - self.clock())

    def sent(self, update: Update) -> None:
        """Record that ``update`` went out now."""
        if update.position <= self.sent_position(update.poll_id):
            return
        self._sent[update.poll_id] = (update.position, self.clock())
        self._sent.move_to_end(update.poll_id)
        while len(self._sent) > self.max_polls:
            self._sent.popitem(last=False)
