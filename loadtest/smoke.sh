#!/usr/bin/env bash
# CI smoke load test: installs the pinned Artillery (install.sh) and runs the `smoke` profile
# (every virtual user signs up) and the `api-smoke` profile (users provisioned first, the phases
# drive only the API) against `votes serve` on fresh SQLite databases, checking the tallies
# after each (see README.md). Extra arguments go to both runs of run.py, e.g.
# `loadtest/smoke.sh --database mysql://root@127.0.0.1:3306`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${VOTES_PYTHON:-$here/../.venv/bin/python}"

export ARTILLERY_DISABLE_TELEMETRY=true
export NODE_OPTIONS="--require $here/lib/no-telemetry.cjs"

bash "$here/install.sh"
"$python" "$here/run.py" --profile smoke "$@"
"$python" "$here/run.py" --profile api-smoke "$@"
