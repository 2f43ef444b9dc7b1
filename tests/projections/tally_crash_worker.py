"""A projector process for the crash test: applies scheduled batches, acknowledging each.

    python tally_crash_worker.py DATABASE_URL SCHEDULE_JSON FIRST_BATCH [CHECKPOINT_EVERY]

Prints ``ack N`` after batch N has been applied (committed) and ``done`` at the end.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from tally_log import small_windows

from projections import TallyProjector
from vote_domain.stores import connect


async def main(url: str, schedule: list[list[int]], first: int) -> None:
    store = connect(url)
    try:
        notes = {}
        async for page in store.iter_notifications():
            notes.update((n.id, n) for n in page)
        projector = TallyProjector(store)
        for number in range(first, len(schedule)):
            await projector.process([notes[p] for p in schedule[number]])
            print(f"ack {number}", flush=True)
        print("done", flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    batches = json.loads(Path(sys.argv[2]).read_text())
    if len(sys.argv) > 4:  # a short checkpoint window, so a short log crosses many
        small_windows(int(sys.argv[4]), dense=3, coarse_windows=4)
    asyncio.run(main(sys.argv[1], batches, int(sys.argv[3])))
