"""The small Lambda entries: schema migration (custom resource), pre sign-up, scheduled relay."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aws_fixtures import aws, bus_to_queue, drain_queue, moto_endpoint  # noqa: F401

from handlers import migrate, presignup, pretoken, relay
from vote_domain import VotingService
from votes import runtime
from votes.bootstrap import Container
from votes.custom_resource import PHYSICAL_ID
from votes.pretoken import access_scopes
from votes.settings import Settings

EVENTS = Path(__file__).parents[1] / "events"


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


class CloudFormation:
    """Stands in for the presigned S3 URL CloudFormation waits on."""

    def __init__(self) -> None:
        self.responses: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers["Content-Length"])
                outer.responses.append(json.loads(self.rfile.read(length)))
                outer.headers.append(dict(self.headers))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/stack-response?X-Amz-Signature=x"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def cloudformation() -> Iterator[CloudFormation]:
    cfn = CloudFormation()
    yield cfn
    cfn.server.shutdown()
    cfn.server.server_close()


class Context:
    log_stream_name = "2026/11/27/[$LATEST]abc"

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def container_on(app_container: Callable[..., Container]) -> Callable[..., Container]:
    """Configure the process container with the given settings fields (not migrated)."""

    def configure(**fields: Any) -> Container:
        return app_container(Settings(region="us-east-1", **fields), migrate=False)

    return configure


def table_names(database: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(database) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_migrate_creates_every_table_and_answers_cloudformation(
    cloudformation: CloudFormation, container_on: Any, tmp_path: Path
) -> None:
    database = tmp_path / "deploy.db"
    container_on(database_url=f"sqlite:///{database}")
    event = {**load("cfn_custom_resource_create.json"), "ResponseURL": cloudformation.url}
    outcome = migrate.handler(event, Context())
    assert outcome["Status"] == "SUCCESS"
    assert "events:1" in outcome["Data"]["Applied"] and "relay:1" in outcome["Data"]["Applied"]
    assert {"stored_events", "tracking", "relay_published", "schema_migrations"} <= table_names(
        database
    )
    (answer,) = cloudformation.responses
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == PHYSICAL_ID
    assert answer["StackId"] == event["StackId"] and answer["RequestId"] == event["RequestId"]
    assert answer["LogicalResourceId"] == "DatabaseSchema"
    assert cloudformation.headers[0]["Content-Type"] == ""

    update = {**event, "RequestType": "Update", "PhysicalResourceId": PHYSICAL_ID}
    assert migrate.handler(update, Context())["Data"] == {"Applied": "none"}
    assert cloudformation.responses[1]["Status"] == "SUCCESS"


def test_migrate_delete_changes_nothing(
    cloudformation: CloudFormation, container_on: Any, tmp_path: Path
) -> None:
    database = tmp_path / "untouched.db"
    container_on(database_url=f"sqlite:///{database}")
    event = {**load("cfn_custom_resource_delete.json"), "ResponseURL": cloudformation.url}
    assert migrate.handler(event, Context())["Status"] == "SUCCESS"
    assert not database.exists()
    (answer,) = cloudformation.responses
    assert answer["Status"] == "SUCCESS" and answer["PhysicalResourceId"] == PHYSICAL_ID


def test_migrate_failure_is_reported_not_left_hanging(
    cloudformation: CloudFormation, container_on: Any
) -> None:
    container_on(database_url="mysql://root@127.0.0.1:1/votes")
    event = {**load("cfn_custom_resource_create.json"), "ResponseURL": cloudformation.url}
    assert migrate.handler(event, Context())["Status"] == "FAILED"
    (answer,) = cloudformation.responses
    assert answer["Status"] == "FAILED" and answer["Reason"].startswith("migration failed")


def test_migrate_without_cloudformation_just_migrates(container_on: Any, tmp_path: Path) -> None:
    database = tmp_path / "manual.db"
    container_on(database_url=f"sqlite:///{database}")
    assert migrate.handler({}, None)["Status"] == "SUCCESS"
    assert "relay_published" in table_names(database)


def test_presignup_confirms_when_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOTES_AUTO_CONFIRM_SIGNUPS", "true")
    event = presignup.handler(load("cognito_pre_signup.json"), None)
    assert event["response"] == {
        "autoConfirmUser": True,
        "autoVerifyEmail": True,
        "autoVerifyPhone": False,
    }
    without_email = load("cognito_pre_signup.json")
    without_email["request"]["userAttributes"] = {}
    assert presignup.handler(without_email, None)["response"]["autoVerifyEmail"] is False


@pytest.mark.parametrize("setting", [None, "false", "0"])
def test_presignup_does_nothing_unless_enabled(
    monkeypatch: pytest.MonkeyPatch, setting: str | None
) -> None:
    if setting is None:
        monkeypatch.delenv("VOTES_AUTO_CONFIRM_SIGNUPS", raising=False)
    else:
        monkeypatch.setenv("VOTES_AUTO_CONFIRM_SIGNUPS", setting)
    assert presignup.handler(load("cognito_pre_signup.json"), None) == load(
        "cognito_pre_signup.json"
    )


def test_presignup_leaves_admin_created_users_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOTES_AUTO_CONFIRM_SIGNUPS", "true")
    event = {**load("cognito_pre_signup.json"), "triggerSource": "PreSignUp_AdminCreateUser"}
    assert presignup.handler(event, None)["response"]["autoConfirmUser"] is False


def test_scheduled_relay_catches_up(container_on: Any, tmp_path: Path, aws: str) -> None:  # noqa: F811
    bus, queue_url = bus_to_queue(aws)
    built = container_on(database_url=f"sqlite:///{tmp_path / 'relay.db'}", event_bus_name=bus)

    async def commit_without_fast_path() -> None:
        await built.migrate()
        service = VotingService(built.store)  # as if every fast path had failed
        await service.register_voter("alice")
        poll = await service.create_poll("alice", "Lunch?", ["Pizza", "Salad"])
        await service.cast_vote(poll.id, "alice", "Salad")

    runtime.run(commit_without_fast_path())
    assert built.settings.event_bus_name == bus
    assert relay.handler(load("scheduled_event.json"), Context()) == {"published": 3}
    assert relay.handler(load("scheduled_event.json"), Context()) == {"published": 0}
    messages = drain_queue(aws, queue_url, expect=3)
    assert [m["detail-type"] for m in messages] == ["VoterRegistered", "PollCreated", "VoteCast"]


def test_the_container_relays_each_commit_at_once(
    container_on: Any,
    tmp_path: Path,
    aws: str,  # noqa: F811
) -> None:
    bus, queue_url = bus_to_queue(aws)
    built = container_on(database_url=f"sqlite:///{tmp_path / 'fast.db'}", event_bus_name=bus)

    async def vote() -> None:
        await built.migrate()
        await built.service.register_voter("bob")

    runtime.run(vote())
    (message,) = drain_queue(aws, queue_url, expect=1)
    assert message["detail-type"] == "VoterRegistered"
    assert relay.handler(load("scheduled_event.json"), Context()) == {"published": 0}


def test_pretoken_swaps_the_self_service_scope_for_the_apis() -> None:
    # GIVEN Cognito's V2 pre token generation event of a sign-in
    event = pretoken.handler(load("cognito_pre_token_generation_v2.json"), None)
    # THEN the access token gets votes/api and loses aws.cognito.signin.user.admin
    access = event["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]
    assert access == {
        "scopesToAdd": ["votes/api"],
        "scopesToSuppress": ["aws.cognito.signin.user.admin"],
    }
    # and the local IdP's reading of the same rule agrees
    assert access_scopes(event["request"]["scopes"]) == ["votes/api"]


def test_pretoken_leaves_admins_the_self_service_scope_for_totp_enrolment() -> None:
    # GIVEN the same event for a member of the admins group
    event = load("cognito_pre_token_generation_v2.json")
    event["request"]["groupConfiguration"]["groupsToOverride"] = ["admins"]
    event = pretoken.handler(event, None)
    # THEN the access token gets votes/api and keeps aws.cognito.signin.user.admin
    # (AssociateSoftwareToken takes it: docs/deploy.md, "Admins should turn on TOTP MFA")
    access = event["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]
    assert access == {"scopesToAdd": ["votes/api"], "scopesToSuppress": []}
    scopes = event["request"]["scopes"]
    assert access_scopes(scopes, ["admins"]) == ["aws.cognito.signin.user.admin", "votes/api"]
