"""The HTTP API Lambda, fed captured-shape API Gateway v2 events (tests/events/api_*.json)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_events import body_of, load_event
from lambda_context import LambdaContext

from handlers.api import handler
from votes import bootstrap, runtime
from votes.bootstrap import Container

ALICE = "d4c8a4b8-3051-70d6-2a8f-3f6e1b9f0a11"  # the captured events' caller (an admin)
BOB = "0b7e3a52-9c41-4d7e-8f6a-2c5d1e9b7a33"


@pytest.fixture
def api(tmp_path: Path, app_container: Callable[..., Container]) -> None:
    """The API handler on a fresh SQLite store (no EventBridge, projections run on demand)."""
    app_container(database_url=f"sqlite:///{tmp_path / 'api.db'}")


def call(event: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
    response = handler(event, LambdaContext())
    return response["statusCode"], body_of(response), response.get("headers", {})


def project() -> None:
    """Run the tally projector over the whole log (what the projector Lambda does on AWS)."""
    c = bootstrap.container()

    async def go() -> None:
        async for page in c.store.iter_notifications():
            await c.projector.process(page)

    runtime.run(go())


def registered(sub: str = ALICE, username: str = "alice") -> None:
    status, _, _ = call(load_event("register_voter", sub=sub, username=username))
    assert status in (200, 201)


def a_poll(options: list[str] | None = None) -> str:
    status, poll, _ = call(
        load_event(
            "create_poll", body={"question": "Tabs?", "options": options or ["Tabs", "Spaces"]}
        )
    )
    assert status == 201, poll
    return str(poll["id"])


def test_health_needs_no_token(api: None) -> None:
    # GIVEN the health route's event, without an authorizer
    # WHEN it is handled
    status, body, headers = call(load_event("health"))
    # THEN the API is up
    assert (status, body) == (200, {"status": "ok"})
    assert headers["Content-Type"] == "application/json"


def test_register_is_201_then_200(api: None) -> None:
    # GIVEN a caller never seen before
    event = load_event("register_voter", sub=BOB, username="bob")
    # WHEN they register twice
    first, voter, _ = call(event)
    again, same, _ = call(event)
    # THEN the first registration creates the voter and the second returns it unchanged
    assert (first, again) == (201, 200)
    assert voter == same
    assert voter["subject"] == BOB and voter["display_name"] == "Alice"


def test_register_defaults_the_display_name_to_the_username(api: None) -> None:
    status, voter, _ = call(load_event("register_voter", sub=BOB, username="bob", raw_body=""))
    assert status == 201 and voter["display_name"] == "bob"


def test_identity_comes_only_from_the_verified_claims(api: None) -> None:
    # GIVEN a body that tries to name another subject
    event = load_event("register_voter", sub=BOB, body={"display_name": "x", "subject": ALICE})
    # WHEN it is handled THEN the unknown field is refused, not trusted
    status, body, _ = call(event)
    assert status == 400 and body["error"]["code"] == "validation_failed"


def test_no_authorizer_claims_is_401(api: None) -> None:
    # GIVEN an event for a protected route that carries no verified claims
    for name in ("list_polls", "register_voter", "cast_vote", "results"):
        status, body, _ = call(load_event(name, authorized=False))
        # THEN the handler refuses it before any service call
        assert status == 401, name
        assert body["error"]["code"] == "unauthenticated"


def test_only_admins_create_and_close_polls(api: None) -> None:
    registered()
    # GIVEN a caller without the admins group (claim absent, or other groups)
    for groups in (None, "[voters]", "[]", ["voters"]):
        status, body, _ = call(load_event("create_poll", sub=BOB, groups=groups))
        # THEN creating a poll is forbidden
        assert (status, body["error"]["code"]) == (403, "forbidden"), groups
    poll_id = a_poll()
    status, body, _ = call(load_event("close_poll", poll_id=poll_id, sub=BOB, groups="[voters]"))
    assert (status, body["error"]["code"]) == (403, "forbidden")
    # AND an admin named in a list or in API Gateway's "[a b]" rendering may
    for groups in ("[voters admins]", ["admins"], '["admins"]'):
        status, poll, headers = call(
            load_event("create_poll", groups=groups, body={"question": "Q?", "options": ["A", "B"]})
        )
        assert status == 201, groups
        assert headers["Location"] == f"/polls/{poll['id']}"


def test_cast_retry_conflict_change_retract(api: None) -> None:
    registered()
    poll_id = a_poll()
    cast = load_event("cast_vote", poll_id=poll_id)
    # WHEN the caller votes THEN 201
    status, result, headers = call(cast)
    assert status == 201 and result["outcome"] == "cast" and result["ballot"]["option"] == "Tabs"
    assert headers["Location"] == f"/polls/{poll_id}/votes/me"
    # WHEN the same vote is retried THEN 200, unchanged
    status, result, _ = call(cast)
    assert (status, result["outcome"]) == (200, "unchanged")
    # WHEN another option is cast THEN 409 already_voted, naming the option held
    status, error, _ = call(load_event("cast_vote", poll_id=poll_id, body={"option": "Spaces"}))
    assert status == 409
    assert error["error"]["code"] == "already_voted"
    assert error["error"]["details"] == {"option": "Tabs"}
    # WHEN the vote is changed THEN 200 changed
    status, result, _ = call(load_event("change_vote", poll_id=poll_id))
    assert (status, result["outcome"], result["ballot"]["option"]) == (200, "changed", "Spaces")
    status, ballot, _ = call(load_event("get_ballot", poll_id=poll_id))
    assert (status, ballot["option"]) == (200, "Spaces")
    # WHEN it is retracted THEN 200 with the ballot emptied, and retracting again is 404
    status, ballot, _ = call(load_event("retract_vote", poll_id=poll_id))
    assert (status, ballot["option"]) == (200, None)
    status, error, _ = call(load_event("retract_vote", poll_id=poll_id))
    assert (status, error["error"]["code"]) == (404, "ballot_not_found")


def test_base64_bodies_are_decoded(api: None) -> None:
    registered()
    poll_id = a_poll()
    status, result, _ = call(load_event("cast_vote_base64", poll_id=poll_id))
    assert (status, result["ballot"]["option"]) == (201, "Tabs")


@pytest.mark.parametrize(
    ("raw_body", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        ("[1, 2]", 400, "malformed_json"),
        ("", 400, "malformed_json"),
        ('{"option": ' + "1" * 5_000 + "}", 400, "malformed_json"),  # Python reads <= 4,300 digits
        ('{"choice": "Tabs"}', 400, "validation_failed"),
        ('{"option": 7}', 400, "validation_failed"),
        ('{"option": "' + "x" * 70_000 + '"}', 413, "payload_too_large"),
        ('{"option": "Emacs"}', 422, "invalid_option"),
    ],
)
def test_bad_votes_are_client_errors(api: None, raw_body: str, status: int, code: str) -> None:
    registered()
    poll_id = a_poll()
    got, body, _ = call(load_event("cast_vote", poll_id=poll_id, raw_body=raw_body))
    assert (got, body["error"]["code"]) == (status, code)
    assert set(body["error"]) >= {"code", "message"}


def test_domain_rules_are_422(api: None) -> None:
    poll_id = a_poll()
    # GIVEN a caller who never registered THEN voting is 422 not_registered
    status, body, _ = call(load_event("cast_vote", poll_id=poll_id, sub=BOB))
    assert (status, body["error"]["code"]) == (422, "not_registered")
    # GIVEN a closed poll THEN voting is 422 poll_closed
    registered()
    status, poll, _ = call(load_event("close_poll", poll_id=poll_id))
    assert (status, poll["closed"]) == (200, True)
    status, body, _ = call(load_event("cast_vote", poll_id=poll_id))
    assert (status, body["error"]["code"]) == (422, "poll_closed")


def test_unknown_polls_and_routes_are_404_and_bad_ids_400(api: None) -> None:
    registered()
    unknown = str(uuid.uuid4())
    for name in ("get_poll", "cast_vote", "results", "get_ballot"):
        status, body, _ = call(load_event(name, poll_id=unknown))
        assert (status, body["error"]["code"]) == (404, "poll_not_found"), name
    status, body, _ = call(load_event("get_poll", poll_id="not-a-uuid"))
    assert (status, body["error"]["code"]) == (400, "validation_failed")
    event = load_event("get_poll")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/nothing/here"
    status, body, _ = call(event)
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_get_and_list_polls(api: None) -> None:
    first, second = a_poll(), a_poll(["Yes", "No"])
    status, poll, _ = call(load_event("get_poll", poll_id=first))
    assert (status, poll["id"], poll["is_open"]) == (200, first, True)
    status, listing, _ = call(load_event("list_polls", sub=BOB, groups=None))
    assert status == 200
    assert [p["id"] for p in listing["polls"]] == [second, first]


def test_results_now_and_in_the_past(api: None) -> None:
    registered()
    registered(BOB, "bob")
    poll_id = a_poll()
    call(load_event("cast_vote", poll_id=poll_id))
    _, after_first, _ = call(load_event("cast_vote", poll_id=poll_id, sub=BOB))
    call(load_event("change_vote", poll_id=poll_id, sub=BOB))
    project()
    # WHEN the results are read THEN they count every ballot held now
    status, tally, _ = call(load_event("results", poll_id=poll_id))
    assert status == 200
    assert (tally["counts"], tally["total"]) == ({"Tabs": 1, "Spaces": 1}, 2)
    # WHEN read as of a log position THEN only the events up to it count
    position = tally["position"] - 1
    status, past, _ = call(load_event("results", poll_id=poll_id, query=f"position={position}"))
    assert (status, past["counts"]) == (200, {"Tabs": 2, "Spaces": 0})
    # WHEN read as of a time before the poll THEN nothing counts yet
    status, past, _ = call(
        load_event("results_at", poll_id=poll_id, query="at=2000-01-01T00%3A00%3A00Z")
    )
    assert (status, past["total"]) == (200, 0)
    assert after_first["ballot"]["option"] == "Tabs"


def test_results_carry_an_etag_and_answer_304_while_unchanged(api: None) -> None:
    registered()
    poll_id = a_poll()
    call(load_event("cast_vote", poll_id=poll_id))
    project()
    # GIVEN the results and their ETag
    status, tally, headers = call(load_event("results", poll_id=poll_id))
    etag = headers["ETag"]
    assert (status, etag) == (200, f'W/"{tally["position"]}-0"')
    # WHEN asked again with that ETag (also strongly, or in a list) THEN 304 without a body
    for sent in (etag, etag.removeprefix("W/"), f'W/"0-0", {etag}', "*"):
        event = load_event("results", poll_id=poll_id)
        event["headers"]["if-none-match"] = sent
        response = handler(event, LambdaContext())
        assert response["statusCode"] == 304, sent
        assert not response.get("body") and response["headers"]["ETag"] == etag
    # WHEN the tally moves on THEN the old ETag gets the new results
    registered(BOB, "bob")
    call(load_event("cast_vote", poll_id=poll_id, sub=BOB))
    project()
    event = load_event("results", poll_id=poll_id)
    event["headers"]["if-none-match"] = etag
    status, tally, headers = call(event)
    assert (status, tally["total"]) == (200, 2) and headers["ETag"] != etag


@pytest.mark.parametrize(
    "query", ["at=yesterday", "position=-1", "position=x", "at=2026-01-01T00:00:00Z&position=3"]
)
def test_bad_time_travel_is_400(api: None, query: str) -> None:
    poll_id = a_poll()
    status, body, _ = call(load_event("results", poll_id=poll_id, query=query))
    assert (status, body["error"]["code"]) == (400, "validation_failed")


def test_an_unexpected_failure_is_a_bare_500(api: None, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(bootstrap.container().service, "list_polls", broken)
    status, body, _ = call(load_event("list_polls"))
    assert status == 500
    assert body == {"error": {"code": "internal", "message": "internal error; it has been logged"}}


def test_an_unreachable_store_is_503_with_retry_after(
    api: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vote_domain import Unavailable

    async def down(*args: Any, **kwargs: Any) -> Any:
        raise Unavailable("the vote store is unavailable; retry shortly")

    monkeypatch.setattr(bootstrap.container().service, "get_poll", down)
    status, body, headers = call(load_event("get_poll"))
    assert (status, body["error"]["code"]) == (503, "unavailable")
    assert headers["Retry-After"] == "1"


def test_votes_cast_and_conflicts_are_emf_metrics(
    api: None, capsys: pytest.CaptureFixture[str]
) -> None:
    registered()
    poll_id = a_poll()
    capsys.readouterr()
    # WHEN a vote is cast, then contradicted
    call(load_event("cast_vote", poll_id=poll_id))
    call(load_event("cast_vote", poll_id=poll_id, body={"option": "Spaces"}))
    # THEN each invocation printed its CloudWatch embedded-metric-format record
    records = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    names = [m["Name"] for r in records for m in r["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    assert names == ["VoteCast", "VoteConflict"]
    assert all(r["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Votes" for r in records)


def test_the_poll_list_carries_each_polls_number_of_votes(api: None) -> None:
    # GIVEN two polls, one with two votes projected
    registered()
    registered(BOB, "bob")
    voted, quiet = a_poll(), a_poll()
    call(load_event("cast_vote", poll_id=voted))
    call(load_event("cast_vote", poll_id=voted, sub=BOB))
    project()
    # WHEN anyone lists the polls THEN each carries its current total (0 without a tally)
    status, listing, _ = call(load_event("list_polls", sub=BOB, groups=None))
    assert status == 200
    totals = {p["id"]: p["total_votes"] for p in listing["polls"]}
    assert totals == {voted: 2, quiet: 0}


def test_my_ballots_lists_the_callers_ballots_without_404s(api: None) -> None:
    registered()
    voted, retracted, never = a_poll(), a_poll(), a_poll()
    call(load_event("cast_vote", poll_id=voted))
    call(load_event("cast_vote", poll_id=retracted))
    call(load_event("retract_vote", poll_id=retracted))
    ids = ",".join([voted, retracted, never])
    # WHEN the caller asks for their ballots in three polls
    status, body, _ = call(load_event("list_my_ballots", query=f"poll_ids={ids}"))
    # THEN they get the two they hold or held, none for the poll they never voted in
    assert status == 200
    assert [(b["poll_id"], b["option"]) for b in body["ballots"]] == [
        (voted, "Tabs"),
        (retracted, None),
    ]
    # AND another caller holds none, an empty query names no poll, bad ids are 400
    status, body, _ = call(load_event("list_my_ballots", sub=BOB, query=f"poll_ids={ids}"))
    assert (status, body) == (200, {"ballots": []})
    assert call(load_event("list_my_ballots", query=""))[1] == {"ballots": []}
    status, body, _ = call(load_event("list_my_ballots", query="poll_ids=nope"))
    assert (status, body["error"]["code"]) == (400, "validation_failed")


def test_after_vote_results_are_403_until_the_caller_votes(api: None) -> None:
    # GIVEN an admin's poll whose results show only after a vote
    registered()
    registered(BOB, "bob")
    status, poll, _ = call(
        load_event(
            "create_poll",
            body={
                "question": "Q?",
                "options": ["Tabs", "Spaces"],
                "results_visibility": "after_vote",
            },
        )
    )
    assert (status, poll["results_visibility"]) == (201, "after_vote")
    poll_id = poll["id"]
    # WHEN Bob, who has not voted, reads the results, now or in the past THEN 403 results_hidden
    for query in (None, "position=1"):
        status, body, _ = call(
            load_event("results", poll_id=poll_id, sub=BOB, groups=None, query=query)
        )
        assert (status, body["error"]["code"]) == (403, "results_hidden")
    # WHEN the admin reads them THEN they see them (they run the poll)
    assert call(load_event("results", poll_id=poll_id))[0] == 200
    # WHEN Bob has voted THEN he sees them too
    call(load_event("cast_vote", poll_id=poll_id, sub=BOB))
    project()
    status, tally, _ = call(load_event("results", poll_id=poll_id, sub=BOB, groups=None))
    assert (status, tally["total"]) == (200, 1)


def test_polls_show_results_to_all_by_default_and_refuse_unknown_visibility(api: None) -> None:
    poll_id = a_poll()
    status, poll, _ = call(load_event("get_poll", poll_id=poll_id))
    assert poll["results_visibility"] == "always"
    assert call(load_event("results", poll_id=poll_id, sub=BOB, groups=None))[0] == 200
    status, body, _ = call(
        load_event(
            "create_poll",
            body={"question": "Q?", "options": ["a", "b"], "results_visibility": "never"},
        )
    )
    assert (status, body["error"]["code"]) == (400, "validation_failed")


def test_register_never_names_a_voter_after_a_generated_id(api: None) -> None:
    # GIVEN a pool with e-mail as the username: the access token's username claim is the sub
    event = load_event("register_voter", sub=BOB, username=BOB, raw_body="")
    # WHEN the caller registers without a display name THEN no UUID becomes their name
    status, voter, _ = call(event)
    assert status == 201 and voter["display_name"] == "Anonymous voter"
