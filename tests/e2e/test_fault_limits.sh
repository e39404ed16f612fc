#!/usr/bin/env bash
# test_fault_limits.sh - limits that protect Redis when workers fall behind
# (here: stopped with SIGSTOP):
#  - upload.max_inflight_bytes (6 parts): upload A fills its window (4
#    parts), upload B gets 2 parts in and then waits for its own parts to be
#    stored, a new upload C gets RESOURCE_EXHAUSTED naming the setting (and no
#    job); the upload bytes in Redis (STRLEN of the parts) stay within the
#    limit; once the workers go on A and B succeed and C is accepted;
#  - jobs.max_queue: with 5 jobs not ended, the 6th gets RESOURCE_EXHAUSTED
#    "job queue is full"; once the workers go on, every accepted job succeeds
#    and new ones are accepted;
#  - jobs.retention_s: an ended job (and its idempotency key) expire from
#    Redis after the retention; GetJob then answers NOT_FOUND.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PART=65536
LIMIT=$((6 * PART))
RETENTION=4
export STAGE_UPLOAD_PART_SIZE=$PART STAGE_UPLOAD_WINDOW=4 STAGE_UPLOAD_MAX_INFLIGHT_BYTES=$LIMIT
export STAGE_JOBS_MAX_QUEUE=5 STAGE_JOBS_RETENTION_S=$RETENTION
e2e_init fault_limits
e2e_start
login_root
stop_workers() { for p in "${WORKER_PIDS[@]}"; do kill -STOP "$p"; done; }
cont_workers() { for p in "${WORKER_PIDS[@]}"; do kill -CONT "$p"; done; }
part_bytes() { # bytes of every upload part in Redis
  local n=0 k
  for k in $(rcli --scan --pattern 'st:job:*:part:*'); do n=$((n + $(rcli STRLEN "$k"))); done
  echo "$n"
}

# ---------------------------------------------------------- bytes in flight
W="$T/work"
mkrand "$W/big.bin" $((16 * PART + 1000))
stop_workers
py upload "$W/big.bin" "@~/lim/big.bin" >"$T/big.json" 2>&1 &
big=$!
for _ in $(seq 200); do # the window of the big upload is full
  [ "$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)" -ge 4 ] && break
  sleep 0.05
done
py upload "$W/big.bin" "@~/lim/b.bin" >"$T/b.json" 2>&1 &
b=$!
for _ in $(seq 200); do # B got what fits
  [ "$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)" -ge 6 ] && break
  sleep 0.05
done
sleep 0.5
inredis=$(part_bytes)
log "upload bytes in Redis with the workers stopped: $inredis (limit $LIMIT)"
check_le "parts in Redis within upload.max_inflight_bytes" "$LIMIT" "$inredis"
check_eq "B got a part in beside A's window" 6 "$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)"
check_contains "the frontend's gauge counts them" "$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics")" \
  "stage_frontend_upload_inflight_bytes $inredis"
jobs_before=$(rcli ZCARD st:jobs:root)
check_rc "a new upload while the frontend is full" 1 py upload "$W/big.bin" "@~/lim/second.bin"
check_eq "refused: RESOURCE_EXHAUSTED" RESOURCE_EXHAUSTED "$(jget "$OUT" 'j["error"]["code"]')"
check_contains "refused: names the setting" "$OUT" "upload.max_inflight_bytes"
check_eq "refused: no job created" "$jobs_before" "$(rcli ZCARD st:jobs:root)"
cont_workers
wait "$big" || true
wait "$b" || true
check_eq "upload A SUCCEEDED" SUCCEEDED "$(jget "$(cat "$T/big.json")" 'j["state"]')"
check_eq "upload B SUCCEEDED" SUCCEEDED "$(jget "$(cat "$T/b.json")" 'j["state"]')"
check_eq "A stored" "$(sha "$W/big.bin")" "$(sha "$(stage_path lim/big.bin)")"
check_eq "B stored" "$(sha "$W/big.bin")" "$(sha "$(stage_path lim/b.bin)")"
check_rc "the refused upload again, now accepted" 0 py upload "$W/big.bin" "@~/lim/second.bin"
check_contains "the gauge is back to 0" "$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics")" \
  "stage_frontend_upload_inflight_bytes 0"
check_eq "stored" "$(sha "$W/big.bin")" "$(sha "$(stage_path lim/second.bin)")"

# ---------------------------------------------------------- queue limit
stop_workers
check_rc "5 jobs while the workers are stopped" 0 pyrun "$T/q.txt" <<'EOF'
import os, sys
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
with open(sys.argv[1], "w") as f:
    for i in range(5):
        j = c.upload("@~/lim/q%d.txt" % i, b"queued %d" % i, wait=False, idempotency_key="q%d" % i)
        f.write(j.id + "\n")
try:
    c.upload("@~/lim/q5.txt", b"one too many", wait=False)
    raise SystemExit("the 6th job was accepted")
except sc.StageError as e:
    print("6th:", e.code, e.message)
    assert e.code == "RESOURCE_EXHAUSTED" and "job queue is full" in e.message, e
    assert "jobs.max_queue" in e.message, e
EOF
printf '%s\n' "$OUT"
check_eq "stream length at the limit" 5 "$(rcli XLEN st:q)"
cont_workers
for _ in $(seq 200); do
  [ "$(rcli XLEN st:q)" = 0 ] && break
  sleep 0.05
done
n=0
while read -r id; do
  [ "$(rcli HGET "st:job:$id" state)" = SUCCEEDED ] && n=$((n + 1))
done <"$T/q.txt"
check_eq "the 5 queued jobs SUCCEEDED" 5 "$n"
check_rc "the 6th job once the queue drained" 0 py upload "$T/q.txt" "@~/lim/q5.txt"

# ---------------------------------------------------------- retention
first=$(head -1 "$T/q.txt")
ttl=$(rcli TTL "st:job:$first")
log "TTL of an ended job: $ttl s (jobs.retention_s $RETENTION)"
check_le "ended job has a TTL within the retention" "$RETENTION" "$ttl"
check_ne "ended job has a TTL" -1 "$ttl"
check_ne "idempotency key has a TTL" -1 "$(rcli TTL "st:idem:root:q0")"
sleep $((RETENTION + 1))
check_eq "the ended job expired from Redis" 0 "$(rcli EXISTS "st:job:$first")"
check_eq "its idempotency key expired" 0 "$(rcli EXISTS "st:idem:root:q0")"
check_rc "GetJob of the expired job" 1 py job "$first"
check_eq "GetJob: NOT_FOUND" NOT_FOUND "$(jget "$OUT" 'j["error"]["code"]')"

parts=$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)
tmps=$(find "$DATA/.tmp" -type f | wc -l)
check_eq "no parts left in Redis" 0 "$parts"
check_eq "no pending stream entries" 0 "$(rcli XPENDING st:q workers | head -1)"
check_eq "no temp files" 0 "$tmps"
log "SUMMARY: limits: bytes in Redis with workers stopped $inredis <= $LIMIT," \
  "new upload RESOURCE_EXHAUSTED, 6th job over jobs.max_queue 5 RESOURCE_EXHAUSTED," \
  "ended job TTL ${ttl}s then expired, lost 0, leftover parts $parts, temp files $tmps"
e2e_finish
