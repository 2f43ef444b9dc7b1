"""The composition root: settings, event store, voting service, relay, projector, publishers.

Built lazily, once per process, by the first call of :func:`container` (never at import), and
shared by the Lambda handlers, the local server and the tests. On Lambda the store's pool
lives on the process's long-lived loop (:mod:`votes.runtime`) and survives warm
invocations. Which parts are wired depends on the deployment:

* AWS (``VOTES_EVENT_BUS_NAME`` set): each commit is relayed to EventBridge at once (the fast
  path of :class:`votes.relay.Relay`); projections run in their own Lambda
  (:attr:`Container.projector`, publishing to SNS); the push Lambda publishes live tallies to
  AppSync Events (:attr:`Container.pusher`).
* Local (``configure(local=True)``): each commit goes to the listeners the local app adds
  (its in-process bus, which feeds the live tally projector, whose updates go to the
  in-process publisher, hence to SSE); no EMF metrics.

:func:`configure` chooses the settings and the wiring before the first build; :func:`close`
closes what was built; :func:`reset` forgets both (tests: one fixture calls it).
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import Recording

from projections import InProcessPublisher, Tally, TallyProjector, TallyPublisher
from vote_domain import EventStore, Migration, OnRecorded, VotingService, connect
from votes.aws_sdk import client_config
from votes.db_secret import DatabaseSecret, SecretReader, secrets_manager_reader
from votes.migrations import apply_all
from votes.observability import logger, set_metrics_enabled
from votes.relay import Relay, relay_for
from votes.settings import DEFAULT_DATABASE_URL, Settings
from votes.tallies import read_tally, read_totals

if TYPE_CHECKING:
    from votes.live.push import Pusher

__all__ = [
    "Container",
    "close",
    "configure",
    "container",
    "database_url",
    "open_store",
    "reset",
    "tls_options",
]

Listener = OnRecorded


@dataclass
class Container:
    """Everything an entry point needs, built once per process."""

    settings: Settings
    store: EventStore
    service: VotingService
    publisher: InProcessPublisher | None
    """The local app's in-process publisher of TallyUpdated (None on Lambda)."""
    listeners: list[Listener] = field(default_factory=list)
    """Called with what each commit recorded (the relay's fast path, the local bus)."""

    @cached_property
    def relay(self) -> Relay:
        """The relay to EventBridge: its fast path after each commit, its scheduled catch-up
        (RuntimeError when ``VOTES_EVENT_BUS_NAME`` is not set)."""
        return relay_for(self.store, self.settings)

    @cached_property
    def projector(self) -> TallyProjector:
        """The tally projector of the projector Lambda: publishes TallyUpdated to SNS when
        ``VOTES_TALLY_TOPIC_ARN`` is set (else to the in-process publisher, if any)."""
        publisher: TallyPublisher | None = self.publisher
        if self.settings.tally_topic_arn:
            # Lazy: aioboto3 takes 360-570 ms to import (python -X importtime after the app's
            # other imports, loaded 2-core machine); only this Lambda publishes to SNS.
            from projections.publishers.sns import SnsPublisher

            topic, region = self.settings.tally_topic_arn, self.settings.region
            publisher = SnsPublisher(topic, region_name=region, config=client_config(self.settings))
        return TallyProjector(self.store, publisher)

    @cached_property
    def pusher(self) -> Pusher:
        """The push Lambda's publisher of live tallies to AppSync Events (RuntimeError when
        ``VOTES_APPSYNC_EVENT_URL`` is not set)."""
        # Lazy: aiohttp and botocore's signer take about 250 ms to import (python -X
        # importtime after the app's other imports, loaded 2-core machine); only the push
        # Lambda publishes to AppSync.
        from votes.live.push import pusher_for

        return pusher_for(self.settings)

    async def migrate(self, extra: Sequence[Migration] = ()) -> list[Migration]:
        """Create or upgrade every component's tables (:func:`votes.migrations.apply_all`),
        then ``extra`` (the local app's); the migrations applied now."""
        return await apply_all(self.store, extra)

    async def results(
        self, poll_id: str, *, at: datetime | None = None, position: int | None = None
    ) -> Tally:
        """The tally of a poll: now, or as of a time or log position (PollNotFound if none)."""
        return await read_tally(self.service, self.store, poll_id, at=at, position=position)

    async def totals(self, poll_ids: list[str]) -> dict[str, int]:
        """The current number of votes in each poll (0 for one nobody voted in yet)."""
        return await read_totals(self.store, poll_ids)

    async def close(self) -> None:
        """Close the AWS clients built so far, then the store."""
        if "relay" in self.__dict__:
            await self.relay.aclose()
        if "projector" in self.__dict__ and self.projector.publisher is not None:
            await self.projector.publisher.aclose()
        if "pusher" in self.__dict__:
            await self.pusher.aclose()
        await self.store.close()


