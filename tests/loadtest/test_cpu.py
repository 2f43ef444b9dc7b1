"""Where the CPU goes: per-process CPU from /proc, the cost per vote and its ceilings, and the
py-spy profile summed up by part and package."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "loadtest"))

from runner.cpu import by_package, cpu_per_vote, process_cpu, table

REPO = Path("/repo")


def test_process_cpu_reads_this_process_and_not_a_missing_one() -> None:
    sum(i * i for i in range(200_000))  # some CPU to see
    used = process_cpu(os.getpid())
    assert used is not None and used > 0
    assert process_cpu(2**22 + 12345) is None


def test_cpu_per_vote_and_the_ceilings_it_implies() -> None:
    runs = [
        {"server": 1.0, "artillery": 2.0, "database": 0.25, "wall": 10.0},
        {"server": 1.0, "artillery": 2.0, "database": 0.25, "wall": 10.0},
    ]
    text = cpu_per_vote(runs, 400, cores=2)
    assert "server 5.0 ms, artillery 10.0 ms, database 1.2 ms" in text
    # 2 cores / 16.25 ms; one server process 1 / 5 ms; Artillery's one worker 1 / 10 ms
    assert "all parts 123 votes/s, one server process 200/s, Artillery (1 worker) 100/s" in text
    assert cpu_per_vote(runs, 0) == ""


def test_profile_is_summed_by_part_and_by_package(tmp_path: Path) -> None:
    folded = tmp_path / "server-profile.folded"
    run = "Runner.run (/usr/lib/python3.11/asyncio/runners.py:118)"
    api = (
        "LocalApp._dispatch (/repo/votes/local/server.py:280);"
        "handle (/repo/votes/http/api.py:40);"
        "cast_vote (/repo/vote_domain/service.py:90)"
    )
    writer = (
        "Thread._bootstrap (/usr/lib/python3.11/threading.py:1002);"
        "SQLiteWriter.run (/repo/vote_domain/stores/sqlite/writer.py:80)"
    )
    jwt = "TokenGate.admit (/repo/votes/local/tokens.py:50);decode (/v/site-packages/jwt/api.py:1)"
    folded.write_text(f"{run} 50\n{api} 30\n{writer} 15\n{jwt} 5\nnot a sample line\n")
    total, leaf, roles = by_package(folded, REPO)
    assert total == 100
    assert leaf == {"stdlib asyncio": 50, "vote_domain": 45, "jwt": 5}
    assert roles["API routes and the voting service (resolver, domain, store)"] == 30
    assert roles["SQLite writer thread: appends, group commits"] == 15
    assert roles["JWT check (local API Gateway authorizer)"] == 5
    text = table(folded, REPO)
    assert "100 samples" in text and " 50.0 %  stdlib asyncio" in text
