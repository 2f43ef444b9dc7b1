"""The packaged stack (template + Lambda zip) the deploy-check tests run against.

Packaging (scripts/deploy-check/package.sh: npm, the wheel folder, `serverless package`) runs
only when .serverless/ is missing or older than one of its inputs; CI runs
scripts/deploy-check/run.sh first, so the tests reuse that output. The tests work on copies.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / ".serverless"
TEMPLATE_NAME = "cloudformation-template-update-stack.json"
INPUT_GLOBS = (
    "serverless.yml",
    "deploy/*.yml",
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
