"""Where the CPU goes during a run: seconds of CPU used by the server, by Artillery and by the
database server (Linux /proc), and a sampling profile of the server (py-spy) summed up by the
package whose code was running."""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CpuMeter",
    "by_package",
    "cpu_per_vote",
    "find_pid",
    "process_cpu",
    "py_spy",
    "table",
]

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used, None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def find_pid(command: str) -> int | None:
    """The first process whose command name is ``command`` (e.g. ``mariadbd``)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    return int(entry.name)
            except OSError:
                continue
    return None


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuMeter:
    """CPU seconds used between :meth:`start` and :meth:`stop` by the server, the load
    generator (this process's waited-for children: Artillery) and the database server."""

    server_pid: int | None
    database_pid: int | None

    def _read(self) -> dict[str, float | None]:
        return {
            "server": process_cpu(self.server_pid) if self.server_pid else None,
            "artillery": _children_cpu(),
            "database": process_cpu(self.database_pid) if self.database_pid else None,
        }

    def start(self) -> None:
        self._before = self._read()

    def stop(self) -> dict[str, float]:
        after = self._read()
        used: dict[str, float] = {}
        for name, value in after.items():
            before = self._before.get(name)
            if value is not None and before is not None:
                used[name] = value - before
        return used


def cpu_per_vote(cpu: list[dict[str, float]], votes: int, cores: int | None = None) -> str:
    """CPU milliseconds per accepted vote of each part, summed over runs, and the ceilings they
    imply on an otherwise idle machine of ``os.cpu_count()`` cores."""
    if not votes or not cpu:
        return ""
    parts = ("server", "artillery", "database")
    ms = {p: 1000 * sum(c.get(p, 0.0) for c in cpu) / votes for p in parts if p in cpu[0]}
    cores = cores or os.cpu_count() or 1
    text = "CPU per accepted vote (all its virtual user's requests): "
    text += ", ".join(f"{p} {v:.1f} ms" for p, v in ms.items())
    total = sum(ms.values())
    text += (
        f"\nceilings on an idle {cores}-core machine: all parts {1000 * cores / total:.0f} votes/s"
    )
    if ms.get("server"):
        text += f", one server process {1000 / ms['server']:.0f}/s"
    if ms.get("artillery"):
        workers = max(1, cores - 1)  # Artillery's local workers
        text += f", Artillery ({workers} worker) {1000 * workers / ms['artillery']:.0f}/s"
    return text + "\n"


@contextmanager
def py_spy(pid: int, output: Path, rate: int = 67) -> Iterator[None]:
    """Sample process ``pid`` with py-spy while the block runs (collapsed stacks in
    ``output``); does nothing, with a note, when py-spy is not installed."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        print("py-spy not installed (pip install py-spy): no server profile", file=sys.stderr)
        yield
        return
    log = output.with_suffix(".log").open("w")
    proc = subprocess.Popen(
        [
            *(exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw"),
            *("--full-filenames", "--nonblocking", "--output", str(output)),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
SITE = re.compile(r"/site-packages/(?P<pkg>[^/]+)")
STDLIB = re.compile(r"/lib/python3\.\d+/(?P<mod>[^/]+)")


def _package(frame: str, repo: Path) -> str:
    match = FRAME.match(frame)
    path = match["file"] if match else frame
    if (site := SITE.search(path)) is not None:
        return site["pkg"].removesuffix(".py").split(".")[0]
    if path.startswith(str(repo)):
        parts = Path(path).relative_to(repo).parts
        return ".".join(parts[:2]).removesuffix(".py") if parts[0] == "votes" else parts[0]
    if (std := STDLIB.search(path)) is not None:
        return f"stdlib {std['mod'].removesuffix('.py')}"
    return path or "?"


# What a sample's thread was doing, by the first of these frames found in its stack (in this
# order): the parts of `votes serve` a request goes through.
ROLES = [
    ("SQLite writer thread: appends, group commits", "SQLiteWriter."),
    ("bus thread: relay, projector, tallies, live publish", "BusThread."),
    ("thread pool: SQLite reads, password hashing", "concurrent/futures/thread.py"),
    ("API routes and the voting service (resolver, domain, store)", "handle ("),
    ("JWT check (local API Gateway authorizer)", "TokenGate."),
    ("HTTP server and event loop (uvicorn, starlette, uvloop)", ""),
]


def _role(frames: list[str]) -> str:
    for label, marker in ROLES:
        if not marker or any(marker in f for f in frames):
            return label
    return ROLES[-1][0]


def by_package(folded: Path, repo: Path) -> tuple[int, Counter[str], Counter[str]]:
    """Samples in all, per package of the innermost Python frame (where the CPU was), and per
    role (:data:`ROLES`)."""
    total, leaf, roles = 0, Counter[str](), Counter[str]()
    for line in folded.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        n = int(count)
        total += n
        leaf[_package(frames[-1], repo)] += n
        roles[_role(frames)] += n
    return total, leaf, roles


def table(folded: Path, repo: Path, top: int = 12) -> str:
    """The server's samples by role and by package, largest first. A sample is one thread
    found running (not idle); the event loop's own C code (uvloop, httptools, sockets) shows
    under the innermost Python frame that called it, `stdlib asyncio`."""
    total, leaf, roles = by_package(folded, repo)
    if not total:
        return "server profile: no samples"
    lines = [f"server samples by part (py-spy, {total} samples of running threads)"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in roles.most_common()]
    lines.append("by package of the innermost Python frame")
    for name, n in leaf.most_common(top):
        lines.append(f"  {100 * n / total:5.1f} %  {name}")
    rest = total - sum(n for _, n in leaf.most_common(top))
    if rest:
        lines.append(f"  {100 * rest / total:5.1f} %  (the rest)")
    return "\n".join(lines)