def _notify(listeners: list[Listener]) -> OnRecorded:
    """The voting service's ``on_recorded`` hook: every listener, in order."""

    async def on_recorded(recordings: Sequence[Recording[UUID]]) -> None:
        for listener in list(listeners):
            await listener(recordings)

    return on_recorded


@dataclass
class _State:
    """The process's configuration and what was built from it."""

    settings: Settings | None = None
    local: bool = False
    built: Container | None = None


_lock = threading.Lock()
_state = _State()


def configure(*, settings: Settings | None = None, local: bool = False) -> None:
    """Choose the settings (default: from the environment) and the wiring (``local``: the
    local app's) before the container is built; forgets a container built before."""
    with _lock:
        _state.settings, _state.local, _state.built = settings, local, None
    set_metrics_enabled(not local)


def container() -> Container:
    """The process's container, built on first use."""
    built = _state.built
    if built is not None:
        return built
    with _lock:
        if _state.built is None:
            _state.built = _build(_state.settings or Settings(), local=_state.local)
        return _state.built


async def close() -> None:
    """Close the container's clients and store (the next :func:`container` builds anew)."""
    with _lock:
        built, _state.built = _state.built, None
    if built is not None:
        await built.close()


def reset() -> None:
    """Forget the configuration and the container (without closing it: :func:`close` first),
    as in a fresh process: the next :func:`container` reads the environment."""
    configure()


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
    url, secret = _locate(settings, secret_reader)
    if url.startswith("mysql"):
        options["pool_size"] = pool_size or settings.database_pool_size
        options.update(tls_options(settings))
        if secret is not None:
            options["on_access_denied"] = secret.fresh_login
    return connect(url, **options)


def tls_options(settings: Settings) -> dict[str, Any]:
    """aiomysql's keywords for TLS as ``settings`` ask (none when ``database_tls`` is off): a
    context that verifies the server's certificate against ``database_tls_ca`` (default: the
    system's authorities) and its name against the host connected to."""
    if not settings.database_tls:
        return {}
    ca = settings.database_tls_ca
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return {"ssl": context}


def _locate(
    settings: Settings, secret_reader: SecretReader | None
) -> tuple[str, DatabaseSecret | None]:
    if settings.database_url:
        return settings.database_url, None
    if settings.database_secret_arn:
        if not settings.database_host:
            raise RuntimeError("VOTES_DATABASE_SECRET_ARN needs VOTES_DATABASE_HOST")
        arn, region = settings.database_secret_arn, settings.region
        if secret_reader is None:
            config = client_config(settings)
            secret = DatabaseSecret(
                secrets_manager_reader(arn, region, config=config),
                read_pending=secrets_manager_reader(arn, region, "AWSPENDING", config=config),
            )
        else:
            secret = DatabaseSecret(secret_reader)
        url = secret.url(settings.database_host, settings.database_port, settings.database_name)
        return url, secret
    return DEFAULT_DATABASE_URL, None


def _build(settings: Settings, *, local: bool) -> Container:
    logger.setLevel(settings.log_level.upper())
    store = open_store(settings)
    listeners: list[Listener] = []
    service = VotingService(store, on_recorded=_notify(listeners))
    publisher = InProcessPublisher() if local else None
    built = Container(settings, store, service, publisher, listeners)
    if settings.event_bus_name and not local:
        # each commit goes to EventBridge at once; the scheduled relay catches up on failures
        built.listeners.append(built.relay.publish)
    return built
