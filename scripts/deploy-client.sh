#!/usr/bin/env bash
# Build the browser client and publish it, with its runtime config.json, to a deployed stage:
# S3 bucket behind CloudFront (stack outputs ClientBucketName, ClientDistributionId, ClientConfig).
# Usage: scripts/deploy-client.sh [stage] [region]      (aws CLI v2 + credentials; Node 20)
#   SKIP_BUILD=1  publish client/dist as it is
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE="${1:-dev}"
REGION="${2:-${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}}"
STACK="votes-$STAGE"

output() {
  aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue | [0]" --output text
}
BUCKET="$(output ClientBucketName)"
DISTRIBUTION="$(output ClientDistributionId)"
URL="$(output ClientUrl)"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  npm --prefix client ci --no-audit --no-fund
  npm --prefix client run build
fi
test -f client/dist/index.html || { echo "client/dist/index.html missing: build the client" >&2; exit 1; }

# The runtime config comes from the stack, so one build serves every stage.
CONFIG="$(mktemp)"
trap 'rm -f "$CONFIG"' EXIT
output ClientConfig > "$CONFIG"
python3 -m json.tool "$CONFIG"

# Hashed assets: cached for a year; index.html and config.json: revalidated on every load.
aws s3 sync client/dist "s3://$BUCKET" --region "$REGION" --delete \
  --exclude index.html --exclude config.json \
  --cache-control "public, max-age=31536000, immutable"
aws s3 cp client/dist/index.html "s3://$BUCKET/index.html" --region "$REGION" \
  --cache-control "no-cache" --content-type "text/html; charset=utf-8"
aws s3 cp "$CONFIG" "s3://$BUCKET/config.json" --region "$REGION" \
  --cache-control "no-cache" --content-type "application/json"
aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION" \
  --paths /index.html /config.json --query Invalidation.Id --output text

echo "client published: $URL"
