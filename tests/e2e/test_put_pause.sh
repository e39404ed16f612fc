#!/usr/bin/env bash
# test_put_pause.sh - a paused resumable upload holds no worker slot
# (docs/jobs.md "Resumable uploads"), on fs (and on S3 as e2e.s3.put_pause).
# One worker with worker.concurrency 1: a `stagectl put` through a
# throttling proxy (throttleproxy.py) is killed -9 mid-file; its run parks
# the job (QUEUED, in st:paused, no stream entry, nothing pending) and a
# second upload runs and SUCCEEDS on that worker while the first is still
# PAUSED, and still after a kill -9 and restart of Redis (AOF, appendfsync
# always). 250 newer jobs push it off the first ListJobs page; ListJobs'
# paused and location filters find it (also stagectl job list --paused and
# --location). The first worker is stopped and
# another started: `put --resume` (which pages through the filtered list)
# goes on on the new worker and the stored file has the local sha256
# (sha256sum of the fs file; boto3 on S3). With a short window a parked
# upload expires with no worker running it: the worker that parked it is
# killed -9, and a sweep (worker/psweep.c) of a new worker fails it; its
# temp file (fs) or multipart upload (S3, the emulator's log) and its parts
# in Redis are gone. A parked upload that is cancelled is swept out too.
# Every wait is bounded; nothing is timed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=resumelib.sh
. "$(dirname "$0")/resumelib.sh"
[ "$E2E_STORAGE" = s3 ] && export E2E_S3_LOG=1
export STAGE_UPLOAD_RESUME_WINDOW_S=300 STAGE_WORKER_CONCURRENCY=1 E2E_WORKERS=1 E2E_FSYNC=always
e2e_init put_pause
e2e_start
login_root

SIZE=$((32 << 20))
mkrand "$T/work/big.bin" "$SIZE"
LOCAL_SHA=$(sha "$T/work/big.bin")
mkrand "$T/work/small.bin" $((3 << 20))
SMALL_SHA=$(sha "$T/work/small.bin")
PLOG="$T/logs/proxy.log"
: >"$PLOG"

pending() { rcli XPENDING st:q workers | head -1; }

# Wait (bounded) until job $1 is parked: QUEUED and filed in st:paused.
wait_parked() {
  for _ in $(seq 300); do
    [ "$(hget "$1" state)" = QUEUED ] && [ -n "$(rcli ZSCORE st:paused "$1")" ] && return 0
    sleep 0.05
  done
  die "job $1 was not parked (state $(hget "$1" state), paused_until $(hget "$1" paused_until))"
}
# kill -9 a put of big.bin to @~/pause/$1 through the proxy once 8 MiB are in
# Redis; JOB is its job, left paused.
put_and_kill() {
  BEFORE=$(newest)
  "$STAGECTL" --server "$PSERVER" put "$T/work/big.bin" "@~/pause/$1" >"$T/put-$1.out" 2>&1 &
  local put=$!
  wait_new_job
  wait_field_ge "$JOB" parts_ready 4
  kill -9 "$put"
  wait "$put" 2>/dev/null || true
}

start_proxy

# ---------------------------------------------------------- a pause frees the slot
put_and_kill big.bin
JOB1=$JOB
wait_parked "$JOB1"
check_eq "the parked job still names the worker that paused it" e2e-worker-1 "$(hget "$JOB1" worker)"
check_eq "... which holds no stream entry of it (nothing pending)" 0 "$(pending)"
check_eq "... and the job has none in the stream" 0 "$(rcli XLEN st:q)"
check_contains "job list says PAUSED" "$(ctl job list | grep "$JOB1")" "PAUSED"
if [ "$E2E_STORAGE" = fs ]; then
  check_ne "the temp file is kept while parked" 0 "$(find "$DATA/.tmp" -type f | wc -l)"
fi

check_rc "a second upload runs on the one-slot worker while the first is PAUSED" 0 \
  ctl put "$T/work/small.bin" @~/pause/small.bin
