"""The deploy checker passes on the real packaged stack and fails on deliberately broken copies."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import ROOT, Packaged

CHECKER = ROOT / "scripts" / "deploy-check" / "check_template.py"


def _check(template: Path, artifacts: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECKER), "--template", str(template),
         "--artifacts", str(artifacts), "--python", sys.executable, *extra],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip


def _broken(packaged: Packaged, tmp_path: Path, edit: Any) -> Path:
    template = json.loads(packaged.template.read_text())
    broken = copy.deepcopy(template)
    edit(broken["Resources"])
    path = tmp_path / "broken-template.json"
    path.write_text(json.dumps(broken))
    return path


def _rewritten_zip(
    packaged: Packaged,
    tmp_path: Path,
    change: Callable[[str, bytes], bytes | None],
    added: dict[str, bytes] | None = None,
) -> Path:
    """A folder with a copy of the zip whose entries ``change`` rewrites (None drops one), with
    the entries ``added`` (name -> content) besides."""
    zip_name = next(packaged.artifacts.glob("*.zip")).name
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    with (
        zipfile.ZipFile(packaged.artifacts / zip_name) as source,
        zipfile.ZipFile(artifacts / zip_name, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = change(item.filename, source.read(item))
            if data is not None:
                target.writestr(item, data)
        for name, data in (added or {}).items():
            target.writestr(name, data)
    return artifacts


def _statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


def test_the_real_stack_passes_every_check(packaged: Packaged) -> None:
    done = _check(packaged.template, packaged.artifacts)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cold import ApiLambdaFunction: ok" in done.stdout
    assert "0 finding(s) in 8 function(s)" in done.stdout
    assert "botocore 1.40.61 / aiobotocore 2.25.1 from the package" in done.stdout
    assert "clients built offline: events, secretsmanager, sns" in done.stdout
    assert "files of ours: handlers/ " in done.stdout and "local-only" not in done.stdout


def test_local_only_code_or_a_test_helper_in_the_zip_fails(
    packaged: Packaged, tmp_path: Path
) -> None:
    # GIVEN the real zip with the local app, the CLI, a test helper and a stray test added
    local_app = (ROOT / "votes/local/server.py").read_bytes()
    added = {
        "votes/local/server.py": local_app,
        "votes/cli.py": (ROOT / "votes/cli.py").read_bytes(),
        "tests/serve_process.py": (ROOT / "tests/serve_process.py").read_bytes(),
        "votes/helper.py": b"import pytest\n",
    }
    artifacts = _rewritten_zip(packaged, tmp_path, lambda _, data: data, added)
    # WHEN the checker looks at it THEN each is a finding
    done = _check(packaged.template, artifacts, "--no-import")
    assert done.returncode == 1
    for name in ("votes/local/server.py", "votes/cli.py", "tests/serve_process.py"):
        assert f"local-only {name} is in the Lambda package" in done.stdout
    assert "test helper votes/helper.py is in the Lambda package" in done.stdout


def test_a_star_action_fails(packaged: Packaged, tmp_path: Path) -> None:
    def edit(resources: dict[str, Any]) -> None:
        _statements(resources, "ApiRole").append(
            {"Effect": "Allow", "Action": "*", "Resource": {"Ref": "TallyTopic"}}
        )

    done = _check(_broken(packaged, tmp_path, edit), packaged.artifacts, "--no-import")
    assert done.returncode == 1
    assert "FAIL IAM ApiRole" in done.stdout and "wildcard action '*'" in done.stdout


def test_a_service_wide_action_fails(packaged: Packaged, tmp_path: Path) -> None:
    def edit(resources: dict[str, Any]) -> None:
        _statements(resources, "ProjectorRole")[-1]["Action"] = ["sns:*"]

    done = _check(_broken(packaged, tmp_path, edit), packaged.artifacts, "--no-import")
    assert done.returncode == 1
    assert "wildcard action 'sns:*'" in done.stdout


def test_a_star_resource_outside_the_exceptions_fails(packaged: Packaged, tmp_path: Path) -> None:
    def edit(resources: dict[str, Any]) -> None:
        _statements(resources, "RelayRole").append(
            {"Effect": "Allow", "Action": "events:PutEvents", "Resource": "*"}
        )

    done = _check(_broken(packaged, tmp_path, edit), packaged.artifacts, "--no-import")
    assert done.returncode == 1
    assert "FAIL IAM RelayRole" in done.stdout
    assert "'*' resource for events:PutEvents" in done.stdout


def test_a_missing_handler_fails(packaged: Packaged, tmp_path: Path) -> None:
    def edit(resources: dict[str, Any]) -> None:
        resources["PresignupLambdaFunction"]["Properties"]["Handler"] = "handlers/missing.handler"

    done = _check(_broken(packaged, tmp_path, edit), packaged.artifacts, "--no-import")
    assert done.returncode == 1
    assert "handler module handlers/missing.py does not exist" in done.stdout
    assert "handlers/missing.py is not in" in done.stdout


def test_a_handler_that_does_not_import_fails(packaged: Packaged, tmp_path: Path) -> None:
    def change(name: str, data: bytes) -> bytes:
        return b"import module_the_zip_does_not_have\n" if name == "handlers/api.py" else data

    done = _check(packaged.template, _rewritten_zip(packaged, tmp_path, change))
    assert done.returncode == 1
    assert "cold import ApiLambdaFunction: FAILED" in done.stdout
    assert "No module named 'module_the_zip_does_not_have'" in done.stdout


def _drop(prefix: str) -> Callable[[str, bytes], bytes | None]:
    return lambda name, data: None if name.startswith(prefix) else data


def _botocore_version(version: bytes) -> Callable[[str, bytes], bytes | None]:
    def change(name: str, data: bytes) -> bytes:
        if name.startswith("botocore-") and name.endswith(".dist-info/METADATA"):
            return data.replace(b"Version: 1.40.61", b"Version: " + version, 1)
        return data

    return change


@pytest.mark.parametrize(
    ("change", "messages"),
    [
        pytest.param(
            _drop("botocore/data/sns/"),
            ["the code creates 'sns' clients but botocore/data/sns is slimmed away"],
            id="service-model-slimmed-away",
        ),
        pytest.param(
            _drop("botocore/data/endpoints.json"),
            ["botocore/data/endpoints.json is missing"],
            id="botocore-data-file-missing",
        ),
        pytest.param(
            _botocore_version(b"1.40.70"),
            [
                "aiobotocore-2.25.1 requires botocore<1.40.62,>=1.40.46: packaged botocore is"
                " 1.40.70",
                "botocore 1.40.70, the lock pins 1.40.61",
            ],
            id="sdk-versions-inconsistent",
        ),
        pytest.param(
            _drop("urllib3"),
            ["requires urllib3", "urllib3 is not packaged", "urllib3 missing, the lock pins"],
            id="sdk-dependency-missing",
        ),
        pytest.param(
            _drop("s3transfer"),
            ["the AWS SDK is incomplete: s3transfer is not packaged"],
            id="sdk-incomplete",
        ),
    ],
)
def test_a_broken_sdk_bundle_fails(
    packaged: Packaged,
    tmp_path: Path,
    change: Callable[[str, bytes], bytes | None],
    messages: list[str],
) -> None:
    artifacts = _rewritten_zip(packaged, tmp_path, change)
    done = _check(packaged.template, artifacts, "--no-import")
    assert done.returncode == 1, done.stdout
    for message in messages:
        assert message in done.stdout


def test_clients_of_a_slimmed_service_do_not_build(packaged: Packaged, tmp_path: Path) -> None:
    """The clean-virtualenv proof itself notices a missing service model."""
    sys.path.insert(0, str(CHECKER.parent))
    try:
        from lambda_package import Package, import_handlers
    finally:
        sys.path.remove(str(CHECKER.parent))
    artifacts = _rewritten_zip(packaged, tmp_path, _drop("botocore/data/events/"))
    zip_path = next(artifacts.glob("*.zip"))
    presignup = Package("PresignupLambdaFunction", "handlers/presignup.handler", zip_path, {})
    results, summaries, findings = import_handlers(
        [presignup], sys.executable, {zip_path: ["events"]}
    )
    assert [r.ok for r in results] == [True]
    assert summaries == [f"{zip_path.stem}: clients FAILED"]
    assert any("building the AWS clients fails" in f and "events" in f for f in findings)


@pytest.mark.parametrize(
    ("statement", "ok"),
    [
        ({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": "ec2:DescribeSubnets", "Resource": "*"}, True),
        ({"Effect": "Allow", "NotAction": "iam:PassRole", "Resource": "arn:aws:s3:::b/*"}, False),
        ({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:*:*"}, False),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, True),
    ],
)
def test_iam_rules(statement: dict[str, Any], ok: bool) -> None:
    sys.path.insert(0, str(CHECKER.parent))
    try:
        from iam_rules import iam_findings
    finally:
        sys.path.remove(str(CHECKER.parent))
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"Policies": [{"PolicyDocument": {"Statement": [statement]}}]},
            }
        }
    }
    assert (iam_findings(template) == []) is ok


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def test_the_lambda_lock_matches_the_project_constraints() -> None:
    """The Lambda package runs the versions the test suite runs (requirements/constraints.txt)."""
    constraints = _pins(ROOT / "requirements" / "constraints.txt")
    lock = _pins(ROOT / "requirements" / "lambda.txt")
    differ = {n: (v, constraints[n]) for n, v in lock.items() if constraints.get(n, v) != v}
    assert differ == {}, "lambda.txt pin vs constraints.txt: " + repr(differ)
