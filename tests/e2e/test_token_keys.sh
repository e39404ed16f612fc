#!/usr/bin/env bash
# test_token_keys.sh - tokens and presigned URLs are keyed by STAGE_MASTER_KEY
# (HKDF), not by anything in Redis (issue 14, finding 6):
#  - Redis holds no token key; a key an older version kept there
#    (st:secret:token) is deleted at start;
#  - a second frontend with the same master key accepts the first one's
#    token and presigned URL; one with another master key refuses both
#    (UNAUTHENTICATED, 403), though it shares the Redis;
#  - a frontend without a master key does not start, and says which
#    variable to set.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init token_keys
e2e_start
login_root

check_eq "no token key in Redis" 0 "$(rcli EXISTS st:secret:token)"
check_eq "no key named like a secret in Redis" "" "$(rcli --scan --pattern 'st:secret*')"

# A token and a presigned URL from the first frontend.
printf 'keyed\n' >"$T/f.txt"
py upload "$T/f.txt" "@~/k/f.txt" >/dev/null
out=$(pyrun <<'EOF'
import json, os, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
print(json.dumps({"token": c.token, "url": c.presign("@~/k/f.txt")["url"]}))
EOF
)
TOKEN=$(jget "$out" 'j["token"]')
URL=$(jget "$out" 'j["url"]')

# other_frontend NAME [env...]: start one more frontend on the same Redis;
# sets O_SERVER, O_HTTP, O_PID
other_frontend() {
  local name=$1
  shift
  O_SERVER="127.0.0.1:$(free_port)"
  O_HTTP="127.0.0.1:$(free_port)"
  (
    service_env
    for kv in "$@"; do export "${kv?}"; done
    STAGE_SERVER_LISTEN="$O_SERVER" STAGE_SERVER_HTTP_LISTEN="$O_HTTP" exec "$FRONTEND"
  ) >"$T/logs/frontend-$name.log" 2>&1 &
  O_PID=$!
  E2E_PIDS+=("$O_PID")
  for _ in $(seq 150); do
    curl -s -o /dev/null "http://$O_HTTP/healthz" && return 0
    alive "$O_PID" || return 0
    sleep 0.2
  done
}

# use_token SERVER -> "OK" or the status code of ListStages with $TOKEN
use_token() {
  E2E_O="$1" E2E_TOKEN="$TOKEN" pyrun <<'EOF'
import os, stageclient as sc
c = sc.StageClient(os.environ["E2E_O"], token=os.environ["E2E_TOKEN"])
try:
    c.rpc("ListStages")
    print("OK")
except sc.StageError as e:
    print(e.code)
EOF
}
url_on() { curl -s -o /dev/null -w '%{http_code}' "http://$1/${URL#http://*/}"; }

other_frontend same
check_eq "same master key: the token works" OK "$(use_token "$O_SERVER")"
check_eq "same master key: the presigned URL works" 200 "$(url_on "$O_HTTP")"
stop_pid "$O_PID"

OTHER_KEY=$("$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
E2E_SECRETS+=("$OTHER_KEY")
other_frontend other "STAGE_MASTER_KEY=$OTHER_KEY"
check_eq "another master key: the token is refused" UNAUTHENTICATED "$(use_token "$O_SERVER")"
check_eq "another master key: the presigned URL is refused" 403 "$(url_on "$O_HTTP")"
stop_pid "$O_PID"

# A key left in Redis by an older version goes at start.
rcli SET st:secret:token 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff >/dev/null
other_frontend legacy
check_eq "the legacy key is deleted at start" 0 "$(rcli EXISTS st:secret:token)"
check_contains "... and the log says tokens need a new login" \
  "$(cat "$T/logs/frontend-legacy.log")" "removed st:secret:token"
check_eq "... and the first token still works on the first frontend" OK "$(use_token "$SERVER")"
stop_pid "$O_PID"

# No master key: no start.
(
  service_env
  unset STAGE_MASTER_KEY STAGE_MASTER_KEY_FILE
  STAGE_SERVER_LISTEN="127.0.0.1:$(free_port)" STAGE_SERVER_HTTP_LISTEN="127.0.0.1:$(free_port)" \
    timeout 30 "$FRONTEND"
) >"$T/logs/frontend-nokey.log" 2>&1 && rc=0 || rc=$?
check_eq "without a master key the frontend exits 1" 1 "$rc"
check_contains "... naming the variable" "$(cat "$T/logs/frontend-nokey.log")" "STAGE_MASTER_KEY"
e2e_finish
