#!/usr/bin/env bash
# The client's whole test run: install (npm ci), unit tests (vitest), production build, and the
# end-to-end tests in Debian's Chromium against `votes serve` instances the tests start
# themselves (axe-core on every screen, screenshots, first-visit bytes and first contentful
# paint on a throttled link). Needs the repo's Python venv (../.venv with `votes`) or VOTES_BIN;
# installs Chromium with apt when /usr/bin/chromium is missing. Screenshots, axe and perf
# reports and server logs land in client/e2e-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 # playwright-core must never fetch a browser
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "== installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

votes_bin="${VOTES_BIN:-$(cd .. && pwd)/.venv/bin/votes}"
if [ ! -x "$votes_bin" ]; then
  echo "error: $votes_bin not found: create the repo's venv first (or set VOTES_BIN)" >&2
  exit 1
fi
export VOTES_BIN="$votes_bin"

echo "== npm ci"
npm ci --no-audit --no-fund --loglevel=error

echo "== unit tests (vitest)"
npx vitest run

echo "== build"
npm run build

echo "== end-to-end (playwright-core + $("$CHROMIUM_PATH" --version 2>/dev/null | head -1))"
rm -rf e2e-artifacts
mkdir -p e2e-artifacts
node --test --test-concurrency=1 e2e/
