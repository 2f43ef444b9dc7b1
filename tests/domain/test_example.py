"""The README's library example runs as written."""

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "library_demo.py"


def test_the_library_example_runs(tmp_path):
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), f"sqlite:///{tmp_path}/example.db"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "outcome='cast'" in out[0]
    assert "outcome='unchanged'" in out[1]
    assert out[2] == "already_voted"
    assert "outcome='changed'" in out[3]
