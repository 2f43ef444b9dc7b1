"""Pure folding of tally events into counts: the rules every tally path shares.

A ballot's events form a chain by version; each carries the option it gives up
(``previous_option``) and the one it takes (``option``), so applying a contiguous run of a
ballot's versions in order yields the exact change to the counts without its earlier history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from projections.events import CAST, CHANGED, CLOSED, CREATED, RETRACTED, TallyEvent
from projections.tally import Tally

__all__ = ["LogFold", "PollState", "ballot_deltas"]


def ballot_deltas(event: TallyEvent) -> list[tuple[str, int]]:
    """How ``event`` moves its poll's counts: (option, +1/-1) pairs."""
    if event.kind == CAST:
        return [(event.option, 1)]  # type: ignore[list-item]
    if event.kind == CHANGED:
        return [(event.previous_option, -1), (event.option, 1)]  # type: ignore[list-item]
    if event.kind == RETRACTED:
        return [(event.previous_option, -1)]  # type: ignore[list-item]
    return []


@dataclass
class PollState:
    """One poll's tally while folding."""

    poll_id: str
    options: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    position: int = 0
    as_of: str | None = None
    final: bool = False
    version: int = 0

    def add(self, option: str, delta: int) -> None:
        self.counts[option] = self.counts.get(option, 0) + delta

    def seen(self, event: TallyEvent) -> None:
        if event.position is not None and event.position > self.position:
            self.position, self.as_of = event.position, event.timestamp

    def to_tally(self) -> Tally:
        ordered = {o: self.counts.get(o, 0) for o in self.options}
        ordered.update({o: n for o, n in sorted(self.counts.items()) if o not in ordered})
        return Tally(
            poll_id=self.poll_id,
            counts=ordered,
            total=sum(ordered.values()),
            position=self.position,
            as_of=self.as_of,
            final=self.final,
        )


class LogFold:
    """Tallies folded in memory from events in log order (each applied at most once)."""

    def __init__(self) -> None:
        self.polls: dict[str, PollState] = {}
        self.ballots: dict[str, int] = {}

    def poll(self, poll_id: str) -> PollState:
        state = self.polls.get(poll_id)
        if state is None:
            state = self.polls[poll_id] = PollState(poll_id)
        return state

    def apply(self, event: TallyEvent) -> None:
        """Fold one event; events at or below a stream's folded version are ignored."""
        poll = self.poll(event.poll_id)
        if event.kind in (CREATED, CLOSED):
            if event.version <= poll.version:
                return
            poll.version = event.version
            if event.kind == CREATED:
                poll.options = list(event.options)
            else:
                poll.final = True
        else:
            if event.version <= self.ballots.get(event.originator_id, 0):
                return
            self.ballots[event.originator_id] = event.version
            for option, delta in ballot_deltas(event):
                poll.add(option, delta)
        poll.seen(event)

    def apply_all(self, events: Iterable[TallyEvent]) -> LogFold:
        for event in events:
            self.apply(event)
        return self

    def tallies(self) -> dict[str, Tally]:
        """Every folded poll's tally, by poll id."""
        return {pid: state.to_tally() for pid, state in self.polls.items()}
