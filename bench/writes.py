"""Cast-vote throughput through VotingService, against raw baselines measured in the same run.

* MariaDB / MySQL: 32 concurrent tasks casting votes through the service, against raw durable
  single-row INSERT transactions from 32 aiomysql connections on the same server (target 0.9).
* SQLite: the same through the service on a SQLite file, against ``eventsourcing`` 9.5's own
  synchronous ``Application.save`` of one new aggregate (target 1.5).

    python bench/writes.py [--casts 4000] [--mysql-url mysql://root@127.0.0.1:3306/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _baselines import eventsourcing_sqlite_saves, mysql_params, mysql_raw_inserts

from vote_domain import VotingService, connect

CONCURRENCY = 32
POLLS = 10


async def cast_rate(url: str, casts: int) -> float:
    """Votes cast per second through the service by CONCURRENCY tasks (all new ballots)."""
    async with connect(url) as store:
        await store.migrate()
        votes = VotingService(store)
        polls = [
            (await votes.create_poll("bench-admin", f"Bench poll {i}?", ["Yes", "No", "Maybe"])).id
            for i in range(POLLS)
        ]
        voters = [f"bench-{uuid.uuid4()}" for _ in range(casts // POLLS)]
        queue: asyncio.Queue[str] = asyncio.Queue()
        for subject in voters:
            queue.put_nowait(subject)

        async def register() -> None:
            while not queue.empty():
                await votes.register_voter(queue.get_nowait())

        await asyncio.gather(*(register() for _ in range(CONCURRENCY)))
        work = [(p, v) for v in voters for p in polls]
        random.shuffle(work)
        jobs: asyncio.Queue[tuple[uuid.UUID, str]] = asyncio.Queue()
        for job in work:
            jobs.put_nowait(job)

        async def cast() -> None:
            while not jobs.empty():
                poll_id, subject = jobs.get_nowait()
                result = await votes.cast_vote(poll_id, subject, random.choice(["Yes", "No"]))
                assert result.outcome == "cast"

        started = time.perf_counter()
        await asyncio.gather(*(cast() for _ in range(CONCURRENCY)))
        return len(work) / (time.perf_counter() - started)


async def fresh_mysql_database(url: str) -> tuple[str, str]:
    """A new empty database on the server of ``url``: (its url, its name)."""
    import aiomysql

    params = mysql_params(url)
    name = f"votes_bench_{uuid.uuid4().hex[:8]}"
    conn = await aiomysql.connect(**{**params, "db": None})
    async with conn.cursor() as cur:
        await cur.execute(f"CREATE DATABASE {name}")
    conn.close()
    base = url.rsplit("/", 1)[0]
    return f"{base}/{name}", name


async def drop_database(url: str, name: str) -> None:
    import aiomysql

    conn = await aiomysql.connect(**{**mysql_params(url), "db": None})
    async with conn.cursor() as cur:
        await cur.execute(f"DROP DATABASE IF EXISTS {name}")
    conn.close()


async def bench_mysql(url: str, casts: int) -> None:
    db_url, name = await fresh_mysql_database(url)
    try:
        raw = await mysql_raw_inserts(db_url, n=casts, connections=CONCURRENCY)
        ours = await cast_rate(db_url, casts)
    finally:
        await drop_database(url, name)
    print(f"mysql: service cast {ours:.0f}/s, raw durable INSERT x{CONCURRENCY} {raw:.0f}/s")
    print(f"RESULT writes-mysql ratio={ours / raw:.2f} target=0.9")


async def bench_sqlite(casts: int) -> None:
    baseline = eventsourcing_sqlite_saves(n=min(casts, 3000))
    with tempfile.TemporaryDirectory() as tmp:
        ours = await cast_rate(f"sqlite:///{os.path.join(tmp, 'bench.db')}", casts)
    print(f"sqlite: service cast {ours:.0f}/s, eventsourcing Application.save {baseline:.0f}/s")
    print(f"RESULT writes-sqlite ratio={ours / baseline:.2f} target=1.5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--casts", type=int, default=4000)
    parser.add_argument(
        "--mysql-url",
        default=os.environ.get("VOTES_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
    )
    parser.add_argument("--only", choices=["mysql", "sqlite"])
    args = parser.parse_args()
    if args.only != "sqlite":
        asyncio.run(bench_mysql(args.mysql_url, args.casts))
    if args.only != "mysql":
        asyncio.run(bench_sqlite(args.casts))


if __name__ == "__main__":
    main()
