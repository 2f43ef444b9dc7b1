#!/usr/bin/env bash
# The README's test command: installs what it needs, then runs every test suite.
#   Python: lint, types, the pytest suite (SQLite, MariaDB at VOTES_TEST_MYSQL_URL, moto servers)
#   Deploy: package serverless.yml offline, cfn-lint and our template checks
#   Client: vitest, build, and the browser end-to-end test in Debian's chromium
#   Load:   the Artillery smoke profile against `votes serve`, tallies checked after
set -euo pipefail
cd "$(dirname "$0")/.."
export VOTES_TEST_MYSQL_URL=${VOTES_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}

step() { printf '\n==> %s\n' "$*"; }

step "install (python)"
scripts/setup.sh
scripts/ensure-mariadb.sh

step "lint"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

step "types (mypy, configured in pyproject.toml)"
.venv/bin/mypy

step "deploy: package serverless.yml offline, cfn-lint, template and package checks"
bash scripts/deploy-check/run.sh

step "client: vitest, build, browser end-to-end"
bash client/scripts/test.sh

step "pytest"
.venv/bin/pytest -q -p no:cacheprovider

step "load test: Artillery smoke profile against votes serve, tallies checked after"
bash loadtest/smoke.sh
