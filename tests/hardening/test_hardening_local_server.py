"""The local server's own limits (issue 16, finding 5; /cognito's are the identity tests'):
the request head's size, a deadline for each request to arrive whole, the connection limit,
a request whose client went away mid-body, the Host allowlist (DNS rebinding), and the SQLite
file that holds the local IdP's password hashes.

Each talks to a real ``votes serve`` (or, for the connection limit, to uvicorn run in this
process with ``votes serve``'s own options) over raw sockets where a client library would not
send what an attacker sends.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from hardening_app import LiveApp

from vote_domain.stores import SQLiteEventStore
from votes.cli import SERVER_OPTIONS
from votes.local.http_limits import MAX_HEAD_BYTES, REQUEST_TIMEOUT_S


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with LiveApp(tmp_path_factory.mktemp("local-server")) as running:
        yield running


def _connect(app: LiveApp) -> socket.socket:
    host, port = app.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=REQUEST_TIMEOUT_S + 10)


def _read_all(sock: socket.socket) -> bytes:
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return out


# -- the request head ----------------------------------------------------------------------------


def test_a_request_head_over_the_limit_is_431_and_never_buffered_whole(app: LiveApp) -> None:
    # GIVEN a client that sends a header line without end (200 MB if the server kept reading)
    with _connect(app) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        sent = 0
        try:
            for _ in range(200):
                sock.sendall(b"a" * 1024 * 1024)
                sent += 1
        except OSError:
            pass  # the server closed the connection: what we want
        answer = _read_all(sock)
    # THEN the server refused it once the head passed the limit, long before 200 MB
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert sent < 200
    # AND a head just under the limit is an ordinary request
    with app.http() as http:
        ok = http.get("/health", headers={"X-Fill": "a" * (MAX_HEAD_BYTES - 1024)})
    assert ok.status_code == 200


# -- a deadline for each request to arrive whole -------------------------------------------------


def test_a_request_that_never_finishes_its_head_is_408_and_closed(app: LiveApp) -> None:
    # GIVEN a connection that sends half a request head and then nothing (slowloris)
    with _connect(app) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = _read_all(sock)
        waited = time.monotonic() - started
    # THEN the server answers 408 and closes it after its deadline, not never
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert waited < REQUEST_TIMEOUT_S + 5


def test_a_connection_that_sends_nothing_is_closed(app: LiveApp) -> None:
    with _connect(app) as sock:
        started = time.monotonic()
        answer = _read_all(sock)
    assert time.monotonic() - started < REQUEST_TIMEOUT_S + 5
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 ")


def test_a_body_that_never_arrives_whole_is_cut_off_and_writes_nothing(app: LiveApp) -> None:
    # GIVEN an admin, and a poll-creating request whose body stops halfway
    admin = app.sign_in("admin")
    body = json.dumps({"question": "Slow?", "options": ["A", "B"]}).encode()
    before = app.log_position()
    with _connect(app) as sock:
        head = (
            f"POST /polls HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {admin['access']}"
            f"\r\nContent-Type: application/json\r\nContent-Length: {len(body) + 10}\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        started = time.monotonic()
        _read_all(sock)
        waited = time.monotonic() - started
    # THEN the connection is closed at the deadline and nothing was written
    assert waited < REQUEST_TIMEOUT_S + 5
    time.sleep(0.5)
    assert app.log_position() == before


def test_a_client_gone_mid_body_is_not_served_a_vote(app: LiveApp) -> None:
    # GIVEN a voter and a poll
    admin, voter = app.sign_in("admin"), app.sign_in("gone-voter")
    poll = app.create_poll(admin)
    before = app.log_position()
    # WHEN the voter sends a vote whose declared body is longer than what arrives -- the part
    # that arrives is valid JSON -- and then goes away
    part = b'{"option": "Tabs"}'
    with _connect(app) as sock:
        head = (
            f"POST /polls/{poll}/votes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            f"{voter['access']}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(part) + 20}\r\n\r\n"
        )
        sock.sendall(head.encode() + part)
        time.sleep(0.3)
        sock.shutdown(socket.SHUT_WR)
        _read_all(sock)
    time.sleep(0.5)
    # THEN no vote was cast: a request that never arrived whole is not a request
    assert app.log_position() == before
    with app.http() as http:
        mine = http.get(f"/polls/{poll}/votes/me", headers=voter.headers)
    assert mine.status_code == 404, mine.text


# -- the connection limit ------------------------------------------------------------------------


async def _hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def test_votes_serve_options_cap_connections_and_the_cap_still_works() -> None:
    # GIVEN votes serve's own options -- connection cap, keep-alive, the bounded protocol --
    assert SERVER_OPTIONS["limit_concurrency"] >= 100
    assert SERVER_OPTIONS["timeout_keep_alive"] <= REQUEST_TIMEOUT_S
    # WHEN uvicorn runs with them and a cap of 4, and 4 connections sit open
    options = {**SERVER_OPTIONS, "limit_concurrency": 4, "lifespan": "off"}
    server = uvicorn.Server(uvicorn.Config(_hello, host="127.0.0.1", port=0, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
        try:
            time.sleep(0.2)
            # THEN one more request is told 503, not queued without end
            answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
            assert answer.status_code == 503
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)


# -- the Host allowlist (DNS rebinding) ----------------------------------------------------------


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:80", "127.0.0.1.nip.io"])
def test_a_host_not_on_the_allowlist_is_refused_and_never_echoed(app: LiveApp, host: str) -> None:
    with app.http() as http:
        for path in ("/config.json", "/health", "/cognito/", "/polls"):
            r = http.get(path, headers={"Host": host})
            assert r.status_code == 400, (path, r.status_code, r.text)
            assert "attacker" not in r.text and "nip.io" not in r.text


def test_the_bound_host_and_localhost_are_allowed(app: LiveApp) -> None:
    port = app.url.rsplit(":", 1)[1]
    with app.http() as http:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
            r = http.get("/config.json", headers={"Host": host})
            assert r.status_code == 200, (host, r.text)
            assert r.json()["apiUrl"] == f"http://{host}"


# -- the SQLite file -----------------------------------------------------------------------------


def test_the_sqlite_database_and_its_journal_are_created_private(tmp_path: Path) -> None:
    # GIVEN a permissive umask, as on most desktops
    old = os.umask(0o022)
    try:
        store = SQLiteEventStore(str(tmp_path / "votes.db"))

        async def use() -> None:
            await store.migrate()
            await store.max_notification_id()

        asyncio.run(use())
        files = sorted(tmp_path.glob("votes.db*"))
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}
        asyncio.run(store.close())
    finally:
        os.umask(old)
    # THEN the database and its WAL / shared-memory files are the owner's only
    assert "votes.db" in modes and "votes.db-wal" in modes, modes
    assert set(modes.values()) == {0o600}, modes


def test_votes_serve_creates_its_database_private(app: LiveApp) -> None:
    path = Path(app.database.removeprefix("sqlite:///"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
