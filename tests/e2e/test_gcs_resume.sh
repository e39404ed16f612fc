#!/usr/bin/env bash
# test_gcs_resume.sh - kill -9 the worker running a 96 MiB upload into a gcs:// stage
# (gcsfake.py) once two 8 MiB chunks are stored: the job is reclaimed after its lease
# by a new worker, which asks the resumable session for its stored size
# (Content-Range: bytes */* -> 308 Range) and goes on from there, not from byte 0;
# the object in the fake's files has the source's sha256.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gcslib.sh
. "$(dirname "$0")/gcslib.sh"
export STAGE_JOBS_LEASE_MS=2000 STAGE_JOBS_RETRY_BASE_MS=200
e2e_init gcs_resume
BKT=gcs-bkt
start_gcsfake "$BKT"
CRED=$(gcs_cred "$GCS_KEY")
E2E_SECRETS+=("$CRED")
e2e_start
login_root
check_rc "create @g" 0 ctl stage create g --url "gcs://$BKT/data/" \
  --conn "endpoint_url=$GCS_EP" --conn "credential=$CRED"

W="$T/work"
mkrand "$W/src.bin" $((96 << 20))
WANT=$(sha "$W/src.bin")
field() { job_field "$@"; }

before=$(rcli ZCARD st:jobs:root)
py upload --sha256 "$WANT" "$W/src.bin" @g/big.bin >"$T/up.json" 2>"$T/up.err" &
up=$!
wait_durable_parts "$before" 8
job=$DURABLE_JOB
kill_job_worker "$job"
owner=$KILLED_WORKER
log "job $job: worker $owner killed with $(field "$job" parts_durable) parts stored"
start_worker r1
wait "$up" || true
check_eq "the upload SUCCEEDED" SUCCEEDED "$(jget "$(cat "$T/up.json")" 'j["state"]')"
check_eq "... in 2 attempts" 2 "$(field "$job" attempts)"
at=$(sed -n "s/.*job=$job resuming the upload of .* at part \([0-9]*\) .*/\1/p" "$T"/logs/worker*.log | head -1)
check_eq "... resumed at a stored part" yes "$([ "${at:-0}" -ge 1 ] && echo yes || echo "no (${at:-never})")"
asked=$(sed -n 's/.*asked for its size: \([0-9]*\) stored/\1/p' "$T/logs/gcsfake.log" | head -1)
check_eq "... after asking the session its size (bytes */*)" yes \
  "$([ "${asked:-0}" -ge $((16 << 20)) ] && echo yes || echo "no (${asked:-never})")"
check_eq "... one session only (no new upload from byte 0)" 1 "$(grep -c 'POST /upload/storage/v1/b/' "$T/logs/gcsfake.log" || true)"
check_eq "the fake holds the source's bytes" "$WANT" "$(gcsfake sha "$GCS_DIR" data/big.bin || echo missing)"
e2e_finish
