#!/usr/bin/env bash
# test_ssrf.sh - an external s3:// stage's endpoint_url cannot reach an
# internal address (issue 14 #2). An "internal service" (python http.server on
# 127.0.0.1, serving a secret) stands for a metadata endpoint or an admin port.
# Without 127.0.0.1 in storage.endpoint_allow:
# - CreateStage and AlterStage refuse loopback, private, link-local (the
#   metadata address), CGNAT, multicast, unspecified and IPv4-mapped IPv6
#   endpoints, literal or by name (localhost), INVALID_ARGUMENT naming
#   storage.endpoint_allow, and no request reaches the internal service;
# - the workers refuse to connect at connect time, after DNS: a frontend that
#   allows 127.0.0.1 in front of workers that do not gets the probe refused
#   with the guard's message; a stage stored while the workers allowed it
#   (the operator tightened the list since, or DNS now answers differently)
#   gets DownloadFile (PERMISSION_DENIED), StatFile, ListFiles and UploadFile
#   refused with that message, and none of the internal service's bytes
#   reach the caller.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init ssrf

# --- the internal service: a plain HTTP server that answers path-style GETs
SECRET="internal-secret-$("$PY" -c 'import secrets; print(secrets.token_hex(8))')"
mkdir -p "$T/internal/bkt/data"
printf '%s\n' "$SECRET" >"$T/internal/bkt/data/secret.txt"
IPORT=$(free_port)
"$PY" -m http.server --bind 127.0.0.1 --directory "$T/internal" "$IPORT" >"$T/logs/internal.log" 2>&1 &
E2E_PIDS+=("$!")
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$IPORT/" && break
  sleep 0.1
done
check_eq "the internal service serves the secret" "$SECRET" \
  "$(curl -s "http://127.0.0.1:$IPORT/bkt/data/secret.txt" || true)"
: >"$T/logs/internal.log"
internal_requests() { grep -c '"[A-Z]* /' "$T/logs/internal.log" || true; }
E2E_SECRETS+=("$SECRET") # scan_secrets: not in any log, nor in Redis

# The stack allows something (so the list is in use), just not loopback.
E2E_ENDPOINT_ALLOW="192.0.2.0/24,s3.example.internal"
e2e_start
login_root
W="$T/work"
KEYS=(--conn access_key_id=AK --conn secret_access_key=SK)

