#!/usr/bin/env bash
# test_s3_outage.sh - S3 only: the S3 emulator dies in the middle of a
# multipart upload and comes back a few seconds later on the same port and
# data directory. The worker's requests fail (retried inside the backend,
# then the job is retried with backoff); the retry detaches the writer with
# parts still in flight and resumes the same multipart upload from the parts
# S3 confirmed (upload id + ETags in the job hash, the later parts still in
# Redis). The job SUCCEEDS with the client's sha256, boto3 reads the object
# back intact, and no part or unfinished upload is left.
set -euo pipefail
export E2E_STORAGE=s3 E2E_S3_LOG=1 # s3rver logs each request's path and status
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
export STAGE_JOBS_RETRY_BASE_MS=500 STAGE_JOBS_RETRY_MAX_MS=2000 STAGE_JOBS_MAX_ATTEMPTS=8
e2e_init s3_outage
e2e_start
login_root

W="$T/work"
MIB=96
mkrand "$W/src.bin" $((MIB << 20))
WANT=$(sha "$W/src.bin")

# The client trickles 1 MiB every 40 ms, so the upload is still going when S3 dies.
export E2E_SRC="$W/src.bin" E2E_WANT="$WANT"
pyrun >"$T/up.json" 2>"$T/up.err" <<'PY' &
import json, os, time, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
def chunks():
    with open(os.environ["E2E_SRC"], "rb") as f:
        while b := f.read(1 << 20):
            yield b
            time.sleep(0.04)
j = c.upload("@~/outage/big.bin", chunks(), size=os.path.getsize(os.environ["E2E_SRC"]),
             sha256=os.environ["E2E_WANT"])
print(json.dumps({"id": j.id, "state": sc.STATE[j.state], "attempts": j.attempts,
                  "error": j.error_message}))
PY
up=$!
job=""
for _ in $(seq 400); do # until S3 has confirmed two parts of the upload
  job=$(rcli ZRANGE st:jobs:root -1 -1)
  [ -n "$job" ] && [ "$(rcli HGET "st:job:$job" parts_durable)" -ge 2 ] 2>/dev/null && break
  sleep 0.025
done
[ -n "$job" ] || die "no upload job"
log "killing s3rver at part $(rcli HGET "st:job:$job" parts_done) ($(rcli HGET "st:job:$job" parts_durable) stored)"
kill -KILL "$PID_s3rver"
wait "$PID_s3rver" 2>/dev/null || true
# The backend's own retries (about 1.5 s) give up, and the job itself is
# retried: it goes back to QUEUED (seen either in that state or by a second
# attempt, whichever a poll meets first: how long each takes is the
# machine's business), never to FAILED while S3 is down.
retried=""
for _ in $(seq 600); do
  st=$(rcli HGET "st:job:$job" state)
  case "$st" in SUCCEEDED | FAILED | CANCELLED) break ;; esac
  if [ "$st" = QUEUED ] || [ "$(rcli HGET "st:job:$job" attempts)" -ge 2 ] 2>/dev/null; then
    retried=yes
    break
  fi
  sleep 0.05
done
check_eq "while S3 is down the job is retried, not failed (state $st)" yes "${retried:-no}"
check_contains "its last error names S3" "$(rcli HGET "st:job:$job" error_message)" "S3"
emu=${STAGE_EMU_DIR:-/var/tmp/stage-emulators}
NODE_OPTIONS=--openssl-legacy-provider node "$emu/s3rver.js" -d "$T/s3" -a 127.0.0.1 \
  -p "$S3_PORT" --configure-bucket "$S3_BUCKET" >>"$T/logs/s3rver.log" 2>&1 &
PID_s3rver=$!
E2E_PIDS+=("$PID_s3rver")
log "s3rver back on port $S3_PORT"

wait "$up" || true
out=$(cat "$T/up.json")
check_eq "upload SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]' 2>/dev/null || cat "$T/up.err")"
att=$(jget "$out" 'j["attempts"]' 2>/dev/null || echo 0)
check_eq "more than one attempt" yes "$([ "$att" -ge 2 ] && echo yes || echo "no ($att)")"
at=$(sed -n "s/.*job=$job resuming the upload of .* at part \([0-9]*\) .*/\1/p" "$T"/logs/worker*.log | head -1)
check_eq "resumed at a stored part, not from 0" yes "$([ "${at:-0}" -ge 2 ] && echo yes || echo "no (${at:-never})")"
check_eq "boto3 reads the object back intact" "$WANT" "$(s3util sha stage/user/root/outage/big.bin)"
check_eq "one CreateMultipartUpload in all: the same upload was resumed" 1 \
  "$(grep -ac "/outage/big\.bin?uploads" "$T/logs/s3rver.log" || true)"
sleep 0.3
left=$(find "$T/s3/$S3_BUCKET/._S3rver_uploads" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
check_eq "no unfinished multipart upload in the emulator" 0 "$left"
check_eq "no parts left in Redis" 0 "$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)"
check_eq "no pending stream entries" 0 "$(rcli XPENDING st:q workers | head -1)"
# The workers' backend metrics saw it: requests that worked, requests with no
# answer while S3 was down, the retries of those, and operations that failed
# for good (which made the job retry). Summed over the workers and, but for
# the stored parts, over the operations (which one S3's death hits is timing).
wsum() {
  local hp total=0 v
  for hp in "${WORKER_HTTP_PORTS[@]}"; do
    v=$(curl -s "http://127.0.0.1:$hp/metrics" | awk -v re="$1" '$0 ~ re { n += $NF } END { print n + 0 }')
    total=$((total + v))
  done
  echo "$total"
}
for series in '^stage_worker_backend_requests_total[{]backend="s3",op="put",outcome="ok"[}]' \
  '^stage_worker_backend_requests_total[{]backend="s3",op="[a-z]+",outcome="network"[}]' \
  '^stage_worker_backend_retries_total[{]backend="s3",' \
  '^stage_worker_backend_errors_total[{]backend="s3",'; do
  n=$(wsum "$series")
  check_rc "worker metrics: $series > 0 (${n})" 0 test "$n" -gt 0
done
log "SUMMARY: S3 outage mid-upload: $(jget "$out" 'j["state"]' 2>/dev/null || echo ?) after $att attempts," \
  "resumed at part ${at:-none}, unfinished uploads $left"
e2e_finish
