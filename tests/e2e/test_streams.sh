#!/usr/bin/env bash
# test_streams.sh - the frontend's call model: open streams do not hold the
# server, are bounded per user and per frontend, and end when idle
# (server.stream_idle_timeout_s, server.max_streams_per_user, server.max_streams).
# The clients are tests/e2e/streamprobe.py (grpc.aio, one channel per user).
#  1. alice opens 16 UploadFile streams that send the header and then nothing
#     (server.max_streams_per_user 16). Meanwhile Health/Check, root's GetJob of
#     an existing job and alice's own GetJob answer OK within a 2 s client
#     deadline (latencies printed): unary calls are never refused for streams,
#     and 16 open streams do not block the frontend.
#  2. At the same time alice's 17th stream gets RESOURCE_EXHAUSTED naming
#     server.max_streams_per_user (and creates no job) while root's upload
#     stream goes through.
#  3. After server.stream_idle_timeout_s (3 s) the server cancels the 16
#     uploads: each call ends DEADLINE_EXCEEDED or CANCELLED with "idle" in its
#     message, well within the 30 s client deadline (a ratio of it); their jobs
#     are FAILED with an error naming server.stream_idle_timeout_s; alice can
#     stream again (her count was given back).
# A second frontend (per-user limit above the watchers, server.max_streams =
# watchers + 10, default idle timeout) serves parts 4 and 5:
#  4. 1,000 WatchJob streams on one channel attach to one RUNNING upload job
#     (the test holds its data back), Health/Check and GetJob answer meanwhile;
#     of 20 more watchers those over server.max_streams get RESOURCE_EXHAUSTED
#     naming it; then the upload goes on: every watcher's last message is
#     SUCCEEDED and its stream ends OK.
#  5. 50 watchers attach to a RUNNING upload job, Redis is killed (-9, AOF
#     appendfsync always) and started again a second later, the upload goes on:
#     every watcher's stream stays open across the restart and ends OK with the
#     job's terminal state as its last message.
# E2E_STREAMS_WATCHERS and E2E_STREAMS_RESTART_WATCHERS change N of parts 4, 5.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
IDLE=3
PER_USER=16
DEADLINE=30 # client deadline of the idle uploads
WATCHERS=${E2E_STREAMS_WATCHERS:-1000}
RESTART_WATCHERS=${E2E_STREAMS_RESTART_WATCHERS:-50}
EXTRA=20
ALICE_PW=alice-pw-streams
export STAGE_SERVER_STREAM_IDLE_TIMEOUT_S=$IDLE STAGE_SERVER_MAX_STREAMS_PER_USER=$PER_USER
export E2E_FSYNC=always
E2E_SECRETS+=("$ALICE_PW")
e2e_init streams
e2e_start
login_root

# streamprobe.py with the stack's environment; its last stdout line is JSON.
probe() {
  E2E_SERVER="$SERVER" E2E_ROOT_PW="$ROOT_PW" E2E_ALICE_PW="$ALICE_PW" E2E_REDIS_PORT="$REDIS_PORT" \
    PYTHONPATH="$E2E_DIR${PYTHONPATH:+:$PYTHONPATH}" "$PY" "$E2E_DIR/streamprobe.py" "$@"
}
# jr EXPR: a Python expression over the last probe's JSON ($R).
jr() { jget "$R" "$1"; }

check_rc "user alice" 0 ctl user create alice --password "$ALICE_PW"
printf 'an existing job of root\n' >"$T/work/existing.txt"
check_rc "an existing job of root" 0 py upload "$T/work/existing.txt" "@~/streams/existing.txt"
J0=$(jget "$OUT" 'j["id"]')

# ---------------------------------------------------------- parts 1-3
log "part 1-3: alice opens $PER_USER header-only uploads (idle timeout ${IDLE}s, per-user limit $PER_USER)"
check_rc "idle uploads: the probe ran" 0 probe idle --streams "$PER_USER" --deadline "$DEADLINE" \
  --probe-deadline 2 --existing-job "$J0"
R=$(tail -1 <<<"$OUT")
log "open: ${PER_USER} jobs created in $(jr 'j["jobs_created_ms"]') ms;" \
  "Health/Check $(jr 'j["health"]["code"]') in $(jr 'j["health"]["ms"]') ms," \
  "root GetJob $(jr 'j["root_getjob"]["code"]') in $(jr 'j["root_getjob"]["ms"]') ms," \
  "alice GetJob $(jr 'j["alice_getjob"]["code"]') in $(jr 'j["alice_getjob"]["ms"]') ms," \
  "alice's stream $((PER_USER + 1)) $(jr 'j["over_limit"]["code"]') in $(jr 'j["over_limit"]["ms"]') ms," \
  "root's stream $(jr 'j["root_stream"]["code"]') in $(jr 'j["root_stream"]["ms"]') ms"
