"""Security settings of the packaged template (issue 16's AWS hygiene, issue 13's review): API
access logs, SNS encryption with our own KMS key, CloudFront's TLS policy and standard logs,
one queue policy per queue, the VPC endpoints the code calls and no others, optional TOTP MFA,
and cfn-lint at 0 errors on the whole template."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.deploy.conftest import ROOT, Packaged

CHECKS = ROOT / "scripts" / "deploy-check"


@pytest.fixture(scope="module")
def template(packaged: Packaged) -> dict[str, Any]:
    return json.loads(packaged.template.read_text())


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {n: r.get("Properties") or {} for n, r in resources.items() if r["Type"] == kind}


def _statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = resources[role]["Properties"]["Policies"]
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- API access logs (CKV_AWS_95) ----------------------------------------------------------------


def test_api_access_logs_are_json_in_a_log_group_with_retention(resources: dict[str, Any]) -> None:
    settings = resources["HttpApiStage"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["HttpApiLogGroup", "Arn"]}
    group = resources["HttpApiLogGroup"]["Properties"]
    assert group["RetentionInDays"] == 14  # logRetentionDays of dev
    record = json.loads(settings["Format"])  # one JSON object per request
    expected = {"requestId", "ip", "time", "routeKey", "status", "sub", "authorizerError"}
    assert expected <= set(record)
    assert all(v.startswith("$context.") for v in record.values())


# -- SNS encrypted with a customer-managed key ---------------------------------------------------


def test_every_topic_is_encrypted_with_the_stacks_own_key(resources: dict[str, Any]) -> None:
    topics = _of_type(resources, "AWS::SNS::Topic")
    assert set(topics) == {"TallyTopic", "AlertsTopic"}
    for name, topic in topics.items():
        assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": ["TopicKey", "Arn"]}, name
    key = resources["TopicKey"]["Properties"]
    assert key["EnableKeyRotation"] is True


def test_the_key_lets_this_stages_alarms_publish_to_the_alerts_topic(
    resources: dict[str, Any],
) -> None:
    statements = resources["TopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch_principal = {"Service": "cloudwatch.amazonaws.com"}
    (cloudwatch,) = [s for s in statements if s["Principal"] == cloudwatch_principal]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    pattern = cloudwatch["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    assert pattern.endswith(":alarm:votes-dev-*")
    # Every alarm that notifies the alerts topic matches that pattern.
    for name, alarm in _of_type(resources, "AWS::CloudWatch::Alarm").items():
        if {"Ref": "AlertsTopic"} in alarm.get("AlarmActions", []):
            assert alarm["AlarmName"].startswith("votes-dev-"), name
    # No other service principal may use the key; the account statement only delegates to IAM.
    others = [s for s in statements if s is not cloudwatch]
    assert [s["Principal"] for s in others] == [
        {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    ]


def test_only_the_publisher_role_may_use_the_key_and_only_through_sns(
    resources: dict[str, Any],
) -> None:
    users = {}
    for role in _of_type(resources, "AWS::IAM::Role"):
        for statement in _statements(resources, role):
            actions = {a for a in _as_list(statement["Action"]) if a.startswith("kms:")}
            if actions:
                users[role] = (actions, statement)
    assert set(users) == {"ProjectorRole"}
    actions, statement = users["ProjectorRole"]
    assert actions == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert statement["Resource"] == {"Fn::GetAtt": ["TopicKey", "Arn"]}
    assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Sub": "sns.${AWS::Region}.amazonaws.com"
    }


# -- CloudFront: TLS and standard logging --------------------------------------------------------


def test_cloudfront_holds_viewers_to_tls_1_2_wherever_aws_allows_it(
    resources: dict[str, Any], template: dict[str, Any]
) -> None:
    """With a custom domain (own certificate): TLSv1.2_2021. Without one CloudFront applies
    its TLSv1 policy to *.cloudfront.net whatever is set, so the default branch says nothing."""
    config = resources["ClientDistribution"]["Properties"]["DistributionConfig"]
    condition, own, default = config["ViewerCertificate"]["Fn::If"]
    assert condition == "HasClientDomain"
    assert own == {
        "AcmCertificateArn": {"Ref": "ClientCertificateArn"},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert default == {"CloudFrontDefaultCertificate": True}
    assert config["Aliases"]["Fn::If"][:2] == ["HasClientDomain", [{"Ref": "ClientDomainName"}]]
    assert template["Conditions"]["HasClientDomain"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ClientDomainName"}, ""]}]
    }
    # The browser's origin (CORS, the API's allowed origin) is the custom domain when there is one.
    origin = {
        "Fn::If": [
            "HasClientDomain",
            {"Fn::Sub": "https://${ClientDomainName}"},
            {"Fn::Sub": "https://${ClientDistribution.DomainName}"},
        ]
    }
    assert resources["HttpApi"]["Properties"]["CorsConfiguration"]["AllowOrigins"] == [origin]
    api_env = resources["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert api_env["VOTES_ALLOWED_ORIGIN"] == origin


@pytest.mark.parametrize(
    "bucket", ["ClientBucket", "ClientLogBucket", "ServerlessDeploymentBucket"]
)
def test_every_bucket_blocks_public_access(resources: dict[str, Any], bucket: str) -> None:
    block = resources[bucket]["Properties"]["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert set(_of_type(resources, "AWS::S3::Bucket")) == {
        "ClientBucket",
        "ClientLogBucket",
        "ServerlessDeploymentBucket",
    }


def test_cloudfront_writes_standard_logs_to_a_private_bucket(resources: dict[str, Any]) -> None:
    config = resources["ClientDistribution"]["Properties"]["DistributionConfig"]
    assert config["Logging"]["Bucket"] == {"Fn::GetAtt": ["ClientLogBucket", "DomainName"]}
    bucket = resources["ClientLogBucket"]["Properties"]
    # Legacy standard logging delivers with an ACL grant: ACLs stay enabled, owner-preferred.
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == 14
    (deny,) = _of_type(resources, "AWS::S3::BucketPolicy")["ClientLogBucketPolicy"][
        "PolicyDocument"
    ]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }


# -- SQS queue policies --------------------------------------------------------------------------


# Who may send to each queue: EventBridge's vote rule to the projector's queues, the
# TallyUpdated topic to the push function's queues (the subscription and its redrive policy).
SENDERS = {
    "ProjectorQueue": ("events.amazonaws.com", {"Fn::GetAtt": ["VoteEventsRule", "Arn"]}),
    "ProjectorDeadLetterQueue": ("events.amazonaws.com", {"Fn::GetAtt": ["VoteEventsRule", "Arn"]}),
    "PushQueue": ("sns.amazonaws.com", {"Ref": "TallyTopic"}),
    "PushDeadLetterQueue": ("sns.amazonaws.com", {"Ref": "TallyTopic"}),
}


def test_each_queue_has_its_own_policy_naming_only_itself(resources: dict[str, Any]) -> None:
    policies = _of_type(resources, "AWS::SQS::QueuePolicy")
    covered = {}
    for name, policy in policies.items():
        (queue,) = policy["Queues"]
        queue_name = queue["Ref"]
        covered[queue_name] = name
        service, source = SENDERS[queue_name]
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Resource"] == {"Fn::GetAtt": [queue_name, "Arn"]}, name
            assert statement["Principal"] == {"Service": service}
            assert statement["Action"] == "sqs:SendMessage"
            assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == source
    # Every queue EventBridge sends to (the target and its dead-letter queue) has a policy...
    (target,) = resources["VoteEventsRule"]["Properties"]["Targets"]
    sent_to = {target["Arn"]["Fn::GetAtt"][0], target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]}
    # ...and so does every queue SNS delivers to (the subscription's queue and dead letters).
    subscription = resources["TallyPushSubscription"]["Properties"]
    sent_to |= {
        subscription["Endpoint"]["Fn::GetAtt"][0],
        subscription["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0],
    }
    assert set(covered) == sent_to == set(SENDERS) == set(_of_type(resources, "AWS::SQS::Queue"))


# -- VPC endpoints -------------------------------------------------------------------------------


def test_interface_endpoints_are_exactly_the_services_the_code_calls(
    resources: dict[str, Any], packaged: Packaged
) -> None:
    sys.path.insert(0, str(CHECKS))
    try:
        from sdk_bundle import read_bundle
    finally:
        sys.path.remove(str(CHECKS))
    (zip_path,) = packaged.artifacts.glob("*.zip")
    called = read_bundle(zip_path).used_services
    endpoints = _of_type(resources, "AWS::EC2::VPCEndpoint")
    interface = {
        p["ServiceName"]["Fn::Sub"].rsplit(".", 1)[1]
        for p in endpoints.values()
        if p["VpcEndpointType"] == "Interface"
    }
    assert called == {"events", "sns", "secretsmanager"}
    assert interface == called  # no SQS endpoint: the event source mapping polls from outside


# -- Cognito MFA ---------------------------------------------------------------------------------


def test_totp_mfa_is_offered_to_every_user(resources: dict[str, Any]) -> None:
    pool = resources["UserPool"]["Properties"]
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


# -- cfn-lint ------------------------------------------------------------------------------------


def test_cfn_lint_finds_no_errors_and_no_unlisted_warnings(packaged: Packaged) -> None:
    done = subprocess.run(
        ["bash", str(CHECKS / "lint.sh"), str(packaged.template)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cfn-lint: 0 errors, 0 warnings" in done.stdout