check_eq "... and is stored (sha256)" "$SMALL_SHA" "$(sha "$(stage_path pause/small.bin)")"
check_eq "the first job is still parked" QUEUED "$(hget "$JOB1" state)"
check_ne "... and still paused" 0 "$(hget "$JOB1" paused_until)"
check_contains "the worker log says it parked the job" "$(grep "job=$JOB1" "$T/logs/worker1.log")" \
  "parked until a resume"

# ---------------------------------------------------------- Redis restart while parked
kill -KILL "$PID_redis"
wait "$PID_redis" 2>/dev/null || true
restart_redis
check_eq "after a Redis kill -9 and restart (AOF) the job is still parked" QUEUED "$(hget "$JOB1" state)"
check_ne "... in the paused set" "" "$(rcli ZSCORE st:paused "$JOB1")"
for _ in $(seq 100); do # the frontend and the worker reconnect
  ctl job get "$JOB1" >/dev/null 2>&1 && break
  sleep 0.1
done
check_contains "... and still PAUSED to the API" "$(ctl job get "$JOB1")" "PAUSED at"

# ---------------------------------------------------------- more than a page of newer jobs
# 250 REMOVE jobs (dry runs) after the paused one: a single ListJobs page of
# 200 (what put --resume used to read) no longer shows it; the paused and
# location filters find it, and put --resume (below) still does.
check_rc "250 newer jobs; ListJobs filters by paused and location" 0 pyrun "$JOB1" <<'EOF2'
import os, sys
import stageclient as sc
job = sys.argv[1]
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
for i in range(250):
    c.rpc("RemoveFiles", location="@~/pause/none-%d" % i, dry_run=True)
first = c.rpc("ListJobs", page_size=200)
ids = [j.id for j in first.jobs]
assert len(ids) == 200 and job not in ids, "the paused job is on the first page of 200"
got = c.rpc("ListJobs", paused=True, location="@~/pause/big.bin")
assert [j.id for j in got.jobs] == [job], [j.id for j in got.jobs]
assert got.jobs[0].resume_until > 0 and got.jobs[0].resume_offset > 0, got.jobs[0]
other = c.rpc("ListJobs", paused=True, location="@~/pause/other.bin")
assert len(other.jobs) == 0, other
print("first page without it; the filtered list finds", job)
EOF2
check_rc "stagectl job list --paused" 0 ctl job list --paused --limit 0 --json
check_eq "... shows the paused job and no other (not the 250 newer, not the finished upload)" \
  "$JOB1" "$(jget "$OUT" '" ".join(x["id"] for x in j["jobs"])')"
check_rc "stagectl job list --paused, as a table" 0 ctl job list --paused
check_eq "... one row: the paused job, PAUSED" "$JOB1 PAUSED" \
  "$(awk 'NR > 1 {print $1, $3}' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')"
check_rc "stagectl job list --location @~/pause/small.bin" 0 ctl job list --location @~/pause/small.bin --json
check_eq "... only the finished upload of small.bin" "SUCCEEDED @~/pause/small.bin" \
  "$(jget "$OUT" '" ".join(x["state"] + " " + x["location"] for x in j["jobs"])')"
check_rc "stagectl job list --paused --location @~/pause/small.bin" 0 ctl job list --paused \
  --location @~/pause/small.bin --json
check_eq "... none: that upload is not paused" 0 "$(jget "$OUT" 'len(j["jobs"])')"

# ---------------------------------------------------------- resume on another worker
stop_pid "${WORKER_PIDS[0]}"
start_worker 2
for _ in $(seq 100); do
  rcli XINFO CONSUMERS st:q workers 2>/dev/null | grep -q e2e-worker-2 && break
  sleep 0.1
done
pctl put "$T/work/big.bin" @~/pause/big.bin --resume >"$T/resume.out" 2>"$T/resume.err" || true
cat "$T/resume.err" "$T/resume.out"
check_contains "put --resume finds the parked job" "$(cat "$T/resume.err")" "resuming job $JOB1 at"
check_eq "the resumed job SUCCEEDED" SUCCEEDED "$(hget "$JOB1" state)"
check_eq "... on the other worker" e2e-worker-2 "$(hget "$JOB1" worker)"
check_eq "... and left the paused set" "" "$(rcli ZSCORE st:paused "$JOB1")"
check_eq "the stored file's sha256 (independent)" "$LOCAL_SHA" "$(sha "$(stage_path pause/big.bin)")"

