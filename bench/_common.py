"""What every benchmark shares: its command line, its output convention, fresh databases, and
the vote logs it seeds.

Output convention (``tests/bench/test_bench_smoke.py`` checks it): a script prints, for each
result, the raw figures of its baselines (``BASELINE <name> <label>: <figure>``) and of what
it measures (``MEASURED <name> <label>: <figure>``), then ``RESULT <name> ratio=<x>
target=<y>``, higher always better. A baseline is measured in the same run, or is a limit
(``p99 <= 100 ms``: ratio = limit / measured). Every script takes ``--smoke`` (tiny sizes, a
few seconds, figures meaningless) and, where it has both, ``--only sqlite|mysql``.

Databases are made for the run and removed after it: a temporary SQLite file, or a MySQL
database ``votes_bench_<random>`` on the server of ``--mysql-url`` (default
``VOTES_TEST_MYSQL_URL``, else ``mysql://root@127.0.0.1:3306/test``), dropped at the end.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import secrets
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pymysql
from eventsourcing.persistence import StoredEvent

from vote_domain import Ballot, EventStore, Poll, ballot_id_for, mapper
from vote_domain.stores import Transaction
from vote_domain.stores._ids import encode_originator_id

__all__ = [
    "BACKENDS",
    "VoteLog",
    "arguments",
    "baseline",
    "database",
    "measured",
    "mysql_params",
    "result",
    "vote_log",
    "zipf",
]

BACKENDS = ("sqlite", "mysql")
DEFAULT_MYSQL_URL = "mysql://root@127.0.0.1:3306/test"


# -- command line --------------------------------------------------------------------------


def arguments(
    doc: str | None, sizes: dict[str, tuple[int, int]], *, backends: bool = True
) -> argparse.Namespace:
    """Parse the command line: ``--smoke``, ``--mysql-url``, ``--only`` (if ``backends``) and
    one integer option per entry of ``sizes`` (name: (full size, smoke size))."""
    parser = argparse.ArgumentParser(
        description=(doc or "").strip().splitlines()[0],
        epilog="Output: BASELINE / MEASURED figures, then RESULT lines (see bench/_common.py).",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks it runs")
    parser.add_argument(
        "--mysql-url",
        default=os.environ.get("VOTES_TEST_MYSQL_URL", DEFAULT_MYSQL_URL),
        help="MySQL/MariaDB server (a database is created on it for the run, then dropped)",
    )
    if backends:
        parser.add_argument("--only", choices=BACKENDS, help="run one backend only")
    for name, (full, smoke) in sizes.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            default=None,
            help=f"default {full:,} ({smoke:,} with --smoke)",
        )
    args = parser.parse_args()
    for name, (full, smoke) in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, smoke if args.smoke else full)
    args.backends = [args.only] if backends and args.only else list(BACKENDS)
    return args


# -- output --------------------------------------------------------------------------------


def baseline(name: str, label: str, figure: str) -> None:
    """Print a raw figure of a baseline of result ``name`` (measured now, or a limit)."""
    print(f"BASELINE {name} {label}: {figure}", flush=True)


def measured(name: str, label: str, figure: str) -> None:
    """Print a raw figure of what result ``name`` measures."""
    print(f"MEASURED {name} {label}: {figure}", flush=True)


def result(name: str, ratio: float, target: float) -> None:
    """Print the RESULT line of ``name`` (higher is better; met when ratio >= target)."""
    print(f"RESULT {name} ratio={ratio:.2f} target={target:g}", flush=True)


# -- databases -----------------------------------------------------------------------------


def mysql_params(url: str) -> dict[str, Any]:
    """aiomysql / PyMySQL connection keywords of ``mysql://user:password@host:port/db``."""
    parts = urlsplit(url)
    params: dict[str, Any] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
    }
    if parts.path.strip("/"):
        params["db"] = parts.path.strip("/")
    return params


@contextmanager
def database(backend: str, mysql_server: str) -> Iterator[str]:
    """The URL of a new, empty database of ``backend`` (``sqlite`` or ``mysql``), removed
    when the block ends."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="votes-bench-") as tmp:
            yield f"sqlite:///{os.path.join(tmp, 'votes.db')}"
        return
    name = f"votes_bench_{secrets.token_hex(4)}"
    params = {k: v for k, v in mysql_params(mysql_server).items() if k != "db"}
    conn = pymysql.connect(**params, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        parts = urlsplit(mysql_server)
        try:
            yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
        finally:
            conn.ping(reconnect=True)
            with conn.cursor() as cur:
                # Fail rather than wait for ever if a connection of this run still holds a lock.
                cur.execute("SET SESSION lock_wait_timeout = 60")
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


# -- vote logs -----------------------------------------------------------------------------

OPTIONS = ("Red", "Green", "Blue")
OPTION_WEIGHTS = (0.5, 0.3, 0.2)
_POLL = uuid.UUID(int=0xB0)
_VOTER = uuid.UUID(int=0xB1)
_TAKEN, _LEFT = "Bench-option-taken", "Bench-option-left"


@dataclass
class VoteLog:
    """A vote log in log order, and the tallies it must fold to."""

    events: list[StoredEvent]
    poll_ids: list[str]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """poll id -> option -> votes held at the end."""


class _Templates:
    """One stored event per ballot event kind, made by the domain and its mapper with marker
    values, which :meth:`make` replaces (so no payload key is named here)."""

    def __init__(self) -> None:
        m = mapper()
        self.cast = m.to_stored_event(Ballot.cast(_POLL, _VOTER, _TAKEN).collect_events()[0])
        changed = Ballot.cast(_POLL, _VOTER, _LEFT)
        changed.change(_TAKEN)
        self.changed = m.to_stored_event(changed.collect_events()[1])
        retracted = Ballot.cast(_POLL, _VOTER, _LEFT)
        retracted.retract()
        self.retracted = m.to_stored_event(retracted.collect_events()[1])

    @staticmethod
    def make(
        template: StoredEvent,
        ballot: uuid.UUID,
        version: int,
        poll: uuid.UUID,
        voter: uuid.UUID,
        taken: str,
        left: str,
    ) -> StoredEvent:
        s = template.state.replace(_POLL.hex.encode(), poll.hex.encode())
        s = s.replace(_VOTER.hex.encode(), voter.hex.encode())
        s = s.replace(f'"{_TAKEN}"'.encode(), f'"{taken}"'.encode())
        s = s.replace(f'"{_LEFT}"'.encode(), f'"{left}"'.encode())
        return StoredEvent(ballot, version, template.topic, s)


def zipf(n: int, s: float = 1.1) -> list[float]:
    """Relative popularity of ``n`` items by Zipf's law (rank 1 the most popular)."""
    return [1 / rank**s for rank in range(1, n + 1)]


