"""Counting the rows a request reads, on each backend, and seeding a log with many unrelated
events fast.

* MySQL/MariaDB: the session's ``Handler_read%`` counters (every row an index or table read
  hands the server, matched or not), on a store with a pool of ONE connection, so every
  statement of the request runs in that session;
* SQLite: the virtual machine's instructions (a progress handler on every connection of the
  store), which grow with every row a statement visits, matched or not.

A request's count is measured after a warm-up call (a process's first read establishes its
safe position and caches, once), minus the count of measuring nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from projections import TallyProjector
from projections.events import TIMESTAMP
from vote_domain import VotingService
from vote_domain.codec import mapper, read_fields, topic
from vote_domain.model import Ballot
from vote_domain.stores import EventStore, MySQLEventStore, SQLiteEventStore
from vote_domain.stores.stamps import TIME_DISORDER
from votes.tallies import read_tally, read_totals

VOTE_CAST = topic(Ballot.VoteCast)


class CountingSQLiteStore(SQLiteEventStore):
    """A SQLite store whose connections count the VM instructions they run while counting."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.steps = 0
        self.counting = False
        self._conns: list[sqlite3.Connection] = []
        self._steps_lock = threading.Lock()

    def _tick(self) -> int:
        with self._steps_lock:
            self.steps += 1
        return 0

    def _connect(self, *, writer: bool) -> sqlite3.Connection:
        conn = super()._connect(writer=writer)
        self._conns.append(conn)
        if self.counting:
            conn.set_progress_handler(self._tick, 1)
        return conn

    def count(self, on: bool) -> None:
        self.counting = on
        for conn in self._conns:
            conn.set_progress_handler(self._tick if on else None, 1)


async def mysql_reads(store: MySQLEventStore) -> int:
    """The session's rows read so far (the pool's only connection)."""
    assert store.pool_size == 1
    async with store.transaction() as tx:
        rows = await tx.execute("SHOW SESSION STATUS LIKE 'Handler_read%'")
    return sum(int(value) for _, value in rows)


async def rows_read(
    store: EventStore, operation: Callable[[], Awaitable[Any]], repeat: int = 3
) -> int:
    """Rows (MySQL) or VM steps (SQLite) ``operation`` reads, less the cost of measuring: the
    least of ``repeat`` measurements (a read-pool connection opened during one of them parses
    the schema once, which is no row of the request's; growth with the log shows in every
    one). A write, which cannot be repeated alike, is measured once."""

    async def measure(op: Callable[[], Awaitable[Any]]) -> int:
        if isinstance(store, CountingSQLiteStore):
            store.steps = 0
            store.count(True)
            try:
                await op()
            finally:
                store.count(False)
            return store.steps
        assert isinstance(store, MySQLEventStore)
        before = await mysql_reads(store)
        await op()
        return await mysql_reads(store) - before

    async def nothing() -> None:
        return None

    await operation()  # warm-up: the process's safe position, its caches
    measured = min([await measure(operation) for _ in range(repeat)])
    return measured - min([await measure(nothing) for _ in range(repeat)])


async def seed_unrelated(store: EventStore, count: int, poll_id: UUID) -> None:
    """``count`` VoteCast events of other voters in poll ``poll_id`` (and none of any other
    poll), one multi-row INSERT on the server: the shape of a busy log around a quiet poll."""
    template = Ballot.cast(poll_id, uuid4(), "Yes").collect_events()[0]
    state = mapper().to_stored_event(template).state
    prefix = uuid4().hex[:8]
    async with store.transaction() as tx:
        if store.dialect == "sqlite":
            await tx.execute(
                "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ?)"
                " INSERT INTO stored_events (originator_id, originator_version, topic, state)"
                " SELECT ? || x, 1, ?, ? FROM n",
                [count - 1, f"{prefix}-", VOTE_CAST, state],
            )
            return
        digits = " UNION ALL ".join(f"SELECT {d} AS d" for d in range(10))
        names = [f"d{i}" for i in range(len(str(count - 1)))]
        joins = " CROSS JOIN ".join(f"({digits}) {n}" for n in names)
        number = " + ".join(f"{n}.d * {10**i}" for i, n in enumerate(names))
        await tx.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
            f" SELECT CONCAT(%s, n), 1, %s, %s FROM (SELECT {number} AS n FROM {joins}) AS s"
            " WHERE n < %s",
            [f"{prefix}-", VOTE_CAST, state, count],
        )


