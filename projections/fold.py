"""Folding tally events into tallies: the one per-poll state, and both folds of the counting
rule (:data:`vote_domain.model.COUNTING`) into it.

* In Python, event by event: a ballot event adds each of its moves (:attr:`TallyEvent.moves`)
  to its poll's counts (the live projector, verify, time travel).
* In the database, a range of the log at once: :data:`BALLOT_GROUPINGS` asks the store to
  count each ballot topic's events per poll and per option field the rule names
  (:meth:`EventStore.count_events`), and each group adds ``count x weight`` per field
  (replay).

Both read the rule from the same table (:data:`projections.events.MOVES`), so they cannot
disagree; a property test checks that they agree on random histories. A ballot's events
form a chain by version and each names the option it takes and the one it gives up, so a
contiguous run of a ballot's versions applied in order yields the exact change to the
counts without its earlier history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from projections.events import CLOSED, CREATED, MOVES, POLL, TallyEvent, poll_key
from projections.tally import Tally
from vote_domain.stores import EventGroup, Grouping

__all__ = ["BALLOT_GROUPINGS", "WEIGHTS", "LogFold", "PollTally", "Tallies"]

BALLOT_GROUPINGS: tuple[Grouping, ...] = tuple(
    Grouping(t, (POLL[t], *(f for f, _ in moves))) for t, moves in MOVES.items()
)
"""What the database counts for the fold in the database: each ballot topic's events per
poll and per value of each option field the counting rule names."""
WEIGHTS: dict[str, tuple[int, ...]] = {t: tuple(w for _, w in m) for t, m in MOVES.items()}
"""By ballot topic, the weight of each option field of :data:`BALLOT_GROUPINGS`' keys."""


@dataclass
class PollTally:
    """One poll's tally, or a change to it, while folding: counts per option (in the poll's
    option order when known), the poll stream's version folded, and the newest position
    folded with the time of its event (``as_of`` None: not read yet)."""

    poll_id: str
    options: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    version: int = 0
    position: int = 0
    as_of: str | None = None
    final: bool = False

    def count(self, option: str, n: int) -> None:
        self.counts[option] = self.counts.get(option, 0) + n
        self.total += n

    def seen(self, position: int | None, as_of: str | None) -> None:
        if position is not None and position > self.position:
            self.position, self.as_of = position, as_of

    def add(self, group: EventGroup) -> None:
        """Fold ballot events counted by the database (a group of :data:`BALLOT_GROUPINGS`:
        the poll, then each option field); their time is not read."""
        for option, weight in zip(group.key[1:], WEIGHTS[group.topic], strict=True):
            self.count(option, weight * group.count)
        self.seen(group.last_position, None)

    def ordinal(self, option: str) -> int | None:
        """The option's place among the poll's options, if the poll's creation was folded."""
        try:
            return self.options.index(option)
        except ValueError:
            return None

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


class Tallies:
    """Per poll, a :class:`PollTally`; both folds add to it."""

    def __init__(self) -> None:
        self.polls: dict[str, PollTally] = {}

    def poll(self, poll_id: str) -> PollTally:
        state = self.polls.get(poll_id)
        if state is None:
            state = self.polls[poll_id] = PollTally(poll_id)
        return state

    def apply(self, event: TallyEvent) -> PollTally:
        """Fold one event (the caller sees that each is folded once)."""
        poll = self.poll(event.poll_id)
        if event.kind == CREATED:
            poll.options = event.options
        elif event.kind == CLOSED:
            poll.final = True
        for option, weight in event.moves:
            poll.count(option, weight)
        if event.kind in (CREATED, CLOSED):
            poll.version = max(poll.version, event.version)
        poll.seen(event.position, event.timestamp)
        return poll

    def add_groups(self, groups: Iterable[EventGroup]) -> int:
        """Fold ballot events counted by the database (:data:`BALLOT_GROUPINGS`); how many."""
        events = 0
        for g in groups:
            self.poll(poll_key(g.key[0])).add(g)
            events += g.count
        return events

    def tallies(self) -> dict[str, Tally]:
        """Every folded poll's tally, by poll id."""
        return {pid: state.to_tally() for pid, state in self.polls.items()}

    def count_rows(self) -> list[tuple[str, str, int | None, int]]:
        """Rows (poll_id, option, ordinal or None, count) in key order, as the tally tables
        take them: every option counted, or known from the poll's creation."""
        rows: list[tuple[str, str, int | None, int]] = []
        for pid in sorted(self.polls):
            poll = self.polls[pid]
            for option in sorted({*poll.counts, *poll.options}):
                n, ordinal = poll.counts.get(option, 0), poll.ordinal(option)
                if n or ordinal is not None:
                    rows.append((pid, option, ordinal, n))
        return rows

    def poll_rows(self) -> list[tuple[str, int, int, int, str | None, int]]:
        """Rows (poll_id, version, total, position, as_of, final) in key order."""
        return [
            (pid, p.version, p.total, p.position, p.as_of, int(p.final))
            for pid, p in sorted(self.polls.items())
        ]


class LogFold(Tallies):
    """Tallies folded in memory from events in log order (each applied at most once)."""

    def __init__(self) -> None:
        super().__init__()
        self.ballots: dict[str, int] = {}

    def apply(self, event: TallyEvent) -> PollTally:
        """Fold one event; events at or below a stream's folded version are ignored."""
        if event.kind in (CREATED, CLOSED):
            poll = self.poll(event.poll_id)
            if event.version <= poll.version:
                return poll
        else:
            if event.version <= self.ballots.get(event.originator_id, 0):
                return self.poll(event.poll_id)
            self.ballots[event.originator_id] = event.version
        return super().apply(event)

    def apply_all(self, events: Sequence[TallyEvent]) -> LogFold:
        for event in events:
            self.apply(event)
        return self
