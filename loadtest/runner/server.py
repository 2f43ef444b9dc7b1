"""A fresh database (SQLite file or a new MySQL/MariaDB database) and `votes serve` on it."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

__all__ = ["free_port", "fresh_database", "serve", "votes_executable"]


def votes_executable() -> str:
    """The `votes` CLI next to the running interpreter (the project's venv), else on PATH."""
    beside = Path(sys.executable).with_name("votes")
    return str(beside) if beside.exists() else "votes"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_database(url: str | None, workdir: Path) -> Iterator[str]:
    """Yield the URL of an empty database; a MySQL one is created here and dropped after.

    ``url`` None or ``sqlite`` means a new SQLite file in ``workdir``; ``mysql://...`` names the
    server (its database part is ignored): a uniquely named database is made on it.
    """
    if url is None or url == "sqlite":
        yield f"sqlite:///{(workdir / 'votes.db').resolve()}"
        return
    if url.startswith("sqlite"):
        yield url
        return
    if not url.startswith("mysql://"):
        raise SystemExit(f"unsupported --database {url!r}: use sqlite or mysql://...")
    import pymysql

    parts = urlsplit(url)
    name = f"votes_lt_{secrets.token_hex(4)}"
    connect = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
    }
    with pymysql.connect(**connect, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        try:
            with pymysql.connect(**connect, autocommit=True) as conn, conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        except pymysql.MySQLError as e:
            print(f"could not drop database {name} (drop it by hand): {e}", file=sys.stderr)


def _wait_healthy(base_url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`votes serve` exited with {proc.returncode} before it was up")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"`votes serve` not healthy at {base_url} after {timeout:.0f} s")


@contextmanager
def serve(
    database_url: str, admins: list[str], log_path: Path, timeout: float = 90
) -> Iterator[str]:
    """Run `votes serve` on a free port until the block ends; yield its base URL."""
    port = free_port()
    env = {**os.environ, "VOTES_ADMINS": ",".join(admins)}
    cmd = [votes_executable(), "serve", "--port", str(port), "--database", database_url]
    with log_path.open("wb") as log:
        # Run in the log's folder: the local IdP keeps its signing key under ./.votes/.
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=log_path.parent
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base_url, proc, timeout)
            yield base_url
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
