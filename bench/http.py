"""Cast-vote throughput and latency of ``votes serve`` on SQLite, over real HTTP.

With 32 keep-alive connections: a bare ASGI hello-world under the same uvicorn (the server's
ceiling on this machine), then ``POST /polls/{id}/votes`` (every request a new vote, 201)
against ``votes serve`` on a SQLite file. Targets: 10x the 300 req/s serverless-offline
reached here (3000 req/s), and p99 <= 50 ms.

    .venv/bin/python bench/http.py [--votes 20000] [--connections 32]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's ``http`` package: run as a script, its own
# directory would come first on sys.path and shadow it. Put the repository root there instead.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._http_bench import main  # noqa: E402

if __name__ == "__main__":
    main()
