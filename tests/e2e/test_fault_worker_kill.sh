#!/usr/bin/env bash
# test_fault_worker_kill.sh - kill -9 the worker running a 200 MiB upload, N
# times (5; 20 with --long): each job is reclaimed by the surviving worker
# once its lease ran out, resumes from its last confirmed part and ends
# SUCCEEDED with the source's sha256; no temp file, no part, no pending
# stream entry is left. Prints the time from each kill to the resume.
# With E2E_STORAGE=s3 the upload is an S3 multipart upload on the emulator:
# the job resumes the same upload from the parts S3 confirmed (their ETags
# are in the job hash) and no unfinished upload is left in the emulator;
# with E2E_STORAGE=azblob a block blob whose committed blocks (in the job
# hash) the new worker commits with the rest, and no stray blob is left.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
N=5
[ "${1:-}" = --long ] && N=20
export STAGE_JOBS_LEASE_MS=2000 STAGE_JOBS_RETRY_BASE_MS=200
e2e_init fault_worker_kill
e2e_start
login_root

W="$T/work"
mkrand "$W/src.bin" $((200 << 20))
WANT=$(sha "$W/src.bin")
now_ms() { date +%s%3N; }
field() { job_field "$@"; }

survived=0 lost=0 times=()
for k in $(seq "$N"); do
  loc="@~/kill/f$k.bin"
  before=$(rcli ZCARD st:jobs:root)
  py upload --sha256 "$WANT" "$W/src.bin" "$loc" >"$T/up$k.json" 2>"$T/up$k.err" &
  up=$!
  # the job, once 8 parts (16 MiB, two S3 parts) are stored, and its worker
  wait_durable_parts "$before" 8
  job=$DURABLE_JOB
  kill_job_worker "$job"
  owner=$KILLED_WORKER victim=$KILLED_PID t0=$KILLED_AT_MS
  log "kill $k: job $job, worker $owner (pid $victim) killed at part $(field "$job" parts_done) ($(field "$job" parts_durable) stored)"
  # a replacement under a new name: the job must come back through the lease
  i="r$k"
  start_worker "$i"
  resumed=""
  for _ in $(seq 400); do
    cur=$(field "$job" worker)
    st=$(field "$job" state)
    if [ "$cur" != "$owner" ] && { [ "$st" = RUNNING ] || [ "$st" = SUCCEEDED ]; }; then
      resumed=$(($(now_ms) - t0))
      break
    fi
    sleep 0.025
  done
  [ -n "$resumed" ] || fail "kill $k: job $job not resumed within 10 s (state $(field "$job" state))"
  times+=("${resumed:-none}")
  wait "$up" || true
  state=$(jget "$(cat "$T/up$k.json")" 'j["state"]')
  check_eq "kill $k: job SUCCEEDED" SUCCEEDED "$state"
  check_eq "kill $k: 2 attempts" 2 "$(field "$job" attempts)"
  # resumed from the stored parts, not started again from part 0
  at=$(sed -n "s/.*job=$job resuming the upload of .* at part \([0-9]*\) .*/\1/p" "$T"/logs/worker*.log | head -1)
  check_eq "kill $k: resumed at a stored part" yes "$([ "${at:-0}" -ge 1 ] && echo yes || echo "no (${at:-never})")"
  got=$(sha "$(stage_path "kill/f$k.bin")" 2>/dev/null || echo missing)
  check_eq "kill $k: stored sha256" "$WANT" "$got"
  if [ "$state" = SUCCEEDED ] && [ "$got" = "$WANT" ]; then
    survived=$((survived + 1))
  else
    lost=$((lost + 1))
  fi
  rm -f "$(stage_path "kill/f$k.bin")"
done

sleep 0.5
if [ "$E2E_STORAGE" = s3 ]; then # s3rver keeps each unfinished multipart upload in a directory
  tmps=$(find "$T/s3/$S3_BUCKET/._S3rver_uploads" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
elif [ "$E2E_STORAGE" = azblob ]; then
  # Azure drops uncommitted blocks itself (after 7 days); a stray blob is what would be left
  blobs=$(azutil list "$AZ_CONTAINER" "") || die "cannot list the container"
  tmps=$(grep -cv '^stage/user/root/kill/f[0-9]*[.]bin$' <<<"$blobs" || true)
else
  tmps=$(find "$DATA/.tmp" -type f | wc -l)
fi
parts=$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)
check_eq "no temp files or unfinished multipart uploads" 0 "$tmps"
check_eq "no parts left in Redis" 0 "$parts"
check_eq "no pending stream entries" 0 "$(rcli XPENDING st:q workers | head -1)"
check_eq "stream empty" 0 "$(rcli XLEN st:q)"
log "kills survived: $survived / $N; jobs lost: $lost"
log "time from worker death to resume (ms): ${times[*]} (lease 2000 ms)"
sorted=$(printf '%s\n' "${times[@]}" | grep -E '^[0-9]+$' | sort -n)
log "SUMMARY: worker kill ($E2E_STORAGE): kills survived $survived/$N, jobs lost $lost, leftover parts $parts," \
  "temp files $tmps, death -> resume ms min $(head -1 <<<"$sorted") max $(tail -1 <<<"$sorted")" \
  "(lease 2000 ms)"
e2e_finish
