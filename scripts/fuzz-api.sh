#!/usr/bin/env bash
# The long fuzz run of issue 8 (not part of CI, which runs 300 requests in
# tests/hardening/test_hardening_fuzz.py): schemathesis sends >= 10,000 generated requests,
# valid and invalid, to a fresh `votes serve` (SQLite, or MariaDB with --database), each with a
# real access token of an admin or a voter, and fails if any request got a 5xx or a response
# off the schema, or if a rejected (4xx) request moved the event log.
#   scripts/fuzz-api.sh [--requests 10000] [--seed 8] [--database mysql://root@127.0.0.1:3306/db]
#                       [--json report.json]
# It prints one summary line (requests, statuses, failures, log positions) and each failure.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python tests/hardening/hardening_fuzz.py "$@"
