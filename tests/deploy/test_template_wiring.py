"""The packaged template wires what the other parts of the app rely on: routes and their
authorization, CORS, each function's environment (named as votes/settings.py reads it) and
permissions, the migration at every deploy, and the projector's queue."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.deploy.conftest import Packaged
from votes.local.auth import ACCESS_SCOPE
from votes.presignup import ENABLED_VARIABLE
from votes.settings import Settings

PUBLIC_ROUTES = {"GET /health", "GET /openapi.json"}
AUTHORIZED_ROUTES = {
    "POST /voters",
    "GET /voters/me/ballots",
    "GET /polls",
    "POST /polls",
    "GET /polls/{pollId}",
    "POST /polls/{pollId}/close",
    "POST /polls/{pollId}/votes",
    "GET /polls/{pollId}/votes/me",
    "PUT /polls/{pollId}/votes/me",
    "DELETE /polls/{pollId}/votes/me",
    "GET /polls/{pollId}/results",
}


@pytest.fixture(scope="module")
def resources(packaged: Packaged) -> dict[str, Any]:
    return json.loads(packaged.template.read_text())["Resources"]


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {n: r.get("Properties") or {} for n, r in resources.items() if r["Type"] == kind}


def _env(resources: dict[str, Any], function: str) -> dict[str, Any]:
    return resources[function]["Properties"]["Environment"]["Variables"]


def _statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = resources[role]["Properties"]["Policies"]
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def test_routes_are_those_of_issue_4_and_need_an_access_token(resources: dict[str, Any]) -> None:
    routes = _of_type(resources, "AWS::ApiGatewayV2::Route")
    by_key = {p["RouteKey"]: p for p in routes.values()}
    assert set(by_key) == PUBLIC_ROUTES | AUTHORIZED_ROUTES  # no results/stream (local only)
    for key in PUBLIC_ROUTES:
        assert "AuthorizerId" not in by_key[key] and "AuthorizationScopes" not in by_key[key]
    for key in AUTHORIZED_ROUTES:
        assert by_key[key]["AuthorizationType"] == "JWT", key
        assert by_key[key]["AuthorizationScopes"] == [ACCESS_SCOPE], key


def test_cors_allows_the_client_origin_only(resources: dict[str, Any]) -> None:
    cors = resources["HttpApi"]["Properties"]["CorsConfiguration"]
    # The custom domain when the stage has one, else CloudFront's own domain.
    assert cors["AllowOrigins"] == [
        {
            "Fn::If": [
                "HasClientDomain",
                {"Fn::Sub": "https://${ClientDomainName}"},
                {"Fn::Sub": "https://${ClientDistribution.DomainName}"},
            ]
        }
    ]
    assert set(cors["AllowMethods"]) == {"GET", "POST", "PUT", "DELETE", "OPTIONS"}
    assert {h.lower() for h in cors["AllowHeaders"]} == {
        "authorization",
        "content-type",
        "if-none-match",
    }
    assert [h.lower() for h in cors["ExposeHeaders"]] == ["etag"]
    api_env = _env(resources, "ApiLambdaFunction")
    assert api_env["VOTES_ALLOWED_ORIGIN"] == cors["AllowOrigins"][0]


def test_every_votes_variable_is_a_setting(resources: dict[str, Any]) -> None:
    fields = {f"VOTES_{name.upper()}" for name in Settings.model_fields}
    for name in _of_type(resources, "AWS::Lambda::Function"):
        unknown = {v for v in _env(resources, name) if v.startswith("VOTES_")} - fields
        if name == "PresignupLambdaFunction":  # reads its one variable itself (cold start)
            assert unknown == {ENABLED_VARIABLE}, unknown
            continue
        assert unknown == set(), f"{name}: not fields of votes/settings.py: {unknown}"


@pytest.mark.parametrize(("function", "role"), [("Api", "ApiRole"), ("Relay", "RelayRole")])
def test_api_and_relay_publish_to_the_bus(
    resources: dict[str, Any], function: str, role: str
) -> None:
    assert _env(resources, f"{function}LambdaFunction")["VOTES_EVENT_BUS_NAME"] == {
        "Ref": "EventBus"
    }
    puts = [s for s in _statements(resources, role) if s["Action"] == "events:PutEvents"]
    assert [s["Resource"] for s in puts] == [{"Fn::GetAtt": ["EventBus", "Arn"]}]


def test_projector_publishes_tallies_and_reports_partial_failures(
    resources: dict[str, Any],
) -> None:
    assert _env(resources, "ProjectorLambdaFunction")["VOTES_TALLY_TOPIC_ARN"] == {
        "Ref": "TallyTopic"
    }
    mappings = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    projector = {"Fn::GetAtt": ["ProjectorLambdaFunction", "Arn"]}
    (mapping,) = [m for m in mappings if m["FunctionName"] == projector]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["ProjectorQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_presignup_confirms_exactly_where_the_trigger_is_wired(resources: dict[str, Any]) -> None:
    env = _env(resources, "PresignupLambdaFunction")
    assert env["VOTES_AUTO_CONFIRM_SIGNUPS"] == {"Ref": "AutoConfirmSignUp"}
    pool = resources["UserPool"]["Properties"]["LambdaConfig"]["Fn::If"]
    assert pool[0] == "AutoConfirmSignUp"


def test_the_migration_runs_at_every_deploy(resources: dict[str, Any]) -> None:
    migration = resources["SchemaMigration"]
    props = migration["Properties"]
    assert props["ServiceToken"] == {"Fn::GetAtt": ["MigrateLambdaFunction", "Arn"]}
    assert resources["MigrateLambdaFunction"]["Properties"]["Handler"] == "handlers/migrate.handler"
    # ${sls:instanceId}: a new value on every `serverless deploy`, so CloudFormation sends Update.
    assert str(props["DeployId"]).isdigit()


def test_the_projector_queue_has_a_dlq_a_policy_and_an_alarm(resources: dict[str, Any]) -> None:
    queue = resources["ProjectorQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["ProjectorDeadLetterQueue", "Arn"]
    }
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 1
    (rule_target,) = resources["VoteEventsRule"]["Properties"]["Targets"]
    assert rule_target["Arn"] == {"Fn::GetAtt": ["ProjectorQueue", "Arn"]}
    assert rule_target["DeadLetterConfig"]["Arn"] == {
        "Fn::GetAtt": ["ProjectorDeadLetterQueue", "Arn"]
    }
    alarms = _of_type(resources, "AWS::CloudWatch::Alarm").values()
    watched = [d["Value"] for a in alarms for d in a["Dimensions"] if d["Name"] == "QueueName"]
    assert {"Fn::GetAtt": ["ProjectorDeadLetterQueue", "QueueName"]} in watched


def test_the_local_password_policy_defaults_are_the_pools(resources: dict[str, Any]) -> None:
    # The local IdP enforces, and /config.json shows the client, these settings' defaults.
    (pool,) = _of_type(resources, "AWS::Cognito::UserPool").values()
    policy = pool["Policies"]["PasswordPolicy"]
    fields = Settings.model_fields
    defaults = {
        name: fields[f"password_{snake}"].default
        for name, snake in (
            ("MinimumLength", "minimum_length"),
            ("RequireLowercase", "require_lowercase"),
            ("RequireUppercase", "require_uppercase"),
            ("RequireNumbers", "require_numbers"),
            ("RequireSymbols", "require_symbols"),
        )
    }
    assert defaults == {k: v for k, v in policy.items() if k != "TemporaryPasswordValidityDays"}