check_eq "1: alice's $PER_USER uploads are open (a job each)" "$PER_USER" "$(jr 'j["jobs_created"]')"
check_eq "1: ... and still open when the probes started" "$PER_USER" "$(jr 'j["open_before_probes"]')"
check_eq "1: Health/Check answers OK within 2 s beside them" OK "$(jr 'j["health"]["code"]')"
check_eq "1: Health/Check: SERVING" SERVING "$(jr 'j["health"].get("status")')"
check_eq "1: root's GetJob answers OK within 2 s" OK "$(jr 'j["root_getjob"]["code"]')"
check_eq "1: alice's own GetJob (unary, at her stream limit) answers OK within 2 s" OK \
  "$(jr 'j["alice_getjob"]["code"]')"
check_eq "1-2: the $PER_USER streams were still open after the probes (the probes are meaningful)" \
  "$PER_USER" "$(jr 'j["open_after_probes"]')"
check_eq "2: alice's stream $((PER_USER + 1)): RESOURCE_EXHAUSTED" RESOURCE_EXHAUSTED \
  "$(jr 'j["over_limit"]["code"]')"
check_contains "2: ... naming server.max_streams_per_user" "$(jr 'j["over_limit"]["details"]')" \
  server.max_streams_per_user
check_eq "2: ... and no job for it" "$PER_USER" "$(jr 'j["alice_jobs_after_probes"]')"
check_eq "2: root's upload stream at the same time: OK" OK "$(jr 'j["root_stream"]["code"]')"
log "ends of the idle uploads: $(jr 'j["min_end_s"]')-$(jr 'j["max_end_s"]') s after each opened" \
  "($(jr 'j["max_end_pct"]')% of the ${DEADLINE}s client deadline), codes $(jr 'j["codes"]')," \
  "messages $(jr 'j["details"]')"
check_eq "3: every idle upload ended DEADLINE_EXCEEDED or CANCELLED" "" \
  "$(jr '" ".join(c for c in j["codes"] if c not in ("DEADLINE_EXCEEDED", "CANCELLED"))')"
check_eq "3: ... with 'idle' in its message" "$PER_USER" "$(jr 'j["idle_in_details"]')"
check_le "3: ... the server ended them, not the client's deadline (% of it)" 50 "$(jr 'j["max_end_pct"]')"
log "their jobs: $(jr 'j["job_states"]'), errors $(jr 'j["job_errors"]')"
check_eq "3: their jobs are FAILED" "$PER_USER" "$(jr 'j["jobs_failed"]')"
check_eq "3: ... with 'idle' in error_message" "$PER_USER" "$(jr 'j["jobs_idle"]')"
check_eq "3: ... naming server.stream_idle_timeout_s" "$PER_USER" "$(jr 'j["jobs_name_key"]')"
check_eq "3: alice streams again afterwards (her count was given back)" OK \
  "$(jr 'j["alice_again"]["code"]')"

# ---------------------------------------------------------- a second frontend for 4-5
MAX_STREAMS=$(((WATCHERS > RESTART_WATCHERS ? WATCHERS : RESTART_WATCHERS) + 10))
stop_pid "$PID_frontend"
GRPC_PORT=$(free_port)
HTTP_PORT=$(free_port)
SERVER="127.0.0.1:$GRPC_PORT"
(
  service_env
  unset STAGE_SERVER_STREAM_IDLE_TIMEOUT_S # the default (60 s)
  export STAGE_SERVER_MAX_STREAMS_PER_USER=$((MAX_STREAMS + 100)) STAGE_SERVER_MAX_STREAMS=$MAX_STREAMS
  STAGE_SERVER_LISTEN="$SERVER" STAGE_SERVER_HTTP_LISTEN="127.0.0.1:$HTTP_PORT" exec "$FRONTEND"
) >"$T/logs/frontend-2.log" 2>&1 &
PID_frontend=$!
E2E_PIDS+=("$PID_frontend")
wait_ready
export STAGE_SERVER="$SERVER"
log "second frontend: server.max_streams $MAX_STREAMS, server.max_streams_per_user $((MAX_STREAMS + 100))"

# ---------------------------------------------------------- part 4
check_rc "4: $WATCHERS watchers: the probe ran" 0 probe watch --watchers "$WATCHERS" --mib 4 \
  --extra "$EXTRA" --tag many --attach-timeout 30 --http "127.0.0.1:$HTTP_PORT"
R=$(tail -1 <<<"$OUT")
log "watchers: $(jr 'j["attached_running"]') of $WATCHERS attached to the RUNNING job in" \
  "$(jr 'j["attach_ms"]') ms (slowest first message $(jr 'j["first_ms_max"]') ms);" \
  "beside them Health/Check $(jr 'j["health"]["code"]') in $(jr 'j["health"]["ms"]') ms," \
  "GetJob $(jr 'j["getjob"]["code"]') in $(jr 'j["getjob"]["ms"]') ms;" \
  "extra watchers: $(jr 'j["extra"]["accepted"]') accepted, $(jr 'j["extra"]["refused"]') refused" \
  "$(jr 'j["extra"]["refused_codes"]') $(jr 'j["extra"]["refused_details"]')"
check_eq "4: the watched job was RUNNING when the watchers came" RUNNING "$(jr 'j["job_state_before"]')"
check_eq "4: all $WATCHERS watchers attached while it ran (a first, non-terminal message)" \
  "$WATCHERS" "$(jr 'j["attached_running"]')"
