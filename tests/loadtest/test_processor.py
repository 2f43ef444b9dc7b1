"""loadtest/processor.js's own logic (sign-up body, token refresh, poll assignment), tested with
Node's test runner: tests/loadtest/processor.test.js."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_processor_unit_tests_pass() -> None:
    if shutil.which("node") is None:
        if os.environ.get("CI"):  # the test command needs Node anyway: never skip there
            pytest.fail("node is not installed")
        pytest.skip("needs Node (the load test's runtime)")
    run = subprocess.run(
        ["node", "--test", str(HERE / "processor.test.js")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# pass 8" in run.stdout
