#!/usr/bin/env bash
# Smoke test of a running votes app, deployed or local, through its public interfaces only:
# health, sign-up and sign-in (Cognito's JSON protocol), register, create a poll as an admin
# (when admin credentials are given; otherwise the newest open poll), vote, results, live update
# (AWS AppSync Events' WebSocket protocol: AppSync on a stage, /event/realtime of votes serve).
#
#   scripts/smoke-stage.sh --stage dev [--region us-east-1]         # a deployed stage
#   scripts/smoke-stage.sh --config-url URL/config.json             # any running app
#
# The app's runtime config is what the browser client reads: the stack output ClientConfig
# (--stage) or the config.json the app serves (--config-url: `votes serve`, or a stage's
# CloudFront URL). Every step after that is the same request whatever the target.
#
#   --admin-username NAME     an admin (Cognito group `admins`); password in
#                             VOTES_SMOKE_ADMIN_PASSWORD (not on the command line)
#   VOTES_SMOKE_ADMIN_TOKEN   instead: an admin's access token (an admin with MFA signs in
#                             with the TOTP code first, see docs/deploy.md)
#   --timeout SECONDS         how long to wait for the tally and the live update (default 60)
#   VOTES_PYTHON              the Python with the `websockets` package for the live update
#                             (default: the repository's .venv, else python3)
#
# With --stage the AWS CLI reads the stack outputs, confirms the new user when the stage does
# not auto-confirm sign-ups, and deletes the user at the end. Exit status 0 only when every
# check passed; the first failure prints the request, the answer and stops.
set -euo pipefail

STAGE="" REGION="${AWS_REGION:-us-east-1}" CONFIG_URL="" ADMIN_USERNAME="" TIMEOUT=60
while (($#)); do
  case "$1" in
    --stage) STAGE="$2"; shift 2 ;;
    --region) REGION="$2"; shift 2 ;;
    --config-url) CONFIG_URL="$2"; shift 2 ;;
    --admin-username) ADMIN_USERNAME="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "smoke: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -n "$STAGE" && -n "$CONFIG_URL" ]] || [[ -z "$STAGE" && -z "$CONFIG_URL" ]]; then
  echo "smoke: give exactly one of --stage or --config-url (see --help)" >&2
  exit 2
fi
if [[ -n "$ADMIN_USERNAME" && -z "${VOTES_SMOKE_ADMIN_PASSWORD:-}" ]]; then
  echo "smoke: --admin-username needs VOTES_SMOKE_ADMIN_PASSWORD in the environment" >&2
  exit 2
fi

WORK=$(mktemp -d)
LISTENER=""
SMOKE_USER=""
checks=0
cleanup() {
  [[ -n "$LISTENER" ]] && kill "$LISTENER" 2>/dev/null || true
  if [[ -n "$STAGE" && -n "$SMOKE_USER" ]]; then
    aws cognito-idp admin-delete-user --region "$REGION" --user-pool-id "$(cfg userPoolId)" \
      --username "$SMOKE_USER" >/dev/null 2>&1 || echo "smoke: could not delete $SMOKE_USER" >&2
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ok() { checks=$((checks + 1)); printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }
# json FILE EXPR [ARG...]: a Python expression over the parsed document `d` and the arguments
# `a` (a list of strings); prints the value, nothing for None.
json() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"d": d, "a": sys.argv[3:]})
print("" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))' "$@"
}
cfg() { json "$WORK/config.json" "d.get('$1')"; }

# -- the runtime config ---------------------------------------------------------------------------
if [[ -n "$STAGE" ]]; then
  STACK="votes-$STAGE"
  output() {
    aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
      --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
  }
  output ClientConfig >"$WORK/config.json"
  AUTO_CONFIRM=$(output AutoConfirmSignUp)
  SOURCE="stack $STACK ($REGION)"
else
  curl -sS --fail -o "$WORK/config.json" "$CONFIG_URL" || fail "GET $CONFIG_URL"
  AUTO_CONFIRM=unknown
  SOURCE="$CONFIG_URL"
