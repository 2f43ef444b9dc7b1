"""Our own checks of the packaged stack (run after `serverless package`; exit 1 on any finding).

- IAM: no wildcard action, no ``*`` resource except the listed exceptions (iam_rules.py);
- every function's handler exists in the source tree and in its zip;
- the zip's size (target <= 15 MB), and what it holds of ours: nothing local-only (the local
  app, the CLIs, test helpers; lambda_package.LOCAL_ONLY);
- the bundled packages (sdk_bundle.py): exactly the lock's versions, every requirement met
  inside the zip, a complete AWS SDK whose botocore data keeps every service the code calls;
- every handler, and every app module of the zip, imports in a clean python3.11 virtualenv that
  holds only the unzipped package, where boto3 and aioboto3 clients of those services build
  without network (lambda_package.py).

Usage: check_template.py [--template T] [--artifacts DIR] [--root DIR] [--no-import] ...
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from iam_rules import RESOURCE_STAR_EXCEPTIONS, iam_findings
from lambda_package import (
    app_files,
    contents_findings,
    functions,
    import_handlers,
    package_findings,
)
from sdk_bundle import SDK_DISTRIBUTIONS, bundle_findings

ROOT = Path(__file__).resolve().parents[2]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--template",
        type=Path,
        default=ROOT / ".serverless" / "cloudformation-template-update-stack.json",
    )
    parser.add_argument(
        "--artifacts", type=Path, help="folder of the zips (default: the template's folder)"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="source tree of the handlers")
    parser.add_argument("--max-zip-mb", type=float, default=15.0)
    parser.add_argument("--no-import", action="store_true", help="skip the virtualenv imports")
    parser.add_argument("--python", default="python3.11", help="interpreter of the clean venv")
    parser.add_argument(
        "--lock",
        type=Path,
        default=ROOT / "requirements" / "lambda.txt",
        help="the pinned third-party packages the zip must carry",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Runs every check, prints the findings and the measurements; 0 when all pass."""
    args = _arguments(argv)
    template = json.loads(args.template.read_text())
    artifacts = args.artifacts or args.template.parent
    packages = functions(template, artifacts)

    findings = [f"IAM {finding}" for finding in iam_findings(template)]
    if not packages:
        findings.append("the template defines no Lambda function")
    findings += package_findings(packages, args.root, args.max_zip_mb)

    services: dict[Path, list[str]] = {}
    for zip_path in sorted({p.zip_path for p in packages if p.zip_path.is_file()}):
        size_mb = zip_path.stat().st_size / 1024 / 1024
        print(f"zip {zip_path.name}: {size_mb:.2f} MB (target <= {args.max_zip_mb} MB)")
        tops = Counter(name.split("/", 1)[0] for name in app_files(zip_path))
        counts = ", ".join(f"{top}/ {n}" for top, n in sorted(tops.items()))
        print(f"zip {zip_path.name}: files of ours: {counts}")
        findings += contents_findings(zip_path)
        bundle, problems = bundle_findings(zip_path, args.lock)
        findings += problems
        services[zip_path] = sorted(bundle.used_services)
        sdk = ", ".join(f"{n} {bundle.versions.get(n, '-')}" for n in SDK_DISTRIBUTIONS)
        print(f"zip {zip_path.name}: bundled AWS SDK: {sdk}")
        print(
            f"zip {zip_path.name}: botocore data kept for {', '.join(sorted(bundle.data_services))}"
            f"; services the code calls: {', '.join(services[zip_path]) or 'none'}"
        )
    for action, reason in RESOURCE_STAR_EXCEPTIONS.items():
        print(f"allowed '*' resource for {action}: {reason}")

    if not args.no_import and not any("artifact missing" in f for f in findings):
        results, summaries, import_problems = import_handlers(packages, args.python, services)
        for result in results:
            state = "ok" if result.ok else "FAILED"
            print(
                f"cold import {result.function}: {state} {result.seconds * 1000:.0f} ms"
                f" ({result.detail})"
            )
        for summary in summaries:
            print(f"sdk {summary}")
        findings += import_problems

    for finding in findings:
        print(f"FAIL {finding}")
    print(f"check_template: {len(findings)} finding(s) in {len(packages)} function(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
