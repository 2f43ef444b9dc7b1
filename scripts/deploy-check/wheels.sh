#!/usr/bin/env bash
# Fill the wheel folder (.wheels/ or $VOTES_WHEELS_DIR) with binary wheels for the Lambda
# platform -- manylinux2014 x86_64, CPython 3.11 -- from the locked Lambda requirements
# (requirements/lambda.txt, the AWS SDK included). serverless.yml installs the package's
# dependencies from this folder only (pip --no-index), so `serverless package` / `deploy`
# never resolves anything on its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${VOTES_PYTHON_BIN:-python3.11}"
WHEELS="${VOTES_WHEELS_DIR:-.wheels}"
mkdir -p "$WHEELS"
"$PYTHON" -m pip download --quiet --disable-pip-version-check \
  --only-binary=:all: --no-deps \
  --platform manylinux2014_x86_64 --implementation cp --python-version 3.11 --abi cp311 \
  -d "$WHEELS" -r requirements/lambda.txt
echo "wheels: $(find "$WHEELS" -name '*.whl' | wc -l) files in $WHEELS"
