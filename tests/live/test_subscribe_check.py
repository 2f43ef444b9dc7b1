"""The subscribe check AppSync runs before each subscription (the ``tallies`` namespace's
direct Lambda integration), fed the event shape AWS documents for it: an open ``after_vote``
poll is followed only by its voters and admins, as ``GET /results`` shows it; anything but a
poll's channel, or an ID token's claims, is refused."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.events_appsync.exceptions import UnauthorizedException

from handlers import subscribe
from votes import bootstrap, runtime
from votes.bootstrap import Container

EVENT = json.loads(
    (Path(__file__).parents[1] / "events" / "appsync_events_subscribe.json").read_text()
)
VOTER = EVENT["identity"]["sub"]


def _event(channel: str, **claims: Any) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["info"]["channel"] = {"path": channel, "segments": channel.strip("/").split("/")}
    event["identity"]["claims"].update(claims)
    return event


@pytest.fixture
def hidden_poll(app_container: Callable[..., Container], tmp_path: Path) -> str:
    built = app_container(database_url=f"sqlite:///{tmp_path / 'votes.db'}")
    runtime.run(built.service.register_voter(VOTER, "Voter"))
    poll = runtime.run(
        built.service.create_poll("admin-sub", "Hidden?", ["Yes", "No"], None, "after_vote")
    )
    return str(poll.id)


def test_a_voter_may_follow_a_hidden_poll_only_once_voted(
    hidden_poll: str, app_container: Callable[..., Container]
) -> None:
    with pytest.raises(UnauthorizedException, match="results_hidden"):
        subscribe.handler(_event(f"/tallies/{hidden_poll}"), None)
    runtime.run(bootstrap.container().service.cast_vote(hidden_poll, VOTER, "Yes"))
    assert subscribe.handler(_event(f"/tallies/{hidden_poll}"), None) is None


def test_an_admin_may_follow_it_at_once(hidden_poll: str) -> None:
    event = _event(f"/tallies/{hidden_poll}", **{"cognito:groups": ["admins"]})
    assert subscribe.handler(event, None) is None


def test_an_id_tokens_claims_are_refused(hidden_poll: str) -> None:
    event = _event(f"/tallies/{hidden_poll}", token_use="id", **{"cognito:groups": ["admins"]})
    with pytest.raises(UnauthorizedException, match="unauthenticated"):
        subscribe.handler(event, None)


@pytest.mark.parametrize(
    "channel",
    [
        "/tallies/00000000-0000-4000-8000-000000000000",  # no such poll
        "/tallies/not-a-poll",
        "/tallies/a/b",
    ],
)
def test_channels_that_name_no_poll_are_refused(hidden_poll: str, channel: str) -> None:
    answer = subscribe.handler(_event(channel), None)
    assert isinstance(answer, dict) and "error" in answer
