"""The composition root: settings, event store, voting service, projector, publisher, relay.

Built lazily, once per process, by the first call of :func:`container` (never at import), and
shared by the Lambda handlers, the local server and the tests. On Lambda the store's pool
lives on the process's long-lived loop (:mod:`votes.runtime`) and survives warm
invocations. Which parts are wired depends on the deployment:

* AWS (``VOTES_EVENT_BUS_NAME`` set): each commit is relayed to EventBridge at once (the fast
  path of :mod:`handlers.relay`); projections run in their own Lambda.
* Local (``configure(in_process_bus=True)``): each commit wakes the in-process bus, which
  feeds the live tally projector, whose updates go to the in-process publisher (SSE).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventsourcing.persistence import Recording

    from projections.projector import TallyProjector
    from projections.publishers.inprocess import InProcessPublisher
    from projections.tally import Tally
    from vote_domain import EventStore, VotingService
    from vote_domain.stores.base import Migration
    from votes.db_secret import DatabaseSecret, SecretReader
    from votes.settings import Settings

__all__ = ["Container", "close", "configure", "container", "database_url", "open_store"]

Listener = Callable[["Sequence[Recording]"], Awaitable[None]]


@dataclass
class Container:
    """Everything an entry point needs, built once per process."""

    settings: Settings
    store: EventStore
    service: VotingService
    projector: TallyProjector
    publisher: InProcessPublisher | None
    listeners: list[Listener] = field(default_factory=list)
    local: bool = False
    """The local app (in-process bus, local IdP) rather than a Lambda."""

    async def on_recorded(self, recordings: Sequence[Recording]) -> None:
        """Tell every listener what was just committed (the service's hook)."""
        for listener in list(self.listeners):
            await listener(recordings)

    async def migrate(self) -> list[Migration]:
        """Create or upgrade every component's tables (:func:`handlers.migrate.apply_all`:
        event log, tallies, relay marks, and the local IdP's users in the local app); the
        migrations applied now."""
        from handlers.migrate import apply_all

        return await apply_all(self.store, local=self.local)

    async def results(
        self, poll_id: str, *, at: datetime | None = None, position: int | None = None
    ) -> Tally:
        """The tally of a poll: now, or as of a time or log position (PollNotFound if none)."""
        from votes.tallies import read_tally

        return await read_tally(self, poll_id, at=at, position=position)

    async def close(self) -> None:
        await self.store.close()


_lock = threading.Lock()
_container: Container | None = None
_settings: Settings | None = None
_in_process_bus = False


def configure(*, settings: Settings | None = None, in_process_bus: bool = False) -> None:
    """Choose the settings and wiring before the container is built (local server, tests)."""
    global _settings, _in_process_bus, _container
    with _lock:
        _settings, _in_process_bus, _container = settings, in_process_bus, None


def container() -> Container:
    """The process's container, built on first use."""
    global _container
    built = _container
    if built is not None:
        return built
    with _lock:
        if _container is None:
            _container = _build()
        return _container


async def close() -> None:
    """Close the container's store (the next :func:`container` call builds a new one)."""
    global _container
    with _lock:
        built, _container = _container, None
    if built is not None:
        await built.close()


def database_url(settings: Settings) -> str:
    """The event store URL: ``database_url``, else one made from the RDS secret, else SQLite."""
    return _locate(settings, None)[0]


def open_store(
    settings: Settings,
    *,
    pool_size: int | None = None,
    secret_reader: SecretReader | None = None,
    **options: Any,
) -> EventStore:
    """The event store ``settings`` name (not yet connected; ``options`` go to its class;
    ``pool_size``, default ``settings.database_pool_size``, to MySQL's only).

    With the login in a secret (``VOTES_DATABASE_SECRET_ARN``), a login the server refuses
    (the password was rotated) makes the store re-read the secret once and connect again.
    ``secret_reader`` replaces Secrets Manager (tests)."""
    from vote_domain import connect

    url, secret = _locate(settings, secret_reader)
    if url.startswith("mysql"):
        options["pool_size"] = pool_size or settings.database_pool_size
        if secret is not None:
            options["on_access_denied"] = secret.fresh_login
    return connect(url, **options)


def _locate(
    settings: Settings, secret_reader: SecretReader | None
) -> tuple[str, DatabaseSecret | None]:
    from votes.db_secret import DatabaseSecret, secrets_manager_reader
    from votes.settings import DEFAULT_DATABASE_URL

    if settings.database_url:
        return settings.database_url, None
    if settings.database_secret_arn:
        if not settings.database_host:
            raise RuntimeError("VOTES_DATABASE_SECRET_ARN needs VOTES_DATABASE_HOST")
        reader = secret_reader or secrets_manager_reader(
            settings.database_secret_arn, settings.region
        )
        secret = DatabaseSecret(reader)
        url = secret.url(settings.database_host, settings.database_port, settings.database_name)
        return url, secret
    return DEFAULT_DATABASE_URL, None


def _build() -> Container:
    from projections.projector import TallyProjector
    from projections.publishers.inprocess import InProcessPublisher
    from vote_domain import VotingService
    from votes.observability import logger
    from votes.settings import get_settings

    settings = _settings or get_settings()
    logger.setLevel(settings.log_level.upper())
    store = open_store(settings)
    publisher = InProcessPublisher() if _in_process_bus else None
    projector = TallyProjector(store, publisher)
    box: dict[str, Container] = {}

    async def on_recorded(recordings: Sequence[Recording]) -> None:
        await box["c"].on_recorded(recordings)

    service = VotingService(store, on_recorded=on_recorded)
    built = Container(settings, store, service, projector, publisher, local=_in_process_bus)
    box["c"] = built
    if settings.event_bus_name and not _in_process_bus:
        _add_relay(built)
    return built


def _add_relay(built: Container) -> None:
    """Relay each commit to EventBridge at once (the scheduled relay catches up on failures)."""
    from handlers import relay

    built.listeners.append(relay.fast_path(built.store, built.settings))
