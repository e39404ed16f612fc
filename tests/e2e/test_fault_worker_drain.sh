#!/usr/bin/env bash
# test_fault_worker_drain.sh - SIGTERM on a worker running an upload:
#  1. worker.drain_timeout_s 30: it takes no new job (a new upload runs on the
#     other worker), finishes the running one (SUCCEEDED, 1 attempt) and exits 0;
#  2. worker.drain_timeout_s 1 and an upload that outlasts it: the job is
#     handed back, the worker exits 0 within the drain, and the other worker
#     resumes the job (its entry is marked idle, so without waiting a lease) (2 attempts, SUCCEEDED, the source's sha256).
# No temp files, parts or pending entries are left.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
export STAGE_JOBS_LEASE_MS=2000
e2e_init fault_worker_drain
e2e_start
login_root
now_ms() { date +%s%3N; }
field() { rcli HGET "st:job:$1" "$2"; }
declare -A PID_OF=([e2e-worker-1]=${WORKER_PIDS[0]} [e2e-worker-2]=${WORKER_PIDS[1]})
W="$T/work"
mkrand "$W/src.bin" $((60 << 20))
WANT=$(sha "$W/src.bin")

# slow_upload MS LOC OUT: src.bin at 1 MiB per MS ms, in the background.
slow_upload() {
  pyrun "$W/src.bin" "$1" "$2" "$3" <<'EOF' &
import os, sys, time
import stageclient as sc
src, ms, loc, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
def reqs():
    yield sc.pb.UploadFileRequest(header=sc.pb.UploadHeader(location=loc, wait=True))
    with open(src, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            yield sc.pb.UploadFileRequest(chunk=b)
            time.sleep(ms / 1000)
try:
    res = sc.STATE[c._upload_callable()(reqs(), metadata=c.metadata(), timeout=120).job.state]
except Exception as e:
    res = "ERR %s" % e
with open(out, "w") as f:
    f.write(res + "\n")
EOF
  CLIENT=$!
}
# newest job id once its worker confirmed $1 parts
running_job() {
  local before=$2 job=""
  for _ in $(seq 400); do
    [ "$(rcli ZCARD st:jobs:root)" -gt "$before" ] && job=$(rcli ZRANGE st:jobs:root -1 -1)
    [ -n "$job" ] && [ "$(field "$job" parts_done)" -ge "$1" ] 2>/dev/null && break
    sleep 0.05
  done
  echo "$job"
}

# ---------------------------------------------------------- 1: finish in the drain
before=$(rcli ZCARD st:jobs:root)
slow_upload 30 "@~/drain/a.bin" "$T/a.txt"
ca=$CLIENT
job=$(running_job 1 "$before")
owner=$(field "$job" worker)
victim=${PID_OF[$owner]}
kill -TERM "$victim"
log "1: SIGTERM to $owner (pid $victim) while it runs job $job"
sleep 0.3
if alive "$victim"; then pass "1: the worker drains"; else fail "1: the worker exited at once"; fi
echo "a small file" >"$W/small.txt"
check_rc "1: a new upload during the drain" 0 py upload "$W/small.txt" "@~/drain/new.txt"
newjob=$(rcli ZRANGE st:jobs:root -1 -1)
check_ne "1: the new job ran on the other worker" "$owner" "$(field "$newjob" worker)"
wait "$ca" || true
check_eq "1: the running upload SUCCEEDED" SUCCEEDED "$(cat "$T/a.txt")"
check_eq "1: one attempt (not handed back)" 1 "$(field "$job" attempts)"
check_eq "1: it ran on the draining worker" "$owner" "$(field "$job" worker)"
check_eq "1: stored sha256" "$WANT" "$(sha "$(stage_path drain/a.bin)")"
rc=0
wait "$victim" || rc=$?
check_eq "1: the drained worker exited 0" 0 "$rc"

# ---------------------------------------------------------- 2: hand back
survivor=${WORKER_PIDS[0]}
[ "$survivor" = "$victim" ] && survivor=${WORKER_PIDS[1]}
STAGE_WORKER_DRAIN_TIMEOUT_S=1 start_worker 3
short=${WORKER_PIDS[-1]}
for _ in $(seq 100); do
  rcli XINFO CONSUMERS st:q workers | grep -q e2e-worker-3 && break
  sleep 0.1
done
kill -STOP "$survivor" # the next job goes to worker 3
before=$(rcli ZCARD st:jobs:root)
slow_upload 80 "@~/drain/b.bin" "$T/b.txt"
cb=$CLIENT
job=$(running_job 2 "$before")
check_eq "2: the job runs on worker 3" e2e-worker-3 "$(field "$job" worker)"
kill -CONT "$survivor"
kill -TERM "$short"
t0=$(now_ms)
rc=0
wait "$short" || rc=$?
exited=$(($(now_ms) - t0))
at_exit=$(field "$job" state)
log "2: worker 3 exited $rc after $exited ms (drain 1 s), job $job at part $(field "$job" parts_done), $at_exit"
check_eq "2: the worker exited 0" 0 "$rc"
# it gave up at the drain instead of finishing the job: when it had exited
# the job was unfinished (the client still streams; the figure is logged)
check_ne "2: it exited before the job ended (handed back, not finished)" SUCCEEDED "$at_exit"
resumed=""
for _ in $(seq 200); do
  w=$(field "$job" worker)
  if [ "$w" != e2e-worker-3 ] && [ "$(field "$job" state)" != QUEUED ]; then
    resumed=$(($(now_ms) - t0))
    break
  fi
  sleep 0.025
done
check_ne "2: resumed by the other worker" "" "$resumed"
wait "$cb" || true
check_eq "2: the handed-back upload SUCCEEDED" SUCCEEDED "$(cat "$T/b.txt")"
check_eq "2: two attempts" 2 "$(field "$job" attempts)"
check_eq "2: stored sha256" "$WANT" "$(sha "$(stage_path drain/b.bin)")"

sleep 0.3
tmps=$(find "$DATA/.tmp" -type f | wc -l)
parts=$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)
check_eq "no temp files" 0 "$tmps"
check_eq "no parts left in Redis" 0 "$parts"
check_eq "no pending stream entries" 0 "$(rcli XPENDING st:q workers | head -1)"
log "SUMMARY: worker drain: finished in the drain 1/1, handed back and resumed 1/1" \
  "(exit after ${exited} ms with drain 1 s, resumed ${resumed:-never} ms after SIGTERM)," \
  "exit codes 0, jobs lost 0, leftover parts $parts, temp files $tmps"
e2e_finish