# --- CreateStage: every internal endpoint refused before any connection
bad_endpoints=(
  "http://127.0.0.1:$IPORT|loopback"
  "http://127.1.2.3:$IPORT|loopback"
  "http://localhost:$IPORT|loopback"
  "http://[::1]:$IPORT|loopback"
  "http://[::ffff:127.0.0.1]:$IPORT|loopback"
  "http://169.254.169.254|cloud metadata"
  "http://169.254.1.1:80|link-local"
  "http://[fe80::1]:80|link-local"
  "http://10.1.2.3:9000|private"
  "http://172.16.0.1|private"
  "https://192.168.1.1|private"
  "http://[fd00::1]|private"
  "http://100.64.0.1|shared (CGNAT)"
  "http://0.0.0.0:$IPORT|unspecified"
  "http://[::]:$IPORT|unspecified"
  "http://224.0.0.1|multicast"
  "http://0x7f000001:$IPORT|loopback"
)
i=0
for e in "${bad_endpoints[@]}"; do
  ep=${e%|*} what=${e##*|}
  i=$((i + 1))
  check_rc "create a stage on $ep" 1 ctl stage create "bad$i" --url s3://bkt/data/ --conn "endpoint_url=$ep" "${KEYS[@]}"
  check_contains "... INVALID_ARGUMENT" "$ERR" "INVALID_ARGUMENT"
  check_contains "... saying why ($what)" "$ERR" " $what address; allow it"
  check_contains "... naming storage.endpoint_allow" "$ERR" "storage.endpoint_allow"
done
check_rc "... and none of them exists" 0 ctl --json stage list
check_eq "... (stage list empty)" "" "$(jget "$OUT" '" ".join(s["name"] for s in j.get("stages", []))')"
check_eq "no request reached the internal service" 0 "$(internal_requests)"

# --- connect time: a frontend that lets 127.0.0.1 through, workers that do not
restart_frontend() {
  stop_pid "$PID_frontend"
  E2E_ENDPOINT_ALLOW=$1 start_frontend
  wait_ready
  export STAGE_SERVER="$SERVER"
}
restart_workers() { # a new worker in place of the old ones (same consumer name)
  local p
  for p in "${WORKER_PIDS[@]}"; do stop_pid "$p"; done
  WORKER_PIDS=()
  WORKER_HTTP_PORTS=()
  E2E_ENDPOINT_ALLOW=$1 start_worker 1
  wait_ready
}
restart_frontend "127.0.0.1"
restart_workers "192.0.2.0/24"
for ep in "http://127.0.0.1:$IPORT" "http://localhost:$IPORT"; do
  check_rc "create a stage on $ep (the frontend allows it, the worker does not)" 1 \
    ctl stage create conn1 --url s3://bkt/data/ --conn "endpoint_url=$ep" "${KEYS[@]}"
  check_contains "... FAILED_PRECONDITION (the probe failed)" "$ERR" "FAILED_PRECONDITION"
  check_contains "... with the worker's reason" "$ERR" "is a loopback address; allow it with storage.endpoint_allow"
  check_eq "... not a generic curl error" "" "$(printf '%s' "$ERR" | grep -o 'curl error' || true)"
done
check_eq "no request reached the internal service" 0 "$(internal_requests)"

# --- a stage stored while everyone allowed the endpoint
printf 'public\n' >"$T/internal/bkt/data/public.txt"
restart_workers "127.0.0.1"
check_rc "create @intl while the worker allows 127.0.0.1" 0 \
  ctl stage create intl --url s3://bkt/data/ --conn "endpoint_url=http://127.0.0.1:$IPORT" "${KEYS[@]}"
check_rc "... its files are reachable then" 0 ctl get @intl/public.txt -
check_eq "... (as the operator allowed it)" "public" "$OUT"

# AlterStage on a frontend that no longer allows it
restart_frontend "192.0.2.0/24"
for ep in "http://[::1]:$IPORT" "http://169.254.169.254"; do
  check_rc "alter @intl to $ep" 1 ctl stage alter intl --conn "endpoint_url=$ep" "${KEYS[@]}"
  check_contains "... INVALID_ARGUMENT" "$ERR" "INVALID_ARGUMENT"
  check_contains "... naming storage.endpoint_allow" "$ERR" "storage.endpoint_allow"
done
check_rc "... @intl keeps its endpoint" 0 ctl --json stage desc intl
check_eq "... (DescribeStage)" "http://127.0.0.1:$IPORT" "$(jget "$OUT" 'j.get("stage", j)["endpoint"]')"

# The worker no longer allows 127.0.0.1 either (the operator tightened the
# list, or the name now resolves elsewhere): refused at connect time.
restart_workers "192.0.2.0/24"
: >"$T/logs/internal.log"
printf 'new\n' >"$W/new.txt"
check_rc "get @intl/secret.txt" 1 ctl get @intl/secret.txt -
check_contains "... PERMISSION_DENIED" "$ERR" "PERMISSION_DENIED"
check_contains "... refused by the worker's guard" "$ERR" "endpoint 127.0.0.1 is a loopback address; allow it with storage.endpoint_allow"
check_eq "... no byte of the internal reply" "" "$(printf '%s%s' "$OUT" "$ERR" | grep -o "$SECRET" || true)"
check_rc "stat @intl/secret.txt" 1 ctl stat @intl/secret.txt
check_contains "... refused by the worker's guard" "$ERR" "allow it with storage.endpoint_allow"
check_rc "ls @intl/" 1 ctl ls @intl/
check_contains "... refused by the worker's guard" "$ERR" "allow it with storage.endpoint_allow"
check_rc "put @intl/new.txt" 1 ctl put "$W/new.txt" @intl/new.txt
check_contains "... refused by the worker's guard" "$ERR" "allow it with storage.endpoint_allow"
check_rc "DownloadFile (Python client)" 0 pyrun <<'EOF'
import os
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
try:
    data = c.download("@intl/secret.txt")
    print("FAIL: got %d bytes" % len(data))
    raise SystemExit(1)
except sc.StageError as e:
    print(e.code, e.message)
    raise SystemExit(0 if e.code == "PERMISSION_DENIED" and
                     "storage.endpoint_allow" in e.message else 1)
EOF
check_eq "... no byte of the internal reply" "" "$(printf '%s' "$OUT" | grep -o "$SECRET" || true)"
check_eq "no request reached the internal service" 0 "$(internal_requests)"

e2e_finish
