"""The packaged stack (template + Lambda zip) the deploy-check tests run against, and the
resolved configuration of any stage.

Packaging (scripts/deploy-check/package.sh: npm, the wheel folder, `serverless package`) runs
only when .serverless/ is missing or older than one of its inputs; CI runs
scripts/deploy-check/run.sh first, so the tests reuse that output. The tests work on copies.
Other stages are read with `serverless print` (variables resolved, nothing packaged).
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / ".serverless"
TEMPLATE_NAME = "cloudformation-template-update-stack.json"
INPUT_GLOBS = (
    "serverless.yml",
    "deploy/*.yml",
    "deploy/*.js",
    "deploy/*.json",
    "package-lock.json",
    "requirements/*.txt",
    "handlers/**/*.py",
    "votes/**/*.py",
    "vote_domain/**/*.py",
    "projections/**/*.py",
)


@dataclass(frozen=True)
class Packaged:
    """Copies of one packaging's template and artifacts."""

    template: Path
    artifacts: Path


def _newest_input() -> float:
    return max(p.stat().st_mtime for g in INPUT_GLOBS for p in ROOT.glob(g))


def _fresh() -> bool:
    zips = list(OUTPUT.glob("*.zip"))
    template = OUTPUT / TEMPLATE_NAME
    if not zips or not template.is_file():
        return False
    oldest_output = min(p.stat().st_mtime for p in [template, *zips])
    return oldest_output >= _newest_input()


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    if not _fresh():
        subprocess.run(["bash", str(ROOT / "scripts/deploy-check/package.sh")], check=True)
    copy = tmp_path_factory.mktemp("packaged")
    lock_path = Path(os.environ.get("TMPDIR", tempfile.gettempdir()))
    with open(lock_path / "votes-serverless-package.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # package.sh holds it while rewriting .serverless/
        shutil.copy2(OUTPUT / TEMPLATE_NAME, copy / TEMPLATE_NAME)
        for zip_path in OUTPUT.glob("*.zip"):
            shutil.copy2(zip_path, copy / zip_path.name)
    return Packaged(copy / TEMPLATE_NAME, copy)


# `serverless print` as package.sh runs `serverless package`: no AWS credentials at all.
_NO_AWS = {
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_REGION": "us-east-1",
    "SLS_TELEMETRY_DISABLED": "1",
    "SLS_NOTIFICATIONS_MODE": "off",
}


@functools.lru_cache(maxsize=16)
def serverless_print(stage: str, *params: str) -> subprocess.CompletedProcess[str]:
    """`serverless print --stage STAGE --param=P ...`: the configuration with every variable
    resolved (deploy/stage.js included), as JSON on stdout; needs node_modules (``packaged``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        ["npx", "--no-install", "serverless", "print", "--stage", stage, "--format", "json",
         *(f"--param={p}" for p in params)],
        cwd=ROOT, env={**env, **_NO_AWS}, capture_output=True, text=True, check=False,
    )  # fmt: skip


def stage_config(stage: str, *params: str) -> dict[str, Any]:
    """The resolved serverless.yml of ``stage`` (fails the test if it does not resolve)."""
    done = serverless_print(stage, *params)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def stage_resources(config: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation resources of a resolved configuration (its ``resources`` files)."""
    return dict(config["resources"]["Resources"])


def stage_extensions(config: dict[str, Any]) -> dict[str, Any]:
    """The ``resources.extensions`` of a resolved configuration."""
    return dict(config["resources"]["extensions"])
