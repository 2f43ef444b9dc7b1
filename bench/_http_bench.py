"""The cast-vote HTTP benchmark behind bench/http.py (see there)."""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench._load import LoadResult, build_request, run_load
from bench._setup import populate
from tests.serve_process import ServeProcess, free_port

SERVERLESS_OFFLINE_RPS = 300
TARGET_P99_MS = 50.0


def hello_world(connections: int, total: int) -> LoadResult:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench._hello:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        request = build_request("GET", url + "/")
        asyncio.run(run_load(url, lambda n: request, connections=connections, total=2000))
        return asyncio.run(run_load(url, lambda n: request, connections=connections, total=total))
    finally:
        proc.terminate()
        proc.wait(10)


def cast_votes(connections: int, votes: int) -> tuple[LoadResult, LoadResult]:
    """(GET /health through the whole HTTP stack, cast votes) against one ``votes serve``."""
    users = 100
    polls = -(-(votes + 2000) // users)
    with ServeProcess(admins=["bench-admin"]) as server:
        print(f"populating {users} voters and {polls} polls ...", flush=True)
        pop = asyncio.run(populate(server.url, users=users, polls=polls))
        rng = random.Random(7)
        pairs = [(p, t) for p in pop.poll_ids for t in pop.tokens]
        rng.shuffle(pairs)
        requests = [
            build_request(
                "POST",
                f"{server.url}/polls/{p}/votes",
                body={"option": rng.choice(pop.options)},
                headers={"Authorization": f"Bearer {t}"},
            )
            for p, t in pairs
        ]
        warm, timed = requests[:2000], requests[2000 : 2000 + votes]
        health = build_request("GET", f"{server.url}/health")
        stack = asyncio.run(
            run_load(server.url, lambda n: health, connections=connections, total=votes // 2)
        )
        asyncio.run(run_load(server.url, warm, connections=connections))
        cast = asyncio.run(run_load(server.url, timed, connections=connections))
        return stack, cast


def main() -> None:
    parser = argparse.ArgumentParser(description="Cast-vote throughput and latency of votes serve.")
    parser.add_argument("--votes", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    hello = hello_world(args.connections, args.votes)
    print(f"hello-world ASGI under uvicorn: {hello.summary()}")
    stack, cast = cast_votes(args.connections, args.votes)
    print(f"votes serve, GET /health (gateway, resolver, no store): {stack.summary()}")
    print(f"votes serve, cast vote (SQLite): {cast.summary()}")
    ok = cast.statuses.get(201, 0)
    if ok != cast.count:
        print(f"WARNING: {cast.count - ok} requests did not answer 201")
    print(f"GET /health / hello-world throughput: {stack.rps / hello.rps:.2f}")
    print(f"cast vote / hello-world throughput: {cast.rps / hello.rps:.2f}")
    print(
        f"cast vote / serverless-offline ({SERVERLESS_OFFLINE_RPS} req/s): "
        f"{cast.rps / SERVERLESS_OFFLINE_RPS:.1f}x"
    )
    # Targets: >= 10x serverless-offline's 300 req/s, and p99 <= 50 ms (ratio = limit / p99).
    ratio = cast.rps / SERVERLESS_OFFLINE_RPS
    print(f"RESULT http-cast-vs-serverless-offline ratio={ratio:.2f} target=10")
    print(f"RESULT http-cast-p99 ratio={TARGET_P99_MS / cast.percentile(99):.2f} target=1")


if __name__ == "__main__":
    main()
