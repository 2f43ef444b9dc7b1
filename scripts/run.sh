#!/usr/bin/env bash
# The README's run command: installs what it needs, builds the client, and runs the whole app
# (API, projector, live results, Cognito-compatible sign-in, client) on SQLite at
# http://127.0.0.1:8000. Extra arguments go to `votes serve` (e.g. --port 9000,
# --database mysql://root@127.0.0.1:3306/votes, --admins alice@example.com).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ ! -f client/dist/index.html ] || [ -n "$(find client/src client/index.html client/package.json -newer client/dist/index.html 2>/dev/null | head -1)" ]; then
  echo "building the client ..."
  (cd client && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
fi
export VOTES_ADMINS=${VOTES_ADMINS:-admin@example.com}
exec .venv/bin/votes serve "$@"
