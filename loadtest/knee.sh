#!/usr/bin/env bash
# Finds the knee on SQLite, then on MariaDB/MySQL: provisioned users, constant-rate steps of
# rising arrival rate until the vote's p99 reaches 100 ms or a request fails, then a bisection;
# the server sampled with py-spy. Each run prints its table; the last lines repeat both knees.
#   loadtest/knee.sh                      # MariaDB at VOTES_LOADTEST_MYSQL_URL or 127.0.0.1:3306
#   loadtest/knee.sh --step-seconds 20    # extra arguments go to both runs of run.py
# Takes ~10 minutes. Run it on a quiet machine: anything else running shows in the p99.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${VOTES_PYTHON:-$here/../.venv/bin/python}"
mysql="${VOTES_LOADTEST_MYSQL_URL:-mysql://root@127.0.0.1:3306}"

export ARTILLERY_DISABLE_TELEMETRY=true
export NODE_OPTIONS="--require $here/lib/no-telemetry.cjs"

bash "$here/install.sh"
mkdir -p "$here/reports"
status=0
"$python" "$here/run.py" --knee --py-spy "$@" | tee "$here/reports/.knee-sqlite.txt" || status=1
"$python" "$here/run.py" --knee --py-spy --database "$mysql" "$@" \
  | tee "$here/reports/.knee-mysql.txt" || status=1
echo
grep -h '^knee (' "$here/reports/.knee-sqlite.txt" "$here/reports/.knee-mysql.txt" || true
exit "$status"
