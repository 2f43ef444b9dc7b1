#!/usr/bin/env bash
# The offline deployment proof CI runs on every build (needs only the npm registry and PyPI):
#   1. npm ci: the pinned osls CLI and serverless-python-requirements (package-lock.json)
#   2. the manylinux2014_x86_64 / cp311 wheel folder from requirements/lambda*.txt
#   3. `serverless package --stage dev` with no AWS credentials, pip --no-index on the wheels
#   4. cfn-lint on the generated template (lint.sh lists the ignored warnings and why)
#   5. check_template.py: IAM wildcards, handlers, zip size, imports in a clean virtualenv
# Exit status 0 only when every step passes. Timings are printed for each step.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ -z "${VOTES_PYTHON_BIN:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then VOTES_PYTHON_BIN="$PWD/.venv/bin/python"; else VOTES_PYTHON_BIN=python3.11; fi
fi
export VOTES_PYTHON_BIN

step() { printf '\n== %s\n' "$1"; }
elapsed() { echo $(( $(date +%s) - $1 )); }
started=$(date +%s)

step "package (npm ci, wheels, serverless package --stage dev, no AWS credentials)"
t=$(date +%s)
VOTES_NPM_CI="${VOTES_NPM_CI:-1}" bash scripts/deploy-check/package.sh
package_s=$(elapsed "$t")

step "cfn-lint"
t=$(date +%s)
bash scripts/deploy-check/lint.sh
lint_s=$(elapsed "$t")

step "check_template.py"
t=$(date +%s)
"$VOTES_PYTHON_BIN" scripts/deploy-check/check_template.py --python "$VOTES_PYTHON_BIN"
check_s=$(elapsed "$t")

printf '\ndeploy-check: OK (package %ss incl. npm ci, cfn-lint %ss, checks %ss, total %ss)\n' \
  "$package_s" "$lint_s" "$check_s" "$(elapsed "$started")"
