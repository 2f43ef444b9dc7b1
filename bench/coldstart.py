"""The first vote of a fresh Lambda process: wall time from process start to its answer.

Each run starts a new interpreter (no warm-up run is discarded; the OS page cache is warm, as
it is after the first of several runs on any machine) that imports the API Lambda's module
(``handlers.api``) and hands its ``handler`` one captured API Gateway cast-vote event
(``tests/events/api_cast_vote.json``, a new ballot of a registered voter on an open poll, so
it answers 201). The clock starts in this process just before the child is spawned (the
monotonic clock is shared), so the figures include the interpreter's start:

* import-only: start -> ``import handlers.api`` done;
* first vote: start -> the handler returned 201: settings, the domain's and driver's imports,
  the store's connection (migrations already applied), the cast, and on MySQL the login read
  from Secrets Manager and the EventBridge relay of the new event, both served by a local moto
  server (as serverless.yml configures the API function; on AWS each call adds its network
  round trip).

Baseline, measured in the same run: ``python -c "import json"`` timed the same way, the floor
of any Python process here. ``RESULT coldstart-first-vote-<backend>``: 400 ms / the median
first vote (target 1), on SQLite and on MariaDB.

    python bench/coldstart.py [--runs 15] [--only sqlite|mysql] [--smoke]
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import arguments, baseline, database, measured, mysql_params, result

from vote_domain import VotingService, connect

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MS = 400.0
MARK = "COLDSTART "
FLOOR = f"import time, json; print({MARK!r} + json.dumps({{'ready': time.perf_counter()}}))"
PROBE = f"""
import time, json, sys
from lambda_context import LambdaContext
event = json.loads(sys.stdin.read())
import handlers.api
imported = time.perf_counter()
response = handlers.api.handler(event, LambdaContext())
voted = time.perf_counter()
print({MARK!r} + json.dumps({{"imported": imported, "voted": voted, "response": response}}))
"""
APP_ENV = {
    # as serverless.yml sets for every function and the API
    "VOTES_LOG_LEVEL": "INFO",
    "POWERTOOLS_SERVICE_NAME": "votes",
    "POWERTOOLS_METRICS_NAMESPACE": "Votes",
    "VOTES_DATABASE_POOL_SIZE": "2",
}


def spawn(code: str, env: dict[str, str], stdin: str = "") -> tuple[float, dict[str, Any]]:
    """(the time just before the child started, what it printed after MARK)."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env
    )
    if out.returncode:
        raise SystemExit(f"the probe failed:\n{out.stderr}")
    line = next(x for x in out.stdout.splitlines() if x.startswith(MARK))
    return started, json.loads(line[len(MARK) :])


async def prepare(url: str, runs: int) -> tuple[str, list[str]]:
    """A poll and ``runs`` registered voters in the (migrated) database: (poll id, subjects)."""
    async with connect(url) as store:
        votes = VotingService(store)
        subjects = [f"cold-{uuid.uuid4()}" for _ in range(runs)]
        for subject in subjects:
            await votes.register_voter(subject)
        poll = await votes.create_poll(subjects[0], "Cold start?", ["Tabs", "Spaces"])
    return str(poll.id), subjects


def cast_event(poll_id: str, subject: str) -> str:
    """The captured cast-vote event, for ``subject`` on ``poll_id``."""
    event = json.loads((ROOT / "tests/events/api_cast_vote.json").read_text())
    template = event["rawPath"].split("/")[2]
    event["rawPath"] = event["rawPath"].replace(template, poll_id)
    event["requestContext"]["http"]["path"] = event["rawPath"]
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    claims.update(sub=subject, username=subject)
    event["body"] = json.dumps({"option": "Tabs"})
    event["headers"]["content-length"] = str(len(event["body"]))
    return json.dumps(event)


@contextmanager
def lambda_env(backend: str, url: str) -> Iterator[dict[str, str]]:
    """The API function's environment: SQLite by URL; MySQL as deployed (login in a secret,
    events relayed to a bus), AWS served by a moto server."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT / "tests")}
    if backend == "sqlite":
        yield {**base, **APP_ENV, "VOTES_DATABASE_URL": url}
        return
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

    from _web import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        aws = {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        client = dict(endpoint_url=aws["AWS_ENDPOINT_URL"], region_name="us-east-1")
        params = mysql_params(url)
        login = json.dumps({"username": params["user"], "password": params["password"]})
        with_keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench", **client}
        secret = boto3.client("secretsmanager", **with_keys).create_secret(
            Name="votes-db", SecretString=login
        )["ARN"]
        boto3.client("events", **with_keys).create_event_bus(Name="votes-bench")
        yield {
            **base,
            **APP_ENV,
            **aws,
            "VOTES_DATABASE_SECRET_ARN": secret,
            "VOTES_DATABASE_HOST": params["host"],
            "VOTES_DATABASE_PORT": str(params["port"]),
            "VOTES_DATABASE_NAME": params["db"],
            "VOTES_EVENT_BUS_NAME": "votes-bench",
        }
    finally:
        server.stop()


def ms(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.0f} ms (min {min(values):.0f}, max {max(values):.0f})"
    )


def bench(backend: str, server: str, runs: int) -> None:
    name = f"coldstart-first-vote-{backend}"
    with database(backend, server) as url:
        votes_cli = str(Path(sys.executable).parent / "votes")
        subprocess.run(
            [votes_cli, "db", "migrate", "--database", url], check=True, capture_output=True
        )
        poll_id, subjects = asyncio.run(prepare(url, runs))
        floor, imports, firsts = [], [], []
        with lambda_env(backend, url) as env:
            for subject in subjects:
                started, out = spawn(FLOOR, env)
                floor.append((out["ready"] - started) * 1000)
                started, out = spawn(PROBE, env, cast_event(poll_id, subject))
                if out["response"]["statusCode"] != 201:
                    raise SystemExit(f"the first vote did not answer 201: {out['response']}")
                imports.append((out["imported"] - started) * 1000)
                firsts.append((out["voted"] - started) * 1000)
    baseline(name, f"python start + import json, {runs} processes", ms(floor))
    measured(name, "python start + import handlers.api", ms(imports))
    measured(name, "python start -> first vote answered 201", ms(firsts))
    result(name, LIMIT_MS / statistics.median(firsts), 1)


def main() -> None:
    args = arguments(__doc__, {"runs": (15, 1)})
    for backend in args.backends:
        bench(backend, args.mysql_url, args.runs)


if __name__ == "__main__":
    main()
