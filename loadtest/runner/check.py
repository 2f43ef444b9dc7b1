"""The tally check: every vote the API answered 201 to is in the tallies, exactly once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TallyCheck", "read_ledger", "wait_for_tallies"]

Tallies = dict[str, dict[str, int]]  # poll id -> option -> votes


def read_ledger(path: Path) -> Counter[tuple[str, str]]:
    """Accepted votes per (poll id, option) from the processor's ledger file."""
    accepted: Counter[tuple[str, str]] = Counter()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line:
                poll_id, option, _voter = line.split("\t")
                accepted[(poll_id, option)] += 1
    return accepted


def _key(option: str) -> str:
    return option.strip().casefold()


@dataclass
class TallyCheck:
    """Expected and tallied votes per poll and option, and whether they agree."""

    expected: Tallies
    tallied: Tallies
    waited_s: float
    baseline_total: int = 0
    rows: list[tuple[str, str, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for poll_id in sorted(set(self.expected) | set(self.tallied)):
            want = {_key(o): (o, n) for o, n in self.expected.get(poll_id, {}).items()}
            have = {_key(o): (o, n) for o, n in self.tallied.get(poll_id, {}).items()}
            for key in sorted(set(want) | set(have)):
                name = (want.get(key) or have[key])[0]
                self.rows.append(
                    (poll_id, name, want.get(key, (name, 0))[1], have.get(key, (name, 0))[1])
                )

    @property
    def expected_total(self) -> int:
        return sum(row[2] for row in self.rows)

    @property
    def tallied_total(self) -> int:
        return sum(row[3] for row in self.rows)

    @property
    def ok(self) -> bool:
        return all(want == have for _, _, want, have in self.rows)

    def mismatches(self) -> list[tuple[str, str, int, int]]:
        return [row for row in self.rows if row[2] != row[3]]


def expected_tallies(baseline: Tallies, accepted: Counter[tuple[str, str]]) -> Tallies:
    """The tallies there must be: what was there before the run plus every accepted vote."""
    expected: Tallies = {poll: dict(counts) for poll, counts in baseline.items()}
    for (poll_id, option), n in accepted.items():
        counts = expected.setdefault(poll_id, {})
        match = next((o for o in counts if _key(o) == _key(option)), option)
        counts[match] = counts.get(match, 0) + n
    return expected


def wait_for_tallies(
    read: Callable[[list[str]], Tallies],
    baseline: Tallies,
    accepted: Counter[tuple[str, str]],
    timeout: float = 60,
    settle: float = 10,
) -> TallyCheck:
    """Poll the tallies until they equal the expected ones, stop changing for ``settle``
    seconds, or ``timeout`` seconds pass; return the last comparison."""
    expected = expected_tallies(baseline, accepted)
    before = sum(sum(counts.values()) for counts in baseline.values())
    polls = sorted(expected)
    started = time.monotonic()
    last: Tallies | None = None
    last_change = started
    while True:
        tallied = read(polls)
        now = time.monotonic()
        check = TallyCheck(expected, tallied, now - started, before)
        if check.ok or now - started >= timeout:
            return check
        if tallied != last:
            last, last_change = tallied, now
        elif now - last_change >= settle:
            return check
        time.sleep(0.5)
