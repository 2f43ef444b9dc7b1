"""A small, fast HTTP/1.1 load generator (keep-alive connections on asyncio streams).

Each of ``connections`` connections sends its requests one after another and records each
latency; requests are prebuilt bytes, responses are read by Content-Length, so the generator
costs little CPU next to the server it measures (both share this machine's cores).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["LoadResult", "build_request", "run_load"]


def build_request(
    method: str, url: str, *, body: object = None, headers: dict[str, str] | None = None
) -> bytes:
    """A complete HTTP/1.1 keep-alive request."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    data = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


@dataclass
class LoadResult:
    """Latencies (seconds) and statuses of one run."""

    elapsed: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile latency in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000

    def summary(self) -> str:
        return (
            f"{self.count} requests in {self.elapsed:.2f}s = {self.rps:.0f} req/s, "
            f"p50 {self.percentile(50):.1f} ms, p99 {self.percentile(99):.1f} ms, "
            f"mean {statistics.fmean(self.latencies) * 1000:.1f} ms, statuses {self.statuses}"
        )


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
            break
    if length:
        await reader.readexactly(length)
    return status


async def run_load(
    url: str,
    requests: Sequence[bytes] | Callable[[int], bytes],
    *,
    connections: int = 32,
    total: int | None = None,
    duration: float | None = None,
) -> LoadResult:
    """Send ``requests`` (a list used in order, or a function of the request number) over
    ``connections`` connections until ``total`` are sent or ``duration`` seconds pass."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if not callable(requests):
        items = list(requests)
        total = min(total or len(items), len(items))
        next_request: Callable[[int], bytes] = items.__getitem__
    else:
        next_request = requests
    counter = iter(range(total if total is not None else 1 << 62))
    result = LoadResult(elapsed=0.0)
    deadline = time.perf_counter() + duration if duration else None

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for n in counter:
                if deadline is not None and time.perf_counter() > deadline:
                    return
                started = time.perf_counter()
                writer.write(next_request(n))
                status = await _read_response(reader)
                result.latencies.append(time.perf_counter() - started)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.elapsed = time.perf_counter() - started
    return result