class Requests:
    """What each read route of the API does, as the route does it (service and read model
    calls), on one store."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.service = VotingService(store)

    async def list_polls(self) -> None:  # GET /polls
        polls = await self.service.list_polls()
        await read_totals(self.store, [str(p.id) for p in polls])

    async def results(self, poll_id: UUID, **query: Any) -> Any:  # GET /polls/{id}/results
        await self.service.require_results_visible(poll_id, "reader", privileged=True)
        return await read_tally(self.service, self.store, str(poll_id), **query)

    async def project_all(self) -> None:
        """Apply the whole log so far to the tallies, as the live projector does."""
        projector = TallyProjector(self.store)
        async for page in self.store.iter_notifications(page_size=500):
            await projector.process(page)


async def flat_under_unrelated_events(
    store: EventStore, unrelated: int
) -> dict[str, tuple[int, int]]:
    """Rows each read route reads for a quiet poll before and after ``unrelated`` events of
    another poll join the log: {route: (before, after)}."""
    from datetime import UTC, datetime

    from projections import migrate

    await migrate(store)
    r = Requests(store)
    service = r.service
    early = await service.create_poll("admin", "Early?", ["Yes", "No"])
    busy = await service.create_poll("admin", "Busy?", ["Yes", "No"])
    middle = datetime.now(UTC)
    for i in range(40):
        voter = f"voter-{i}"
        await service.register_voter(voter)
        await service.cast_vote(early.id, voter, "Yes" if i % 3 else "No")
        await service.cast_vote(busy.id, voter, "No")
        if i == 20:
            middle = datetime.now(UTC)
    await service.change_vote(early.id, "voter-0", "Yes")
    await r.project_all()
    position = (await store.max_notification_id() or 0) // 2
    toggles = {voter: iter(["No", "Yes"]) for voter in ("voter-2", "voter-5")}
    change = "PUT /polls/{id}/votes/me (change)"

    async def change_vote(voter: str) -> Any:
        return await service.change_vote(early.id, voter, next(toggles[voter]))

    routes: dict[str, Callable[[], Awaitable[Any]]] = {
        "GET /polls": r.list_polls,
        "GET /polls/{id}": lambda: service.get_poll(early.id),
        "GET /polls/{id}/results": lambda: r.results(early.id),
        "GET /polls/{id}/results?at=<middle>": lambda: r.results(early.id, at=middle),
        "GET /polls/{id}/results?at=<now>": lambda: r.results(early.id, at=datetime.now(UTC)),
        "GET /polls/{id}/results?position=<middle>": lambda: r.results(early.id, position=position),
        "GET /polls/{id}/results?position=<past the end>": lambda: r.results(
            early.id, position=10**15
        ),
        "GET /polls/{id}/votes/me": lambda: service.get_ballot(early.id, "voter-1"),
        "GET /ballots?polls=": lambda: service.list_ballots("voter-1", [early.id, busy.id]),
    }
    # The write first here and last there: the reads see the same poll both times, and the
    # two voters' ballots are alike (one cast each) when they change their votes.
    before = {change: await rows_read(store, lambda: change_vote("voter-2"), repeat=1)}
    # Past the time-disorder bound, the poll's last events are settled, as they are after the
    # seeding below: ``?at=<now>`` starts from the same checkpoint both times.
    await asyncio.sleep(TIME_DISORDER.total_seconds())
    before |= {name: await rows_read(store, op) for name, op in routes.items()}
    expected = (await r.results(early.id, at=datetime.now(UTC))).counts
    await seed_unrelated(store, unrelated, busy.id)
    after = {name: await rows_read(store, op) for name, op in routes.items()}
    after[change] = await rows_read(store, lambda: change_vote("voter-5"), repeat=1)
    assert (await r.results(early.id, at=datetime.now(UTC))).counts == expected
    return {name: (before[name], after[name]) for name in before}


async def seed_ballots_at_rate(
    store: EventStore, poll_id: UUID, count: int, rate: float, start: datetime
) -> list[datetime]:
    """``count`` VoteCast events in poll ``poll_id``, each a new voter's, stamped ``1 / rate``
    s apart from ``start`` in log order (one multi-row INSERT per 5,000, below the store's
    append path, whose stamp check refuses old stamps); their times."""
    template = mapper().to_stored_event(Ballot.cast(poll_id, uuid4(), "Yes").collect_events()[0])
    (stamp,) = read_fields(template.state, [TIMESTAMP])
    marker = TIMESTAMP.marker(stamp)
    times = [start + timedelta(seconds=n / rate) for n in range(count)]
    ph = "?" if store.dialect == "sqlite" else "%s"
    insert = (
        "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
        f" VALUES ({ph}, 1, {ph}, {ph})"
    )
    for first in range(0, count, 5000):
        rows = [
            (str(uuid4()), VOTE_CAST, template.state.replace(marker, TIMESTAMP.marker(when), 1))
            for when in times[first : first + 5000]
        ]
        async with store.transaction() as tx:
            await tx.executemany(insert, rows)
    return times
