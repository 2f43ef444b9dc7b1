"""The relay: every event committed to the log is published to the EventBridge bus, at least once.

Two paths share one :class:`Relay`:

* the **fast path**, :meth:`Relay.publish`, runs right after each commit (the voting service's
  ``on_recorded`` hook) and then marks the positions it published;
* the **scheduled relay**, :meth:`Relay.catch_up` (the relay Lambda, every minute), reads
  the log after its tracked position and publishes what the fast path did not mark, recording
  its tracking after each successful batch. Positions are gap-safe, so nothing committed is
  ever behind the tracked position: a crash between commit and publish delays an event by a
  minute and loses nothing.

Entries EventBridge reports failed (``FailedEntryCount``) are retried with backoff; if they keep
failing, :class:`RelayFailed` is raised and the scheduled relay does not move past them. An
event can be published twice (a crash between publish and mark), never zero times. The
client's own timeouts and tries come from :func:`votes.aws_sdk.client_config`, and the fast path
as a whole gives up after ``relay_fast_path_timeout`` seconds: the vote is committed either way.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Notification, Recording, Tracking

from vote_domain import EventStore
from votes.aws_sdk import client_config
from votes.observability import logger
from votes.relay import marks
from votes.relay.events import entry_of
from votes.settings import Settings

__all__ = ["MIGRATIONS", "RELAY_NAME", "Relay", "RelayFailed", "relay_for"]

RELAY_NAME = "relay"
MIGRATIONS = marks.MIGRATIONS
MAX_ENTRIES = 10  # PutEvents takes at most ten entries


class RelayFailed(Exception):
    """EventBridge kept refusing some entries; they stay unrelayed and will be retried."""

    def __init__(self, failures: Sequence[dict[str, Any]]) -> None:
        codes = sorted({str(f.get("ErrorCode")) for f in failures})
        super().__init__(f"{len(failures)} entries not accepted by EventBridge: {codes}")
        self.failures = list(failures)


class Relay:
    """Publishes committed events of ``store`` to the EventBridge bus ``bus_name``."""

    def __init__(
        self,
        store: EventStore,
        bus_name: str,
        *,
        source: str = "votes",
        batch_size: int = MAX_ENTRIES,
        attempts: int = 5,
        backoff: float = 0.1,
        client: Any = None,
        session: Any = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        config: Any = None,
        fast_path_timeout: float | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_ENTRIES:
            raise ValueError(f"batch_size must be 1..{MAX_ENTRIES}")
        self.store = store
        self.bus_name = bus_name
        self.source = source
        self.batch_size = batch_size
        self.attempts = attempts
        self.backoff = backoff
        self._client = client
        self._session = session
        self.fast_path_timeout = fast_path_timeout
        self._client_args: dict[str, Any] = {"region_name": region_name, "config": config}
        if endpoint_url:
            self._client_args["endpoint_url"] = endpoint_url
        self._context: Any = None
        self._client_lock = asyncio.Lock()

    # -- EventBridge -------------------------------------------------------------------------

    async def _events(self) -> Any:
        if self._client is None:
            async with self._client_lock:
                if self._client is None:
                    # Lazy: aioboto3 takes 360-570 ms to import (python -X importtime after
                    # the app's other imports, loaded 2-core machine); an API container that
                    # records nothing, and the local app, never need it.
                    import aioboto3

                    session = self._session or aioboto3.Session()
                    self._context = session.client("events", **self._client_args)
                    self._client = await self._context.__aenter__()
        return self._client

    async def aclose(self) -> None:
        """Close the EventBridge client this relay opened."""
        context, self._context, self._client = self._context, None, None
        if context is not None:
            await context.__aexit__(None, None, None)

    async def _put(self, notifications: Sequence[Notification]) -> None:
        """Publish ``notifications`` (at most one batch), retrying failed entries."""
        entries = [entry_of(n, bus_name=self.bus_name, source=self.source) for n in notifications]
        client = await self._events()
        for attempt in range(self.attempts):
            response = await client.put_events(Entries=entries)
            if not response.get("FailedEntryCount"):
                logger.debug("published to EventBridge", extra=_ids_of(notifications))
                return
            results = response.get("Entries", [])
            failed = [
                (entry, result)
                for entry, result in zip(entries, results, strict=False)
                if result.get("ErrorCode")
            ]
            if len(results) != len(entries):  # cannot tell which: send them all again
                failed = [(entry, {"ErrorCode": "Unknown"}) for entry in entries]
            logger.warning(
                "EventBridge refused entries",
                extra={
                    "refused": len(failed),
                    "entries": len(entries),
                    "attempt": attempt + 1,
                    "error_codes": sorted({str(r.get("ErrorCode")) for _, r in failed}),
                    **_ids_of_entries([entry for entry, _ in failed]),
                },
            )
            entries = [entry for entry, _ in failed]
            if attempt + 1 < self.attempts:
                await asyncio.sleep(self.backoff * 2**attempt * random.uniform(0.5, 1.5))
        raise RelayFailed([r for _, r in failed])

    # -- the two paths -----------------------------------------------------------------------

    async def publish(self, recordings: Sequence[Recording[UUID]]) -> None:
        """The fast path: publish what was just committed, then mark it published; it gives
        up (TimeoutError) after ``fast_path_timeout`` seconds, leaving the rest to the
        scheduled relay, so a slow EventBridge never holds the request much longer."""
        notifications = [r.notification for r in recordings]
        async with asyncio.timeout(self.fast_path_timeout):
            for start in range(0, len(notifications), self.batch_size):
                batch = notifications[start : start + self.batch_size]
                await self._put(batch)
                await marks.mark(self.store, [n.id for n in batch])

    async def catch_up(
        self, *, page_size: int = 500, max_pages: int | None = None, seconds: float | None = None
    ) -> int:
        """Publish every unmarked event after the tracked position; the number published.

        Stops early after ``max_pages`` pages or once ``seconds`` have passed (between pages);
        the next run continues from the tracked position."""
        published = 0
        pages = 0
        deadline = None if seconds is None else time.monotonic() + seconds
        tracked = await self.store.max_tracking_id(RELAY_NAME) or 0
        while max_pages is None or pages < max_pages:
            if deadline is not None and time.monotonic() >= deadline:
                break
            page = await self.store.select_notifications(
                tracked, page_size, inclusive_of_start=False
            )
            if not page:
                break
            pages += 1
            marked = await marks.marked_between(self.store, tracked, page[-1].id)
            batch: list[Notification] = []
            for index, notification in enumerate(page):
                if notification.id not in marked:
                    batch.append(notification)
                if len(batch) == self.batch_size or (index == len(page) - 1):
                    if batch:
                        await self._put(batch)
                        published += len(batch)
                        batch = []
                    tracked = await self._track(notification.id)
            if len(page) < page_size:
                break
        return published

    async def _track(self, position: int) -> int:
        """Record that all up to ``position`` is relayed; the tracked position afterwards."""
        try:
            async with self.store.transaction() as txn:
                await txn.insert_tracking(
                    Tracking(application_name=RELAY_NAME, notification_id=position)
                )
                await marks.forget_through(txn, self.store, position)
        except IntegrityError:  # an overlapping run tracked this far already
            return max(position, await self.store.max_tracking_id(RELAY_NAME) or 0)
        return position


def _ids_of(notifications: Sequence[Notification]) -> dict[str, list[Any]]:
    """Log fields naming ``notifications``: positions and correlation ids (originator:version)."""
    return {
        "positions": [n.id for n in notifications],
        "correlation_ids": [f"{n.originator_id}:{n.originator_version}" for n in notifications],
    }


def _ids_of_entries(entries: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """As :func:`_ids_of`, for PutEvents entries."""
    details = [json.loads(entry["Detail"]) for entry in entries]
    return {
        "positions": [d["position"] for d in details],
        "correlation_ids": [f"{d['originator_id']}:{d['originator_version']}" for d in details],
    }


# -- wiring --------------------------------------------------------------------------------


def relay_for(store: EventStore, settings: Settings) -> Relay:
    """The relay ``settings`` describe (bus, source, batch size, region)."""
    if not settings.event_bus_name:
        raise RuntimeError("VOTES_EVENT_BUS_NAME is not set")
    return Relay(
        store,
        settings.event_bus_name,
        source=settings.event_source,
        batch_size=settings.relay_batch_size,
        region_name=settings.region,
        config=client_config(settings),
        fast_path_timeout=settings.relay_fast_path_timeout,
    )
