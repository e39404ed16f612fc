#!/usr/bin/env bash
# The authorization matrix of issue 4 (tests/e2e/authz_matrix.py): every RPC
# x {admin, owner, READ grantee, WRITE grantee, ALL grantee (with CREATE_STAGE:
# still no drop, alter or or_replace, issue 14 #10), no grant, another user's @~,
# no credentials, expired token, dropped user's token, token from before a
# password change} -> expected status; refused calls change nothing in Redis
# or on disk. A second frontend with auth.token_ttl_s=1 issues the token that
# expires. With the S3 emulator installed, a third frontend stores into it so
# that PresignFile is checked with real URLs (fetched and compared).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init authz_matrix
HAVE_S3=0
if [ -f "${STAGE_EMU_DIR:-/var/tmp/stage-emulators}/s3rver.js" ] && command -v node >/dev/null; then
  start_s3rver ""
  HAVE_S3=1
fi
E2E_SECRETS+=(pw-xxxxxxxx pw-victim pw-expiry another-password pw-made)
e2e_start

SHORT_PORT=$(free_port)
(
  service_env
  STAGE_AUTH_TOKEN_TTL_S=1 STAGE_SERVER_LISTEN="127.0.0.1:$SHORT_PORT" \
    STAGE_SERVER_HTTP_LISTEN="127.0.0.1:$(free_port)" exec "$FRONTEND"
) >"$T/logs/frontend-short.log" 2>&1 &
E2E_PIDS+=("$!")
for _ in $(seq 100); do
  "$PY" "$E2E_DIR/stageclient.py" --server "127.0.0.1:$SHORT_PORT" health 2>/dev/null | grep -q SERVING && break
  sleep 0.2
done

# PresignFile is served for S3 storage only: a third frontend on the same Redis
# stores into the S3 emulator (its tokens are the same).
E2E_PRESIGN_SERVER=""
if [ "$HAVE_S3" = 1 ]; then
  E2E_PRESIGN_SERVER="127.0.0.1:$(free_port)"
  (
    service_env
    export STAGE_STORAGE_TYPE=s3 STAGE_STORAGE_S3_BUCKET="$S3_BUCKET" STAGE_STORAGE_S3_ENDPOINT_URL="$S3_ENDPOINT"
    export STAGE_STORAGE_S3_ACCESS_KEY_ID=S3RVER STAGE_STORAGE_S3_SECRET_ACCESS_KEY=S3RVER
    STAGE_SERVER_LISTEN="$E2E_PRESIGN_SERVER" STAGE_SERVER_HTTP_LISTEN="127.0.0.1:$(free_port)" exec "$FRONTEND"
  ) >"$T/logs/frontend-s3.log" 2>&1 &
  E2E_PIDS+=("$!")
  for _ in $(seq 100); do
    "$PY" "$E2E_DIR/stageclient.py" --server "$E2E_PRESIGN_SERVER" health 2>/dev/null | grep -q SERVING && break
    sleep 0.2
  done
else
  log "no S3 emulator: PresignFile checked on the fs storage"
fi
export E2E_PRESIGN_SERVER

rc=0
E2E_SERVER_SHORT="127.0.0.1:$SHORT_PORT" pyrun <"$E2E_DIR/authz_matrix.py" >"$T/matrix.out" 2>&1 || rc=$?
cat "$T/matrix.out"
check_eq "authz matrix: every case as expected" 0 "$rc"
check_contains "authz matrix ran" "$(cat "$T/matrix.out")" "authz matrix:"
e2e_finish
