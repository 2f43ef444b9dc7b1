"""Checks of the third-party packages bundled in the Lambda zip, the AWS SDK above all.

The zip carries its own consistent AWS SDK (aioboto3, aiobotocore, boto3, botocore,
s3transfer): aiobotocore pins botocore to a narrow range and the Lambda runtime's botocore is
whatever AWS ships, so the package must not depend on it (the zip comes first on sys.path).
Checked here, without running anything from the zip:

- every distribution of the lock (requirements/lambda.txt) is packaged at exactly its version,
  and nothing unlocked is packaged;
- every requirement of a packaged distribution (markers evaluated for the python3.11 x86_64
  runtime, requested extras included) is packaged at a version that satisfies it;
- botocore's data keeps its top-level files and the models of every service the app code
  creates a client for (``client("name"`` in the app packages, :data:`APP_PACKAGES`).

:data:`CLIENTS_SCRIPT` then builds those clients in the clean virtualenv (lambda_package.py).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

__all__ = [
    "BOTOCORE_DATA_FILES",
    "CLIENTS_SCRIPT",
    "SDK_DISTRIBUTIONS",
    "Bundle",
    "bundle_findings",
    "read_bundle",
]

SDK_DISTRIBUTIONS = ("aioboto3", "aiobotocore", "boto3", "botocore", "s3transfer")
BOTOCORE_DATA_FILES = (
    "endpoints.json",
    "partitions.json",
    "sdk-default-configuration.json",
    "_retry.json",
)
APP_PACKAGES = ("handlers", "votes", "vote_domain", "projections")
"""The first-party packages the Lambda zip carries."""
LAMBDA_MARKERS = {
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
}
_CLIENT_CALL = re.compile(r"""\.client\(\s*["']([a-z0-9-]+)["']""")
_DATA = "botocore/data/"

# Runs in the clean virtualenv: builds a boto3 and an aioboto3 client of every service from
# the unzipped package, with the network switched off (building a client needs none).
CLIENTS_SCRIPT = """
import asyncio, json, socket, sys
root, services = sys.argv[1], sys.argv[2:]
sys.path.insert(0, root)
def _no_network(*args, **kwargs):
    raise OSError("network access while building a client")
socket.socket.connect = socket.socket.connect_ex = _no_network
socket.create_connection = socket.getaddrinfo = _no_network
import aioboto3, aiobotocore, boto3, botocore
outside = [m.__name__ for m in (aioboto3, aiobotocore, boto3, botocore)
           if not m.__file__.startswith(root)]
async def main():
    built = []
    for service in services:
        boto3.client(service)
        async with aioboto3.Session().client(service) as client:
            built.append(client.meta.service_model.service_name)
    return built
built = asyncio.run(main())
print(json.dumps({"botocore": botocore.__version__, "aiobotocore": aiobotocore.__version__,
                  "outside": outside, "built": built}))
"""


@dataclass(frozen=True)
class Bundle:
    """What a Lambda zip carries: distributions, their requirements, botocore's data."""

    versions: dict[str, str]
    requirements: dict[str, list[str]]
    data_files: set[str]
    data_services: set[str]
    used_services: set[str]


def read_bundle(zip_path: Path) -> Bundle:
    """The distributions (from their dist-info), botocore data and client calls of a zip."""
    versions: dict[str, str] = {}
    requirements: dict[str, list[str]] = {}
    data_files: set[str] = set()
    data_services: set[str] = set()
    used: set[str] = set()
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            if name.endswith(".dist-info/METADATA") and name.count("/") == 1:
                meta = Parser().parsestr(archive.read(name).decode("utf-8", "replace"))
                project = canonicalize_name(meta["Name"])
                versions[project] = meta["Version"]
                requirements[project] = meta.get_all("Requires-Dist") or []
            elif name.startswith(_DATA):
                rest = name.removeprefix(_DATA)
                if "/" in rest:
                    data_services.add(rest.split("/", 1)[0])
                elif rest:
                    data_files.add(rest)
            elif name.endswith(".py") and name.split("/", 1)[0] in APP_PACKAGES:
                used.update(_CLIENT_CALL.findall(archive.read(name).decode("utf-8", "replace")))
    return Bundle(versions, requirements, data_files, data_services, used)


def _lock(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _parsed(bundle: Bundle) -> dict[str, list[Requirement]]:
    parsed: dict[str, list[Requirement]] = {}
    for project, lines in bundle.requirements.items():
        parsed[project] = []
        for line in lines:
            try:
                parsed[project].append(Requirement(line))
            except InvalidRequirement:
                continue
    return parsed


def _requested_extras(parsed: dict[str, list[Requirement]]) -> dict[str, set[str]]:
    extras: dict[str, set[str]] = {}
    for requirements in parsed.values():
        for requirement in requirements:
            if requirement.marker is None or requirement.marker.evaluate(
                {**LAMBDA_MARKERS, "extra": ""}
            ):
                extras.setdefault(canonicalize_name(requirement.name), set()).update(
                    requirement.extras
                )
    return extras


def _dependency_findings(bundle: Bundle) -> list[str]:
    parsed = _parsed(bundle)
    extras = _requested_extras(parsed)
    findings = []
    for project, requirements in sorted(parsed.items()):
        for requirement in requirements:
            wanted = {""} | extras.get(project, set())
            if requirement.marker is not None and not any(
                requirement.marker.evaluate({**LAMBDA_MARKERS, "extra": e}) for e in wanted
            ):
                continue
            needed = canonicalize_name(requirement.name)
            have = bundle.versions.get(needed)
            source = f"{project}-{bundle.versions[project]} requires {requirement}"
            if have is None:
                findings.append(f"{source}: {needed} is not packaged")
            elif not requirement.specifier.contains(Version(have), prereleases=True):
                findings.append(f"{source}: packaged {needed} is {have}")
    return findings


def bundle_findings(zip_path: Path, lock_path: Path) -> tuple[Bundle, list[str]]:
    """The zip's bundle, and each way it breaks the rules in this module's docstring."""
    bundle = read_bundle(zip_path)
    name = zip_path.name
    findings = []
    lock = _lock(lock_path)
    for project, version in sorted(lock.items()):
        have = bundle.versions.get(project)
        if have != version:
            findings.append(f"{name}: {project} {have or 'missing'}, the lock pins {version}")
    for project in sorted(set(bundle.versions) - set(lock)):
        findings.append(f"{name}: {project} {bundle.versions[project]} is not in {lock_path.name}")
    for project in SDK_DISTRIBUTIONS:
        if project not in bundle.versions:
            findings.append(f"{name}: the AWS SDK is incomplete: {project} is not packaged")
    findings += [f"{name}: {f}" for f in _dependency_findings(bundle)]
    if "botocore" in bundle.versions:
        for file in BOTOCORE_DATA_FILES:
            if file not in bundle.data_files:
                findings.append(f"{name}: {_DATA}{file} is missing (botocore needs it)")
        for service in sorted(bundle.used_services - bundle.data_services):
            findings.append(
                f"{name}: the code creates {service!r} clients but {_DATA}{service} is slimmed"
                " away (serverless.yml slimPatterns)"
            )
    return bundle, findings
