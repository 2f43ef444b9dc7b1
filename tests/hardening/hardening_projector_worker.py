"""The projector Lambda's handler run over a file of SQS events, in a process of its own.

    python hardening_projector_worker.py DATABASE_URL BATCHES_JSON FIRST

Calls ``handlers.projector.handler`` on batches FIRST, FIRST+1, ... (a JSON list of SQS
events), printing ``start <i>`` before and ``done <i>`` after each, so a test can SIGKILL it
mid-batch and redeliver. Exits 3 if a batch reports failures (none of these should).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from handlers import projector
from votes import bootstrap
from votes.settings import Settings


def main() -> None:
    url, batches_file, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
    batches = json.loads(Path(batches_file).read_text())
    bootstrap.configure(settings=Settings(database_url=url))
    for i in range(first, len(batches)):
        print(f"start {i}", flush=True)
        outcome = projector.handler(batches[i], None)
        if outcome["batchItemFailures"]:
            print(f"failed {i} {outcome}", flush=True)
            sys.exit(3)
        print(f"done {i}", flush=True)


if __name__ == "__main__":
    main()
