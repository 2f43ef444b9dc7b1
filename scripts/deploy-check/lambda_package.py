"""Checks of the Lambda deployment package against the packaged template.

Every function's handler must name a module inside the zip, the zip must stay under the size
target, nothing local-only may be in it (:data:`LOCAL_ONLY`: the local app, the CLIs, test
helpers), and every handler -- and every other module of the app packages in the zip -- must
import in a clean virtualenv (no pip, no site-packages) holding nothing but the unzipped
package, where the bundled AWS SDK must also build a client of every service the code uses
(sdk_bundle.py) without touching the network. Nothing of the Lambda runtime's own SDK is needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sdk_bundle import APP_PACKAGES, CLIENTS_SCRIPT

__all__ = [
    "LOCAL_ONLY",
    "ImportResult",
    "Package",
    "app_files",
    "contents_findings",
    "functions",
    "import_handlers",
    "package_findings",
]

LOCAL_ONLY = ("votes/local/", "votes/cli.py", "projections/cli.py", "tests/")
"""Paths (and folders) that must never be in the zip: the local app and its identity provider,
the `votes` CLI and the projections' commands, the tests. serverless.yml leaves them out."""


# Runs in the clean virtualenv, one fresh process per handler: a cold import.
_IMPORT_ONE = """
import importlib, json, sys, time
root, module, attribute = sys.argv[1:4]
sys.path.insert(0, root)
start = time.perf_counter()
loaded = importlib.import_module(module)
seconds = time.perf_counter() - start
target = getattr(loaded, attribute, None)
origin = getattr(loaded, "__file__", "") or ""
print(json.dumps({"seconds": seconds, "callable": callable(target),
                  "inside": origin.startswith(root), "modules": len(sys.modules)}))
"""

# Imports every app module of the zip in one process: lazy imports need their packages too.
_IMPORT_ALL = """
import importlib, json, sys, traceback
root = sys.argv[1]
sys.path.insert(0, root)
failed = {}
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except Exception:
        failed[name] = traceback.format_exc(limit=1).strip().splitlines()[-1]
print(json.dumps(failed))
"""


@dataclass(frozen=True)
class Package:
    """One function's handler and the artifact it runs from."""

    function: str
    handler: str
    zip_path: Path
    environment: dict[str, str]

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0].replace("/", ".")

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1] if "." in self.handler else ""


@dataclass(frozen=True)
class ImportResult:
    """The cold import of one handler in the clean virtualenv."""

    function: str
    ok: bool
    seconds: float
    detail: str


def _placeholder(name: str, value: Any) -> str:
    """A plain-string stand-in for an environment value CloudFormation would resolve."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if name.endswith("_ARN"):
        return f"arn:aws:unresolved:us-east-1:123456789012:{name.lower()}"
    if name.endswith("_ORIGIN"):
        return "https://unresolved.cloudfront.net"
    return f"unresolved-{name.lower().replace('_', '-')}"


def functions(template: dict[str, Any], artifacts: Path) -> list[Package]:
    """Every Lambda function of the template with its handler, zip and environment."""
    found = []
    for name, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        props = resource.get("Properties") or {}
        key = (props.get("Code") or {}).get("S3Key", "")
        zip_name = PurePosixPath(key).name if isinstance(key, str) else ""
        variables = (props.get("Environment") or {}).get("Variables") or {}
        env = {k: _placeholder(k, v) for k, v in variables.items()}
        found.append(Package(name, str(props.get("Handler", "")), artifacts / zip_name, env))
    return found


def _module_files(module: str) -> tuple[str, str]:
    path = module.replace(".", "/")
    return f"{path}.py", f"{path}/__init__.py"


def package_findings(packages: list[Package], root: Path, max_zip_mb: float) -> list[str]:
    """Handlers missing from the source tree or the zip, oversized zips."""
    findings = []
    for zip_path in sorted({p.zip_path for p in packages}):
        if not zip_path.is_file():
            findings.append(f"{zip_path}: artifact missing")
            continue
        size_mb = zip_path.stat().st_size / 1024 / 1024
        if size_mb > max_zip_mb:
            findings.append(f"{zip_path.name}: {size_mb:.2f} MB exceeds {max_zip_mb} MB")
    for package in packages:
        if not package.attribute:
            findings.append(f"{package.function}: handler {package.handler!r} names no function")
            continue
        files = _module_files(package.module)
        if not any((root / f).is_file() for f in files):
            findings.append(f"{package.function}: handler module {files[0]} does not exist")
        if package.zip_path.is_file():
            with zipfile.ZipFile(package.zip_path) as archive:
                names = set(archive.namelist())
            if not any(f in names for f in files):
                findings.append(f"{package.function}: {files[0]} is not in {package.zip_path.name}")
    return findings


def app_files(zip_path: Path) -> list[str]:
    """The files of the app packages (:data:`APP_PACKAGES`) in the zip, and any ``tests/``."""
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    tops = (*APP_PACKAGES, "tests")
    return sorted(n for n in names if not n.endswith("/") and n.split("/", 1)[0] in tops)


def _is_test_helper(name: str, source: bytes) -> bool:
    base = PurePosixPath(name).name
    if base == "conftest.py" or base.startswith("test_"):
        return True
    return name.endswith(".py") and b"import pytest" in source


def contents_findings(zip_path: Path) -> list[str]:
    """Local-only files and test helpers found among the zip's app files."""
    findings = []
    with zipfile.ZipFile(zip_path) as archive:
        for name in app_files(zip_path):
            if any(name == p or (p.endswith("/") and name.startswith(p)) for p in LOCAL_ONLY):
                findings.append(f"{zip_path.name}: local-only {name} is in the Lambda package")
            elif _is_test_helper(name, archive.read(name)):
                findings.append(f"{zip_path.name}: test helper {name} is in the Lambda package")
    return findings


