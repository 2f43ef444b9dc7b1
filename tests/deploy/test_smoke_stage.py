"""scripts/smoke-stage.sh, the smoke test of a deployed stage, run offline against `votes serve`
with the same command a stage gets (`--config-url .../config.json`): every step is a public
request (Cognito's JSON protocol and the HTTP API), so passing here and on AWS is one code path."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.conftest import ROOT
from tests.serve_process import ServeProcess

SCRIPT = ROOT / "scripts" / "smoke-stage.sh"
ADMIN = "boss@example.com"
PASSWORD = "Correct-Horse-9"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServeProcess]:
    with ServeProcess(admins=[ADMIN], cwd=tmp_path) as running:
        yield running


def _cognito(server: ServeProcess, action: str, payload: dict[str, Any]) -> Any:
    response = httpx.post(
        f"{server.url}/cognito/",
        json=payload,
        headers={
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def _client_id(server: ServeProcess) -> str:
    return str(httpx.get(f"{server.url}/config.json").json()["userPoolClientId"])


def _sign_up(server: ServeProcess, user: str) -> None:
    _cognito(
        server, "SignUp", {"ClientId": _client_id(server), "Username": user, "Password": PASSWORD}
    )


def _auth(server: ServeProcess, user: str) -> dict[str, str]:
    """The Authorization header of ``user`` (signed up already)."""
    body = _cognito(
        server,
        "InitiateAuth",
        {
            "ClientId": _client_id(server),
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": user, "PASSWORD": PASSWORD},
        },
    )
    return {"Authorization": f"Bearer {body['AuthenticationResult']['AccessToken']}"}


def _smoke(server: ServeProcess, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VOTES_SMOKE_")}
    return subprocess.run(
        ["bash", str(SCRIPT), "--config-url", f"{server.url}/config.json", "--timeout", "20",
         *args],
        capture_output=True, text=True, check=False, env={**environment, **env}, timeout=120,
    )  # fmt: skip


def test_the_whole_path_with_an_admin_who_creates_the_poll(server: ServeProcess) -> None:
    _sign_up(server, ADMIN)
    done = _smoke(server, "--admin-username", ADMIN, VOTES_SMOKE_ADMIN_PASSWORD=PASSWORD)
    assert done.returncode == 0, done.stdout + done.stderr
    for step in (
        "ok    GET /health -> 200",
        "ok    InitiateAuth USER_PASSWORD_AUTH -> access token",
        "ok    POST /voters -> 201",
        "ok    POST /polls (admin) -> 201",
        "-> 201 (Yes)",
        "-> Yes=1 (was 0)",
        "ok    live update: subscribed to /tallies/",
        "ok    live update: TallyUpdated with Yes >= 1 over the WebSocket",
        "/close (admin) -> 200",
        "smoke: OK (11 checks)",
    ):
        assert step in done.stdout, step
    # What the script claims is what the app holds: one poll, closed, one vote for Yes.
    auth = _auth(server, ADMIN)
    (poll,) = httpx.get(f"{server.url}/polls", headers=auth).json()["polls"]
    assert poll["closed"] is True
    results = httpx.get(f"{server.url}/polls/{poll['id']}/results", headers=auth).json()
    assert results["counts"] == {"Yes": 1, "No": 0}


def test_without_an_admin_it_votes_in_the_newest_open_poll(server: ServeProcess) -> None:
    _sign_up(server, ADMIN)
    auth = _auth(server, ADMIN)
    created = httpx.post(
        f"{server.url}/polls",
        headers=auth,
        json={"question": "Tea?", "options": ["Green", "Black"]},
    ).json()
    done = _smoke(server)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"voting in the newest open poll {created['id']}" in done.stdout
    assert "-> Green=1 (was 0)" in done.stdout
    results = httpx.get(f"{server.url}/polls/{created['id']}/results", headers=auth).json()
    assert results["counts"] == {"Green": 1, "Black": 0}


def test_an_admin_token_stands_in_for_an_admin_with_mfa(server: ServeProcess) -> None:
    _sign_up(server, ADMIN)
    token = _auth(server, ADMIN)["Authorization"].removeprefix("Bearer ")
    done = _smoke(server, VOTES_SMOKE_ADMIN_TOKEN=token)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok    POST /polls (admin) -> 201" in done.stdout


def test_nothing_to_vote_in_is_a_failure_not_a_pass(server: ServeProcess) -> None:
    done = _smoke(server)
    assert done.returncode == 1
    assert "FAIL  no open poll to vote in" in done.stderr
    assert "smoke: OK" not in done.stdout


def test_a_voter_is_not_an_admin(server: ServeProcess) -> None:
    """A token without the admins group cannot create the poll, and the script says so."""
    _sign_up(server, "someone@example.com")
    done = _smoke(
        server, "--admin-username", "someone@example.com", VOTES_SMOKE_ADMIN_PASSWORD=PASSWORD
    )
    assert done.returncode == 1
    assert "FAIL  POST /polls (admin) answered 403" in done.stderr


def test_usage_errors(server: ServeProcess) -> None:
    both = subprocess.run(
        ["bash", str(SCRIPT), "--stage", "dev", "--config-url", f"{server.url}/config.json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert both.returncode == 2 and "exactly one of --stage or --config-url" in both.stderr
    no_password = _smoke(server, "--admin-username", ADMIN)
    assert no_password.returncode == 2
    assert "needs VOTES_SMOKE_ADMIN_PASSWORD" in no_password.stderr


FAKE_AWS = r"""#!/usr/bin/env python3
# The two AWS CLI services smoke-stage.sh --stage calls, answering from FAKE_AWS_OUTPUTS and
# refusing any other call or argument shape; every call is logged to FAKE_AWS_LOG.
import json, os, re, sys
args = sys.argv[1:]
with open(os.environ["FAKE_AWS_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
def option(name):
    return args[args.index(name) + 1]
if option("--region") != "eu-west-1":
    sys.exit("wrong region")
if args[:2] == ["cloudformation", "describe-stacks"] and option("--output") == "text":
    key = re.fullmatch(r"Stacks\[0\]\.Outputs\[\?OutputKey=='(\w+)'\]\.OutputValue",
                       option("--query")).group(1)
    print(json.loads(os.environ["FAKE_AWS_OUTPUTS"])[option("--stack-name")][key])
elif args[:2] in (["cognito-idp", "admin-confirm-sign-up"], ["cognito-idp", "admin-delete-user"]):
    assert option("--user-pool-id") and option("--username")
else:
    sys.exit(f"unexpected aws call: {args}")
"""


def test_a_stage_is_read_from_its_stack_outputs_and_its_smoke_user_removed(
    server: ServeProcess, tmp_path: Path
) -> None:
    """--stage: the config is the stack's ClientConfig output (here the local app's, through a
    stand-in `aws` command), the user is confirmed when the stage does not auto-confirm, and
    deleted at the end."""
    _sign_up(server, ADMIN)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS)
    (bin_dir / "aws").chmod(0o755)
    config = httpx.get(f"{server.url}/config.json").text
    log = tmp_path / "aws.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VOTES_SMOKE_")},
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_AWS_LOG": str(log),
        "FAKE_AWS_OUTPUTS": json.dumps(
            {"votes-smoke": {"ClientConfig": config, "AutoConfirmSignUp": "false"}}
        ),
        "VOTES_SMOKE_ADMIN_PASSWORD": PASSWORD,
    }
    done = subprocess.run(
        ["bash", str(SCRIPT), "--stage", "smoke", "--region", "eu-west-1",
         "--admin-username", ADMIN, "--timeout", "20"],
        capture_output=True, text=True, check=False, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "smoke: stack votes-smoke (eu-west-1)" in done.stdout
    assert "ok    admin-confirm-sign-up (this stage does not auto-confirm)" in done.stdout
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    user = next(c[c.index("--username") + 1] for c in calls if "admin-confirm-sign-up" in c)
    assert user.startswith("smoke-") and user.endswith("@example.com")
    pool = json.loads(config)["userPoolId"]
    assert calls[-1][:2] == ["cognito-idp", "admin-delete-user"]
    assert calls[-1][calls[-1].index("--user-pool-id") + 1] == pool
    assert calls[-1][calls[-1].index("--username") + 1] == user
