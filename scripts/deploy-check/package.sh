#!/usr/bin/env bash
# Package the stack offline: `serverless package --stage dev` (pinned osls CLI) with no AWS
# credentials at all and pip limited to the wheel folder. Leaves .serverless/ behind:
# cloudformation-template-update-stack.json and votes.zip.
#   VOTES_NPM_CI=1   reinstall node_modules with `npm ci` first (CI does; default: only if missing)
set -euo pipefail
cd "$(dirname "$0")/../.."

# No credentials, no profile, no instance metadata: packaging must not need AWS.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_WEB_IDENTITY_TOKEN_FILE
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
if [[ -z "${VOTES_PYTHON_BIN:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then VOTES_PYTHON_BIN="$PWD/.venv/bin/python"; else VOTES_PYTHON_BIN=python3.11; fi
fi
export VOTES_PYTHON_BIN VOTES_WHEELS_DIR="${VOTES_WHEELS_DIR:-.wheels}"

if [[ "${VOTES_NPM_CI:-0}" == 1 || ! -x node_modules/.bin/serverless ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/deploy-check/wheels.sh
exec 9>"${TMPDIR:-/tmp}/votes-serverless-package.lock"
flock 9  # one packaging at a time on this machine (it rewrites .serverless/)
rm -rf .serverless
npx --no-install serverless package --stage dev
