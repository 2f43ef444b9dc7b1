"""Hostile input over HTTP, on SQLite and MariaDB: injection-shaped and unicode edge-case
strings are stored and counted exactly; oversized, malformed and out-of-range input gets the
right 4xx and writes nothing; afterwards the tallies still equal a replay of the log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hardening_app import LiveApp
from hardening_waits import settled_differences

INJECTIONS = [
    "'; DROP TABLE stored_events; --",
    "Robert'); DELETE FROM tallies WHERE ('1'='1",
    '" OR 1=1 --',
    "1; UPDATE stored_events SET state = NULL",
    "\\'; SELECT SLEEP(5); --",
    "%' UNION SELECT * FROM idp_users --",
]
UNICODE = [
    "Ta\u200bbs",  # zero-width space inside
    "\u202eSpaces\u202c",  # right-to-left override
    "\u05e2\u05d1\u05e8\u05d9\u05ea",  # Hebrew (RTL)
    "\U0001f98a\U0001f3f3\ufe0f\u200d\U0001f308",  # emoji with ZWJ sequence (4-byte UTF-8)
    "nul\x00byte",
    "e\u0301",  # NFD: e + combining acute
    "\u00e9\u00e9",  # NFC
    "\U0001f600" * 80,  # 80 four-byte characters (the max length)
    "\ufeffbom",
    "line\nbreak\ttab",
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def app(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mysql_server_url: str,
    _mysql_session_prefix: str,
) -> Iterator[LiveApp]:
    database = None
    if request.param == "mysql":
        from conftest import _create_database, _drop_database

        name = f"{_mysql_session_prefix}_input"
        database = _create_database(mysql_server_url, name)
    try:
        with LiveApp(tmp_path_factory.mktemp("input"), database=database) as running:
            yield running
    finally:
        if request.param == "mysql":
            _drop_database(mysql_server_url, name)


@pytest.fixture(scope="module")
def admin(app: LiveApp) -> Any:
    return app.sign_in("admin")


def _poll(app: LiveApp, admin: Any, options: list[str], question: str = "Which?") -> Any:
    with app.http() as http:
        r = http.post(
            "/polls", headers=admin.headers, json={"question": question, "options": options}
        )
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize("strings", [INJECTIONS, UNICODE], ids=["injection", "unicode"])
def test_hostile_strings_are_stored_and_counted_exactly(
    app: LiveApp, admin: Any, strings: list[str]
) -> None:
    # GIVEN a poll whose question and options are hostile strings
    poll = _poll(app, admin, strings, question=strings[0][:280])
    assert poll["options"] == strings and poll["question"] == strings[0]
    with app.http() as http:
        assert http.get(f"/polls/{poll['id']}", headers=admin.headers).json()["options"] == strings
        # WHEN voters named with hostile strings vote for each option
        for n, option in enumerate(strings):
            voter = app.sign_in(f"voter{n}-{len(strings[0])}", register=False)
            named = http.post("/voters", headers=voter.headers, json={"display_name": strings[n]})
            assert named.status_code == 201 and named.json()["display_name"] == strings[n]
            cast = http.post(
                f"/polls/{poll['id']}/votes", headers=voter.headers, json={"option": option}
            )
            assert cast.status_code == 201, (option, cast.text)
            assert cast.json()["ballot"]["option"] == option
    # THEN the tally counts each exact string once, and equals a replay of the log
    assert settled_differences(app) == []
    with app.http() as http:
        tally = http.get(f"/polls/{poll['id']}/results", headers=admin.headers).json()
    assert tally["counts"] == dict.fromkeys(strings, 1)


def test_lookalike_options_do_not_collect_each_others_votes(app: LiveApp, admin: Any) -> None:
    # options that differ only by invisible characters are different options (documented
    # in docs/threat-model.md); a vote goes to exactly the one spelled
    poll = _poll(app, admin, ["Tabs", "Ta\u200bbs", "Tabs\u2060"])
    with app.http() as http:
        voter = app.sign_in("lookalike")
        r = http.post(
            f"/polls/{poll['id']}/votes", headers=voter.headers, json={"option": "Ta\u200bbs"}
        )
        assert r.json()["ballot"]["option"] == "Ta\u200bbs"
    assert settled_differences(app) == []


BAD_POLL_IDS = [
    "1' OR '1'='1",
    "1;DROP TABLE stored_events",
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "%E2%80%8B" + "0" * 32,
    "a" * 3000,
    "00000000-0000-0000-0000-00000000000g",
]


@pytest.mark.parametrize("poll_id", BAD_POLL_IDS)
def test_injection_shaped_poll_ids_are_400_and_write_nothing(
    app: LiveApp, admin: Any, poll_id: str
) -> None:
    before = app.log_position()
    with app.http() as http:
        for method, suffix, body in [
            ("GET", "", None),
            ("POST", "/votes", {"option": "Tabs"}),
            ("PUT", "/votes/me", {"option": "Tabs"}),
            ("DELETE", "/votes/me", None),
            ("POST", "/close", None),
            ("GET", "/results", None),
        ]:
            r = http.request(method, f"/polls/{poll_id}{suffix}", headers=admin.headers, json=body)
            assert r.status_code == 400, (method, suffix, r.status_code, r.text)
            assert r.json()["error"]["code"] == "validation_failed"
    assert app.log_position() == before


def _bad_bodies() -> list[tuple[str, bytes, int, str]]:
    too_big = b'{"option": "' + b"x" * (64 * 1024) + b'"}'
    return [
        ("over the limit", too_big, 413, "payload_too_large"),
        (
            "just over the limit, all emoji",
            ('{"option": "' + "\U0001f600" * 16400 + '"}').encode(),
            413,
            "payload_too_large",
        ),
        ("not JSON", b"option=Tabs", 400, "malformed_json"),
        ("a JSON array", b'["Tabs"]', 400, "malformed_json"),
        ("a JSON string", b'"Tabs"', 400, "malformed_json"),
        ("null", b"null", 400, "malformed_json"),
        ("option too long", ('{"option": "' + "x" * 81 + '"}').encode(), 400, "validation_failed"),
        ("option a number", b'{"option": 1}', 400, "validation_failed"),
        ("option null", b'{"option": null}', 400, "validation_failed"),
        ("option blank", b'{"option": "   "}', 400, "validation_failed"),
        ("NaN", b'{"option": NaN}', 400, "validation_failed"),
        ("duplicate keys", b'{"option": "Tabs", "option": 5}', 400, "validation_failed"),
        ("lone surrogate", b'{"option": "\\ud800"}', 400, "validation_failed"),
    ]


@pytest.mark.parametrize("name,body,status,code", _bad_bodies(), ids=[b[0] for b in _bad_bodies()])
def test_bad_vote_bodies_get_the_right_4xx_and_write_nothing(
    app: LiveApp, admin: Any, name: str, body: bytes, status: int, code: str
) -> None:
    poll = _poll(app, admin, ["Tabs", "Spaces"])
    voter = app.sign_in("bodies")
    headers = {**voter.headers, "Content-Type": "application/json"}
    before = app.log_position()
    with app.http() as http:
        for method, path in (("POST", "votes"), ("PUT", "votes/me")):
            r = http.request(method, f"/polls/{poll['id']}/{path}", headers=headers, content=body)
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), (method, r.text)
    assert app.log_position() == before


def test_oversized_bodies_are_413_on_every_write_route_chunked_or_not(
    app: LiveApp, admin: Any
) -> None:
    poll = _poll(app, admin, ["Tabs", "Spaces"])
    big = b'{"question": "' + b"q" * (70 * 1024) + b'", "options": ["a", "b"]}'

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count itself
        for i in range(0, len(big), 4096):
            yield big[i : i + 4096]

    before = app.log_position()
    with app.http() as http:
        for method, path in [
            ("POST", "/voters"),
            ("POST", "/polls"),
            ("POST", f"/polls/{poll['id']}/votes"),
            ("PUT", f"/polls/{poll['id']}/votes/me"),
            ("POST", f"/polls/{poll['id']}/close"),
        ]:
            for content in (big, chunks()):
                r = http.request(method, path, headers=admin.headers, content=content)
                assert r.status_code == 413, (method, path, r.status_code)
                assert r.json()["error"]["code"] == "payload_too_large"
    assert app.log_position() == before


@pytest.mark.parametrize(
    "query",
    [
        "position=-1",
        "position=1e3",
        "position=0x10",
        "position=1;DROP TABLE tallies",
        "at=yesterday",
        "at=2026-13-01T00:00:00Z",
        "at=' OR 1=1 --",
        "at=2026-01-01&position=1",
    ],
)
def test_bad_time_travel_queries_are_400(app: LiveApp, admin: Any, query: str) -> None:
    poll = _poll(app, admin, ["Tabs", "Spaces"])
    with app.http() as http:
        r = http.get(f"/polls/{poll['id']}/results?{query}", headers=admin.headers)
    assert (r.status_code, r.json()["error"]["code"]) == (400, "validation_failed"), r.text


# -- regressions: 500s this suite found (fixed; see docs/threat-model.md, "Findings") ------


def test_non_utf8_body_is_400_not_500(app: LiveApp, admin: Any) -> None:
    poll = _poll(app, admin, ["Tabs", "Spaces"])
    before = app.log_position()
    with app.http() as http:
        for method, path in [
            ("POST", "/voters"),
            ("POST", "/polls"),
            ("POST", f"/polls/{poll['id']}/votes"),
            ("PUT", f"/polls/{poll['id']}/votes/me"),
        ]:
            r = http.request(
                method,
                path,
                headers={**admin.headers, "Content-Type": "application/json"},
                content=b'{"option": "\xff\xfe"}',
            )
            assert (r.status_code, r.json()["error"]["code"]) == (400, "malformed_json"), (
                method,
                path,
                r.text,
            )
    assert app.log_position() == before


def test_deeply_nested_json_is_400_not_500(app: LiveApp, admin: Any) -> None:
    poll = _poll(app, admin, ["Tabs", "Spaces"])
    deep = b'{"option": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"  # 40 KB: under the limit
    with app.http() as http:
        r = http.post(f"/polls/{poll['id']}/votes", headers=admin.headers, content=deep)
    assert r.status_code == 400, r.text


def test_a_position_beyond_any_integer_column_is_400_not_500(app: LiveApp, admin: Any) -> None:
    poll = _poll(app, admin, ["Tabs", "Spaces"])
    with app.http() as http:
        for position in (2**63, 10**30):
            r = http.get(
                f"/polls/{poll['id']}/results", params={"position": position}, headers=admin.headers
            )
            assert r.status_code in (200, 400), (position, r.text)


def test_the_log_is_intact_after_all_of_it(app: LiveApp) -> None:
    assert settled_differences(app) == []
    assert all(n.topic for n in app.notifications())
    assert httpx.get(f"{app.url}/health").status_code == 200
