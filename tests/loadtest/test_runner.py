"""The load-test runner's own logic: vote accounting, tally comparison, summary and chart.

The runner lives in loadtest/ (not a package of the app); its end-to-end run against
`votes serve` is loadtest/smoke.sh.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import yaml

LOADTEST = Path(__file__).resolve().parents[2] / "loadtest"
sys.path.insert(0, str(LOADTEST))

from runner.api import tally_counts  # noqa: E402
from runner.chart import peak_rates, read_timings, write_chart  # noqa: E402
from runner.check import (  # noqa: E402
    TallyCheck,
    expected_tallies,
    read_ledger,
    wait_for_tallies,
)
from runner.profiles import PROFILES, overrides_for  # noqa: E402
from runner.report import ENDPOINTS, Summary  # noqa: E402


def test_ledger_counts_votes_per_poll_and_option(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.tsv"
    ledger.write_text("p1\tTea\tu1\np1\tTea\tu2\np2\tYes\tu3\n", encoding="utf-8")
    assert read_ledger(ledger) == Counter({("p1", "Tea"): 2, ("p2", "Yes"): 1})
    assert read_ledger(tmp_path / "absent.tsv") == Counter()


def test_expected_tallies_add_accepted_votes_to_the_baseline() -> None:
    baseline = {"p1": {"Tea": 3, "Coffee": 0}, "p2": {}}
    accepted = Counter({("p1", "tea "): 2, ("p2", "Yes"): 1})
    assert expected_tallies(baseline, accepted) == {"p1": {"Tea": 5, "Coffee": 0}, "p2": {"Yes": 1}}


def test_check_matches_only_when_every_option_agrees() -> None:
    expected = {"p1": {"Tea": 2, "Coffee": 1}}
    assert TallyCheck(expected, {"p1": {"Tea": 2, "Coffee": 1}}, 0.0).ok
    assert TallyCheck(expected, {"p1": {"tea": 2, "Coffee": 1, "Milk": 0}}, 0.0).ok
    lost = TallyCheck(expected, {"p1": {"Tea": 1, "Coffee": 1}}, 0.0)
    twice = TallyCheck(expected, {"p1": {"Tea": 2, "Coffee": 2}}, 0.0)
    assert not lost.ok and lost.mismatches() == [("p1", "Tea", 2, 1)]
    assert not twice.ok and (twice.expected_total, twice.tallied_total) == (3, 4)


def test_wait_returns_the_first_matching_tallies() -> None:
    reads = iter([{"p1": {"Tea": 1}}, {"p1": {"Tea": 2}}])
    check = wait_for_tallies(lambda polls: next(reads), {}, Counter({("p1", "Tea"): 2}))
    assert check.ok and check.tallied == {"p1": {"Tea": 2}}


def test_wait_gives_up_when_the_tallies_stop_changing() -> None:
    check = wait_for_tallies(
        lambda polls: {"p1": {"Tea": 1}}, {}, Counter({("p1", "Tea"): 2}), settle=0.0
    )
    assert not check.ok and check.mismatches() == [("p1", "Tea", 2, 1)]


def test_tally_counts_reads_the_results_body() -> None:
    body = {"poll_id": "p1", "counts": {"Tea": 2, "Coffee": 0}, "total": 2, "position": 9}
    assert tally_counts(body) == {"Tea": 2, "Coffee": 0}


def _aggregate() -> dict:
    counters = {
        "http.requests": 10,
        "vusers.created": 2,
        "vusers.completed": 2,
        "votes.attempted": 2,
        "votes.accepted": 2,
    }
    summaries = {"http.response_time": {"p50": 3, "p95": 9, "p99": 12, "max": 15}}
    for name in ENDPOINTS:
        counters[f"plugins.metrics-by-endpoint.{name}.codes.200"] = 2
        summaries[f"plugins.metrics-by-endpoint.response_time.{name}"] = {
            "p50": 2,
            "p95": 5,
            "p99": 7,
            "max": 8,
        }
    return {
        "counters": counters,
        "summaries": summaries,
        "firstMetricAt": 1_000,
        "lastMetricAt": 6_000,
    }


def test_summary_table_lists_every_endpoint_and_the_vote_accounting() -> None:
    check = TallyCheck({"p1": {"Tea": 2}}, {"p1": {"Tea": 2}}, 0.4)
    summary = Summary(_aggregate(), ledger_votes=2, check=check)
    table = summary.table()
    for name in [*ENDPOINTS, "all requests"]:
        assert name in table
    assert summary.errors == 0 and summary.votes_accepted == 2
    assert "tally total           2, expected 2; after 0.4 s: OK" in table
    assert summary.rows()[-1].rate == 2.0  # 10 requests over 5 s


def test_chart_is_self_contained_html_with_svg(tmp_path: Path) -> None:
    timings = tmp_path / "timings.tsv"
    timings.write_text(
        "1000000\tcast_vote\t201\t4.5\n1000400\tlist_polls\t200\t2\n1002100\tcast_vote\t201\t7\n",
        encoding="utf-8",
    )
    page = tmp_path / "chart.html"
    write_chart(page, "run", read_timings(timings), [("warm-up ramp", 999.9)], "summary")
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 2 and "warm-up ramp" in text and "<polyline" in text
    assert "<script" not in text and "https://" not in text


def test_votes_yml_declares_the_full_profile_with_four_named_phases() -> None:
    script = yaml.safe_load((LOADTEST / "votes.yml").read_text(encoding="utf-8"))
    config = script["config"]
    assert config["phases"] == PROFILES["full"]["phases"]
    assert config["ensure"] == PROFILES["full"]["ensure"]
    names = [phase["name"] for phase in config["phases"]]
    assert len(names) == 4 and names[-1] == "wind-down"
    for profile in PROFILES.values():
        assert [phase["name"] for phase in profile["phases"]] == names


def test_scale_multiplies_arrival_rates_and_keeps_at_least_one() -> None:
    def rates(scale: float) -> list[tuple[int, int]]:
        phases = overrides_for("full", scale)["config"]["phases"]
        return [(p["arrivalRate"], p["rampTo"]) for p in phases]

    assert rates(2) == [(2, 6), (6, 12), (12, 16), (16, 2)]
    assert rates(0.1) == [(1, 1)] * 4
    assert PROFILES["full"]["phases"][2]["rampTo"] == 8  # the profile itself is untouched


def test_peak_rates_take_the_busiest_window() -> None:
    timings = [(100.0 + i * 0.1, "cast_vote", 201, 1.0) for i in range(20)]  # 2 s, 10/s
    timings += [(110.0, "list_polls", 200, 1.0)]
    assert peak_rates(timings, window=2) == (10.0, 10.0)
    assert peak_rates([], window=2) is None


def test_summary_names_the_votes_from_before_the_run() -> None:
    check = TallyCheck({"p1": {"Tea": 7}}, {"p1": {"Tea": 7}}, 0.0, baseline_total=5)
    table = Summary(_aggregate(), ledger_votes=2, check=check).table()
    assert "7, expected 7 = 5 before the run + 2 accepted" in table
