#!/usr/bin/env bash
# test_fault_backend.sh - the fs backend fails for a while (its temp
# directory replaced by a plain file, which fails even for root): for less
# than the retry budget the upload is retried with backoff and SUCCEEDS,
# with the failure visible as the last error while it waits; for longer it
# ends FAILED "gave up after 5 attempts" naming the cause. --long repeats it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=1
[ "${1:-}" = --long ] && ROUNDS=5
# backoff 200, 400, 800, 1600 ms with jitter in [d/2, d]: 1.5 .. 3 s in all
export STAGE_JOBS_RETRY_BASE_MS=200 STAGE_JOBS_RETRY_MAX_MS=2000 STAGE_JOBS_MAX_ATTEMPTS=5
e2e_init fault_backend
e2e_start
login_root

W="$T/work"
mkrand "$W/src.bin" $((3 << 20))
WANT=$(sha "$W/src.bin")
break_fs() { rm -rf "$DATA/.tmp" && : >"$DATA/.tmp"; }
mend_fs() { rm -f "$DATA/.tmp" && mkdir -p "$DATA/.tmp"; }

short_ok=0 long_failed=0 lost=0
for k in $(seq "$ROUNDS"); do
  # --- short outage: retried, then SUCCEEDED
  break_fs
  py upload "$W/src.bin" "@~/retry/short$k.bin" >"$T/short.json" 2>"$T/short.err" &
  up=$!
  job=""
  for _ in $(seq 100); do # until the first attempt failed and the job waits
    job=$(rcli ZRANGE st:jobs:root -1 -1)
    [ -n "$job" ] && [ "$(rcli HGET "st:job:$job" attempts)" -ge 1 ] 2>/dev/null &&
      [ "$(rcli HGET "st:job:$job" state)" = QUEUED ] && break
    sleep 0.02
  done
  check_eq "short outage $k: the job waits QUEUED for a retry" QUEUED "$(rcli HGET "st:job:$job" state)"
  check_contains "short outage $k: the last error names the cause" \
    "$(py job "$job")" "Not a directory"
  mend_fs
  wait "$up" || true
  out=$(cat "$T/short.json")
  check_eq "short outage $k: SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]')"
  att=$(jget "$out" 'j["attempts"]')
  check_ne "short outage $k: more than one attempt" 1 "$att"
  got=$(sha "$(stage_path "retry/short$k.bin")" 2>/dev/null || echo missing)
  check_eq "short outage $k: stored sha256" "$WANT" "$got"
  if [ "$(jget "$out" 'j["state"]')" = SUCCEEDED ] && [ "$got" = "$WANT" ]; then
    short_ok=$((short_ok + 1))
  else
    lost=$((lost + 1))
  fi

  # --- long outage: FAILED after jobs.max_attempts, naming the cause
  break_fs
  rc=0
  py upload "$W/src.bin" "@~/retry/long$k.bin" >"$T/long.json" 2>"$T/long.err" || rc=$?
  mend_fs
  check_ne "long outage $k: the upload call fails" 0 "$rc"
  job=$(rcli ZRANGE st:jobs:root -1 -1)
  out=$(py job "$job")
  check_eq "long outage $k: FAILED" FAILED "$(jget "$out" 'j["state"]')"
  check_eq "long outage $k: 5 attempts" 5 "$(jget "$out" 'j["attempts"]')"
  check_contains "long outage $k: message says it gave up" "$out" "gave up after 5 attempts"
  check_contains "long outage $k: message names the cause" "$out" "Not a directory"
  check_eq "long outage $k: no file" "" "$(ls "$(stage_path "retry/long$k.bin")" 2>/dev/null)"
  [ "$(jget "$out" 'j["state"]')" = FAILED ] && long_failed=$((long_failed + 1))
done
sleep 0.3
tmps=$(find "$DATA/.tmp" -type f | wc -l)
parts=$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)
check_eq "no temp files" 0 "$tmps"
check_eq "no parts left in Redis" 0 "$parts"
check_eq "stream empty" 0 "$(rcli XLEN st:q)"
check_eq "no pending stream entries" 0 "$(rcli XPENDING st:q workers | head -1)"
log "SUMMARY: backend outage: short outages SUCCEEDED $short_ok/$ROUNDS, long outages FAILED" \
  "naming the cause $long_failed/$ROUNDS, jobs lost $lost, leftover parts $parts, temp files $tmps"
e2e_finish
