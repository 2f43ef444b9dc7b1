"""End to end over real HTTP: ``votes serve`` started as a process, on SQLite and MariaDB.

Sign-up and sign-in go through boto3's own cognito-idp client pointed at the local IdP, the
API calls through httpx, live results through an SSE stream.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from serve_process import ServeProcess

PASSWORD = "Correct-Horse-9"


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServeProcess]:
    database = None
    if request.param == "mysql":
        database = request.getfixturevalue("fresh_mysql_url")
    with ServeProcess(database=database, admins=["alice@example.com"], cwd=tmp_path) as running:
        yield running


def cognito(server: ServeProcess) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=f"{server.url}/cognito",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def sign_in(server: ServeProcess, username: str) -> dict[str, str]:
    """Sign ``username`` (``<username>@example.com``: e-mail is the pool's username) up and in
    through the local Cognito; the API's auth header."""
    username = username if "@" in username else f"{username}@example.com"
    config = httpx.get(f"{server.url}/config.json").json()
    idp = cognito(server)
    idp.sign_up(ClientId=config["userPoolClientId"], Username=username, Password=PASSWORD)
    tokens = idp.initiate_auth(
        ClientId=config["userPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return {"Authorization": f"Bearer {tokens['AccessToken']}"}


class Stream:
    """Reads an SSE stream in a thread; :meth:`next_tally` returns the next message."""

    def __init__(self, url: str) -> None:
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.status: queue.Queue[int] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()

    def _read(self, url: str) -> None:
        with httpx.stream("GET", url, timeout=httpx.Timeout(30, read=30)) as response:
            self.status.put(response.status_code)
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith("data:"):
                    self.messages.put(json.loads(line[5:]))

    def next_tally(self, timeout: float = 20) -> dict[str, Any]:
        return self.messages.get(timeout=timeout)

    def close(self) -> None:
        self._stop.set()


def wait_for_results(
    client: httpx.Client, poll_id: str, headers: dict[str, str], counts: dict[str, int]
) -> Any:
    """The results once the projector (which runs just behind the votes) shows ``counts``."""
    deadline = time.monotonic() + 20
    while True:
        tally = client.get(f"/polls/{poll_id}/results", headers=headers).json()
        if tally["counts"] == counts or time.monotonic() > deadline:
            return tally
        time.sleep(0.05)


def test_the_whole_app_over_http(server: ServeProcess) -> None:
    client = httpx.Client(base_url=server.url, timeout=30)
    # GIVEN an admin and a voter signed up through the local Cognito
    alice, bob = sign_in(server, "alice"), sign_in(server, "bob")
    # THEN no token is 401, and a token is needed on every API route but /health
    assert client.get("/health").status_code == 200
    assert client.get("/polls").status_code == 401
    assert client.get("/polls", headers={"Authorization": "Bearer not.a.token"}).status_code == 401
    # WHEN both register THEN 201, and 200 when repeated
    assert client.post("/voters", headers=alice).status_code == 201
    assert client.post("/voters", headers=bob, json={"display_name": "Bob"}).status_code == 201
    assert client.post("/voters", headers=bob).status_code == 200
    # WHEN the voter tries to create a poll THEN 403; the admin can
    poll_body = {"question": "Tabs or spaces?", "options": ["Tabs", "Spaces"]}
    assert client.post("/polls", headers=bob, json=poll_body).status_code == 403
    created = client.post("/polls", headers=alice, json=poll_body)
    assert created.status_code == 201
    poll_id = created.json()["id"]
    assert client.post(f"/polls/{poll_id}/close", headers=bob).status_code == 403
    # GIVEN a browser-like SSE client following the poll's results (token in the query)
    token = bob["Authorization"].split()[1]
    stream = Stream(f"{server.url}/polls/{poll_id}/results/stream?access_token={token}")
    try:
        assert stream.status.get(timeout=20) == 200
        assert stream.next_tally()["total"] == 0
        # WHEN bob votes THEN 201, the retry 200, another option 409
        vote = client.post(f"/polls/{poll_id}/votes", headers=bob, json={"option": "Tabs"})
        assert vote.status_code == 201
        # AND the stream pushes the new tally
        update = stream.next_tally()
        assert (update["counts"], update["type"]) == ({"Tabs": 1, "Spaces": 0}, "TallyUpdated")
    finally:
        stream.close()
    retry = client.post(f"/polls/{poll_id}/votes", headers=bob, json={"option": "Tabs"})
    assert (retry.status_code, retry.json()["outcome"]) == (200, "unchanged")
    conflict = client.post(f"/polls/{poll_id}/votes", headers=bob, json={"option": "Spaces"})
    assert (conflict.status_code, conflict.json()["error"]["code"]) == (409, "already_voted")
    # WHEN alice votes and bob changes THEN the results count both, as the log says
    assert (
        client.post(f"/polls/{poll_id}/votes", headers=alice, json={"option": "Tabs"}).status_code
        == 201
    )
    changed = client.put(f"/polls/{poll_id}/votes/me", headers=bob, json={"option": "Spaces"})
    assert (changed.status_code, changed.json()["outcome"]) == (200, "changed")
    assert client.get(f"/polls/{poll_id}/votes/me", headers=bob).json()["option"] == "Spaces"
    now = wait_for_results(client, poll_id, bob, {"Tabs": 1, "Spaces": 1})
    assert (now["counts"], now["total"]) == ({"Tabs": 1, "Spaces": 1}, 2)
    # AND polling with the ETag it got is answered 304 while the tally stays the same
    first = client.get(f"/polls/{poll_id}/results", headers=bob)
    etag = first.headers["etag"]
    unchanged = client.get(f"/polls/{poll_id}/results", headers={**bob, "If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (
        304,
        b"",
        etag,
    )
    # AND time travel shows the tally before bob changed his vote
    past = client.get(
        f"/polls/{poll_id}/results", headers=bob, params={"position": now["position"] - 1}
    ).json()
    assert past["counts"] == {"Tabs": 2, "Spaces": 0}
    before = client.get(
        f"/polls/{poll_id}/results", headers=bob, params={"at": "2000-01-01T00:00:00Z"}
    ).json()
    assert before["total"] == 0
    # WHEN bob retracts THEN 200 and his ballot holds nothing
    retracted = client.delete(f"/polls/{poll_id}/votes/me", headers=bob)
    assert (retracted.status_code, retracted.json()["option"]) == (200, None)
    after = wait_for_results(client, poll_id, bob, {"Tabs": 1, "Spaces": 0})
    assert after["counts"] == {"Tabs": 1, "Spaces": 0}
    # AND the admin closes the poll, after which votes are refused
    assert client.post(f"/polls/{poll_id}/close", headers=alice).json()["closed"] is True
    closed = client.post(f"/polls/{poll_id}/votes", headers=bob, json={"option": "Tabs"})
    assert (closed.status_code, closed.json()["error"]["code"]) == (422, "poll_closed")
    assert [p["id"] for p in client.get("/polls", headers=bob).json()["polls"]] == [poll_id]
    mine = client.get("/voters/me/ballots", headers=bob, params={"poll_ids": poll_id}).json()
    assert [(b["poll_id"], b["option"]) for b in mine["ballots"]] == [(poll_id, None)]
    # GIVEN a poll that shows its results only after a vote
    hidden_body = {**poll_body, "results_visibility": "after_vote"}
    hidden = client.post("/polls", headers=alice, json=hidden_body).json()["id"]
    # THEN its stream refuses bob, who has not voted in it, as GET /results does
    stream_url = f"/polls/{hidden}/results/stream?access_token={token}"
    refused = client.get(stream_url)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "results_hidden")
    assert client.get(f"/polls/{hidden}/results", headers=bob).status_code == 403


def test_served_openapi_matches_the_routes_it_answers(server: ServeProcess) -> None:
    client = httpx.Client(base_url=server.url, timeout=30)
    doc = client.get("/openapi.json").json()
    headers = sign_in(server, "carol")
    unknown = "00000000-0000-4000-8000-000000000000"
    for path, operations in doc["paths"].items():
        for method in operations:
            url = path.replace("{pollId}", unknown)
            response = client.request(method.upper(), url, headers=headers, json={"option": "x"})
            # every documented route is answered by a route (never the unknown-route 404)
            assert not (
                response.status_code == 404 and response.json()["error"]["code"] == "not_found"
            ), (method, path)
    missing = client.get("/no/such/route", headers=headers)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")


def test_cors_preflight_for_the_dev_client(server: ServeProcess) -> None:
    response = httpx.options(
        f"{server.url}/polls",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,if-none-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    # AND the browser may read the results' ETag
    read = httpx.get(f"{server.url}/health", headers={"Origin": "http://localhost:5173"})
    assert "etag" in read.headers["access-control-expose-headers"].lower()
    config = httpx.get(f"{server.url}/config.json").json()
    assert config["apiUrl"] == server.url
    assert config["cognitoEndpoint"] == f"{server.url}/cognito"
    assert config["realtime"]["url"] == server.url.replace("http://", "ws://") + "/event/realtime"


def test_serves_the_built_client_and_refuses_what_api_gateway_refuses(tmp_path: Path) -> None:
    # GIVEN a built client
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>votes</title>")
    (dist / "assets" / "app.js").write_text("console.log('votes')")
    with ServeProcess(cwd=tmp_path, env={"VOTES_CLIENT_DIST": str(dist)}) as running:
        client = httpx.Client(base_url=running.url, timeout=30)
        # THEN its files are served at /, and a browser navigation gets the single-page app
        assert "<title>votes</title>" in client.get("/").text
        assert client.get("/assets/app.js").text == "console.log('votes')"
        page = client.get("/polls/some-poll", headers={"Accept": "text/html,application/xhtml+xml"})
        assert page.status_code == 200 and "<title>votes</title>" in page.text
        # AND API calls to the same paths still reach the API (401 without a token)
        api = client.get("/polls/some-poll", headers={"Accept": "application/json"})
        assert (api.status_code, api.json()["error"]["code"]) == (401, "unauthenticated")
        # AND the live stream needs a token too
        assert client.get("/polls/some-poll/results/stream").status_code == 401
        # AND a body over the limit is refused before the handler runs
        headers = sign_in(running, "dave")
        big = client.post("/voters", headers=headers, content=b"x" * (65 * 1024))
        assert (big.status_code, big.json()["error"]["code"]) == (413, "payload_too_large")