def _app_modules(unzipped: Path) -> list[str]:
    modules = []
    for package in APP_PACKAGES:
        for path in sorted((unzipped / package).rglob("*.py")):
            parts = path.relative_to(unzipped).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules.append(".".join(parts))
    return modules


def _run(python: Path, code: str, args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [str(python), "-B", "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(tail)
    return done.stdout.strip().splitlines()[-1]


def _lambda_env(extra: dict[str, str], function: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "LAMBDA_TASK_ROOT": "/var/task",
        # Lambda puts the role's temporary credentials in the environment; these are fake.
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE00",
        "AWS_SECRET_ACCESS_KEY": "example-secret-not-a-credential",
        "AWS_SESSION_TOKEN": "example-session-token",
        "AWS_EC2_METADATA_DISABLED": "true",
        **extra,
    }


def _build_clients(python: Path, unzipped: Path, services: list[str]) -> tuple[str, list[str]]:
    """Builds boto3 and aioboto3 clients of ``services`` from the package: a summary line and
    the findings."""
    name = unzipped.name
    try:
        report = json.loads(
            _run(python, CLIENTS_SCRIPT, [str(unzipped), *services],
                 _lambda_env({}, "sdk-clients"), unzipped)
        )  # fmt: skip
    except RuntimeError as error:
        return f"{name}: clients FAILED", [f"{name}.zip: building the AWS clients fails: {error}"]
    findings = [
        f"{name}.zip: {m} was imported from outside the package (the runtime's copy)"
        for m in report["outside"]
    ]
    summary = (
        f"{name}: botocore {report['botocore']} / aiobotocore {report['aiobotocore']} from the"
        f" package; boto3 and aioboto3 clients built offline: {', '.join(report['built'])}"
    )
    return summary, findings


def import_handlers(
    packages: list[Package], python_bin: str, services: dict[Path, list[str]]
) -> tuple[list[ImportResult], list[str], list[str]]:
    """Cold-imports each handler, then every app module, from its unzipped package, and builds
    the AWS clients of ``services`` (per zip); the results, summary lines and findings."""
    results: list[ImportResult] = []
    findings: list[str] = []
    summaries: list[str] = []
    with tempfile.TemporaryDirectory(prefix="votes-lambda-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([python_bin, "-m", "venv", "--without-pip", str(venv)], check=True)
        python = venv / "bin" / "python"
        for zip_path in sorted({p.zip_path for p in packages if p.zip_path.is_file()}):
            unzipped = Path(tmp) / zip_path.stem
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(unzipped)
            for package in (p for p in packages if p.zip_path == zip_path):
                env = _lambda_env(package.environment, package.function)
                try:
                    line = _run(
                        python, _IMPORT_ONE, [str(unzipped), package.module, package.attribute],
                        env, unzipped,
                    )  # fmt: skip
                    report = json.loads(line)
                    ok = report["callable"] and report["inside"]
                    detail = f"{report['modules']} modules loaded"
                    if not report["callable"]:
                        detail = f"{package.attribute} is not a function of {package.module}"
                    elif not report["inside"]:
                        detail = f"{package.module} was imported from outside the package"
                    results.append(ImportResult(package.function, ok, report["seconds"], detail))
                except RuntimeError as error:
                    results.append(ImportResult(package.function, False, 0.0, str(error)))
            modules = _app_modules(unzipped)
            try:
                failed = json.loads(
                    _run(python, _IMPORT_ALL, [str(unzipped), *modules],
                         _lambda_env({}, "all-modules"), unzipped)
                )  # fmt: skip
            except RuntimeError as error:
                failed = {"(all modules)": str(error)}
            findings.extend(f"{zip_path.name}: {m} does not import: {e}" for m, e in failed.items())
            summary, problems = _build_clients(python, unzipped, services.get(zip_path, []))
            summaries.append(summary)
            findings.extend(problems)
    findings.extend(
        f"{r.function}: handler does not import: {r.detail}" for r in results if not r.ok
    )
    return results, summaries, findings


if __name__ == "__main__":  # pragma: no cover - imported by check_template.py
    sys.exit("run scripts/deploy-check/check_template.py")
