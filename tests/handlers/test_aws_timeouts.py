"""A slow AWS endpoint does not hold a vote (issue 13's deploy review): every AWS SDK client the
app builds has short connect/read timeouts and few tries (:mod:`votes.aws_sdk`), and the
relay's fast path as a whole gives up after ``relay_fast_path_timeout``.

The slow endpoint is a server that accepts connections and never answers; the number of
connections it accepted is the number of tries. No duration is asserted: what is shown is that
the call ends (the vote is answered 201) after exactly the allowed tries.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_events import body_of, load_event
from lambda_context import LambdaContext

from handlers.api import handler
from votes import runtime
from votes.aws_sdk import client_config
from votes.bootstrap import Container
from votes.db_secret import secrets_manager_reader
from votes.settings import Settings

ALICE = "5f0c1c3e-2a4b-4c6d-8e9f-0a1b2c3d4e5f"


class BlackHole:
    """Accepts TCP connections and never answers; counts them."""

    def __init__(self) -> None:
        self.accepted = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._held: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(connection)

    def close(self) -> None:
        self._socket.close()
        for connection in self._held:
            connection.close()


@pytest.fixture
def black_hole(monkeypatch: pytest.MonkeyPatch) -> Iterator[BlackHole]:
    hole = BlackHole()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", hole.url)
    yield hole
    hole.close()


def test_every_client_gets_the_short_timeouts_and_few_tries() -> None:
    config = client_config(Settings())
    assert (config.connect_timeout, config.read_timeout) == (1.0, 2.0)
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}


def test_the_relay_and_the_tally_publisher_are_built_with_it(
    app_container: Callable[..., Container], tmp_path: Path
) -> None:
    built = app_container(
        database_url=f"sqlite:///{tmp_path / 'votes.db'}",
        event_bus_name="bus",
        tally_topic_arn="arn:aws:sns:us-east-1:000000000000:t",
        aws_read_timeout=0.7,
    )

    async def clients() -> list[Any]:
        events = await built.relay._events()
        assert built.projector.publisher is not None
        sns = await built.projector.publisher._sns()  # type: ignore[attr-defined]
        return [events, sns]

    for client in runtime.run(clients()):
        assert client.meta.config.read_timeout == 0.7
        assert client.meta.config.retries["total_max_attempts"] == 2


def test_the_database_secret_is_read_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[dict[str, Any]] = []

    class Client:
        class exceptions:
            ResourceNotFoundException = LookupError

        def get_secret_value(self, SecretId: str, VersionStage: str) -> dict[str, str]:
            return {"SecretString": '{"username": "u", "password": "p"}'}

    def client(service: str, **kwargs: Any) -> Client:
        built.append({"service": service, **kwargs})
        return Client()

    monkeypatch.setattr("boto3.client", client)
    config = client_config(Settings())
    assert secrets_manager_reader("arn:secret", "us-east-1", config=config)()["username"] == "u"
    assert built == [{"service": "secretsmanager", "region_name": "us-east-1", "config": config}]


@pytest.fixture
def api_on_a_slow_bus(
    app_container: Callable[..., Container], tmp_path: Path, black_hole: BlackHole
) -> Callable[..., Container]:
    def build(**fields: Any) -> Container:
        return app_container(
            database_url=f"sqlite:///{tmp_path / 'votes.db'}",
            event_bus_name="votes-bus",
            aws_connect_timeout=0.5,
            **fields,
        )

    return build


def _vote(built: Container) -> int:
    runtime.run(built.service.register_voter(ALICE, "Alice"))
    poll = runtime.run(built.service.create_poll(ALICE, "Slow?", ["Yes", "No"]))
    event = load_event("cast_vote", poll_id=str(poll.id), sub=ALICE, body={"option": "Yes"})
    response = handler(event, LambdaContext())
    assert body_of(response)["outcome"] == "cast", response
    return int(response["statusCode"])


def test_a_slow_eventbridge_costs_a_vote_the_allowed_tries_only(
    api_on_a_slow_bus: Callable[..., Container], black_hole: BlackHole
) -> None:
    built = api_on_a_slow_bus(aws_read_timeout=0.3, aws_max_attempts=2)
    accepted_before = black_hole.accepted
    assert _vote(built) == 201  # committed; the scheduled relay will publish it
    # registering and creating the poll each went to the fast path too: 3 commits x 2 tries
    assert black_hole.accepted - accepted_before == 6


def test_the_fast_path_gives_up_within_its_budget(
    api_on_a_slow_bus: Callable[..., Container], black_hole: BlackHole
) -> None:
    # tries that would take 2 x 30 s are cut short by the fast path's own budget
    built = api_on_a_slow_bus(aws_read_timeout=30, aws_max_attempts=2, relay_fast_path_timeout=0.5)
    assert _vote(built) == 201
    assert black_hole.accepted == 3  # one try per commit, none retried after the budget
