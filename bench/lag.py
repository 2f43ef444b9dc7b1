"""Projection lag of ``votes serve`` (SQLite): from a vote's 201 to the SSE message counting it.

Votes are sent at a steady rate (open loop, 500 per second, over 32 keep-alive connections)
to polls that each have an SSE client following their results. For the k-th vote of a poll
to answer 201, the lag is the time from that 201 until the first SSE message of the poll
whose ``total`` reaches k (0 if such a message came first). The baseline is a limit:
``RESULT lag-p99`` = 100 ms / p99 (target 1).

    python bench/lag.py [--rate 500] [--seconds 8] [--smoke]
"""

from __future__ import annotations

import asyncio
import bisect
import json
import random
import time
from collections import defaultdict
from urllib.parse import urlsplit

from _common import arguments, baseline, measured, result
from _web import build_request, populate, read_response, serve

TARGET_MS = 100.0
CONNECTIONS = 32
ADMIN = "bench-admin"


async def follow(
    base: str,
    poll_id: str,
    token: str,
    seen: dict[str, list[tuple[int, float]]],
    ready: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    """Read the poll's SSE stream, recording (total, arrival time) of each message."""
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"GET /polls/{poll_id}/results/stream?access_token={token} HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await reader.readuntil(b"\r\n\r\n")
    try:
        while not stop.is_set():
            line = await reader.readline()
            if not line:
                return
            text = line.strip()
            # chunked transfer: data lines are whole inside chunks; skip size lines
            if text.startswith(b"data:"):
                tally = json.loads(text[5:])
                seen[poll_id].append((tally["total"], time.perf_counter()))
                ready.set()
    finally:
        writer.close()


async def measure(base: str, rate: float, seconds: float, users: int) -> list[float]:
    polls_needed = max(1, int(rate * seconds / users) + 1)
    pop = await populate(base, users=users, polls=polls_needed, admin=ADMIN)
    seen: dict[str, list[tuple[int, float]]] = defaultdict(list)
    stop = asyncio.Event()
    readies = []
    followers = []
    for poll_id in pop.poll_ids:
        ready = asyncio.Event()
        readies.append(ready)
        followers.append(
            asyncio.create_task(follow(base, poll_id, pop.admin_token, seen, ready, stop))
        )
    await asyncio.gather(*(r.wait() for r in readies))
    # votes: poll by poll in turn, so every poll gets a steady share
    rng = random.Random(3)
    plan = [(p, t) for t in pop.tokens for p in pop.poll_ids]
    queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()
    acks: dict[str, list[float]] = defaultdict(list)
    parts = urlsplit(base)

    async def sender() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        while (item := await queue.get()) is not None:
            poll_id, request = item
            writer.write(request)
            status = await read_response(reader)
            if status == 201:
                acks[poll_id].append(time.perf_counter())
        writer.close()

    senders = [asyncio.create_task(sender()) for _ in range(CONNECTIONS)]
    interval, started = 1.0 / rate, time.perf_counter()
    total = int(rate * seconds)
    for n, (poll_id, token) in enumerate(plan[:total]):
        due = started + n * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        request = build_request(
            "POST",
            f"{base}/polls/{poll_id}/votes",
            body={"option": rng.choice(pop.options)},
            headers={"Authorization": f"Bearer {token}"},
        )
        queue.put_nowait((poll_id, request))
    for _ in senders:
        queue.put_nowait(None)
    await asyncio.gather(*senders)
    sent_rate = total / (time.perf_counter() - started)
    await asyncio.sleep(1.0)  # let the last updates arrive
    stop.set()
    for task in followers:
        task.cancel()
    lags = []
    for poll_id, times in acks.items():
        messages = seen[poll_id]
        totals = [m[0] for m in messages]
        for k, acked in enumerate(sorted(times), start=1):
            i = bisect.bisect_left(totals, k)  # totals only grow (no retractions here)
            if i == len(messages):
                lags.append(float("inf"))
                continue
            lags.append(max(0.0, messages[i][1] - acked))
    print(f"sent {total} votes at {sent_rate:.0f}/s to {len(pop.poll_ids)} followed polls")
    return lags


def main() -> None:
    args = arguments(
        __doc__, {"rate": (500, 100), "seconds": (8, 1), "voters": (100, 10)}, backends=False
    )
    with serve(ADMIN) as server:
        lags = sorted(asyncio.run(measure(server.url, args.rate, args.seconds, args.voters)))
    missing = sum(1 for x in lags if x == float("inf"))
    p50, p99 = (lags[min(len(lags) - 1, int(len(lags) * q))] * 1000 for q in (0.5, 0.99))
    baseline("lag-p99", "limit", f"p99 <= {TARGET_MS:.0f} ms")
    measured(
        "lag-p99",
        f"{len(lags):,} votes",
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, never seen {missing}",
    )
    result("lag-p99", TARGET_MS / max(p99, 1e-3), 1)


if __name__ == "__main__":
    main()
