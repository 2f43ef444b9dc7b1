"""Every read route, and a cast, on a log of 10,000 events and on one of 1,000,000: does a
request cost the same however long the log is?

Each backend gets two fresh databases, made by ``votes db migrate`` (whatever tables the app
has) and seeded with multi-row INSERTs into ``stored_events`` (1,000 rows each, the columns of
the stores' own INSERT; a single seeding writer needs no append gate) with the log of
``bench/replay.py``'s shape (``_common``'s ballot templates): 10 polls of Zipf-skewed
popularity plus an *early* poll created at the very start, ballots cast 50/30/20 over three
options, 20% of them changed and 5% retracted later in the log; then voter registrations (fewer
than a checkpoint window's 1,000 positions) and a *late* poll with about 200 ballot events
after it, the same at both sizes, a checkpoint window ending halfway through them. Events are
stamped 300 a second (a national vote's million an hour), so the 10,000 log spans half a minute
and the 1,000,000 one an hour; a few voters of the bench are registered at the start, some with
a ballot in the early poll. Then ``votes replay`` (the app's own rebuild: every read model it
builds, whatever they are) projects each log, and the local app's in-process bus is marked as
past it (else ``votes serve`` would start by reading the whole log again). A check: the early
poll's results over HTTP are the counts the log folds to.

Each route is timed, ``--repeats`` requests per size, each request cold (no ``If-None-Match``,
each cast by a new voter, each ballot read by another voter):

* over HTTP, through ``votes serve`` (one per database, both running, the sizes alternating
  request by request; tokens signed with the local identity provider's key), and
* directly: the API's resolver in-process (what the Lambda runs: the route calling the voting
  service), a fresh :class:`~vote_domain.VotingService` per request (no projected aggregate
  kept from the request before), on a one-connection pool, one size after the other, so that
  on MySQL the session's ``Handler_read%`` counters (``SHOW SESSION STATUS`` before and after,
  less what one ``SHOW`` counts itself) give the rows the request examined (SQLite keeps no
  such counter that Python's ``sqlite3`` can read, so rows are MySQL's only).

Routes (:data:`ROUTES`): ``polls`` (GET /polls), ``poll`` and ``results`` (the early poll),
``results-at-early`` / ``results-position-early`` (the early poll as of the checkpoint window
at 90% of the log: time travel from its creation), ``results-at-late`` /
``results-position-late`` (the late poll over its life, up to the log's end), ``votes-me``
(GET /polls/{early}/votes/me), ``cast`` (POST a vote in the late poll). Per route and
backend: ``RESULT scale-<route>-<backend>`` (HTTP) and ``scale-<route>-<backend>-direct``,
ratio = median at 10k / median at 1M, target 0.5 (flat within 2x); on MySQL ``RESULT
scale-rows-<route>``, ratio = 1 / max(1, rows at 1M / rows at 10k), target 0.5. A route that
takes long (it reads the log) is sampled at least 3 times, then until it has used ``--budget``
seconds.

A time-travel route (:data:`TIME_TRAVEL`) asks :data:`OFFSETS` positions (``?at``: their
events' times) spread evenly over a checkpoint window (the early poll) or the late poll's life,
at the same offsets within their windows at both sizes, request ``i`` the ``i % OFFSETS``-th,
in whole rounds: the rows such a request reads depend on where its position falls in its
window, not on the log's length, so one alignment against another would measure alignments,
not growth.

    python bench/scale.py [--events 1000000] [--baseline-events 10000] [--repeats 7]
                          [--budget 60] [--only sqlite|mysql] [--smoke]
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jwt
from _common import (
    INSERTS_PER_COMMIT,
    OPTION_WEIGHTS,
    OPTIONS,
    ROWS_PER_INSERT,
    _Templates,
    arguments,
    baseline,
    database,
    insert_rows,
    measured,
    result,
    zipf,
)
from _web import ServeProcess
from eventsourcing.persistence import StoredEvent, Tracking

from projections.checkpoints import WINDOW, complete_upto
from projections.events import TIMESTAMP
from vote_domain import EventStore, Poll, Voter, VotingService, ballot_id_for, connect, mapper
from vote_domain.codec import read_fields
from vote_domain.model import voter_id_for
from votes import bootstrap
from votes.http.api import handle
from votes.http.openapi import routes
from votes.local.auth import gateway_jwt_context
from votes.local.bus import TRACKING_NAME
from votes.local.gateway import RouteTable, api_event
from votes.local.idp.keys import SigningKey
from votes.local.idp.tokens import TokenMinter
from votes.settings import Settings

ROUTES = (
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
"""The routes timed, as named in the RESULT lines (``bench/all.py`` lists them too)."""
TIME_TRAVEL = (
    "results-at-early",
    "results-at-late",
    "results-position-early",
    "results-position-late",
)
OFFSETS = 8
"""Targets of a time-travel route, spread over a checkpoint window (or the late poll's life)."""
TARGET = 0.5
RATE = 300
"""Events per second of log time."""
POLLS = 10
LATE_BALLOTS = 200
CHANGED, RETRACTED = 0.2, 0.05
MIN_SAMPLES = 3
VOTES = str(Path(sys.executable).parent / "votes")


# -- the log -------------------------------------------------------------------------------


@dataclass
class Voters:
    """Subjects of the bench's registered voters, by what they do."""

    readers: list[str]
    """Each has a ballot (``Red``) in the early poll, read once per path."""
    http_casters: list[str]
    direct_casters: list[str]


@dataclass
class Log:
    """What the bench needs to know of a seeded log."""

    events: int
    early: str
    late: str
    polls: list[str]
    voters: Voters
    late_created: int = 0
    """The position of the late poll's creation (the first event's is 1)."""
    early_counts: dict[str, int] = field(default_factory=dict)


class _Clock:
    """Stamps events ``1 / RATE`` s apart, ending a minute ago."""

    def __init__(self, total: int) -> None:
        self.start = datetime.now(UTC) - timedelta(seconds=total / RATE + 60)
        self.n = 0
        self._markers: dict[str, bytes] = {}

    def stamp(self, event: StoredEvent) -> StoredEvent:
        marker = self._markers.get(event.topic)
        if marker is None or marker not in event.state:  # templates share their time
            (when,) = read_fields(event.state, [TIMESTAMP])
            marker = self._markers[event.topic] = TIMESTAMP.marker(when)
        new = TIMESTAMP.marker(self.start + timedelta(seconds=self.n / RATE))
        self.n += 1
        state = event.state.replace(marker, new, 1)
        return StoredEvent(event.originator_id, event.originator_version, event.topic, state)


def _ballots(
    rng: random.Random,
    count: int,
    polls: list[uuid.UUID],
    weights: list[float],
    t: _Templates,
    counts: dict[uuid.UUID, dict[str, int]],
) -> Iterator[StoredEvent]:
    """About ``count`` ballot events over ``polls`` as :func:`_common.vote_log` makes them
    (each follow-up up to a tenth of the log after the event before it), streamed in log
    order."""
    ballots = max(1, round(count / (1 + CHANGED + RETRACTED)))
    horizon = max(1.0, ballots / 10)
    cumulative = list(itertools.accumulate(weights))
    later: list[tuple[float, int, StoredEvent]] = []
    seq = itertools.count()
    for b in range(ballots):
        while later and later[0][0] <= b:
            yield heapq.heappop(later)[2]
        p = min(len(polls) - 1, bisect.bisect_left(cumulative, rng.random() * cumulative[-1]))
        poll_id, voter = polls[p], uuid.UUID(int=rng.getrandbits(128), version=4)
        ballot = ballot_id_for(poll_id, voter)
        held: str | None = rng.choices(OPTIONS, OPTION_WEIGHTS)[0]
        key, version = float(b), 1
        yield t.make(t.cast, ballot, 1, poll_id, voter, held, "")
        if rng.random() < CHANGED:
            new = rng.choice([o for o in OPTIONS if o != held])
            key, version = key + rng.uniform(0, horizon), version + 1
            event = t.make(t.changed, ballot, version, poll_id, voter, new, held)
            heapq.heappush(later, (key, next(seq), event))
            held = new
        if rng.random() < RETRACTED:
            key, version = key + rng.uniform(0, horizon), version + 1
            event = t.make(t.retracted, ballot, version, poll_id, voter, "", held)
            heapq.heappush(later, (key, next(seq), event))
            held = None
        if held is not None:
            counts[poll_id][held] += 1
    while later:
        yield heapq.heappop(later)[2]


def make_log(events: int, repeats: int, seed: int = 11) -> tuple[Log, Iterator[StoredEvent]]:
    """A log of about ``events`` events (described, and streamed in log order)."""
    rng = random.Random(seed)
    m = mapper()
    t = _Templates()

    def subject() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    voters = Voters(
        [subject() for _ in range(max(requests(r, repeats) for r in ROUTES))],
        [subject() for _ in range(repeats)],
        [subject() for _ in range(repeats)],
    )
    early = Poll.create("Bench early poll?", list(OPTIONS), "bench", None)
    polls = [Poll.create(f"Bench poll {i}?", list(OPTIONS), "bench", None) for i in range(POLLS)]
    late = Poll.create("Bench late poll?", list(OPTIONS), "bench", None)
    weights = zipf(POLLS)
    weights.append(sum(weights) / len(weights))  # the early poll: an average one
    ids = [p.id for p in polls] + [early.id]
    counts = {pid: dict.fromkeys(OPTIONS, 0) for pid in [*ids, late.id]}
    everyone = voters.readers + voters.http_casters + voters.direct_casters
    # (and the registrations before the late poll: half a window on average)
    fixed = 2 + POLLS + len(everyone) + len(voters.readers) + LATE_BALLOTS + WINDOW // 2
    log = Log(
        events=0,
        early=str(early.id),
        late=str(late.id),
        polls=[str(i) for i in ids],
        voters=voters,
    )

    def body() -> Iterator[StoredEvent]:
        yield m.to_stored_event(early.collect_events()[0])
        for p in polls:
            yield m.to_stored_event(p.collect_events()[0])
        for s in everyone:
            yield m.to_stored_event(Voter.register(s, s[:8]).collect_events()[0])
        for s in voters.readers:
            ballot = ballot_id_for(early.id, voter_id_for(s))
            yield t.make(t.cast, ballot, 1, early.id, voter_id_for(s), "Red", "")
            counts[early.id]["Red"] += 1
        yield from _ballots(rng, max(1, events - fixed), ids, weights, t, counts)

    def stream() -> Iterator[StoredEvent]:
        written = 0
        for event in body():
            yield event
            written += 1
        late_rng = random.Random(seed + 1)  # the same ballots at every size
        late_ballots = list(_ballots(late_rng, LATE_BALLOTS, [late.id], [1.0], t, counts))
        # Positions run 1, 2, ... in log order: registrations until a window ends halfway
        # through the late poll's ballots.
        for _ in range(-(written + 1 + len(late_ballots) // 2) % WINDOW):
            s = subject()
            yield m.to_stored_event(Voter.register(s, s[:8]).collect_events()[0])
            written += 1
        log.late_created = written + 1
        yield m.to_stored_event(late.collect_events()[0])
        yield from late_ballots
        log.early_counts = counts[early.id]

    return log, stream()


# -- seeding -------------------------------------------------------------------------------


def migrate(url: str) -> None:
    """The app's schema, whatever its version: ``votes db migrate``."""
    subprocess.run([VOTES, "db", "migrate", "--database", url], check=True, capture_output=True)


async def seed(url: str, events: Iterator[StoredEvent], total: int) -> int:
    """Write ``events`` stamped in order into a migrated database, and point the local app's
    bus past them (``votes replay`` projects them next); the number written."""
    clock = _Clock(total)
    async with connect(url) as store:
        batch: list[StoredEvent] = []
        written = 0
        step = ROWS_PER_INSERT * INSERTS_PER_COMMIT

        async def flush(events: list[StoredEvent]) -> None:
            async with store.transaction() as tx:
                for i in range(0, len(events), ROWS_PER_INSERT):
                    await insert_rows(tx, store.dialect, events[i : i + ROWS_PER_INSERT])

        for event in events:
            batch.append(clock.stamp(event))
            if len(batch) == step:
                await flush(batch)
                written += len(batch)
                batch = []
        if batch:
            await flush(batch)
            written += len(batch)
        # `votes serve`'s in-process bus would otherwise start by reading the whole log to
        # reach the position the replay below projects it to.
        top = await store.max_notification_id() or 0
        await store.insert_tracking(Tracking(TRACKING_NAME, top))
    return written


def replay(url: str) -> float:
    """Seconds ``votes replay`` took to project the log."""
    started = time.perf_counter()
    subprocess.run([VOTES, "replay", "--database", url], check=True, capture_output=True)
    return time.perf_counter() - started


# -- requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    subject: str | None = None
    expect: int = 200


@dataclass
class Targets:
    """Where each route's requests go in one database."""

    log: Log
    early_positions: list[int]
    early_times: list[str]
    late_positions: list[int]
    late_times: list[str]


async def targets(url: str, log: Log) -> Targets:
    """The positions and times the time-travel routes ask for (OFFSETS of each): the early
    poll's over the checkpoint window at 90% of the log, the late one's over its life."""
    async with connect(url) as store:
        top = await store.max_notification_id() or 0
        (created,) = await store.select_notifications(log.late_created, 1)
        if str(created.originator_id) != log.late:
            raise SystemExit(f"position {log.late_created} is not the late poll's creation")
        base = complete_upto(top * 9 // 10)
        # (min: a log shorter than two windows, --smoke's)
        early = [min(top, base + k * WINDOW // OFFSETS) for k in range(OFFSETS)]
        late = [top - k * (top - log.late_created) // OFFSETS for k in range(OFFSETS)]

        async def time_at(position: int) -> str:
            (n,) = await store.select_notifications(position, 1)
            (when,) = read_fields(n.state, [TIMESTAMP])
            return str(when.isoformat())

        early_times = [await time_at(p) for p in early]
        return Targets(log, early, early_times, late, [await time_at(p) for p in late])


def request(route: str, t: Targets, i: int, *, direct: bool) -> Request:
    """Request ``i`` of ``route``."""
    log, reader, k = t.log, t.log.voters.readers[i], i % OFFSETS
    early, late = f"/polls/{log.early}", f"/polls/{log.late}"
    match route:
        case "polls":
            return Request("GET", "/polls", subject=reader)
        case "poll":
            return Request("GET", early, subject=reader)
        case "results":
            return Request("GET", f"{early}/results", subject=reader)
        case "results-at-early":
            query = f"at={quote(t.early_times[k])}"
            return Request("GET", f"{early}/results", query, subject=reader)
        case "results-at-late":
            query = f"at={quote(t.late_times[k])}"
            return Request("GET", f"{late}/results", query, subject=reader)
        case "results-position-early":
            query = f"position={t.early_positions[k]}"
            return Request("GET", f"{early}/results", query, subject=reader)
        case "results-position-late":
            query = f"position={t.late_positions[k]}"
            return Request("GET", f"{late}/results", query, subject=reader)
        case "votes-me":
            return Request("GET", f"{early}/votes/me", subject=reader)
        case "cast":
            casters = log.voters.direct_casters if direct else log.voters.http_casters
            body = b'{"option": "Green"}'
            return Request("POST", f"{late}/votes", body=body, subject=casters[i], expect=201)
    raise ValueError(route)


class Tokens:
    """Access tokens of the local identity provider whose key is in ``cwd``."""

    def __init__(self, cwd: Path, url: str) -> None:
        settings = Settings(public_url=url)
        key = SigningKey.load_or_create(cwd / settings.idp_key_file)
        self.minter = TokenMinter(key, settings.token_issuer, settings.user_pool_client_id)
        self._tokens: dict[str, str] = {}

    def __call__(self, subject: str) -> str:
        if subject not in self._tokens:
            minted = self.minter.tokens(
                sub=subject,
                username=subject,
                groups=[],
                attributes={},
                auth_time=int(time.time()),
                origin_jti=str(uuid.uuid4()),
            )
            self._tokens[subject] = minted["AccessToken"]
        return self._tokens[subject]

    def claims(self, subject: str) -> dict[str, Any]:
        return dict(jwt.decode(self(subject), options={"verify_signature": False}))


Sample = Callable[[int], Awaitable[float | None]]
"""Send request ``i``; its seconds (None: the size had no such request)."""


def round_of(route: str) -> int:
    """The requests of one round of ``route``'s targets."""
    return OFFSETS if route in TIME_TRAVEL else 1


def requests(route: str, repeats: int) -> int:
    """How many requests ``route`` makes unless cut short: ``repeats`` rounded up to whole
    rounds."""
    return -(-repeats // round_of(route)) * round_of(route)


def schedule(route: str, repeats: int, budget: float) -> Iterator[int]:
    """The numbers of ``route``'s requests: :func:`requests` of them, or fewer (at least
    MIN_SAMPLES, a time-travel route whole rounds of at least one) once ``budget`` seconds
    have gone since the first."""
    step = round_of(route)
    started = time.perf_counter()
    for i in range(requests(route, repeats)):
        over = time.perf_counter() - started > budget
        if over and i >= max(MIN_SAMPLES, step) and i % step == 0:
            return
        yield i


async def sampled(
    sizes: list[Sample], route: str, repeats: int, budget: float
) -> list[list[float]]:
    """Samples of each size, alternating, as :func:`schedule` numbers them."""
    samples: list[list[float]] = [[] for _ in sizes]
    for i in schedule(route, repeats, budget):
        for k, sample in enumerate(sizes):
            took = await sample(i)
            if took is not None:
                samples[k].append(took)
    return samples


# -- over HTTP -----------------------------------------------------------------------------


class HttpSize:
    """One size's ``votes serve`` and a keep-alive client to it."""

    def __init__(self, url: str, log: Log, targets: Targets, stack: ExitStack) -> None:
        cwd = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="votes-scale-")))
        server = stack.enter_context(ServeProcess(database=url, cwd=cwd))
        self.tokens = Tokens(cwd, server.url)
        self.client = httpx.AsyncClient(base_url=server.url, timeout=600)
        self.targets = targets

    async def send(self, route: str, i: int) -> float:
        r = request(route, self.targets, i, direct=False)
        headers = {"Authorization": f"Bearer {self.tokens(r.subject or '')}"}
        if r.body:
            headers["Content-Type"] = "application/json"
        url = r.path + (f"?{r.query}" if r.query else "")
        started = time.perf_counter()
        response = await self.client.request(r.method, url, content=r.body, headers=headers)
        took = time.perf_counter() - started
        if response.status_code != r.expect:
            raise SystemExit(f"{r.method} {url} answered {response.status_code}: {response.text}")
        return took

    async def check(self) -> None:
        """The replayed tally of the early poll is the one the log folds to."""
        log = self.targets.log
        r = await self.client.get(
            f"/polls/{log.early}/results",
            headers={"Authorization": f"Bearer {self.tokens(log.voters.readers[0])}"},
        )
        r.raise_for_status()
        if r.json()["counts"] != log.early_counts:
            raise SystemExit(f"early poll tally {r.json()['counts']} != {log.early_counts}")


async def time_http(
    sizes: list[HttpSize], repeats: int, budget: float
) -> dict[str, list[list[float]]]:
    """route -> samples per size."""
    await sizes[0].check()
    await sizes[-1].check()
    out = {}
    for route in ROUTES:
        out[route] = await sampled([partial(s.send, route) for s in sizes], route, repeats, budget)
    for s in sizes:
        await s.client.aclose()
    return out


# -- directly ------------------------------------------------------------------------------

ROWS_READ = "SHOW SESSION STATUS LIKE 'Handler_read%'"


async def rows_read(store: EventStore) -> int:
    """The session's ``Handler_read%`` counters summed (the pool's one connection)."""
    async with store.transaction() as tx:
        return sum(int(v) for _, v in await tx.execute(ROWS_READ))


@dataclass
class Direct:
    """One size's samples: seconds and (MySQL) rows read, per route."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    rows: dict[str, list[int]] = field(default_factory=dict)


async def time_direct(url: str, t: Targets, tokens: Tokens, repeats: int, budget: float) -> Direct:
    """Each route through the API's resolver in-process, on a one-connection pool."""
    settings = Settings(database_url=url, database_pool_size=1, log_level="WARNING")
    bootstrap.configure(settings=settings, local=True)  # local: no metrics to flush
    c = bootstrap.container()
    table = RouteTable(routes())
    mysql = c.store.dialect == "mysql"
    out = Direct()
    try:
        overhead = 0
        if mysql:
            first = await rows_read(c.store)
            overhead = await rows_read(c.store) - first
        for route in ROUTES:
            seconds: list[float] = []
            rows: list[int] = []
            for i in schedule(route, repeats, budget):
                r = request(route, t, i, direct=True)
                route_key, params, _ = table.match(r.method, r.path)
                event = api_event(
                    method=r.method,
                    path=r.path,
                    raw_query=r.query,
                    raw_headers=[(b"host", b"127.0.0.1"), (b"content-type", b"application/json")],
                    body=r.body,
                    source_ip="127.0.0.1",
                    route_key=route_key,
                    path_parameters=params,
                    jwt=gateway_jwt_context(tokens.claims(r.subject or "")),
                )
                c.service = VotingService(c.store, on_recorded=c.service.on_recorded)
                before = await rows_read(c.store) if mysql else 0
                began = time.perf_counter()
                answer = await handle(event)
                seconds.append(time.perf_counter() - began)
                if mysql:
                    rows.append(await rows_read(c.store) - before - overhead)
                if answer["statusCode"] != r.expect:
                    raise SystemExit(f"{r.method} {r.path}?{r.query} (direct): {answer}")
            out.seconds[route], out.rows[route] = seconds, rows
    finally:
        await bootstrap.close()
        bootstrap.reset()
    return out


# -- the run -------------------------------------------------------------------------------


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.2f} ms ({len(values)} requests)"


def report(
    backend: str, sizes: list[int], http: dict[str, list[list[float]]], direct: list[Direct]
) -> None:
    small, large = (f"{n:,} events" for n in sizes)
    for route in ROUTES:
        name = f"scale-{route}-{backend}"
        at_small, at_large = http[route]
        baseline(name, f"HTTP, {small}", ms(at_small))
        measured(name, f"HTTP, {large}", ms(at_large))
        result(name, statistics.median(at_small) / statistics.median(at_large), TARGET)
        d_small, d_large = direct[0].seconds[route], direct[1].seconds[route]
        baseline(f"{name}-direct", f"in-process resolver, {small}", ms(d_small))
        measured(f"{name}-direct", f"in-process resolver, {large}", ms(d_large))
        result(f"{name}-direct", statistics.median(d_small) / statistics.median(d_large), TARGET)
    if backend != "mysql":
        return
    for route in ROUTES:
        name = f"scale-rows-{route}"
        r_small = statistics.median(direct[0].rows[route])
        r_large = statistics.median(direct[1].rows[route])
        baseline(name, f"Handler_read% per request, {small}", f"median {r_small:,.0f} rows")
        measured(name, f"Handler_read% per request, {large}", f"median {r_large:,.0f} rows")
        result(name, 1 / max(1.0, r_large / max(1.0, r_small)), TARGET)


def bench(backend: str, server: str, sizes: list[int], repeats: int, budget: float) -> None:
    with ExitStack() as stack:
        urls = [stack.enter_context(database(backend, server)) for _ in sizes]
        logs: list[Log] = []
        for n, url in zip(sizes, urls, strict=True):
            log, events = make_log(n, repeats)
            started = time.perf_counter()
            migrate(url)
            log.events = asyncio.run(seed(url, events, n))
            seeded = time.perf_counter() - started
            took = replay(url)
            print(
                f"{backend}: seeded {log.events:,} events in {seeded:.1f} s,"
                f" votes replay {took:.1f} s",
                flush=True,
            )
            logs.append(log)
        where = [asyncio.run(targets(url, log)) for url, log in zip(urls, logs, strict=True)]
        http_sizes = [HttpSize(u, lg, t, stack) for u, lg, t in zip(urls, logs, where, strict=True)]
        http = asyncio.run(time_http(http_sizes, repeats, budget))
        direct = [
            asyncio.run(time_direct(u, t, h.tokens, repeats, budget))
            for u, t, h in zip(urls, where, http_sizes, strict=True)
        ]
    report(backend, [log.events for log in logs], http, direct)


def main() -> None:
    args = arguments(
        __doc__,
        {
            "events": (1_000_000, 3000),
            "baseline_events": (10_000, 300),
            "repeats": (7, 3),
            "budget": (60, 5),
        },
    )
    for backend in args.backends:
        bench(
            backend, args.mysql_url, [args.baseline_events, args.events], args.repeats, args.budget
        )


if __name__ == "__main__":
    main()
