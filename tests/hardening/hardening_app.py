"""A running ``votes serve`` for the hardening tests: users signed in, the event log readable.

:class:`LiveApp` starts the local app on a free port (fresh SQLite file unless a MySQL URL is
given), signs users up and in through boto3's own ``cognito-idp`` client pointed at the local
IdP, and reads the server's event log through the store API (another process, same database),
so a test can check what a request wrote -- or that it wrote nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
import httpx
from serve_process import ServeProcess

from vote_domain.stores import EventStore, connect

__all__ = ["PASSWORD", "LiveApp", "Tokens"]

PASSWORD = "Correct-Horse-9"


class Tokens(dict[str, str]):
    """A signed-in user's tokens: ``access``, ``id``, ``refresh`` and ``sub``."""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self['access']}"}


class LiveApp:
    """``votes serve`` on a free port, with helpers to sign in and read its event log."""

    def __init__(
        self,
        workdir: Path,
        *,
        database: str | None = None,
        admins: Sequence[str] = ("admin@example.com",),
        env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.database = database or f"sqlite:///{workdir / 'votes.db'}"
        self.server = ServeProcess(
            database=self.database,
            admins=admins,
            cwd=workdir,
            env={"PYTHONUNBUFFERED": "1", **(env or {})},
        )
        self._loop = asyncio.new_event_loop()
        self._store: EventStore | None = None
        self.client_id = ""

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> LiveApp:
        self.server.__enter__()
        self.client_id = httpx.get(f"{self.url}/config.json", timeout=10).json()["userPoolClientId"]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._store is not None:
                self._loop.run_until_complete(self._store.close())
        finally:
            self._loop.close()
            self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def http(self, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def log(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return self.server.log()

    # -- identity --------------------------------------------------------------------------

    def cognito(self) -> Any:
        return boto3.client(
            "cognito-idp",
            endpoint_url=f"{self.url}/cognito",
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def sign_in(self, username: str, *, register: bool = True) -> Tokens:
        """Sign ``username`` (``<username>@example.com``: e-mail is the pool's username) up (if
        new) and in; register as a voter unless told not to."""
        username = username if "@" in username else f"{username}@example.com"
        idp = self.cognito()
        try:
            idp.sign_up(ClientId=self.client_id, Username=username, Password=PASSWORD)
        except idp.exceptions.UsernameExistsException:
            pass
        result = idp.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        tokens = Tokens(
            access=result["AccessToken"], id=result["IdToken"], refresh=result["RefreshToken"]
        )
        if register:
            voter = httpx.post(f"{self.url}/voters", headers=tokens.headers, timeout=30)
            assert voter.status_code in (200, 201), voter.text
            tokens["sub"] = voter.json()["subject"]
        return tokens

    def create_poll(self, admin: Tokens, options: Sequence[str] = ("Tabs", "Spaces")) -> str:
        body = {"question": "Which one?", "options": list(options)}
        created = httpx.post(f"{self.url}/polls", headers=admin.headers, json=body, timeout=30)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    # -- the event log ---------------------------------------------------------------------

    def _run(self, coro: Any) -> Any:
        return self._loop.run_until_complete(coro)

    @property
    def store(self) -> EventStore:
        """The server's event store, opened from this process."""
        if self._store is None:
            self._store = connect(self.database)
        return self._store

    def log_position(self) -> int:
        """The last position of the event log (0 when empty)."""
        return int(self._run(self.store.max_notification_id()) or 0)

    def notifications(self) -> list[Any]:
        """Every committed event, in position order."""

        async def read() -> list[Any]:
            out: list[Any] = []
            async for page in self.store.iter_notifications():
                out.extend(page)
            return out

        return list(self._run(read()))

    def run(self, coro: Any) -> Any:
        """Run ``coro`` on this helper's loop (the one its store lives on)."""
        return self._run(coro)
