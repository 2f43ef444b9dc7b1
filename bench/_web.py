"""What the HTTP benchmarks share: servers to measure, a small load generator, and voters.

* :func:`serve` runs ``votes serve`` (SQLite) and :func:`hello_server` a bare ASGI app
  (:mod:`_hello`) under uvicorn with the very options ``votes serve`` uses; :func:`cpu_seconds`
  reads a server process's CPU time;
* :func:`run_load` sends prebuilt HTTP/1.1 requests over keep-alive connections (asyncio
  streams, responses read by Content-Length), so the generator costs little CPU next to the
  server it measures (both share this machine's cores);
* :func:`populate` signs voters up and in with the local identity provider (Cognito's API),
  registers them as the browser client does after each sign-in (``POST /voters``) and has an
  admin create polls.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests/
from tests.serve_process import ServeProcess, free_port

__all__ = [
    "LoadResult",
    "Population",
    "ServeProcess",
    "build_request",
    "cpu_seconds",
    "expect",
    "free_port",
    "hello_server",
    "populate",
    "read_response",
    "run_load",
]

BENCH = Path(__file__).resolve().parent
PASSWORD = "Bench-Passw0rd!"
TARGET = "AWSCognitoIdentityProviderService."


# -- servers -------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    url: str
    pid: int


@contextmanager
def hello_server() -> Iterator[Server]:
    """The bare ASGI hello-world under uvicorn, with ``votes serve``'s server options."""
    port = free_port()
    code = (
        "import uvicorn\n"
        "from votes.cli import SERVER_OPTIONS\n"
        f"uvicorn.run('_hello:app', host='127.0.0.1', port={port}, app_dir={str(BENCH)!r},"
        " **SERVER_OPTIONS)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("the hello-world server exited") from None
                time.sleep(0.1)
        yield Server(url, proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def serve(admin: str) -> Iterator[Server]:
    """``votes serve`` on a SQLite file of a new temporary directory, ``admin`` an admin."""
    with ServeProcess(admins=[admin]) as server:
        assert server.process is not None
        yield Server(server.url, server.process.pid)


# -- load ----------------------------------------------------------------------------------


def build_request(
    method: str, url: str, *, body: object = None, headers: dict[str, str] | None = None
) -> bytes:
    """A complete HTTP/1.1 keep-alive request."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    data = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


@dataclass
class LoadResult:
    """Latencies (seconds) and statuses of one run, and the server's CPU seconds in it."""

    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    server_cpu: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile latency in milliseconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000

    def summary(self) -> str:
        cpu = self.server_cpu / self.count * 1e6 if self.count else 0.0
        return (
            f"{self.count:,} requests in {self.elapsed:.2f} s = {self.rps:,.0f} req/s, "
            f"p50 {self.percentile(50):.1f} ms, p99 {self.percentile(99):.1f} ms, "
            f"server CPU {cpu:,.0f} us/request"
        )


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response (by Content-Length); its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
            break
    if length:
        await reader.readexactly(length)
    return int(head[9:12])


async def run_load(
    server: Server,
    requests: Sequence[bytes] | Callable[[int], bytes],
    *,
    connections: int = 32,
    total: int | None = None,
) -> LoadResult:
    """Send ``requests`` (a list, in order, or a function of the request number; ``total``
    of them) over ``connections`` keep-alive connections, one request at a time each."""
    parts = urlsplit(server.url)
    if callable(requests):
        next_request, count = requests, total or 0
    else:
        next_request, count = requests.__getitem__, min(total or len(requests), len(requests))
    numbers = iter(range(count))
    result = LoadResult()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            for n in numbers:
                started = time.perf_counter()
                writer.write(next_request(n))
                status = await read_response(reader)
                result.latencies.append(time.perf_counter() - started)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            writer.close()

    cpu, started = cpu_seconds(server.pid), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.elapsed = time.perf_counter() - started
    result.server_cpu = cpu_seconds(server.pid) - cpu
    return result


def expect(status: int, *runs: LoadResult) -> None:
    """Fail unless every request of ``runs`` answered ``status``."""
    for run in runs:
        if run.statuses.get(status, 0) != run.count:
            raise SystemExit(f"not every request answered {status}: {run.statuses}")


# -- voters --------------------------------------------------------------------------------


@dataclass
class Population:
    tokens: list[str]
    admin_token: str
    poll_ids: list[str]
    options: list[str]


async def _cognito(client: httpx.AsyncClient, action: str, body: dict[str, object]) -> dict:
    r = await client.post(
        "/cognito/",
        json=body,
        headers={"X-Amz-Target": TARGET + action, "Content-Type": "application/x-amz-json-1.1"},
    )
    r.raise_for_status()
    return r.json()


async def _signed_in(client: httpx.AsyncClient, client_id: str, username: str) -> str:
    """Sign ``username`` (``<username>@example.com``: e-mail is the pool's username) up and
    in, register them as a voter; their access token."""
    username = username if "@" in username else f"{username}@example.com"
    await _cognito(
        client, "SignUp", {"ClientId": client_id, "Username": username, "Password": PASSWORD}
    )
    auth = await _cognito(
        client,
        "InitiateAuth",
        {
            "ClientId": client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD},
        },
    )
    token = auth["AuthenticationResult"]["AccessToken"]
    r = await client.post("/voters", headers={"Authorization": f"Bearer {token}"})
    r.raise_for_status()
    return token


async def populate(base: str, *, users: int, polls: int, admin: str) -> Population:
    """``users`` signed-in, registered voters and ``polls`` polls created by ``admin``."""
    options = ["Red", "Green", "Blue"]
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        client_id = (await client.get("/config.json")).json()["userPoolClientId"]
        admin_token = await _signed_in(client, client_id, admin)
        sem = asyncio.Semaphore(8)

        async def one(i: int) -> str:
            async with sem:
                return await _signed_in(client, client_id, f"voter{i:05d}")

        tokens = list(await asyncio.gather(*(one(i) for i in range(users))))
        poll_ids = []
        for i in range(polls):
            r = await client.post(
                "/polls",
                json={"question": f"Bench poll {i}", "options": options},
                headers={"Authorization": f"Bearer {admin_token}"},
            )
            r.raise_for_status()
            poll_ids.append(r.json()["id"])
    return Population(tokens, admin_token, poll_ids, options)
