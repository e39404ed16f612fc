#!/usr/bin/env bash
# test_reflection.sh - gRPC server reflection (grpc.reflection.v1 and
# v1alpha), by a client that has no stage .proto (reflclient.py):
#  1. list_services names the stage service, health and reflection itself;
#  2. the file containing stage.v1.StageService comes with its imports; a
#     method, an enum (with a leading dot) and a field resolve to their file;
#     unknown symbols and files are NOT_FOUND error responses, the stream
#     goes on; extensions: NOT_FOUND, and an empty number list for a known
#     type;
#  3. a descriptor pool built from the reply makes real calls: Health/Check,
#     Login, ListStages with the token (UNAUTHENTICATED without it);
#  4. reflection itself needs no token; a stream ends RESOURCE_EXHAUSTED
#     after 1024 requests, INVALID_ARGUMENT on bytes that do not parse;
#  5. a client that cancels its open stream: the frontend logs the stream
#     CANCELLED and goes on answering;
#  6. with server.reflection: false (a restarted frontend) both names
#     answer UNIMPLEMENTED, which clients read as "not offered".
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init reflection
e2e_start

for api in v1 v1alpha; do
  check_rc "$api: reflection client (no stage .proto) ran" 0 \
    "$PY" "$E2E_DIR/reflclient.py" --server "$SERVER" --user root --password "$ROOT_PW" --api "$api"
  J=$OUT
  log "$api: $J"
  j() { jget "$J" "$1"; }
  check_eq "$api: the stream of 11 requests ended OK" OK "$(j 'j["stream_status"]')"
  check_eq "$api: one response per request" 11 "$(j 'j["responses"]')"
  check_eq "$api: valid_host echoes the host" h1 "$(j 'j["valid_host"]')"
  check_eq "$api: the request is echoed" stage.v1.StageService "$(j 'j["echoed"]')"
  check_eq "$api: list_services" \
    '["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "stage.v1.StageService"]' \
    "$(j 'sorted(j["services"])')"
  check_eq "$api: file_containing_symbol stage.v1.StageService" '["stage/v1/stage.proto"]' \
    "$(j 'j["stage_files"]')"
  check_eq "$api: file_by_filename health.proto" '["grpc/health/v1/health.proto"]' \
    "$(j 'j["health_files"]')"
  check_eq "$api: unknown symbol: NOT_FOUND" NOT_FOUND "$(j 'j["unknown_symbol"]["code"]')"
  check_contains "$api: unknown symbol: named" "$(j 'j["unknown_symbol"]["message"]')" \
    stage.v1.NoSuchThing
  check_eq "$api: unknown file: NOT_FOUND" NOT_FOUND "$(j 'j["unknown_file"]["code"]')"
  check_eq "$api: a method resolves" stage/v1/stage.proto "$(j 'j["method_file"]')"
  check_eq "$api: an enum (leading dot) resolves" stage/v1/stage.proto "$(j 'j["enum_file"]')"
  check_eq "$api: a field resolves" stage/v1/stage.proto "$(j 'j["field_file"]')"
  check_eq "$api: file_containing_extension: NOT_FOUND" NOT_FOUND "$(j 'j["extension"]["code"]')"
  check_eq "$api: all_extension_numbers_of_type: none" '{"base": "stage.v1.Job", "numbers": []}' \
    "$(j 'j["ext_numbers"]')"
  check_eq "$api: all_extension_numbers_of_type unknown: NOT_FOUND" NOT_FOUND \
    "$(j 'j["ext_unknown_type"]["code"]')"
  check_eq "$api: the pool has the StageService methods" \
    "$(grep -c '^  rpc ' "$STAGE_SRC_DIR/proto/stage/v1/stage.proto")" "$(j 'j["stage_methods"]')"
  check_eq "$api: Health/Check from reflected descriptors" SERVING "$(j 'j["health"]')"
  check_eq "$api: Login from reflected descriptors" True "$(j 'j["login_token"]')"
  check_eq "$api: ListStages from reflected descriptors" stage.v1.ListStagesResponse \
    "$(j 'j["list_stages_type"]')"
  check_eq "$api: ListStages without a token" UNAUTHENTICATED "$(j 'j["list_stages_anonymous"]')"
  check_eq "$api: 1100 requests: 1024 answered" 1024 "$(j 'j["many"]["responses"]')"
  check_eq "$api: 1100 requests: RESOURCE_EXHAUSTED" RESOURCE_EXHAUSTED "$(j 'j["many"]["status"]')"
  check_eq "$api: malformed request: INVALID_ARGUMENT" INVALID_ARGUMENT "$(j 'j["malformed"]')"
  check_eq "$api: an answer before the cancel" list_services_response "$(j 'j["before_cancel"]')"
done

# the frontend writes a call's log line when the call ended: wait for both
# cancelled streams' lines (bounded), then check them
rpc_log="$T/logs/frontend.log"
for _ in $(seq 100); do
  [ "$(grep -cE 'rpc=Reflection/(Info|v1alpha) .*status=CANCELLED' "$rpc_log" || true)" -ge 2 ] && break
  sleep 0.1
done
check_eq "both cancelled streams logged CANCELLED" 2 \
  "$(grep -cE 'rpc=Reflection/(Info|v1alpha) .*status=CANCELLED' "$rpc_log" || true)"
check_eq "no reflection stream ended INTERNAL" 0 \
  "$(grep -cE 'rpc=Reflection/(Info|v1alpha) .*status=INTERNAL' "$rpc_log" || true)"

# grpcurl is not in Debian 12; where it is installed, it must work too
if command -v grpcurl >/dev/null; then
  check_rc "grpcurl list" 0 grpcurl -plaintext "$SERVER" list
  check_contains "grpcurl list names the stage service" "$OUT" stage.v1.StageService
  check_rc "grpcurl describe" 0 grpcurl -plaintext "$SERVER" describe stage.v1.StageService.Login
else
  log "grpcurl not installed: skipped"
fi

check_rc "the frontend still answers Health" 0 py health

stop_pid "$PID_frontend"
# start_frontend truncates frontend.log: keep the first run's (and any
# sanitizer report it ended with) for the secret scan and for a reader
mv "$T/logs/frontend.log" "$T/logs/frontend-reflection-on.log"
STAGE_SERVER_REFLECTION=false start_frontend
wait_ready
for api in v1 v1alpha; do
  check_rc "$api: server.reflection false: the client fails" 1 \
    "$PY" "$E2E_DIR/reflclient.py" --server "$SERVER" --user root --password "$ROOT_PW" --api "$api"
  check_eq "$api: server.reflection false: UNIMPLEMENTED" UNIMPLEMENTED \
    "$(jget "$OUT" 'j["stream_status"]')"
done
check_rc "server.reflection false: Health still answers" 0 py health
e2e_finish
