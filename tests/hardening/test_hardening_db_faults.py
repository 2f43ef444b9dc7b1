"""MariaDB restarted in the middle of a voting load against ``votes serve``.

Runs in CI (CI=true) and locally with VOTES_FAULT_TESTS=1: it stops the MariaDB server that
everyone's tests share for a few seconds.

Two faults: a clean shutdown (``mariadb-admin shutdown``) and a crash (SIGKILL to mariadbd).
Asserts: every vote answered 2xx is in the log afterwards (its ballot event, at the version
the answer gave); while the database is down clients get 503 ``unavailable`` with Retry-After,
never a 500 nor a hang (every request has a bounded timeout and none hits it), and the server
logs each as a JSON warning with its correlation id; the same server process serves votes
again once the database is back; live tallies == a replay of the log.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from hardening_app import LiveApp, Tokens
from hardening_mariadb import faults_enabled, outage
from hardening_waits import settled_differences

pytestmark = [
    pytest.mark.mysql,
    pytest.mark.skipif(
        not faults_enabled(), reason="restarts the shared MariaDB: CI=true or VOTES_FAULT_TESTS=1"
    ),
]

WORKERS = 6
VOTERS_PER_WORKER = 4
CLIENT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)


@dataclass
class Load:
    """Votes sent by the load loop, and what came back."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    """The ballot of each 2xx answer."""
    statuses: Counter[int] = field(default_factory=Counter)
    unavailable: list[httpx.Response] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    """Answers that are neither 2xx nor a proper 503, and client timeouts/errors."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def successes(self) -> int:
        with self.lock:
            return len(self.accepted)


def _worker(app: LiveApp, load: Load, voters: list[Tokens], polls: list[str]) -> None:
    options = ("Tabs", "Spaces")
    n = 0
    with httpx.Client(base_url=app.url, timeout=CLIENT_TIMEOUT) as http:
        while not load.stop.is_set():
            voter = voters[n % len(voters)]
            poll = polls[(n // len(voters)) % len(polls)]
            option = options[(n // (len(voters) * len(polls))) % 2]
            n += 1
            try:
                r = http.put(
                    f"/polls/{poll}/votes/me", headers=voter.headers, json={"option": option}
                )
            except httpx.HTTPError as e:  # a timeout here is the hang the test forbids
                with load.lock:
                    load.bad.append(f"{type(e).__name__}: {e}")
                continue
            with load.lock:
                load.statuses[r.status_code] += 1
                if 200 <= r.status_code < 300:
                    load.accepted.append(r.json()["ballot"])
                elif r.status_code == 503:
                    load.unavailable.append(r)
                else:
                    load.bad.append(f"{r.status_code} {r.text[:200]}")
            if r.status_code == 503:
                time.sleep(0.05)  # a polite client would wait Retry-After; the test needs load


def _wait_until(condition: Any, patience: float, what: str) -> None:
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def app(tmp_path: Path, fresh_mysql_url: str) -> Iterator[LiveApp]:
    with LiveApp(tmp_path, database=fresh_mysql_url) as running:
        yield running


@pytest.mark.parametrize("kind", ["shutdown", "kill"])
def test_mariadb_restart_under_load_loses_no_acknowledged_vote(app: LiveApp, kind: str) -> None:
    admin = app.sign_in("admin")
    polls = [app.create_poll(admin), app.create_poll(admin)]
    voters = [app.sign_in(f"v{n}") for n in range(WORKERS * VOTERS_PER_WORKER)]
    pid = app.server.process.pid  # type: ignore[union-attr]
    load = Load()
    threads = [
        threading.Thread(
            target=_worker,
            args=(app, load, voters[w * VOTERS_PER_WORKER : (w + 1) * VOTERS_PER_WORKER], polls),
            daemon=True,
        )
        for w in range(WORKERS)
    ]
    for t in threads:
        t.start()
    try:
        # GIVEN votes flowing
        _wait_until(lambda: load.successes() >= 50, 60, "votes before the outage")
        # WHEN MariaDB goes away (and comes back when the block ends)
        with outage(kind):
            # THEN clients get 503s, promptly (the outage lasts only until a few are seen)
            _wait_until(lambda: len(load.unavailable) >= 10, 20, "503s during the outage")
        # AND the same server process takes votes again, with no restart
        recovered_from = load.successes()
        _wait_until(lambda: load.successes() >= recovered_from + 100, 60, "votes after it")
    finally:
        load.stop.set()
        for t in threads:
            t.join(60)
    assert app.server.process.pid == pid and app.server.process.poll() is None  # type: ignore[union-attr]
    print(f"{kind}: {dict(load.statuses)}; {len(load.accepted)} acknowledged")

    assert load.bad == [], load.bad[:10]
    for r in load.unavailable:
        assert r.json()["error"]["code"] == "unavailable"
        assert r.headers["retry-after"].isdigit()

    # the server logged each 503 as a JSON warning with the request's correlation id, and no
    # request failed unexpectedly (nothing logged "unhandled error")
    records = [json.loads(x) for x in app.log().splitlines() if x.startswith("{")]
    assert not [r for r in records if r.get("message") == "unhandled error"]
    warned = [r["correlation_id"] for r in records if r.get("message") == "store unavailable"]
    assert len(set(warned)) == len(warned) >= len(load.unavailable)

    # every acknowledged vote is in the log: its ballot's event at the version it was given
    logged = {(n.originator_id, n.originator_version) for n in app.notifications()}
    lost = [b for b in load.accepted if (UUID(b["id"]), int(b["version"])) not in logged]
    assert lost == [], f"{len(lost)} acknowledged votes are not in the log: {lost[:5]}"
    # and the final ballots are what the last acknowledged answers said
    last: dict[str, dict[str, Any]] = {}
    for b in load.accepted:
        if b["id"] not in last or b["version"] > last[b["id"]]["version"]:
            last[b["id"]] = b
    # live tallies == a replay of the log (the in-process projector caught up by itself)
    assert settled_differences(app, patience=60) == []
    with app.http() as http:
        totals = sum(
            http.get(f"/polls/{p}/results", headers=admin.headers).json()["total"] for p in polls
        )
    assert totals == len(last)
