"""Publishing to AppSync Events over HTTP: SigV4-signed as AWS verifies it, at most 5 events a
request, retried within bounds, and never waiting long on a slow endpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from appsync_standin import AppSyncStandIn
from botocore.credentials import ReadOnlyCredentials

from votes.live.appsync import AppSyncPublisher, PublishFailed

CHANNEL = "/tallies/2b1e6f1a-1c4b-4c51-9f0e-8f3d0a4f5b6c"


def _credentials() -> ReadOnlyCredentials:
    return ReadOnlyCredentials("testing", "testing", "testing")


@pytest.fixture
def appsync() -> Iterator[AppSyncStandIn]:
    with AppSyncStandIn() as standin:
        yield standin


def _publisher(url: str, **options: Any) -> AppSyncPublisher:
    return AppSyncPublisher(url, "us-east-1", credentials=_credentials, backoff=0.01, **options)


async def test_events_arrive_signed_five_to_a_request(appsync: AppSyncStandIn) -> None:
    publisher = _publisher(appsync.url)
    try:
        await publisher.publish(CHANNEL, [json.dumps({"n": n}) for n in range(7)])
    finally:
        await publisher.aclose()
    assert appsync.rejected == []  # every signature verified
    assert [len(r.events) for r in appsync.requests] == [5, 2]
    assert appsync.published == [(CHANNEL, {"n": n}) for n in range(7)]


async def test_a_wrong_secret_is_caught_by_the_stand_in(appsync: AppSyncStandIn) -> None:
    """The control of the signature check: a request signed with another secret fails it."""
    publisher = AppSyncPublisher(
        appsync.url,
        "us-east-1",
        credentials=lambda: ReadOnlyCredentials("testing", "not-the-secret", "testing"),
    )
    try:
        with pytest.raises(PublishFailed, match="403"):
            await publisher.publish(CHANNEL, ["{}"])
    finally:
        await publisher.aclose()
    (refused,) = appsync.rejected
    assert refused.problem == "wrong signature"


async def test_a_server_error_is_retried_within_the_attempts(appsync: AppSyncStandIn) -> None:
    publisher = _publisher(appsync.url, attempts=2)
    try:
        appsync.fail_next = 1
        await publisher.publish(CHANNEL, ["{}"])  # the second try goes through
        appsync.fail_next = 2
        with pytest.raises(PublishFailed, match="after 2 tries"):
            await publisher.publish(CHANNEL, ["{}"])
    finally:
        await publisher.aclose()
    assert len(appsync.published) == 1


@pytest.fixture
async def black_hole() -> AsyncIterator[tuple[str, list[int]]]:
    """A server that accepts connections and never answers; the connections it accepted."""
    accepted: list[int] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        await reader.read(-1)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/event", accepted
    server.close()


async def test_a_slow_endpoint_costs_at_most_attempts_times_the_read_timeout(
    black_hole: tuple[str, list[int]],
) -> None:
    url, accepted = black_hole
    publisher = _publisher(url, attempts=2, read_timeout=0.2, connect_timeout=0.2)
    try:
        with pytest.raises(PublishFailed, match=r"TimeoutError"):
            await publisher.publish(CHANNEL, ["{}"])
    finally:
        await publisher.aclose()
    assert len(accepted) == 2  # two tries, each given up after its read timeout