def vote_log(
    *,
    polls: int,
    events: int,
    changed: float = 0.2,
    retracted: float = 0.05,
    popularity: Sequence[float] | None = None,
    seed: int = 7,
) -> VoteLog:
    """``polls`` Poll.Created events, then about ``events`` ballot events.

    Each ballot is a distinct (poll, voter); its poll is drawn by ``popularity`` (relative
    weights, default :func:`zipf`), its option by 50/30/20 weights. A fraction ``changed`` of
    the ballots later moves to another option, a fraction ``retracted`` later withdraws
    (after its change, if any); each follow-up lands at a random later point of the log, up
    to a tenth of the log after the event before it."""
    rng = random.Random(seed)
    m = mapper()
    log = VoteLog(events=[], poll_ids=[])
    poll_uuids: list[uuid.UUID] = []
    for i in range(polls):
        poll = Poll.create(f"Bench poll {i}?", list(OPTIONS), "bench", None)
        log.events.append(m.to_stored_event(poll.collect_events()[0]))
        log.poll_ids.append(str(poll.id))
        poll_uuids.append(poll.id)
        log.counts[str(poll.id)] = dict.fromkeys(OPTIONS, 0)
    cumulative = list(itertools.accumulate(popularity or zipf(polls)))
    t = _Templates()
    ballots = max(1, round(events / (1 + changed + retracted)))
    horizon = max(1.0, ballots / 10)
    keyed: list[tuple[float, StoredEvent]] = []
    for b in range(ballots):
        p = min(polls - 1, bisect.bisect_left(cumulative, rng.random() * cumulative[-1]))
        poll_id, voter = poll_uuids[p], uuid.UUID(int=rng.getrandbits(128), version=4)
        ballot = ballot_id_for(poll_id, voter)
        held: str | None = rng.choices(OPTIONS, OPTION_WEIGHTS)[0]
        key, version = float(b), 1
        keyed.append((key, t.make(t.cast, ballot, 1, poll_id, voter, held, "")))
        if rng.random() < changed:
            new = rng.choice([o for o in OPTIONS if o != held])
            key, version = key + rng.uniform(0, horizon), version + 1
            keyed.append((key, t.make(t.changed, ballot, version, poll_id, voter, new, held)))
            held = new
        if rng.random() < retracted:
            key, version = key + rng.uniform(0, horizon), version + 1
            keyed.append((key, t.make(t.retracted, ballot, version, poll_id, voter, "", held)))
            held = None
        if held is not None:
            log.counts[log.poll_ids[p]][held] += 1
    keyed.sort(key=lambda pair: pair[0])
    log.events.extend(e for _, e in keyed)
    return log


# -- seeding a log made before the run ------------------------------------------------------

ROWS_PER_INSERT = 1000
INSERTS_PER_COMMIT = 20


def insert_statement(dialect: str, rows: int) -> str:
    """A multi-row INSERT of ``rows`` events, with the columns of the stores' own INSERT."""
    ph = "(?, ?, ?, ?)" if dialect == "sqlite" else "(%s, %s, %s, %s)"
    return (
        "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
        f" VALUES {', '.join([ph] * rows)}"
    )


async def insert_rows(tx: Transaction, dialect: str, events: Sequence[StoredEvent]) -> None:
    """``events`` in one multi-row INSERT in ``tx``."""
    params = [
        v
        for s in events
        for v in (encode_originator_id(s.originator_id), s.originator_version, s.topic, s.state)
    ]
    await tx.execute(insert_statement(dialect, len(events)), params)


async def seed_log(store: EventStore, events: Sequence[StoredEvent]) -> None:
    """Write ``events``, a log made before the run, in multi-row INSERTs below the store's
    append path: that path refuses events stamped more than seconds before they reach it
    (vote_domain.stores.stamps), and the log's own order is kept."""
    step = ROWS_PER_INSERT * INSERTS_PER_COMMIT
    for first in range(0, len(events), step):
        commit = events[first : first + step]
        async with store.transaction() as tx:
            for i in range(0, len(commit), ROWS_PER_INSERT):
                await insert_rows(tx, store.dialect, commit[i : i + ROWS_PER_INSERT])
