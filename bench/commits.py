"""Commits per second of one MariaDB/MySQL writer when every vote is its own process's own
commit (as on AWS: one Lambda invocation = one vote = one commit), for N = 1 .. 32 processes.

Each of N processes (``multiprocessing``, spawned: a process of its own, as a Lambda
container is) opens the MySQL store with a one-connection pool, and, once all are ready, casts
votes one after another for ``--seconds``: each a new registered voter's ballot in one of ten
polls, through :meth:`VotingService.cast_vote` (reads the poll, voter and ballot streams in one
query, then appends the ``VoteCast`` in its own transaction: the append gate, the INSERT, the
COMMIT), with a fresh service per vote (no aggregate kept from the vote before, as in a new
invocation of a cold container; the connection stays open, as a warm one's does).

Baseline, in the same run, the same N: each process on a raw PyMySQL connection sends a
single-row ``INSERT`` of a ballot event into the same ``stored_events`` table, then
``COMMIT``, and again: the most commits/s this server gives one-row transactions from N
clients. Per N: votes/s, raw commits/s, their ratio, the median vote latency, and the
server's (``mariadbd``'s) CPU per commit when it runs on this machine (a shared server: other
clients' work counts too, so an upper bound) and its inverse, the commits one server core
would sustain if nothing else limited them (the figure docs/scale.md scales to Aurora's
ACUs), and the voting processes' own CPU per vote. ``RESULT commits-mysql-vs-raw``: the most
votes/s over N / the most raw commits/s over N (target 0.5).

Voters are registered beforehand with multi-row INSERTs of their ``Voter.Registered`` events
(through ``votes db migrate``'s schema), enough for every process of every N.

    python bench/commits.py [--seconds 4] [--smoke] [--mysql-url URL]
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pymysql
from _common import _Templates, arguments, baseline, database, measured, mysql_params, result

from vote_domain import Poll, Voter, VotingService, ballot_id_for, connect, mapper
from vote_domain.stores._ids import encode_originator_id

PROCESSES = (1, 2, 4, 8, 16, 32)
SMOKE_PROCESSES = (1, 2)
POLLS = 10
VOTES_PER_PROCESS_SECOND = 1500
"""Voters registered per process and second of a run: more than one process can cast."""
ROWS_PER_INSERT = 1000
VOTES = str(Path(sys.executable).parent / "votes")


def subject(n: int, process: int, k: int) -> str:
    """The ``k``-th voter of process ``process`` in the run of ``n`` processes."""
    return f"commits-{n}-{process}-{k}"


@dataclass
class Done:
    """What one process did in its window."""

    commits: int
    latencies: list[float]
    cpu: float
    window: float
    """Seconds from the start to the end of its last commit."""


# -- the processes ---------------------------------------------------------------------------


async def _votes(
    url: str, polls: list[str], n: int, p: int, start: Barrier, seconds: float
) -> Done:
    async with connect(url, pool_size=1) as store:
        await VotingService(store).get_poll(polls[0])  # connected, as a warm container is
        await asyncio.to_thread(start.wait)
        cpu, began = time.process_time(), time.perf_counter()
        latencies: list[float] = []
        k = 0
        while time.perf_counter() - began < seconds:
            votes = VotingService(store)
            started = time.perf_counter()
            outcome = await votes.cast_vote(polls[k % len(polls)], subject(n, p, k), "Red")
            latencies.append(time.perf_counter() - started)
            if outcome.outcome != "cast":
                raise RuntimeError(f"not a new vote: {outcome}")
            k += 1
        return Done(k, latencies, time.process_time() - cpu, time.perf_counter() - began)


def votes_process(
    url: str, polls: list[str], n: int, p: int, start: Barrier, seconds: float, out: Any
) -> None:
    """One process casting votes through the store for ``seconds`` after ``start``."""
    out.put(asyncio.run(_votes(url, polls, n, p, start, seconds)))


def raw_process(url: str, start: Barrier, seconds: float, out: Any) -> None:
    """One process committing single-row INSERTs of ballot events for ``seconds``."""
    t = _Templates()
    poll = uuid.uuid4()
    conn = pymysql.connect(**mysql_params(url), autocommit=False)
    sql = (
        "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
        " VALUES (%s, %s, %s, %s)"
    )
    try:
        with conn.cursor() as cur:
            start.wait()
            cpu, began = time.process_time(), time.perf_counter()
            latencies: list[float] = []
            while time.perf_counter() - began < seconds:
                voter = uuid.uuid4()
                e = t.make(t.cast, ballot_id_for(poll, voter), 1, poll, voter, "Red", "")
                started = time.perf_counter()
                cur.execute(sql, (encode_originator_id(e.originator_id), 1, e.topic, e.state))
                conn.commit()
                latencies.append(time.perf_counter() - started)
            window = time.perf_counter() - began
            out.put(Done(len(latencies), latencies, time.process_time() - cpu, window))
    finally:
        conn.close()


# -- the run ---------------------------------------------------------------------------------


def server_pid() -> int | None:
    """The local MariaDB/MySQL server's process id, if it runs on this machine."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() in ("mariadbd", "mysqld"):
                    return int(proc.name)
            except OSError:
                continue
    return None


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    rate: float
    latency_ms: float
    server_cpu_ms: float | None
    client_cpu_ms: float


