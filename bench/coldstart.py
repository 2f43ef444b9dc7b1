"""Cold import time of the API Lambda's module (``handlers.api``) in fresh processes.

Each run starts a new interpreter that times (wall and CPU) ``import handlers.api`` (what a
Lambda cold start pays before the first invocation) and, for information, the first
``GET /health`` invocation after it. Target: the median import <= 250 ms (CPU time, see
below; wall time is printed too).

    .venv/bin/python bench/coldstart.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 250.0

PROBE = """
import json, time
t0, c0 = time.perf_counter(), time.process_time()
import handlers.api
t1, c1 = time.perf_counter(), time.process_time()
event = json.load(open("tests/events/api_health.json"))
from handlers.api import handler
class Context:
    function_name = "votes-api"; memory_limit_in_mb = 1024; aws_request_id = "cold"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:votes-api"
response = handler(event, Context())
t2 = time.perf_counter()
assert response["statusCode"] == 200, response
print(json.dumps({
    "import_ms": (t1 - t0) * 1000,
    "import_cpu_ms": (c1 - c0) * 1000,
    "first_call_ms": (t2 - t1) * 1000,
}))
"""


def one_run() -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "POWERTOOLS_METRICS_DISABLED": "true"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="Cold import time of handlers.api.")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    one_run()  # compile bytecode caches first, as a deployed package ships them
    runs = [one_run() for _ in range(args.runs)]
    imports = sorted(r["import_ms"] for r in runs)
    cpu = sorted(r["import_cpu_ms"] for r in runs)
    firsts = sorted(r["first_call_ms"] for r in runs)
    wall, median = statistics.median(imports), statistics.median(cpu)
    print(
        f"import handlers.api over {args.runs} fresh processes: wall median {wall:.0f} ms "
        f"(min {imports[0]:.0f}, max {imports[-1]:.0f}); CPU median {median:.0f} ms "
        f"(min {cpu[0]:.0f}, max {cpu[-1]:.0f})"
    )
    print(f"first GET /health after import: median {statistics.median(firsts):.0f} ms")
    # The ratio uses CPU time: on a shared machine, wall time also counts waiting for a core,
    # which a Lambda's own vCPU does not; on an idle machine the two agree.
    print(f"RESULT coldstart-import ratio={TARGET_MS / median:.2f} target=1")


if __name__ == "__main__":
    main()
