"""The live-results part of the packaged template (deploy/live.yml, issue 13): the AppSync
Events API and its `tallies` namespace, who may connect, subscribe and publish, the subscribe
check, the SNS -> SQS -> push path with its dead letters, least privilege, and what the client's
runtime config learns."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.deploy.conftest import Packaged
from votes.live.channels import NAMESPACE

COGNITO = [{"AuthType": "AMAZON_COGNITO_USER_POOLS"}]
IAM = [{"AuthType": "AWS_IAM"}]


@pytest.fixture(scope="module")
def template(packaged: Packaged) -> dict[str, Any]:
    return json.loads(packaged.template.read_text())


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def _props(resources: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(resources[name]["Properties"])


def _statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = resources[role]["Properties"]["Policies"]
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_browsers_connect_and_subscribe_with_this_pools_tokens_and_only_iam_publishes(
    resources: dict[str, Any],
) -> None:
    assert resources["LiveApi"]["Type"] == "AWS::AppSync::Api"
    config = _props(resources, "LiveApi")["EventConfig"]
    providers = {p["AuthType"]: p for p in config["AuthProviders"]}
    assert set(providers) == {"AMAZON_COGNITO_USER_POOLS", "AWS_IAM"}
    cognito = providers["AMAZON_COGNITO_USER_POOLS"]["CognitoConfig"]
    assert cognito["UserPoolId"] == {"Ref": "UserPool"}
    assert cognito["AppIdClientRegex"] == {"Fn::Sub": "^${UserPoolClient}$"}  # our client only
    assert config["ConnectionAuthModes"] == COGNITO
    assert config["DefaultSubscribeAuthModes"] == COGNITO
    assert config["DefaultPublishAuthModes"] == IAM


def test_the_tallies_namespace_is_the_codes_and_checks_every_subscription(
    resources: dict[str, Any],
) -> None:
    namespace = _props(resources, "TalliesNamespace")
    assert resources["TalliesNamespace"]["Type"] == "AWS::AppSync::ChannelNamespace"
    assert namespace["Name"] == NAMESPACE  # votes/live/channels.py
    assert namespace["ApiId"] == {"Fn::GetAtt": ["LiveApi", "ApiId"]}
    assert namespace["SubscribeAuthModes"] == COGNITO
    assert namespace["PublishAuthModes"] == IAM
    assert "OnPublish" not in namespace["HandlerConfigs"]  # published tallies pass unchanged
    on_subscribe = namespace["HandlerConfigs"]["OnSubscribe"]
    assert on_subscribe["Behavior"] == "DIRECT"
    assert on_subscribe["Integration"]["LambdaConfig"] == {"InvokeType": "REQUEST_RESPONSE"}
    assert on_subscribe["Integration"]["DataSourceName"] == {
        "Fn::GetAtt": ["SubscribeCheckDataSource", "Name"]
    }
    source = _props(resources, "SubscribeCheckDataSource")
    assert source["Type"] == "AWS_LAMBDA"
    assert source["LambdaConfig"] == {
        "LambdaFunctionArn": {"Fn::GetAtt": ["SubscribeLambdaFunction", "Arn"]}
    }
    # AppSync's role may invoke that function and nothing else
    assert source["ServiceRoleArn"] == {"Fn::GetAtt": ["LiveDataSourceRole", "Arn"]}
    (trust,) = _props(resources, "LiveDataSourceRole")["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "appsync.amazonaws.com"}
    (invoke,) = _statements(resources, "LiveDataSourceRole")
    assert _actions(invoke) == ["lambda:InvokeFunction"]
    assert invoke["Resource"] == {"Fn::GetAtt": ["SubscribeLambdaFunction", "Arn"]}


def test_the_subscribe_check_reads_the_log_like_the_api(resources: dict[str, Any]) -> None:
    function = _props(resources, "SubscribeLambdaFunction")
    assert function["Handler"] == "handlers/subscribe.handler"
    assert "VpcConfig" in function  # the database is in the VPC
    env = function["Environment"]["Variables"]
    api_env = _props(resources, "ApiLambdaFunction")["Environment"]["Variables"]
    for name in ("VOTES_DATABASE_SECRET_ARN", "VOTES_DATABASE_HOST", "VOTES_DATABASE_NAME"):
        assert env[name] == api_env[name]
    # counted in the connection budget; reserved only where the API is (reserveApiConcurrency)
    assert function["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReserveApiConcurrency", 5, {"Ref": "AWS::NoValue"}]
    }


def test_only_the_push_role_may_publish_and_only_to_the_tallies_namespace(
    resources: dict[str, Any],
) -> None:
    appsync = {
        role: [
            s
            for s in _statements(resources, role)
            if any(a.startswith("appsync:") for a in _actions(s))
        ]
        for role, r in resources.items()
        if r["Type"] == "AWS::IAM::Role"
    }
    assert {role for role, found in appsync.items() if found} == {"PushRole"}
    (publish,) = appsync["PushRole"]
    assert _actions(publish) == ["appsync:EventPublish"]
    assert publish["Resource"] == {"Fn::GetAtt": ["TalliesNamespace", "ChannelNamespaceArn"]}
    # and it needs no key: SNS decrypts before delivering to the SSE-SQS queue
    kms = [s for s in _statements(resources, "PushRole") if any("kms:" in a for a in _actions(s))]
    assert kms == []
    assert _props(resources, "PushQueue")["SqsManagedSseEnabled"] is True


def test_tally_updates_reach_the_push_function_through_a_queue_with_dead_letters(
    resources: dict[str, Any],
) -> None:
    subscription = _props(resources, "TallyPushSubscription")
    assert subscription["TopicArn"] == {"Ref": "TallyTopic"}
    assert subscription["Protocol"] == "sqs"
    assert subscription["Endpoint"] == {"Fn::GetAtt": ["PushQueue", "Arn"]}
    assert subscription["RawMessageDelivery"] is True  # the body is the TallyUpdated JSON
    dead_letters = {"Fn::GetAtt": ["PushDeadLetterQueue", "Arn"]}
    assert subscription["RedrivePolicy"] == {"deadLetterTargetArn": dead_letters}
    queue = _props(resources, "PushQueue")
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": dead_letters, "maxReceiveCount": 5}
    alarm = _props(resources, "PushDeadLetterAlarm")
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["PushDeadLetterQueue", "QueueName"]}}
    ]
    assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    assert alarm["AlarmName"].startswith("votes-dev-")  # the topic key lets such alarms publish


def test_the_push_function_takes_small_batches_at_once_and_reports_partial_failures(
    resources: dict[str, Any],
) -> None:
    (mapping,) = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["PushQueue", "Arn"]}
    ]
    assert mapping["BatchSize"] == 10  # above 10, SQS event sources need a batching window
    assert mapping.get("MaximumBatchingWindowInSeconds", 0) == 0  # no wait for a fuller batch
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 2}
    function = _props(resources, "PushLambdaFunction")
    assert function["Handler"] == "handlers/push.handler"
    assert "VpcConfig" not in function  # AppSync's public endpoint, no NAT needed
    assert function["Environment"]["Variables"]["VOTES_APPSYNC_EVENT_URL"] == {
        "Fn::Sub": "https://${LiveApi.Dns.Http}/event"
    }


def test_the_client_config_names_the_realtime_endpoint(template: dict[str, Any]) -> None:
    value = template["Outputs"]["ClientConfig"]["Value"]["Fn::Sub"]
    # the template's !Sub placeholders stand in for what CloudFormation fills in
    filled = (
        value.replace("${LiveApi.Dns.Realtime}", "abc.appsync-realtime-api.us-east-1.amazonaws.com")
        .replace("${LiveApi.Dns.Http}", "abc.appsync-api.us-east-1.amazonaws.com")
        .replace("${HttpApi.ApiEndpoint}", "https://api.example")
        .replace("${AWS::Region}", "us-east-1")
        .replace("${UserPool}", "us-east-1_pool")
        .replace("${UserPoolClient}", "client")
    )
    config = json.loads(filled)
    assert config["realtime"] == {
        "url": "wss://abc.appsync-realtime-api.us-east-1.amazonaws.com/event/realtime",
        "httpUrl": "https://abc.appsync-api.us-east-1.amazonaws.com/event",
        "namespace": NAMESPACE,
    }
    outputs = template["Outputs"]
    assert outputs["LiveRealtimeUrl"]["Value"] == {
        "Fn::Sub": "wss://${LiveApi.Dns.Realtime}/event/realtime"
    }
    assert outputs["LivePublishUrl"]["Value"] == {"Fn::Sub": "https://${LiveApi.Dns.Http}/event"}
