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

__all__ = ["CpuMeter", "by_package", "find_pid", "process_cpu", "py_spy", "table"]

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
        [exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw"]
        + ["--full-filenames", "--nonblocking", "--output", str(output)],
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


def by_package(folded: Path, repo: Path) -> tuple[int, Counter[str]]:
    """Samples in all, and samples per package of the innermost frame (where the CPU was)."""
    total, leaf = 0, Counter[str]()
    for line in folded.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        n = int(count)
        total += n
        leaf[_package(frames[-1], repo)] += n
    return total, leaf


def table(folded: Path, repo: Path, top: int = 15) -> str:
    """The server's CPU samples by package, largest first."""
    total, leaf = by_package(folded, repo)
    if not total:
        return "server profile: no samples"
    lines = [f"server CPU by package (py-spy, {total} samples of the running code)"]
    for name, n in leaf.most_common(top):
        lines.append(f"  {100 * n / total:5.1f} %  {name}")
    rest = total - sum(n for _, n in leaf.most_common(top))
    if rest:
        lines.append(f"  {100 * rest / total:5.1f} %  (the rest)")
    return "\n".join(lines)
