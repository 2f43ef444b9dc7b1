"""Crash test on MySQL: a projector process killed with SIGKILL at random points while it
consumes batches, restarted and redelivered to, ends with tallies equal to a replay, and
with tally checkpoints (a short window, so the log crosses many) that verify finds equal to
the log's and time travel from which equals the reference fold."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from pathlib import Path

import pytest
from tally_log import VoteLog, all_notifications, counts_of

from projections import all_tallies, checkpoints, migrate, verify
from projections.query import fold_tally_at, tally_at
from projections.schema import INITIAL_SET
from projections.verify import fold_log
from vote_domain.stores import MySQLEventStore

WORKER = Path(__file__).with_name("tally_crash_worker.py")
ROOT = Path(__file__).resolve().parents[2]
KILLS = 6
EVERY = 13


async def _run_until_killed(
    url: str, schedule: Path, first: int, rng: random.Random, kill: bool
) -> tuple[int, bool]:
    """Run a worker from batch ``first``; (next batch to deliver, whether it finished)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        url,
        str(schedule),
        str(first),
        str(EVERY),
        stdout=asyncio.subprocess.PIPE,
        cwd=str(ROOT),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    next_batch = first
    acks_before_kill = rng.randint(0, 4) if kill else -1
    acks = 0
    try:
        while True:
            if kill and acks >= acks_before_kill:
                # Let it get into its next batch (or not), then kill it mid-flight.
                await asyncio.sleep(rng.uniform(0, 0.05))
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
                return next_batch, False
            line = (await proc.stdout.readline()).decode().strip()
            if not line:
                await proc.wait()
                assert proc.returncode == 0, f"worker failed with {proc.returncode}"
                return next_batch, False
            if line == "done":
                await proc.wait()
                return next_batch, True
            assert line == f"ack {next_batch}"
            next_batch += 1
            acks += 1
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.mark.mysql
async def test_sigkilled_projector_restarted_ends_equal_to_replay(
    mysql_store: MySQLEventStore,
    fresh_mysql_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(checkpoints, "WINDOW", EVERY)
    monkeypatch.setattr(checkpoints, "DENSE", 3)
    monkeypatch.setattr(checkpoints, "COARSE", EVERY * 4)
    await migrate(mysql_store)
    rng = random.Random(20261127)
    log = VoteLog(mysql_store)
    await log.add_polls(2)
    await log.random_votes(300, voters=25, rng=rng)
    await log.close(1)
    notes = [n.id for n in await all_notifications(mysql_store)]
    delivery = notes + rng.sample(notes, len(notes) // 3)
    rng.shuffle(delivery)
    batches = []
    while delivery:
        size = rng.randint(1, 20)
        batches.append(delivery[:size])
        delivery = delivery[size:]
    schedule = tmp_path / "schedule.json"
    schedule.write_text(json.dumps(batches))

    next_batch, finished, kills = 0, False, 0
    while not finished:
        # At least once: the batch in flight when killed is delivered again.
        next_batch, finished = await _run_until_killed(
            fresh_mysql_url, schedule, next_batch, rng, kill=kills < KILLS
        )
        kills += 1
    assert kills > KILLS

    live = counts_of(await all_tallies(mysql_store))
    assert live == log.expected()
    assert live == counts_of(await fold_log(mysql_store))
    assert {pid: t.final for pid, t in (await all_tallies(mysql_store)).items()} == {
        str(log.polls[0].id): False,
        str(log.polls[1].id): True,
    }
    taken = await checkpoints.stored_checkpoints(mysql_store, INITIAL_SET)
    assert {pid for pid, _ in taken} == {str(p.id) for p in log.polls}
    assert await verify(mysql_store) == []
    end = await mysql_store.max_notification_id() or 0
    for poll in log.polls:
        for position in range(0, end + 1, 7):
            fast = await tally_at(mysql_store, poll.id, position=position)
            assert fast == await fold_tally_at(mysql_store, poll.id, position=position)