fi
API=$(cfg apiUrl)
API=${API%/}
CLIENT_ID=$(cfg userPoolClientId)
COGNITO=$(cfg cognitoEndpoint)
COGNITO=${COGNITO:-https://cognito-idp.$(cfg region).amazonaws.com/}
REALTIME_URL=$(json "$WORK/config.json" "(d.get('realtime') or {}).get('url')")
REALTIME_HOST=$(json "$WORK/config.json" "(d.get('realtime') or {}).get('httpUrl', '').split('/')[2]")
REALTIME_NAMESPACE=$(json "$WORK/config.json" "(d.get('realtime') or {}).get('namespace')")
[[ -n "$API" && -n "$CLIENT_ID" ]] || fail "no apiUrl / userPoolClientId in the config of $SOURCE"
echo "smoke: $SOURCE: api $API, cognito $COGNITO, live results: ${REALTIME_URL:-none}"

# -- HTTP helpers ----------------------------------------------------------------------------------
# call METHOD PATH [BODY]: the API with the current $TOKEN; status in $STATUS, body in $WORK/body.
call() {
  local args=(-sS -o "$WORK/body" -w '%{http_code}' -X "$1" "$API$2")
  [[ -n "${TOKEN:-}" ]] && args+=(-H "Authorization: Bearer $TOKEN")
  [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
  STATUS=$(curl "${args[@]}") || fail "$1 $2: no answer"
}
expect() {  # expect WHAT STATUS...
  local what="$1"; shift
  for s in "$@"; do [[ "$STATUS" == "$s" ]] && return 0; done
  fail "$what answered $STATUS: $(head -c 500 "$WORK/body")"
}
cognito() {  # cognito ACTION JSON -> $WORK/cognito.json, status in $STATUS
  STATUS=$(curl -sS -o "$WORK/cognito.json" -w '%{http_code}' "$COGNITO" \
    -H "X-Amz-Target: AWSCognitoIdentityProviderService.$1" \
    -H 'Content-Type: application/x-amz-json-1.1' -d "$2") || fail "Cognito $1: no answer"
}
sign_in() {  # sign_in USERNAME PASSWORD -> access token on stdout
  local body
  body=$(python3 -c 'import json, sys
print(json.dumps({"ClientId": sys.argv[1], "AuthFlow": "USER_PASSWORD_AUTH",
                  "AuthParameters": {"USERNAME": sys.argv[2], "PASSWORD": sys.argv[3]}}))' \
    "$CLIENT_ID" "$1" "$2")
  cognito InitiateAuth "$body"
  [[ "$STATUS" == 200 ]] || fail "InitiateAuth $1 answered $STATUS: $(cat "$WORK/cognito.json")"
  local challenge
  challenge=$(json "$WORK/cognito.json" "d.get('ChallengeName')")
  [[ -z "$challenge" ]] || fail "InitiateAuth $1 asks for $challenge (MFA): give its access token in VOTES_SMOKE_ADMIN_TOKEN instead"
  json "$WORK/cognito.json" "d['AuthenticationResult']['AccessToken']"
}

# -- live update: the hook of issue 13 --------------------------------------------------------------
# live_update_start POLL OPTION EXPECTED, before the vote: subscribe to the poll's channel of the
# realtime endpoint in the config (AWS AppSync Events' WebSocket protocol: AppSync on a stage,
# votes serve's /event/realtime locally), with scripts/appsync_events.py, and wait until the
# subscription is accepted (AppSync sends only what is published after that).
# live_update_check, after the vote: a TallyUpdated with OPTION >= EXPECTED arrived on it.
HERE=$(cd "$(dirname "$0")" && pwd)
if [[ -z "${VOTES_PYTHON:-}" ]]; then
  if [[ -x "$HERE/../.venv/bin/python" ]]; then VOTES_PYTHON="$HERE/../.venv/bin/python"; else VOTES_PYTHON=python3; fi
fi
live_update_start() {
  [[ -n "$REALTIME_URL" ]] || return 0
  LIVE_OPTION=$2 LIVE_EXPECTED=$3
  TOKEN="$TOKEN" "$VOTES_PYTHON" "$HERE/appsync_events.py" listen --url "$REALTIME_URL" \
    --host "$REALTIME_HOST" --channel "/$REALTIME_NAMESPACE/$1" --seconds "$TIMEOUT" \
    >"$WORK/live.jsonl" 2>"$WORK/live.err" &
  LISTENER=$!
  local deadline=$((SECONDS + TIMEOUT))
  until grep -q '"subscribed"' "$WORK/live.jsonl" 2>/dev/null; do
    kill -0 "$LISTENER" 2>/dev/null || fail "live update: could not subscribe to /$REALTIME_NAMESPACE/$1 at $REALTIME_URL: $(tail -c 600 "$WORK/live.err")"
    ((SECONDS < deadline)) || fail "live update: no subscription to /$REALTIME_NAMESPACE/$1 in ${TIMEOUT}s"
    sleep 0.1
  done
  ok "live update: subscribed to /$REALTIME_NAMESPACE/$1 at $REALTIME_URL"
}
live_update_check() {
  if [[ -z "$REALTIME_URL" ]]; then
    echo "skip  live update: this target's config names no realtime endpoint"
    return 0
  fi
  local deadline=$((SECONDS + TIMEOUT))
  until python3 - "$WORK/live.jsonl" "$LIVE_OPTION" "$LIVE_EXPECTED" <<'PY'
import json, sys
path, option, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    lines = [json.loads(line) for line in open(path) if line.strip()]
except (OSError, ValueError):
    sys.exit(1)
counts = [(m.get("event") or {}).get("counts", {}) for m in lines if "event" in m]
sys.exit(0 if any(c.get(option, 0) >= expected for c in counts) else 1)
PY
  do
    ((SECONDS < deadline)) || fail "live update: no TallyUpdated with $LIVE_OPTION >= $LIVE_EXPECTED in ${TIMEOUT}s: $(tail -c 600 "$WORK/live.jsonl") $(tail -c 600 "$WORK/live.err")"
    sleep 0.2
  done
  ok "live update: TallyUpdated with $LIVE_OPTION >= $LIVE_EXPECTED over the WebSocket"
}

# -- the checks ------------------------------------------------------------------------------------
call GET /health
expect "GET /health" 200
ok "GET /health -> 200"

SUFFIX=$(python3 -c 'import secrets; print(secrets.token_hex(4))')
SMOKE_USER="smoke-$SUFFIX@example.com"
PASSWORD="Smoke-$(python3 -c 'import secrets; print(secrets.token_hex(8))')-9a"
cognito SignUp "{\"ClientId\":\"$CLIENT_ID\",\"Username\":\"$SMOKE_USER\",\"Password\":\"$PASSWORD\",\"UserAttributes\":[{\"Name\":\"email\",\"Value\":\"$SMOKE_USER\"}]}"
[[ "$STATUS" == 200 ]] || fail "SignUp answered $STATUS: $(cat "$WORK/cognito.json")"
ok "SignUp $SMOKE_USER"
if [[ "$AUTO_CONFIRM" == false ]]; then
  aws cognito-idp admin-confirm-sign-up --region "$REGION" --user-pool-id "$(cfg userPoolId)" \
    --username "$SMOKE_USER" || fail "admin-confirm-sign-up $SMOKE_USER"
  ok "admin-confirm-sign-up (this stage does not auto-confirm)"
fi
TOKEN=$(sign_in "$SMOKE_USER" "$PASSWORD")
ok "InitiateAuth USER_PASSWORD_AUTH -> access token"

call POST /voters '{"display_name":"Smoke test"}'
expect "POST /voters" 201 200
ok "POST /voters -> $STATUS"

ADMIN_TOKEN="${VOTES_SMOKE_ADMIN_TOKEN:-}"
if [[ -z "$ADMIN_TOKEN" && -n "$ADMIN_USERNAME" ]]; then
  ADMIN_TOKEN=$(sign_in "$ADMIN_USERNAME" "$VOTES_SMOKE_ADMIN_PASSWORD")
  ok "InitiateAuth $ADMIN_USERNAME (admin)"
fi
VOTER_TOKEN=$TOKEN
if [[ -n "$ADMIN_TOKEN" ]]; then
  TOKEN=$ADMIN_TOKEN
  call POST /polls "{\"question\":\"Smoke test $(date -u +%FT%TZ) (safe to ignore)\",\"options\":[\"Yes\",\"No\"]}"
  expect "POST /polls (admin)" 201
  POLL=$(json "$WORK/body" "d['id']")
  ok "POST /polls (admin) -> 201, poll $POLL"
  TOKEN=$VOTER_TOKEN
else
  call GET /polls
  expect "GET /polls" 200
  # an open poll whose results anyone may follow (an after_vote one refuses a live
  # subscription until the new user has voted)
  POLL=$(json "$WORK/body" "next((p['id'] for p in d['polls'] if p['is_open'] and p.get('results_visibility', 'always') == 'always'), None)")
  [[ -n "$POLL" ]] || fail "no open poll to vote in: give an admin (--admin-username or VOTES_SMOKE_ADMIN_TOKEN) to create one"
  ok "GET /polls -> 200, voting in the newest open poll $POLL"
fi

call GET "/polls/$POLL"
expect "GET /polls/$POLL" 200
OPTION=$(json "$WORK/body" "d['options'][0]")
call GET "/polls/$POLL/results"
expect "GET /polls/$POLL/results" 200
BEFORE=$(json "$WORK/body" "d['counts'].get(a[0], 0)" "$OPTION")
EXPECTED=$((BEFORE + 1))

live_update_start "$POLL" "$OPTION" "$EXPECTED"
call POST "/polls/$POLL/votes" "$(python3 -c 'import json, sys; print(json.dumps({"option": sys.argv[1]}))' "$OPTION")"
expect "POST /polls/$POLL/votes" 201
ok "POST /polls/$POLL/votes -> 201 ($OPTION)"

started=$SECONDS
while :; do
  call GET "/polls/$POLL/results"
  expect "GET /polls/$POLL/results" 200
  NOW=$(json "$WORK/body" "d['counts'].get(a[0], 0)" "$OPTION")
  ((NOW >= EXPECTED)) && break
  ((SECONDS - started < TIMEOUT)) || fail "results: $OPTION is $NOW after ${TIMEOUT}s, expected >= $EXPECTED"
  sleep 1
done
ok "GET /polls/$POLL/results -> $OPTION=$NOW (was $BEFORE) after $((SECONDS - started)) s"
live_update_check

if [[ -n "$ADMIN_TOKEN" ]]; then
  TOKEN=$ADMIN_TOKEN
  call POST "/polls/$POLL/close"
  expect "POST /polls/$POLL/close" 200
  ok "POST /polls/$POLL/close (admin) -> 200"
fi
echo "smoke: OK ($checks checks) against $SOURCE"
