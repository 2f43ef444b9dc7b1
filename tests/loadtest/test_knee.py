"""The knee search: which rate to try next, when a step passes, and which rate is the knee."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "loadtest"))

from runner.knee import KneeSearch, StepResult, quantile, step_result


def _step(
    rate: int, p99: float | None = 10.0, errors: int = 0, votes: int | None = None
) -> StepResult:
    return StepResult(
        rate=rate,
        duration=10.0,
        votes=rate * 10 if votes is None else votes,
        responses=rate * 40,
        errors=errors,
        vote_p50_ms=2.0,
        vote_p99_ms=p99,
        all_p99_ms=p99,
    )


def _search(knee_at: int, **kwargs: object) -> KneeSearch:
    """Runs a search against a stack whose vote p99 crosses 100 ms above ``knee_at``/s."""
    search = KneeSearch(**kwargs)  # type: ignore[arg-type]
    while (rate := search.next_rate()) is not None:
        search.record(_step(rate, p99=20.0 if rate <= knee_at else 250.0))
    return search


def test_search_climbs_geometrically_then_bisects_to_the_resolution() -> None:
    search = _search(140, start=25, factor=1.5, max_rate=1000, resolution=0.1)
    rates = [r.rate for r in search.results]
    assert rates[:6] == [25, 38, 57, 86, 129, 194]  # x1.5 until the first failure
    assert search.knee is not None and 129 <= search.knee.rate <= 140
    failure = search.lowest_failure
    assert failure is not None and failure.rate - search.knee.rate <= 0.1 * search.knee.rate


def test_a_step_fails_on_any_error_on_p99_and_on_a_rate_not_reached() -> None:
    search = KneeSearch(p99_limit_ms=100.0, min_achieved=0.9)
    assert search.passed(_step(50, p99=99.0))
    assert _step(50, p99=100.0).verdict(100.0, 0.9) == "vote p99 100 ms >= 100 ms"
    assert _step(50, errors=1).verdict(100.0, 0.9) == "1 errors"
    assert _step(50, votes=400).verdict(100.0, 0.9) == "40 votes/s < 90% of 50/s"
    assert _step(50, p99=None).verdict(100.0, 0.9) == "no vote answered"


def test_the_knee_is_below_the_lowest_failure_even_after_a_lucky_pass() -> None:
    search = KneeSearch()
    for step in [_step(25), _step(38), _step(57, p99=150.0), _step(47), _step(80)]:
        search.record(step)
    assert search.knee is not None and search.knee.rate == 47  # 80 passed, above a failure


def test_search_stops_at_max_rate_and_after_max_steps() -> None:
    never_fails = _search(10**6, start=100, factor=2.0, max_rate=500)
    assert [r.rate for r in never_fails.results] == [100, 200, 400, 500]
    assert never_fails.knee is not None and never_fails.knee.rate == 500
    short = _search(10**6, start=1, factor=1.5, max_rate=10**6, max_steps=3)
    assert len(short.results) == 3


def test_a_first_step_that_fails_halves_until_one_passes() -> None:
    search = _search(6, start=25)
    assert [r.rate for r in search.results][:3] == [25, 12, 6]
    assert search.knee is not None and search.knee.rate == 6


def test_step_result_reads_the_vote_latency_and_counts_unexpected_statuses() -> None:
    timings = [(100.0 + i / 10, "cast_vote", 201, float(i)) for i in range(100)]
    timings += [(105.0, "list_polls", 200, 500.0), (105.5, "cast_vote", 409, 1.0)]
    result = step_result(10, 10.0, timings, errors=0)
    assert result.votes == 100 and result.achieved == 10.0
    assert result.errors == 1  # the 409, even when Artillery counted none
    assert result.vote_p99_ms == 98.0 and result.all_p99_ms == 99.0
    assert quantile([], 0.99) is None
