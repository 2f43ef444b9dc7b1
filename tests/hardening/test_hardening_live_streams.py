"""Live streams refuse bad tokens and end when their token expires (issue 16, finding 5: "an
SSE stream keeps delivering after its token expires"; issue 13: a forged, expired or missing
token cannot subscribe).

A stream is opened with a genuine access token that expires a few seconds later (signed with
the local IdP's own key, as the IdP would sign a short-lived one); the server must end the
stream at the token's expiry (plus the verifier's 5 s leeway), so a client holding a revoked
session stops hearing results. Positive control: the same stream with a token valid for an
hour is still open after the short one ended. The realtime WebSocket endpoint
(``/event/realtime``, AppSync Events' protocol) is held to the same below, and refuses every
forgery of the API's own security tests at connect and at subscribe.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hardening_app import LiveApp
from hardening_tokens import Forger
from test_hardening_auth import FORGERIES

from scripts.appsync_events import PROTOCOL, EventsClient, Refused

SHORT_S = 3
ENDS_WITHIN_S = 60  # far above SHORT_S + the 5 s leeway: a bound on a hang, not a timing


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with LiveApp(tmp_path_factory.mktemp("expiry")) as running:
        yield running


@pytest.fixture(scope="module")
def setup(app: LiveApp) -> dict[str, Any]:
    admin, carol = app.sign_in("admin"), app.sign_in("carol")
    poll = app.create_poll(admin)
    forger = Forger(carol["access"], app.workdir / ".votes" / "idp-key.pem")
    return {"poll": poll, "forger": forger, "carol": carol}


class Reader:
    """Reads a stream in a thread until the server ends it."""

    def __init__(self, url: str, params: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.status: int | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._read, args=(url, params), daemon=True)
        self.thread.start()

    def _read(self, url: str, params: dict[str, str]) -> None:
        try:
            timeout = httpx.Timeout(10, read=ENDS_WITHIN_S)
            with httpx.stream("GET", url, params=params, timeout=timeout) as response:
                self.status = response.status_code
                for line in response.iter_lines():
                    self.lines.append(line)
        except BaseException as e:  # a read timeout means: never ended
            self.error = e

    def ended(self, within: float) -> bool:
        self.thread.join(within)
        return not self.thread.is_alive() and self.error is None


def test_an_sse_stream_ends_when_its_token_expires(app: LiveApp, setup: dict[str, Any]) -> None:
    now = int(time.time())
    short = setup["forger"].real(iat=now, exp=now + SHORT_S)
    long = setup["forger"].real(iat=now, exp=now + 3600)
    url = f"{app.url}/polls/{setup['poll']}/results/stream"
    expiring, lasting = Reader(url, {"access_token": short}), Reader(url, {"access_token": long})
    assert expiring.ended(ENDS_WITHIN_S), f"the stream outlived its token: {expiring.error!r}"
    assert expiring.status == 200
    assert any(line.startswith("data:") for line in expiring.lines), "it did stream first"
    assert lasting.thread.is_alive(), "the control stream, with a valid token, ended too"


# -- the realtime WebSocket (AppSync Events' protocol, /event/realtime) --------------------------


def _realtime(app: LiveApp) -> tuple[str, str]:
    realtime = httpx.get(f"{app.url}/config.json", timeout=10).json()["realtime"]
    return realtime["url"], httpx.URL(realtime["httpUrl"]).netloc.decode()


def _connect_refusal(app: LiveApp, token: str | None) -> dict[str, Any]:
    """The ``connection_error`` a connection with ``token`` gets."""
    url, host = _realtime(app)

    async def go() -> dict[str, Any]:
        with pytest.raises(Refused) as refused:
            async with EventsClient.connect(url, host=host, token=token):
                pass
        return refused.value.message

    return asyncio.run(go())


def test_the_forgery_list_is_the_apis(setup: dict[str, Any]) -> None:
    assert sorted(setup["forger"].forgeries()) == sorted(FORGERIES)


@pytest.mark.parametrize("name", FORGERIES)
def test_a_forged_token_cannot_connect(app: LiveApp, setup: dict[str, Any], name: str) -> None:
    refusal = _connect_refusal(app, setup["forger"].forgeries()[name]())
    assert refusal["type"] == "connection_error"
    assert refusal["errors"][0]["errorType"] == "UnauthorizedException"


@pytest.mark.parametrize("token", [None, "", "Bearer"])
def test_a_missing_token_cannot_connect(app: LiveApp, token: str | None) -> None:
    refusal = _connect_refusal(app, token)
    assert refusal["errors"][0]["errorType"] == "UnauthorizedException"


@pytest.mark.parametrize("kind", ["id", "refresh"])
def test_id_and_refresh_tokens_cannot_connect(
    app: LiveApp, setup: dict[str, Any], kind: str
) -> None:
    refusal = _connect_refusal(app, setup["carol"][kind])
    assert refusal["errors"][0]["errorType"] == "UnauthorizedException"


@pytest.mark.parametrize("name", FORGERIES)
def test_a_forged_token_cannot_subscribe(app: LiveApp, setup: dict[str, Any], name: str) -> None:
    """Connected with a genuine token, a subscription carrying a forged one is refused: each
    subscribe message is authorised on its own, as AppSync does."""
    url, host = _realtime(app)
    forged = setup["forger"].forgeries()[name]()

    async def go() -> Refused:
        async with EventsClient.connect(url, host=host, token=setup["carol"]["access"]) as c:
            with pytest.raises(Refused) as refused:
                await c.subscribe(f"/tallies/{setup['poll']}", token=forged)
            assert await c.subscribe(f"/tallies/{setup['poll']}")  # the genuine one still may
            return refused.value

    refused = asyncio.run(go())
    assert refused.message["type"] == "subscribe_error"
    assert refused.error_type == "UnauthorizedException"


def test_a_realtime_connection_ends_when_its_token_expires(
    app: LiveApp, setup: dict[str, Any]
) -> None:
    url, host = _realtime(app)
    now = int(time.time())
    short = setup["forger"].real(iat=now, exp=now + SHORT_S)
    long = setup["forger"].real(iat=now, exp=now + 3600)

    async def go() -> None:
        async with (
            EventsClient.connect(url, host=host, token=long) as expiring,
            EventsClient.connect(url, host=host, token=long) as lasting,
        ):
            await lasting.subscribe(f"/tallies/{setup['poll']}")
            # the connection's token is long-lived; the subscription's expires soon
            await expiring.subscribe(f"/tallies/{setup['poll']}", token=short)
            await asyncio.wait_for(expiring.closed.wait(), ENDS_WITHIN_S)
            goodbye = await expiring.control()
            assert goodbye["type"] == "connection_error"
            assert goodbye["errors"][0]["errorType"] == "UnauthorizedException"
            assert not lasting.closed.is_set(), "the control connection ended too"

    asyncio.run(go())


def _handshake_status(app: LiveApp, host_header: str) -> int:
    """The status of a WebSocket handshake to /event/realtime naming ``host_header``."""
    port = httpx.URL(app.url).port
    assert port is not None
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET /event/realtime HTTP/1.1\r\nHost: {host_header}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: {PROTOCOL}\r\n\r\n"
            ).encode()
        )
        return int(sock.recv(200).split(b" ")[1])


def test_the_realtime_socket_answers_only_the_apps_host_names(app: LiveApp) -> None:
    """DNS rebinding: a page served under another name cannot open the socket (the same Host
    allowlist as every HTTP route); the app's own name can (the control)."""
    assert _handshake_status(app, httpx.URL(app.url).netloc.decode()) == 101
    assert _handshake_status(app, "rebound.attacker.example") == 400
