#!/usr/bin/env bash
# The authorization matrix of issue 4 (tests/e2e/authz_matrix.py): every RPC
# x {admin, owner, READ grantee, WRITE grantee, no grant, another user's @~,
# no credentials, expired token, dropped user's token, token from before a
# password change} -> expected status; refused calls change nothing in Redis
# or on disk. A second frontend with auth.token_ttl_s=1 issues the token that
# expires.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init authz_matrix
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

rc=0
E2E_SERVER_SHORT="127.0.0.1:$SHORT_PORT" pyrun <"$E2E_DIR/authz_matrix.py" >"$T/matrix.out" 2>&1 || rc=$?
cat "$T/matrix.out"
check_eq "authz matrix: every case as expected" 0 "$rc"
check_contains "authz matrix ran" "$(cat "$T/matrix.out")" "authz matrix:"
e2e_finish
