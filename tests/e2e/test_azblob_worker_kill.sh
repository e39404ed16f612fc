#!/usr/bin/env bash
# test_azblob_worker_kill.sh - kill -9 the worker running a 100 MiB upload into an
# azblob:// stage (azurite), N times (3; 20 with --long): each job is reclaimed by a
# new worker once its lease ran out, resumes from the blocks Azure confirmed (the
# writer state "azw1 <block size> <tag> <k>" in the job hash, storage/azblob/azblock.h)
# rather than from part 0, ends SUCCEEDED, and @azure/storage-blob reads the source's
# sha256 back. No part and no pending stream entry is left.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
N=3
[ "${1:-}" = --long ] && N=20
export STAGE_JOBS_LEASE_MS=2000 STAGE_JOBS_RETRY_BASE_MS=200
e2e_init azblob_worker_kill
E2E_AZ_DISK=1 start_azurite # 100 MiB blobs and their resent blocks would fill the in-memory store
CTR=stage-kill
azutil mkcontainer "$CTR"
e2e_start
login_root
E2E_SECRETS+=("$AZ_KEY")
check_rc "create an azblob stage" 0 ctl stage create ext --url "azblob://$CTR/data/" \
  --conn "endpoint_url=$AZ_ENDPOINT" --conn "account_name=$AZ_ACCOUNT" --conn "account_key=$AZ_KEY"

W="$T/work"
mkrand "$W/src.bin" $((100 << 20))
WANT=$(sha "$W/src.bin")
field() { job_field "$@"; }

for k in $(seq "$N"); do
  before=$(rcli ZCARD st:jobs:root)
  py upload --sha256 "$WANT" "$W/src.bin" "@ext/kill/f$k.bin" >"$T/up$k.json" 2>"$T/up$k.err" &
  up=$!
  # the job once 8 parts (two 8 MiB blocks) are durable, and its worker
  wait_durable_parts "$before" 8
  job=$DURABLE_JOB
  check_contains "kill $k: the job keeps the azblob writer state" "$(field "$job" wstate)" "azw1 "
  kill_job_worker "$job"
  owner=$KILLED_WORKER victim=$KILLED_PID
  log "kill $k: job $job, worker $owner (pid $victim) killed at part $(field "$job" parts_done) ($(field "$job" parts_durable) durable)"
  start_worker "r$k"
  wait "$up" || true
  check_eq "kill $k: job SUCCEEDED" SUCCEEDED "$(jget "$(cat "$T/up$k.json")" 'j["state"]')"
  check_eq "kill $k: 2 attempts" 2 "$(field "$job" attempts)"
  at=$(sed -n "s/.*job=$job resuming the upload of .* at part \([0-9]*\) .*/\1/p" "$T"/logs/worker*.log | head -1)
  check_eq "kill $k: resumed at a stored part" yes "$([ "${at:-0}" -ge 1 ] && echo yes || echo "no (${at:-never})")"
  check_eq "kill $k: the SDK reads the source's sha256" "$WANT" "$(azutil sha "$CTR" "data/kill/f$k.bin")"
  azutil rm "$CTR" "data/kill/f$k.bin"
done

sleep 0.5
check_eq "no parts left in Redis" 0 "$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)"
check_eq "no pending stream entries" 0 "$(rcli XPENDING st:q workers | head -1)"
e2e_finish
