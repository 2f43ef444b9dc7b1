"""The packaged template wires what the other parts of the app rely on: routes and their
authorization, CORS, each function's environment (named as votes/settings.py reads it) and
permissions, the migration at every deploy, and the projector's queue."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.deploy.conftest import Packaged
from votes.local.auth import ACCESS_SCOPE
from votes.local.idp.pool import load_pool_config
from votes.presignup import ENABLED_VARIABLE
from votes.pretoken import API_SCOPE
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
def template(packaged: Packaged) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(packaged.template.read_text())
    return loaded


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = template["Resources"]
    return found


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
    pool = resources["UserPool"]["Properties"]["LambdaConfig"]["PreSignUp"]["Fn::If"]
    assert pool[0] == "AutoConfirmSignUp"


def test_api_tokens_carry_the_resource_servers_scope_not_the_self_service_one(
    resources: dict[str, Any],
) -> None:
    # issue 16 #4: the routes require votes/api, the pool's resource server defines it, the V2
    # pre token generation trigger (Essentials plan) puts it in access tokens
    pool = resources["UserPool"]["Properties"]
    assert pool["UserPoolTier"] == "ESSENTIALS"
    trigger = pool["LambdaConfig"]["PreTokenGenerationConfig"]
    assert trigger == {
        "LambdaArn": {"Fn::GetAtt": ["PretokenLambdaFunction", "Arn"]},
        "LambdaVersion": "V2_0",
    }
    assert (
        resources["PretokenLambdaFunction"]["Properties"]["Handler"] == "handlers/pretoken.handler"
    )
    (server,) = _of_type(resources, "AWS::Cognito::UserPoolResourceServer").values()
    scopes = [f"{server['Identifier']}/{s['ScopeName']}" for s in server["Scopes"]]
    assert scopes == [API_SCOPE] == [ACCESS_SCOPE]
    (permission,) = [
        p
        for p in _of_type(resources, "AWS::Lambda::Permission").values()
        if p["FunctionName"] == {"Fn::GetAtt": ["PretokenLambdaFunction", "Arn"]}
    ]
    assert permission["Principal"] == "cognito-idp.amazonaws.com"


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


def test_the_clients_password_policy_is_the_pools(resources: dict[str, Any], template: Any) -> None:
    # config.json on AWS (ClientConfig) and on `votes serve` (the local IdP's reading of
    # deploy/cognito.yml) both give the client the pool's own policy: no copy by hand
    (pool,) = _of_type(resources, "AWS::Cognito::UserPool").values()
    policy = pool["Policies"]["PasswordPolicy"]
    client_config = json.loads(template["Outputs"]["ClientConfig"]["Value"]["Fn::Sub"])
    expected = {
        "minimumLength": policy["MinimumLength"],
        "requireLowercase": policy["RequireLowercase"],
        "requireUppercase": policy["RequireUppercase"],
        "requireNumbers": policy["RequireNumbers"],
        "requireSymbols": policy["RequireSymbols"],
    }
    assert client_config["passwordPolicy"] == expected
    assert load_pool_config().client_policy() == expected