def run(
    n: int, seconds: float, target: Any, args_of: Callable[[int], tuple[Any, ...]], pid: int | None
) -> Run:
    """``n`` processes of ``target`` (process ``p`` given ``args_of(p)``), all started at once
    when all are ready: their commits per second in all, and the figures per commit."""
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(n + 1), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args_of(p), start, seconds, out)) for p in range(n)]
    for proc in procs:
        proc.start()
    start.wait(timeout=300)
    server = cpu_seconds(pid) if pid else 0.0
    done: list[Done] = [out.get(timeout=seconds + 120) for _ in procs]
    server = cpu_seconds(pid) - server if pid else 0.0
    for proc in procs:
        proc.join(30)
        if proc.exitcode:
            raise SystemExit(f"a process of the run of {n} failed ({proc.exitcode})")
    commits = sum(d.commits for d in done)
    latencies = [x for d in done for x in d.latencies]
    return Run(
        sum(d.commits / d.window for d in done),
        statistics.median(latencies) * 1000,
        server / commits * 1000 if pid else None,
        sum(d.cpu for d in done) / commits * 1000,
    )


async def prepare(url: str, voters: list[str]) -> list[str]:
    """Ten polls, and ``voters`` registered (multi-row INSERTs); the poll ids."""
    m = mapper()
    polls = [
        Poll.create(f"Commits poll {i}?", ["Red", "Green"], "bench", None) for i in range(POLLS)
    ]
    events = [m.to_stored_event(p.collect_events()[0]) for p in polls]
    events += [m.to_stored_event(Voter.register(s, s).collect_events()[0]) for s in voters]
    async with connect(url) as store:
        for i in range(0, len(events), ROWS_PER_INSERT):
            chunk = events[i : i + ROWS_PER_INSERT]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            params = [
                v
                for e in chunk
                for v in (
                    encode_originator_id(e.originator_id),
                    e.originator_version,
                    e.topic,
                    e.state,
                )
            ]
            async with store.transaction() as tx:
                await tx.execute(
                    "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
                    f" VALUES {values}",
                    params,
                )
    return [str(p.id) for p in polls]


def main() -> None:
    args = arguments(__doc__, {"seconds": (4, 1)}, backends=False)
    counts = SMOKE_PROCESSES if args.smoke else PROCESSES
    name = "commits-mysql-vs-raw"
    per_process = int(VOTES_PER_PROCESS_SECOND * args.seconds)
    pid = server_pid()
    with database("mysql", args.mysql_url) as url:
        subprocess.run([VOTES, "db", "migrate", "--database", url], check=True, capture_output=True)
        voters = [subject(n, p, k) for n in counts for p in range(n) for k in range(per_process)]
        started = time.perf_counter()
        polls = asyncio.run(prepare(url, voters))
        print(f"registered {len(voters):,} voters in {time.perf_counter() - started:.1f} s")
        ours, raw = {}, {}
        for n in counts:
            raw[n] = run(n, args.seconds, raw_process, lambda p: (url,), pid)
            ours[n] = run(n, args.seconds, votes_process, lambda p, n=n: (url, polls, n, p), pid)
    print()
    print(
        "| processes | votes/s (store) | raw INSERT+COMMIT/s | ratio | vote p50 ms | raw p50 ms"
        " | server CPU ms per vote / per raw commit | one server core's worth, votes / raw"
        " commits per s | client CPU ms per vote |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for n in counts:
        o, r = ours[n], raw[n]
        both = o.server_cpu_ms is not None and r.server_cpu_ms is not None
        cpu = f"{o.server_cpu_ms:.2f} / {r.server_cpu_ms:.2f}" if both else "-"
        core = f"{1000 / o.server_cpu_ms:,.0f} / {1000 / r.server_cpu_ms:,.0f}" if both else "-"
        print(
            f"| {n} | {o.rate:,.0f} | {r.rate:,.0f} | {o.rate / r.rate:.2f} | {o.latency_ms:.1f}"
            f" | {r.latency_ms:.1f} | {cpu} | {core} | {o.client_cpu_ms:.2f} |"
        )
    print()
    best_raw = max(counts, key=lambda n: raw[n].rate)
    best = max(counts, key=lambda n: ours[n].rate)
    baseline(
        name,
        f"raw single-row INSERT+COMMIT, best of N={list(counts)}",
        f"{raw[best_raw].rate:,.0f} commits/s at N={best_raw}",
    )
    measured(
        name,
        f"VotingService.cast_vote, best of N={list(counts)}",
        f"{ours[best].rate:,.0f} votes/s at N={best}",
    )
    result(name, ours[best].rate / raw[best_raw].rate, 0.5)


if __name__ == "__main__":
    main()
