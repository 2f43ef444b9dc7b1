"""Running Artillery on votes.yml: environment, command line, and the phase starts it logs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LOADTEST_DIR", "ArtilleryRun", "artillery_env", "run_artillery"]

LOADTEST_DIR = Path(__file__).resolve().parent.parent
PHASE_STARTED = re.compile(r"^Phase started: (?P<name>.+?) \(index: \d+")


def artillery_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment Artillery runs in: telemetry off and its posthog client stubbed out."""
    preload = f"--require {LOADTEST_DIR / 'lib' / 'no-telemetry.cjs'}"
    node_options = os.environ.get("NODE_OPTIONS", "")
    if "no-telemetry.cjs" not in node_options:
        node_options = f"{node_options} {preload}".strip()
    return {
        **os.environ,
        "ARTILLERY_DISABLE_TELEMETRY": "true",
        "NODE_OPTIONS": node_options,
        **(extra or {}),
    }


@dataclass
class ArtilleryRun:
    """The exit status of one run and when (epoch s) each phase started."""

    returncode: int
    phases: list[tuple[str, float]] = field(default_factory=list)


def run_artillery(
    *,
    environment: str,
    scenario: str,
    target: str,
    variables: dict[str, str],
    overrides: dict[str, Any],
    report: Path,
    log: Path,
    extra_env: dict[str, str],
    echo: bool = True,
) -> ArtilleryRun:
    """Run ``scenario`` of votes.yml to completion, echoing Artillery's output (unless ``echo``
    is false) and keeping a copy in ``log``."""
    cmd = [
        str(LOADTEST_DIR / "node_modules" / ".bin" / "artillery"),
        "run",
        "--environment",
        environment,
        "--scenario-name",
        scenario,
        "--target",
        target,
        "--variables",
        json.dumps(variables),
        "--output",
        str(report),
    ]
    cmd += ["--overrides", json.dumps(overrides), str(LOADTEST_DIR / "votes.yml")]
    run = ArtilleryRun(returncode=-1)
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=LOADTEST_DIR,
            env=artillery_env(extra_env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            now = time.time()
            out.write(line)
            if echo:
                sys.stdout.write(line)
            match = PHASE_STARTED.match(line)
            if match:
                run.phases.append((match["name"], now))
        run.returncode = proc.wait()
    sys.stdout.flush()
    return run
