"""Every benchmark at full size, one after another; then all RESULT lines and the README table.

    python bench/all.py [--smoke] [--mysql-url URL] [--markdown]

Runs each script of :data:`SCRIPTS` in a process of its own (its output streamed as it
comes), then prints the load average, every RESULT line, and (``--markdown``) the README's
performance table: one row per RESULT with its raw figures (the script's BASELINE and
MEASURED lines) and the command that reproduces it. Takes about 6 minutes on an idle 2-core
machine, plus ``commits.py``'s 3 and ``scale.py``'s 10-20 (it seeds and replays a
million-event log per backend, and times routes that may still read the whole log)
(``--smoke``: a minute or two). Exit status 1 if a script failed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
NUMBER = r"[0-9]+(?:\.[0-9]+)?"
RESULT = re.compile(
    rf"^RESULT (?P<name>\S+) ratio=(?P<ratio>{NUMBER}) target=(?P<target>{NUMBER})$"
)
FIGURE = re.compile(r"^(?P<kind>BASELINE|MEASURED) (?P<name>\S+) (?P<text>.+)$")

SCALE_ROUTES = (
    "polls",
    "poll",
    "results",
    "results-at-early",
    "results-at-late",
    "results-position-early",
    "results-position-late",
    "votes-me",
    "cast",
)
"""bench/scale.py's routes (its ROUTES)."""

SCRIPTS: dict[str, dict[str, list[str]]] = {
    "writes.py": {
        "writes-sqlite-vs-eventsourcing": ["--only", "sqlite"],
        "writes-sqlite-vs-raw": ["--only", "sqlite"],
        "writes-mysql-vs-raw-1row": ["--only", "mysql"],
        "writes-mysql-vs-raw-16row": ["--only", "mysql"],
    },
    "projector.py": {
        "projector-sqlite": ["--only", "sqlite"],
        "projector-mysql": ["--only", "mysql"],
    },
    "replay.py": {
        "replay-sqlite-vs-sql": ["--only", "sqlite"],
        "replay-mysql-vs-sql": ["--only", "mysql"],
    },
    "http_cast.py": {"http-cast-vs-hello": [], "http-cast-p99": []},
    "lag.py": {"lag-ws-p99": []},
    "coldstart.py": {
        "coldstart-first-vote-sqlite": ["--only", "sqlite"],
        "coldstart-first-vote-mysql": ["--only", "mysql"],
    },
    "commits.py": {"commits-mysql-vs-raw": []},
    "scale.py": {
        **{
            f"scale-{route}-{backend}{path}": ["--only", backend]
            for route in SCALE_ROUTES
            for backend in ("sqlite", "mysql")
            for path in ("", "-direct")
        },
        **{f"scale-rows-{route}": ["--only", "mysql"] for route in SCALE_ROUTES},
    },
}
"""Each bench script and the RESULT names it prints, with the arguments that run only the
part behind each (tests/bench/test_bench_smoke.py checks them all)."""


@dataclass
class Outcome:
    """What one script printed."""

    script: str
    returncode: int = 0
    results: list[re.Match[str]] = field(default_factory=list)
    figures: list[re.Match[str]] = field(default_factory=list)


def run(script: str, args: list[str]) -> Outcome:
    """Run ``script`` with ``args``, streaming its output; what it printed."""
    outcome = Outcome(script)
    with subprocess.Popen(
        [sys.executable, str(BENCH / script), *args], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if match := RESULT.match(line.rstrip("\n")):
                outcome.results.append(match)
            elif match := FIGURE.match(line.rstrip("\n")):
                outcome.figures.append(match)
    outcome.returncode = proc.returncode
    return outcome


def figures_of(outcome: Outcome, name: str) -> list[str]:
    """The figure lines of result ``name``: those named so, else those named by the longest
    prefix of its name that has any (``scale-rows-results`` is not ``-results-at-late``'s)."""
    owners = [
        f["name"] for f in outcome.figures if name == f["name"] or name.startswith(f["name"] + "-")
    ]
    if not owners:
        return []
    owner = max(owners, key=len)
    return [f"{f['kind'].lower()} {f['text']}" for f in outcome.figures if f["name"] == owner]


def markdown(outcomes: list[Outcome]) -> str:
    rows = [
        "| RESULT | ratio | target | met | figures (same run) | reproduce with |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for outcome in outcomes:
        for r in outcome.results:
            name, ratio, target = r["name"], float(r["ratio"]), float(r["target"])
            command = " ".join(
                ["python", f"bench/{outcome.script}", *SCRIPTS[outcome.script][name]]
            )
            figures = "<br>".join(figures_of(outcome, name))
            met = "yes" if ratio >= target else "**no**"
            rows.append(
                f"| `{name}` | {ratio:.2f} | {target:g} | {met} | {figures} | `{command}` |"
            )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="every script at its tiny size")
    parser.add_argument("--mysql-url", help="MySQL/MariaDB server (default: each script's)")
    parser.add_argument("--markdown", action="store_true", help="print the README table too")
    args = parser.parse_args()
    passthrough = (["--smoke"] if args.smoke else []) + (
        ["--mysql-url", args.mysql_url] if args.mysql_url else []
    )
    load, started = os.getloadavg(), time.monotonic()
    outcomes = []
    for script in SCRIPTS:
        print(f"\n== bench/{script} ==", flush=True)
        outcomes.append(run(script, passthrough))
    minutes = (time.monotonic() - started) / 60
    print(f"\n== all RESULT lines ({minutes:.1f} min) ==")
    print("load average (1, 5, 15 min) at start: {:.2f} {:.2f} {:.2f}".format(*load))
    print("load average (1, 5, 15 min) at end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for outcome in outcomes:
        for r in outcome.results:
            print(r.group(0))
    if args.markdown:
        print()
        print(markdown(outcomes))
    failed = [o.script for o in outcomes if o.returncode]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
