"""Building vote logs for projection tests: real aggregates, real mapper, real store."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Notification

from projections.events import TALLY_TOPICS
from vote_domain.codec import mapper
from vote_domain.model import Ballot, Poll
from vote_domain.stores.base import EventStore

# Options that differ only by accent or case must stay distinct rows on MySQL too.
OPTIONS = ["e", "é", "E!"]


@dataclass
class VoteLog:
    """Polls and ballots written to a store, remembering what each ballot holds."""

    store: EventStore
    polls: list[Poll] = field(default_factory=list)
    ballots: dict[tuple[int, int], Ballot] = field(default_factory=dict)
    voters: list[uuid.UUID] = field(default_factory=list)

    async def save(self, *aggregates: Any) -> list[int]:
        events = [e for a in aggregates for e in a.collect_events()]
        if not events:
            return []
        stored = [mapper().to_stored_event(e) for e in events]
        return list(await self.store.insert_events(stored) or [])

    async def add_polls(self, count: int, options: Sequence[str] = OPTIONS) -> None:
        for n in range(count):
            poll = Poll.create(f"question {n}?", list(options), "tester", None)
            self.polls.append(poll)
            await self.save(poll)

    def voter(self, n: int) -> uuid.UUID:
        while len(self.voters) <= n:
            self.voters.append(uuid.uuid4())
        return self.voters[n]

    async def act(self, poll: int, voter: int, action: str, option: int) -> bool:
        """Cast, change or retract if that is allowed now; True if something was written."""
        p = self.polls[poll]
        if p.closed:
            return False
        choice = p.options[option % len(p.options)]
        ballot = self.ballots.get((poll, voter))
        if action == "cast":
            if ballot is None:
                ballot = self.ballots[(poll, voter)] = Ballot.cast(p.id, self.voter(voter), choice)
            elif ballot.option is None:
                ballot.recast(choice)
            else:
                return False
        elif action == "change":
            if ballot is None or ballot.option is None or ballot.option == choice:
                return False
            ballot.change(choice)
        elif action == "retract":
            if ballot is None or ballot.option is None:
                return False
            ballot.retract()
        await self.save(ballot)
        return True

    async def close(self, poll: int) -> None:
        self.polls[poll].close("tester")
        await self.save(self.polls[poll])

    async def random_votes(self, count: int, voters: int, rng: random.Random) -> int:
        written = 0
        for _ in range(count):
            action = rng.choice(["cast", "cast", "cast", "change", "retract"])
            written += await self.act(
                rng.randrange(len(self.polls)), rng.randrange(voters), action, rng.randrange(9)
            )
        return written

    def expected(self) -> dict[str, dict[str, int]]:
        """Counts per poll implied by the ballots' final states (every option listed)."""
        out: dict[str, dict[str, int]] = {}
        for i, p in enumerate(self.polls):
            held = Counter(b.option for (pi, _), b in self.ballots.items() if pi == i and b.option)
            out[str(p.id)] = {o: held.get(o, 0) for o in p.options}
        return out


async def all_notifications(store: EventStore) -> list[Notification]:
    """Every tally-relevant notification in the log."""
    out: list[Notification] = []
    async for page in store.iter_notifications(page_size=500):
        out.extend(n for n in page if n.topic in TALLY_TOPICS)
    return out


def small_windows(window: int, dense: int = 2, coarse_windows: int = 4) -> tuple[int, int, int]:
    """Tally checkpoints over windows of ``window`` positions (so a short log crosses many);
    the settings they replace, to give back to :func:`restore_windows`."""
    from projections import checkpoints

    old = (checkpoints.WINDOW, checkpoints.DENSE, checkpoints.COARSE)
    restore_windows((window, dense, window * coarse_windows))
    return old


def restore_windows(settings: tuple[int, int, int]) -> None:
    from projections import checkpoints

    checkpoints.WINDOW, checkpoints.DENSE, checkpoints.COARSE = settings


def counts_of(tallies: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {pid: dict(t.counts) for pid, t in tallies.items()}