# ---------------------------------------------------------- the window passes, nobody runs it
for _ in $(seq 600); do # the 250 dry runs ended (a worker deletes a job's entry as it ends)
  [ "$(rcli XLEN st:q)" = 0 ] && break
  sleep 0.1
done
check_eq "every earlier job ended" 0 "$(rcli XLEN st:q)"
stop_pid "$PID_proxy"
stop_pid "$PID_frontend"
export STAGE_UPLOAD_RESUME_WINDOW_S=10
start_frontend
wait_ready
start_proxy
put_and_kill late.bin
JOB2=$JOB
wait_parked "$JOB2"
check_eq "parked: nothing pending" 0 "$(pending)"
kill -KILL "${WORKER_PIDS[1]}" # the worker that parked it; another one expires it
wait "${WORKER_PIDS[1]}" 2>/dev/null || true
start_worker 3
wait_state "$JOB2" "FAILED CANCELLED SUCCEEDED"
check_eq "not resumed within the window -> FAILED" FAILED "$(hget "$JOB2" state)"
check_contains "... saying why" "$(hget "$JOB2" error_message)" "did not resume within"
check_eq "... expired by the sweep of a worker that never ran it" e2e-worker-3 "$(hget "$JOB2" sweeper)"
check_contains "... which says so" "$(grep "job=$JOB2" "$T/logs/worker3.log")" "paused upload expired"
check_eq "... out of the paused set" "" "$(rcli ZSCORE st:paused "$JOB2")"
check_eq "no parts left in Redis" "" "$(rcli --scan --pattern "st:job:$JOB2:part:*")"
check_rc "no late.bin stored" 1 test -e "$(stage_path pause/late.bin)"
if [ "$E2E_STORAGE" = fs ]; then
  check_eq "no temp file left" 0 "$(find "$DATA/.tmp" -type f | wc -l)"
elif [ "$E2E_STORAGE" = s3 ]; then
  # (azblob: uncommitted blocks have no abort call, Azure drops them after 7 days;
  # that no blob was committed is checked above)
  log_s3="$T/logs/s3rver.log"
  ids() { (grep -o "pause/$1?$2uploadId=[^& ]*" "$log_s3" || true) | sed 's/.*uploadId=//' | sort -u; }
  for _ in $(seq 100); do # s3rver logs a request after answering it
    [ -n "$(ids late.bin 'partNumber=[0-9]*&')" ] && [ "$(ids late.bin 'partNumber=[0-9]*&')" = "$(ids late.bin '')" ] && break
    sleep 0.05
  done
  check_ne "late.bin's parts went to a multipart upload" "" "$(ids late.bin 'partNumber=[0-9]*&')"
  check_eq "... which the sweep aborted" "$(ids late.bin 'partNumber=[0-9]*&')" "$(ids late.bin '')"
fi

# ---------------------------------------------------------- cancelled while parked
put_and_kill cancel.bin
JOB3=$JOB
wait_parked "$JOB3"
check_rc "a parked job can be cancelled" 0 ctl job cancel "$JOB3"
check_eq "... CANCELLED" CANCELLED "$(hget "$JOB3" state)"
for _ in $(seq 300); do # the next sweep drops its writer and takes it out of the set
  [ -z "$(rcli ZSCORE st:paused "$JOB3")" ] && break
  sleep 0.1
done
check_eq "... swept out of the paused set" "" "$(rcli ZSCORE st:paused "$JOB3")"
check_eq "... its parts gone" "" "$(rcli --scan --pattern "st:job:$JOB3:part:*")"
if [ "$E2E_STORAGE" = fs ]; then
  check_eq "... and its temp file" 0 "$(find "$DATA/.tmp" -type f | wc -l)"
fi
log "SUMMARY: put_pause ($E2E_STORAGE): a parked upload freed the only slot (a second upload" \
  "ran), resumed on another worker (sha256 ok), expired by a sweep with its writer and parts gone"
e2e_finish
