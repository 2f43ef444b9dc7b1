"""``votes serve`` as a child process on a free port: for tests, benchmarks and the load test
(imported as ``tests.serve_process`` from the repository root).

    with ServeProcess(database="sqlite:///./votes.db", admins=["alice"]) as server:
        httpx.get(server.url + "/health")

The process runs in ``cwd`` (default: a new temporary directory, so the SQLite file and the
local IdP's key are private to it) and is stopped, then killed if need be, on exit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

__all__ = ["ServeProcess", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ServeProcess:
    """A running ``votes serve``; :attr:`url` is its base URL once entered."""

    def __init__(
        self,
        *,
        database: str | None = None,
        admins: Sequence[str] = (),
        port: int | None = None,
        cwd: str | Path | None = None,
        env: dict[str, str] | None = None,
        startup_timeout: float = 60.0,
        log_path: str | Path | None = None,
    ) -> None:
        self.database = database
        self.admins = list(admins)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.cwd = Path(cwd) if cwd else None
        self.env = env or {}
        self.startup_timeout = startup_timeout
        self.log_path = Path(log_path) if log_path else None
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServeProcess:
        if self.cwd is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="votes-serve-")
            self.cwd = Path(self._tmp.name)
        log = self.log_path or self.cwd / "serve.log"
        args = [sys.executable, "-m", "votes.cli", "serve", "--port", str(self.port)]
        if self.database:
            args += ["--database", self.database]
        if self.admins:
            args += ["--admins", ",".join(self.admins)]
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                args, cwd=self.cwd, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.log_file = log
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"votes serve exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"votes serve did not become healthy:\n{self.log()}")

    def log(self) -> str:
        """What the server printed so far."""
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
