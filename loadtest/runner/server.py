"""A fresh database (SQLite file or a new MySQL/MariaDB database) and `votes serve` on it."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for tests/
from tests.serve_process import ServeProcess  # noqa: E402  (the tests' `votes serve` runner)

__all__ = ["fresh_database", "serve"]


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


@contextmanager
def serve(
    database_url: str, admins: list[str], log_path: Path, timeout: float = 90
) -> Iterator[ServeProcess]:
    """Run `votes serve` on a free port until the block ends; yield it (``.url``, ``.process``).
    It runs in the log's folder: the local IdP keeps its signing key under ./.votes/ there."""
    with ServeProcess(
        database=database_url,
        admins=admins,
        cwd=log_path.parent,
        log_path=log_path,
        startup_timeout=timeout,
    ) as server:
        yield server
