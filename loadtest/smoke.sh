#!/usr/bin/env bash
# CI smoke load test: installs the pinned Artillery (npm ci) and runs the `smoke` profile
# against `votes serve` on a fresh SQLite database, then checks the tallies (see README.md).
# Extra arguments go to run.py, e.g. `loadtest/smoke.sh --database mysql://root@127.0.0.1:3306`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${VOTES_PYTHON:-$here/../.venv/bin/python}"

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export ARTILLERY_DISABLE_TELEMETRY=true
export NODE_OPTIONS="--require $here/lib/no-telemetry.cjs"

# npm ci unless node_modules was installed by npm ci from this very lockfile.
stamp="$here/node_modules/.votes-lockfile.sha256"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
  echo "$want" >"$stamp"
fi
exec "$python" "$here/run.py" --profile smoke "$@"
