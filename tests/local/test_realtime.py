"""The local realtime endpoint (``/event/realtime``) speaks AppSync Events' WebSocket protocol.

Against a running ``votes serve``, with the same client the smoke test and the benchmark use
(scripts/appsync_events.py): the handshake and its subprotocols, ``connection_ack``, keep-alives,
a subscription receiving each tally update as AppSync delivers it (``data`` with the
``TallyUpdated`` JSON text the push Lambda publishes on AWS), several subscriptions on one
connection, unsubscribing, and what is refused (a channel that names no poll, a publish, a
malformed message, an ``after_vote`` poll's tally before voting). Tokens: see
tests/hardening/test_hardening_live_streams.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from scripts.appsync_events import PROTOCOL, EventsClient, Refused, header_subprotocol
from tests.hardening.hardening_app import LiveApp, Tokens


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    workdir: Path = tmp_path_factory.mktemp("realtime")
    with LiveApp(workdir, env={"VOTES_LIVE_KEEPALIVE": "0.5"}) as running:
        yield running


@pytest.fixture(scope="module")
def people(app: LiveApp) -> dict[str, Tokens]:
    return {name: app.sign_in(name) for name in ("admin", "alice", "bob")}


@pytest.fixture(scope="module")
def realtime(app: LiveApp) -> dict[str, Any]:
    config = httpx.get(f"{app.url}/config.json", timeout=10).json()
    return dict(config["realtime"])


def _host(realtime: dict[str, Any]) -> str:
    return httpx.URL(realtime["httpUrl"]).netloc.decode()


def _vote(app: LiveApp, who: Tokens, poll: str, option: str) -> None:
    r = httpx.post(
        f"{app.url}/polls/{poll}/votes", headers=who.headers, json={"option": option}, timeout=30
    )
    assert r.status_code == 201, r.text


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_config_json_points_the_client_at_the_realtime_endpoint(
    app: LiveApp, realtime: dict[str, Any]
) -> None:
    assert realtime == {
        "url": app.url.replace("http://", "ws://") + "/event/realtime",
        "httpUrl": f"{app.url}/event",
        "namespace": "tallies",
    }


def test_a_subscription_receives_every_update_of_its_poll(
    app: LiveApp, people: dict[str, Tokens], realtime: dict[str, Any]
) -> None:
    poll = app.create_poll(people["admin"])
    other = app.create_poll(people["admin"])

    async def go() -> None:
        token = people["bob"]["access"]
        async with EventsClient.connect(realtime["url"], host=_host(realtime), token=token) as c:
            assert c.ack["connectionTimeoutMs"] == 2500  # 5 keep-alive intervals
            sub = await c.subscribe(f"/tallies/{poll}")
            await asyncio.to_thread(_vote, app, people["alice"], poll, "Tabs")
            await asyncio.to_thread(_vote, app, people["alice"], other, "Tabs")  # not followed
            await asyncio.to_thread(_vote, app, people["bob"], poll, "Spaces")
            totals = []
            while not totals or totals[-1] < 2:
                received = await asyncio.wait_for(c.events.get(), 20)
                assert received["id"] == sub
                tally = received["event"]
                assert tally["type"] == "TallyUpdated" and tally["poll_id"] == poll
                totals.append(tally["total"])
            assert totals == sorted(totals) and totals[-1] == 2
            assert tally["counts"] == {"Tabs": 1, "Spaces": 1}
            assert c.events.empty()

    _run(go())


def test_subscriptions_on_one_connection_and_unsubscribing(
    app: LiveApp, people: dict[str, Tokens], realtime: dict[str, Any]
) -> None:
    first, second = app.create_poll(people["admin"]), app.create_poll(people["admin"])

    async def go() -> None:
        token = people["alice"]["access"]
        async with EventsClient.connect(realtime["url"], host=_host(realtime), token=token) as c:
            one = await c.subscribe(f"/tallies/{first}")
            two = await c.subscribe(f"/tallies/{second}")
            await c.unsubscribe(one)
            await asyncio.to_thread(_vote, app, people["bob"], first, "Tabs")
            await asyncio.to_thread(_vote, app, people["bob"], second, "Spaces")
            received = await asyncio.wait_for(c.events.get(), 20)
            assert received["id"] == two and received["event"]["poll_id"] == second
            await c.send({"type": "unsubscribe", "id": one})
            answer = await c.control()
            assert answer["type"] == "unsubscribe_error" and answer["id"] == one

    _run(go())


@pytest.mark.parametrize(
    ("channel", "error_type"),
    [
        ("/default/anything", "BadRequestException"),
        ("/tallies/not-a-poll-id", "BadRequestException"),
        ("/tallies/00000000-0000-4000-8000-000000000000", "BadRequestException"),  # no such poll
        ("/tallies/{POLL_UPPER}", "BadRequestException"),  # not the channel anyone publishes on
        ("/tallies/{POLL}/more", "BadRequestException"),
    ],
)
def test_channels_that_carry_no_poll_are_refused(
    app: LiveApp,
    people: dict[str, Tokens],
    realtime: dict[str, Any],
    channel: str,
    error_type: str,
) -> None:
    poll = app.create_poll(people["admin"])
    channel = channel.format(POLL=poll, POLL_UPPER=poll.upper())

    async def go() -> None:
        token = people["alice"]["access"]
        async with EventsClient.connect(realtime["url"], host=_host(realtime), token=token) as c:
            with pytest.raises(Refused) as refused:
                await c.subscribe(channel)
            assert refused.value.message["type"] == "subscribe_error"
            assert refused.value.error_type == error_type

    _run(go())


def test_publishing_and_unknown_messages_are_refused(
    app: LiveApp, people: dict[str, Tokens], realtime: dict[str, Any]
) -> None:
    poll = app.create_poll(people["admin"])

    async def go() -> None:
        token = people["alice"]["access"]
        async with EventsClient.connect(realtime["url"], host=_host(realtime), token=token) as c:
            await c.send(
                {
                    "type": "publish",
                    "id": "p1",
                    "channel": f"/tallies/{poll}",
                    "events": [json.dumps({"total": 999})],
                    "authorization": c.headers,
                }
            )
            answer = await c.control()
            assert answer["type"] == "publish_error" and answer["id"] == "p1"
            assert answer["errors"][0]["errorType"] == "UnauthorizedException"
            await c.socket.send("not json")
            answer = await c.control()
            assert answer["type"] == "error"
            assert answer["errors"][0]["errorType"] == "BadRequestException"
            await c.send({"type": "subscribe", "channel": f"/tallies/{poll}"})  # no id
            assert (await c.control())["type"] == "error"

    _run(go())
    r = httpx.get(f"{app.url}/polls/{poll}/results", headers=people["alice"].headers, timeout=10)
    assert r.json()["total"] == 0


def test_keep_alives_come_as_the_ack_promised(
    app: LiveApp, people: dict[str, Tokens], realtime: dict[str, Any]
) -> None:
    async def go() -> None:
        headers = {"host": _host(realtime), "Authorization": people["alice"]["access"]}
        async with connect(
            realtime["url"], subprotocols=[PROTOCOL, header_subprotocol(headers)]
        ) as socket:
            assert socket.subprotocol == PROTOCOL
            await socket.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            assert json.loads(await asyncio.wait_for(socket.recv(), 10)) == {"type": "ka"}

    _run(go())


def test_a_handshake_without_the_protocol_is_refused(realtime: dict[str, Any]) -> None:
    async def go() -> None:
        with pytest.raises(InvalidStatus):
            async with connect(realtime["url"]):
                pass

    _run(go())


def test_an_after_vote_poll_is_followed_only_by_voters_and_admins(
    app: LiveApp, people: dict[str, Tokens], realtime: dict[str, Any]
) -> None:
    created = httpx.post(
        f"{app.url}/polls",
        headers=people["admin"].headers,
        json={
            "question": "Hidden until you vote?",
            "options": ["Yes", "No"],
            "results_visibility": "after_vote",
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    poll = created.json()["id"]
    channel = f"/tallies/{poll}"

    async def subscribe(who: str) -> str:
        token = people[who]["access"]
        async with EventsClient.connect(realtime["url"], host=_host(realtime), token=token) as c:
            return await c.subscribe(channel)

    with pytest.raises(Refused) as refused:
        _run(subscribe("bob"))
    assert refused.value.error_type == "UnauthorizedException"
    assert "results_hidden" in refused.value.message["errors"][0]["message"]
    assert _run(subscribe("admin"))  # admins see running tallies
    _vote(app, people["bob"], poll, "No")
    assert _run(subscribe("bob"))  # having voted, bob may follow it
