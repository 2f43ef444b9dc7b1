"""Stopping and starting the local MariaDB server that the tests share (fault injection).

Other people's tests use the same server at the same time, so an outage is kept to a few
seconds, and :func:`outage` ALWAYS starts the server again, whatever happens inside it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["faults_enabled", "outage", "ping"]

MARIADBD = "/usr/sbin/mariadbd"


def faults_enabled() -> bool:
    """Fault tests run in CI (CI=true) or when asked for (VOTES_FAULT_TESTS=1)."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("VOTES_FAULT_TESTS") == "1"


def ping() -> bool:
    """True when the server answers."""
    done = subprocess.run(
        [
            "mariadb-admin",
            "--host=127.0.0.1",
            "--user=root",
            "--silent",
            "--connect-timeout=2",
            "ping",
        ],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _pids() -> list[int]:
    """The pids of the running mariadbd (the one local server)."""
    done = subprocess.run(["pidof", MARIADBD], capture_output=True, text=True, check=False)
    return [int(p) for p in done.stdout.split()]


def _running() -> bool:
    """True while a mariadbd process exists (it may still be starting or stopping)."""
    return bool(_pids())


def _start(patience: float = 60.0) -> None:
    deadline = time.monotonic() + patience
    while not ping():
        if not _running():  # (re)start only once the old process is gone
            subprocess.run(
                ["start-stop-daemon", "--start", "--oknodo", "--background", "--exec", MARIADBD],
                check=False,
            )
        if time.monotonic() > deadline:
            raise RuntimeError("MariaDB did not come back; run scripts/ensure-mariadb.sh")
        time.sleep(0.2)


def _stop(kind: str, patience: float = 30.0) -> None:
    if kind == "kill":  # a crash: SIGKILL to the server's pid; InnoDB recovers on restart
        for pid in _pids():
            os.kill(pid, signal.SIGKILL)
    else:
        subprocess.run(
            ["mariadb-admin", "--host=127.0.0.1", "--user=root", "shutdown"],
            check=False,
            timeout=60,
        )
    deadline = time.monotonic() + patience
    while ping() or _running():
        if time.monotonic() > deadline:
            raise RuntimeError("MariaDB did not stop")
        time.sleep(0.1)


@contextmanager
def outage(kind: str = "shutdown") -> Iterator[None]:
    """MariaDB is down inside the block and up again (answering pings) after it.

    ``kind`` is ``shutdown`` (mariadb-admin shutdown) or ``kill`` (SIGKILL: a crash).
    """
    try:
        _stop(kind)
        yield
    finally:
        _start()
