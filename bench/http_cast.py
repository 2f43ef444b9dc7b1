"""Cast-vote requests against ``votes serve`` (SQLite) over real HTTP, against two ceilings.

Everything at 32 keep-alive connections from one load generator on this machine. Baselines,
measured in the same run:

* a bare ASGI hello-world (:mod:`_hello`) under uvicorn with ``votes serve``'s own server
  options: the most any ASGI app can answer here, the ceiling ``http-cast-vs-hello`` divides
  by (target 0.1);
* ``GET /health`` through the same server, local API Gateway and powertools resolver (no
  store): what the HTTP layers alone cost;
* ``http-cast-p99``: the limit p99 <= 50 ms per cast (ratio = 50 ms / p99, target 1).

The timed cast requests are ``POST /polls/{id}/votes``, each a new ballot (201), from 1,200
distinct voters (``--voters``) in random order. Their tokens were issued before timing by the
local identity provider, and each voter registered (``POST /voters``) as the browser client
does after signing in; nothing else of theirs ran before. A warm-up of casts by 50 other
voters (``--warmers``) on another poll loads the server's code first. Reported per side:
requests per second, latency, and the server process's CPU time per request.

    python bench/http_cast.py [--votes 20000] [--voters 1200] [--smoke]
"""

from __future__ import annotations

import asyncio
import random

from _common import arguments, baseline, measured, result
from _web import LoadResult, build_request, expect, hello_server, populate, run_load, serve

CONNECTIONS = 32
P99_LIMIT_MS = 50.0
ADMIN = "bench-admin@example.com"


def vote(url: str, poll_id: str, token: str, option: str) -> bytes:
    return build_request(
        "POST",
        f"{url}/polls/{poll_id}/votes",
        body={"option": option},
        headers={"Authorization": f"Bearer {token}"},
    )


async def cast_votes(votes: int, voters: int, warmers: int) -> tuple[LoadResult, LoadResult, int]:
    """(GET /health, cast votes, distinct voters timed) against one ``votes serve``."""
    polls = -(-votes // voters) + 1
    with serve(ADMIN) as server:
        print(f"signing in {voters + warmers:,} voters, creating {polls} polls", flush=True)
        pop = await populate(server.url, users=voters + warmers, polls=polls, admin=ADMIN)
        rng = random.Random(7)
        warm_tokens, tokens = pop.tokens[:warmers], pop.tokens[warmers:]
        warm_poll, polls_timed = pop.poll_ids[0], pop.poll_ids[1:]
        pairs = [(p, t) for p in polls_timed for t in tokens]
        rng.shuffle(pairs)
        pairs = pairs[:votes]
        timed = [vote(server.url, p, t, rng.choice(pop.options)) for p, t in pairs]
        warm = [vote(server.url, warm_poll, t, rng.choice(pop.options)) for t in warm_tokens]
        await run_load(server, warm, connections=CONNECTIONS)
        health = build_request("GET", f"{server.url}/health")
        stack = await run_load(server, lambda n: health, connections=CONNECTIONS, total=votes)
        cast = await run_load(server, timed, connections=CONNECTIONS)
        return stack, cast, len({t for _, t in pairs})


async def main() -> None:
    args = arguments(
        __doc__, {"votes": (20_000, 200), "voters": (1_200, 20), "warmers": (50, 5)}, backends=False
    )
    with hello_server() as hello_app:
        request = build_request("GET", hello_app.url + "/")
        await run_load(
            hello_app, lambda n: request, connections=CONNECTIONS, total=args.votes // 10
        )
        hello = await run_load(
            hello_app, lambda n: request, connections=CONNECTIONS, total=args.votes
        )
    stack, cast, distinct = await cast_votes(args.votes, args.voters, args.warmers)
    expect(200, hello, stack)
    expect(201, cast)
    name = "http-cast-vs-hello"
    baseline(name, "hello-world ASGI under the same uvicorn", hello.summary())
    baseline(name, "GET /health through gateway and resolver", stack.summary())
    measured(name, f"POST votes, {distinct:,} distinct voters", cast.summary())
    result(name, cast.rps / hello.rps, 0.1)
    baseline("http-cast-p99", "limit", f"p99 <= {P99_LIMIT_MS:.0f} ms")
    measured("http-cast-p99", "POST votes", f"p99 {cast.percentile(99):.1f} ms")
    result("http-cast-p99", P99_LIMIT_MS / cast.percentile(99), 1)


if __name__ == "__main__":
    asyncio.run(main())
