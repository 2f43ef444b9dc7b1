"""loadtest/processor.js's own logic (sign-up body, token refresh, poll assignment), tested with
Node's test runner: tests/loadtest/processor.test.js."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node (the load test's runtime)")
def test_processor_unit_tests_pass() -> None:
    run = subprocess.run(
        ["node", "--test", str(HERE / "processor.test.js")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# pass 8" in run.stdout
