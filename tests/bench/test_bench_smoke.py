"""Every benchmark script runs (at its tiny ``--smoke`` size) and keeps the output convention.

For each script of ``bench/all.py``'s list: exit status 0, every RESULT name it is listed
with printed as a well-formed ``RESULT <name> ratio=<float> target=<float>`` line, each
after at least one BASELINE figure of its own. No timing is asserted: figures at smoke size
mean nothing, and this machine is shared.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _all_module():
    spec = importlib.util.spec_from_file_location("bench_all", BENCH / "all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


ALL = _all_module()


def test_every_bench_script_is_listed() -> None:
    scripts = {p.name for p in BENCH.glob("*.py") if not p.name.startswith("_")} - {"all.py"}
    assert scripts == set(ALL.SCRIPTS)


@pytest.mark.mysql
@pytest.mark.parametrize("script", list(ALL.SCRIPTS))
def test_bench_script_smoke(script: str, mysql_server_url: str) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / script), "--smoke", "--mysql-url", mysql_server_url],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, f"{script} failed:\n{out.stdout}\n{out.stderr}"
    lines = out.stdout.splitlines()
    results = {m["name"]: i for i, line in enumerate(lines) if (m := ALL.RESULT.match(line))}
    expected = set(ALL.SCRIPTS[script])
    assert expected <= set(results), f"{script} printed RESULT for {sorted(results)}:\n{out.stdout}"
    for name, at in results.items():
        assert name in expected, f"{script} printed an unlisted RESULT {name}"
        baselines = [
            m["name"]
            for line in lines[:at]
            if (m := ALL.FIGURE.match(line)) and m["kind"] == "BASELINE"
        ]
        assert any(name == b or name.startswith(b + "-") for b in baselines), (
            f"{script}: no BASELINE figure of {name} before its RESULT:\n{out.stdout}"
        )
