"""Finding the knee: the highest arrival rate (votes per second) at which the stack still
answers every vote within the latency bound and without an error.

The search steps the arrival rate up geometrically from ``start`` until a step fails (or
``max_rate`` passes), then bisects between the last rate that passed and the first that failed
until they are within ``resolution`` of each other. A step passes when

* no request failed (every status was one the scenario expects, no timeout or socket error),
* the p99 of the vote's latency (time to first byte of ``POST /polls/{id}/votes``) is under
  ``p99_limit_ms``, and
* the votes accepted per second reached ``min_achieved`` of the asked rate: a load generator
  that could not keep up has not shown that the stack can.

The knee is the highest passing rate below the lowest failing one (a lucky pass above a failure
does not count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from runner.chart import Timing

__all__ = ["KneeSearch", "StepResult", "quantile", "step_result"]


def quantile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (nearest rank) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass(frozen=True)
class StepResult:
    """What one constant-rate step measured."""

    rate: int  # asked: new virtual users (= votes) per second
    duration: float  # s, of the step's phase
    votes: int  # answered 201
    responses: int
    errors: int
    vote_p50_ms: float | None
    vote_p99_ms: float | None
    all_p99_ms: float | None

    @property
    def achieved(self) -> float:
        """Votes accepted per second over the step."""
        return self.votes / self.duration if self.duration else 0.0

    def verdict(self, p99_limit_ms: float, min_achieved: float) -> str | None:
        """Why the step fails, or None when it passes."""
        if self.errors:
            return f"{self.errors} errors"
        if self.vote_p99_ms is None:
            return "no vote answered"
        if self.vote_p99_ms >= p99_limit_ms:
            return f"vote p99 {self.vote_p99_ms:.0f} ms >= {p99_limit_ms:.0f} ms"
        if self.achieved < min_achieved * self.rate:
            return f"{self.achieved:.0f} votes/s < {min_achieved:.0%} of {self.rate}/s"
        return None


def step_result(rate: int, duration: float, timings: list[Timing], errors: int) -> StepResult:
    """A step's result from the processor's per-response log of that step and the number of
    errors Artillery counted (failed requests and statuses the scenario did not expect)."""
    votes = [ms for _, name, status, ms in timings if name == "cast_vote" and status == 201]
    casts = [ms for _, name, _, ms in timings if name == "cast_vote"]
    unexpected = sum(1 for _, _, status, _ in timings if status >= 400)
    return StepResult(
        rate=rate,
        duration=duration,
        votes=len(votes),
        responses=len(timings),
        errors=max(errors, unexpected),
        vote_p50_ms=quantile(casts, 0.50),
        vote_p99_ms=quantile(casts, 0.99),
        all_p99_ms=quantile([ms for *_, ms in timings], 0.99),
    )


@dataclass
class KneeSearch:
    """Chooses the next rate to try from the results so far (:meth:`next_rate`, then
    :meth:`record`), and names the knee."""

    start: int = 25
    factor: float = 1.5
    max_rate: int = 1000
    resolution: float = 0.1  # bisect until the gap is at most this share of the passing rate
    p99_limit_ms: float = 100.0
    min_achieved: float = 0.9
    max_steps: int = 14
    results: list[StepResult] = field(default_factory=list)

    def passed(self, result: StepResult) -> bool:
        return result.verdict(self.p99_limit_ms, self.min_achieved) is None

    def record(self, result: StepResult) -> None:
        self.results.append(result)

    @property
    def lowest_failure(self) -> StepResult | None:
        failed = [r for r in self.results if not self.passed(r)]
        return min(failed, key=lambda r: r.rate, default=None)

    @property
    def knee(self) -> StepResult | None:
        """The highest passing step below the lowest failing rate."""
        ceiling = self.lowest_failure
        passing = [
            r for r in self.results if self.passed(r) and (ceiling is None or r.rate < ceiling.rate)
        ]
        return max(passing, key=lambda r: r.rate, default=None)

    def next_rate(self) -> int | None:
        """The next rate to try; None when the knee is found (or the budget is spent)."""
        if len(self.results) >= self.max_steps:
            return None
        if not self.results:
            return self.start
        knee, failure = self.knee, self.lowest_failure
        if failure is None:  # still climbing
            top = max(r.rate for r in self.results)
            if top >= self.max_rate:
                return None
            return min(self.max_rate, max(top + 1, round(top * self.factor)))
        low = knee.rate if knee is not None else 0
        gap = failure.rate - low
        if knee is None and failure.rate <= 1:
            return None
        if gap <= max(1.0, self.resolution * low):
            return None
        return low + gap // 2 if knee is not None else max(1, failure.rate // 2)
