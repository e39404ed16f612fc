# shellcheck shell=bash disable=SC2153 # SERVER, PY, T: set by lib.sh
# resumelib.sh - sourced after lib.sh (and e2e_init) by the tests of resumable
# uploads (test_put_resume.sh, test_put_pause.sh): a throttling proxy in front
# of the frontend, so that a test can kill a client mid-upload, and bounded
# waits on the job hash.
#   start_proxy           throttleproxy.py (8 MiB/s) to $SERVER; PSERVER is its
#                         address, PLOG its log ("conn N up BYTES" per connection);
#                         stagectl is logged in through it
#   pctl ARGS             stagectl through the proxy
#   newest                the newest job id of root
#   hget JOB FIELD        a field of the job hash
#   wait_new_job          JOB = the newest job of root that differs from $BEFORE
#   wait_field_ge J F N   until field F of job J is at least N
#   wait_state J "S..."   until job J is in one of the states S

start_proxy() {
  rm -f "$T/proxy.addr"
  "$PY" "$E2E_DIR/throttleproxy.py" "$SERVER" 8 "$PLOG" >"$T/proxy.addr" 2>"$T/logs/proxy.err" &
  PID_proxy=$!
  E2E_PIDS+=("$PID_proxy")
  PSERVER=""
  for _ in $(seq 100); do
    PSERVER=$(head -1 "$T/proxy.addr" 2>/dev/null || true)
    [ -n "$PSERVER" ] && break
    sleep 0.1
  done
  [ -n "$PSERVER" ] || die "the proxy did not start: $(cat "$T/logs/proxy.err")"
  pctl login root --password "$ROOT_PW" >/dev/null || die "login through the proxy failed"
}
pctl() { "$STAGECTL" --server "$PSERVER" "$@"; }
newest() { rcli ZRANGE st:jobs:root -1 -1; }
hget() { rcli HGET "st:job:$1" "$2"; }

wait_new_job() {
  JOB=""
  for _ in $(seq 300); do
    JOB=$(newest)
    [ -n "$JOB" ] && [ "$JOB" != "$BEFORE" ] && break
    JOB=""
    sleep 0.05
  done
  [ -n "$JOB" ] || die "no upload job appeared"
}
wait_field_ge() {
  for _ in $(seq 300); do
    [ "$(hget "$1" "$2" || echo 0)" -ge "$3" ] 2>/dev/null && return 0
    sleep 0.05
  done
  die "job $1: $2 did not reach $3 (is $(hget "$1" "$2"))"
}
wait_state() {
  local st=""
  for _ in $(seq 600); do
    st=$(hget "$1" state)
    case " $2 " in *" $st "*) return 0 ;; esac
    sleep 0.1
  done
  die "job $1 is $st, not one of: $2"
}
