"""Schemathesis against a running ``votes serve``: no 5xx, responses match the schema, a
rejected request writes nothing, the crowd's votes get the answers a model of their ballots
predicts, and the tallies still equal a replay of the log afterwards.

This is the short CI run (a few hundred requests); the long run (>= 10,000 requests) is
``scripts/fuzz-api.sh``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hardening_app import LiveApp
from hardening_fuzz import fuzz
from hardening_waits import settled_differences

CI_REQUESTS = 300


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LiveApp]:
    with LiveApp(tmp_path) as running:
        yield running


def test_fuzzed_requests_never_fail_the_server_nor_write_when_rejected(app: LiveApp) -> None:
    report = fuzz(app, requests=CI_REQUESTS, seed_value=8)
    print(report.summary())
    assert report.requests >= CI_REQUESTS
    # both paths were exercised: refusals, and votes the crowd cast (changed, retracted...)
    assert report.rejected > 0
    assert report.votes["cast"] >= CI_REQUESTS // 10 and report.votes["changed"] > 0
    assert report.failures == {}, "\n\n".join(f"{k}\n{v}" for k, v in report.failures.items())
    assert report.rejected_writes == []
    assert report.server_errors == 0
    assert "Traceback" not in app.log()
    # AND whatever the accepted requests wrote, the live tallies equal a replay of the log
    assert settled_differences(app) == []
