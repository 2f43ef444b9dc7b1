"""The load test's `aws` environment, end to end on one machine: moto's Cognito (a user pool
made with deploy/cognito.yml's settings: e-mail as the username, case-insensitive, its password
policy and app client flows) and the API behind `votes serve` trusting that pool's JWKS issuer.

moto runs no Lambda trigger, so the API is told to require the scope moto's access tokens carry
(``VOTES_JWKS_REQUIRED_SCOPE``) instead of ``votes/api``, which the stage's pre token generation
trigger adds. The run is the one an operator starts against a deployed stage (loadtest/README.md), with only
the endpoints pointed here: the admin seeds polls with an access token from the pool, the setup
step provisions users with AdminCreateUser + AdminSetUserPassword (Permanent) + InitiateAuth at
the paced AWS rates, refreshes every token with REFRESH_TOKEN_AUTH (a large --token-margin),
writes the payload file, and one short phase of the provisioned scenario drives the API; every
vote answered 201 must be tallied exactly once. Needs Node and npm (install.sh runs npm ci).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from aws_fixtures import REGION, moto_endpoint  # noqa: F401  (fixture)
from serve_process import ServeProcess

ROOT = Path(__file__).resolve().parents[2]
LOADTEST = ROOT / "loadtest"


class _TemplateLoader(yaml.SafeLoader):
    """Reads a CloudFormation fragment, its intrinsic functions (``!If``, ``!Ref``) as None."""


_TemplateLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _template() -> dict[str, Any]:
    text = (ROOT / "deploy" / "cognito.yml").read_text(encoding="utf-8")
    resources: dict[str, Any] = yaml.load(text, Loader=_TemplateLoader)["Resources"]
    return resources


def _pool_from_template(client: Any) -> tuple[str, str]:
    """A user pool and app client with the template's sign-in, password and flow settings."""
    resources = _template()
    pool = resources["UserPool"]["Properties"]
    app = resources["UserPoolClient"]["Properties"]
    pool_id = client.create_user_pool(
        PoolName="votes-loadtest",
        UsernameAttributes=pool["UsernameAttributes"],
        UsernameConfiguration=pool["UsernameConfiguration"],
        AutoVerifiedAttributes=pool["AutoVerifiedAttributes"],
        Policies=pool["Policies"],
    )["UserPool"]["Id"]
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="votes-loadtest-browser",
        GenerateSecret=app["GenerateSecret"],
        ExplicitAuthFlows=app["ExplicitAuthFlows"],
        PreventUserExistenceErrors=app["PreventUserExistenceErrors"],
    )["UserPoolClient"]["ClientId"]
    client.create_group(
        GroupName=resources["AdminsGroup"]["Properties"]["GroupName"], UserPoolId=pool_id
    )
    return pool_id, client_id


def _client(endpoint: str) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _admin(client: Any, pool_id: str) -> tuple[str, str]:
    email, password = "load-admin@loadtest.example.com", "Lt!Admin-Passw0rd"
    client.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": "Ada Admin"}],
    )
    client.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=password, Permanent=True
    )
    client.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName="admins")
    return email, password


@pytest.fixture(scope="module")
def artillery() -> None:
    subprocess.run(["bash", str(LOADTEST / "install.sh")], check=True, timeout=600)


def test_template_pool_refuses_a_username_that_is_not_an_email(moto_endpoint: str) -> None:  # noqa: F811
    # The reason the load test signs up e-mail addresses: the template's pool takes no other.
    client = _client(moto_endpoint)
    _, client_id = _pool_from_template(client)
    with pytest.raises(client.exceptions.InvalidParameterException):
        client.sign_up(ClientId=client_id, Username="lt-abc123", Password="Lt!Passw0rd-x")
    client.sign_up(
        ClientId=client_id, Username="load-tester-x@loadtest.example.com", Password="Lt!Passw0rd-x"
    )


def test_aws_path_provisions_users_and_drives_the_api_on_moto(
    moto_endpoint: str,  # noqa: F811
    artillery: None,
    tmp_path: Path,
) -> None:
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }
    client = _client(moto_endpoint)
    pool_id, client_id = _pool_from_template(client)
    admin, password = _admin(client, pool_id)
    trust_moto = {
        "VOTES_ISSUER": f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}",
        "VOTES_JWKS_URL": f"{moto_endpoint}/{pool_id}/.well-known/jwks.json",
        "VOTES_USER_POOL_ID": pool_id,
        "VOTES_USER_POOL_CLIENT_ID": client_id,
        # moto runs no pre token generation trigger (votes/pretoken.py), so its access tokens
        # carry Cognito's self-service scope where a deployed pool's carry votes/api
        "VOTES_JWKS_REQUIRED_SCOPE": "aws.cognito.signin.user.admin",
    }
    reports = tmp_path / "reports"
    with ServeProcess(env=trust_moto, cwd=tmp_path) as server:
        run = subprocess.run(
            [
                sys.executable,
                str(LOADTEST / "run.py"),
                "--env",
                "aws",
                "--profile",
                "api-smoke",
                "--provision",
                "admin",
                "--user-pool-id",
                pool_id,
                "--api-url",
                server.url,
                "--client-id",
                client_id,
                "--region",
                REGION,
                "--cognito-endpoint",
                moto_endpoint,
                "--admin-username",
                admin,
                "--admin-password",
                password,
                "--polls",
                "3",
                "--token-margin",
                "86400",
                "--reports",
                str(reports),
            ],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        output = run.stdout + run.stderr
        assert run.returncode == 0, output[-4000:]

    (out,) = reports.iterdir()
    summary = (out / "summary.txt").read_text(encoding="utf-8")
    assert "tally total" in summary and ": OK" in summary
    assert "errors                0" in summary
    assert "refreshed" in output  # every token went through REFRESH_TOKEN_AUTH before the run
    with (out / "users.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["email"].endswith("@loadtest.example.com") for r in rows)
    assert all(r["name"].startswith("Load Tester ") for r in rows)
    ledger = (out / "ledger.tsv").read_text(encoding="utf-8").splitlines()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))["aggregate"]
    assert len(ledger) == report["counters"]["votes.accepted"] > 0
    # The users exist in moto's pool under their e-mail, with the display name as `name`.
    user = client.admin_get_user(UserPoolId=pool_id, Username=rows[0]["email"])
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["name"] == rows[0]["name"] and attributes["email"] == rows[0]["email"]