check_eq "4: Health/Check answers OK within 2 s beside them" OK "$(jr 'j["health"]["code"]')"
check_eq "4: GetJob answers OK within 2 s beside them" OK "$(jr 'j["getjob"]["code"]')"
check_ne "4: watchers over server.max_streams ($MAX_STREAMS) are refused" 0 "$(jr 'j["extra"]["refused"]')"
check_eq "4: ... RESOURCE_EXHAUSTED" '["RESOURCE_EXHAUSTED"]' "$(jr 'j["extra"]["refused_codes"]')"
check_contains "4: ... naming server.max_streams" "$(jr 'j["extra"]["refused_details"]')" "server.max_streams"
check_eq "4: at the limit, readiness (Health for stage.v1.StageService) is NOT_SERVING" \
  NOT_SERVING "$(jr 'j["saturated_ready"].get("status")')"
check_eq "4: ... liveness (Health for \"\") stays SERVING" SERVING "$(jr 'j["saturated_live"].get("status")')"
check_eq "4: ... and /readyz answers 503" 503 "$(jr 'j.get("saturated_readyz")')"
check_eq "4: ... not the per-user limit" False \
  "$(jr 'any("max_streams_per_user" in d for d in j["extra"]["refused_details"])')"
check_le "4: ... and no more accepted than the limit leaves room for" $((MAX_STREAMS - WATCHERS - 1)) \
  "$(jr 'j["extra"]["accepted"]')"
log "end: upload call $(jr 'j["upload_call"]'), job $(jr 'j["final"]') after $(jr 'j["end_ms"]') ms;" \
  "watchers' statuses $(jr 'j["result"]["codes"]'), last messages $(jr 'j["result"]["last_states"]')," \
  "$(jr 'j["result"]["messages"]') messages in all; errors $(jr 'j["result"]["errors"]')"
check_eq "4: the job SUCCEEDED" SUCCEEDED "$(jr 'j["final"]')"
check_eq "4: every watcher's last message is SUCCEEDED and its stream ended OK" "$WATCHERS" \
  "$(jr 'j["result"]["ok_with_final"]')"
check_eq "4: ... the extra watchers that were accepted too" "$(jr 'j["extra"]["accepted"]')" \
  "$(jr 'j["extra"]["result"]["ok_with_final"]')"
W4="$(jr 'j["result"]["ok_with_final"]')/$WATCHERS"

# ---------------------------------------------------------- part 5
rm -f "$T/ready" "$T/go"
probe watch --watchers "$RESTART_WATCHERS" --mib 4 --tag restart --ready "$T/ready" --go "$T/go" \
  --attach-timeout 15 >"$T/p5.out" 2>"$T/p5.err" &
p5=$!
for _ in $(seq 600); do
  [ -e "$T/ready" ] && break
  alive "$p5" || break
  sleep 0.1
done
check_eq "5: the watchers are attached before the restart" "$RESTART_WATCHERS" \
  "$(jget "$(cat "$T/ready" 2>/dev/null || echo '{}')" 'j["attached_running"]')"
kill -KILL "$PID_redis"
wait "$PID_redis" 2>/dev/null || true
log "redis-server killed (-9) with $RESTART_WATCHERS watchers waiting; down for 1 s"
sleep 1
restart_redis
log "redis-server restarted; the upload goes on"
touch "$T/go"
rc=0
wait "$p5" || rc=$?
check_eq "5: the probe ran" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$(tail -20 "$T/p5.err")" >&2
R=$(tail -1 "$T/p5.out")
log "restart: upload call $(jr 'j["upload_call"]') after $(jr 'j["upload_mib_sent"]') MiB," \
  "job $(jr 'j["final"]')$(jr '" (cancelled: %s)" % j["cancelled"] if "cancelled" in j else ""');" \
  "watchers' statuses $(jr 'j["result"]["codes"]'), last messages $(jr 'j["result"]["last_states"]');" \
  "errors $(jr 'j["result"]["errors"]')"
check_eq "5: the watchers' streams were open across the restart" "$RESTART_WATCHERS" \
  "$(jr 'j["open_after_go"]')"
check_contains "5: the job ended (SUCCEEDED, FAILED or CANCELLED)" " SUCCEEDED FAILED CANCELLED " \
  " $(jr 'j["final"]') "
check_eq "5: every watcher's last message is that terminal state and its stream ended OK" \
  "$RESTART_WATCHERS" "$(jr 'j["result"]["ok_with_final"]')"
W5="$(jr 'j["result"]["ok_with_final"]')/$RESTART_WATCHERS"
F5=$(jr 'j["final"]')

if alive "$PID_frontend"; then pass "the frontend is still running"; else fail "the frontend exited"; fi
check_rc "Health/Check after everything" 0 py health
check_contains "... SERVING" "$OUT" '"SERVING"'
log "SUMMARY: streams: $PER_USER idle uploads open, unary probes answered," \
  "the over-limit stream refused, idle uploads ended by the server," \
  "watchers with the terminal state: $W4 (part 4), $W5 across a Redis restart (job $F5)"
e2e_finish
