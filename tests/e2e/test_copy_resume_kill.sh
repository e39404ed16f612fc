#!/usr/bin/env bash
# test_copy_resume_kill.sh - kill -9 the worker copying a 256 MiB file from the fs stage
# (@~) into s3 (s3rver), azblob (azurite) and gcs (gcsfake), then from s3 back into the
# fs stage (a temp file truncated to the stored length), once the target stored a
# part (cp_off in the job hash, docs/jobs.md "Resume"): another worker reclaims the job
# once the lease ran out, logs "resuming the copy of X at part N, offset Y" with Y at
# least what the hash held at the kill, reads only SIZE - Y bytes of the source ("read Z
# bytes of the source in this run"), and the store's own client reads the source's
# sha256 back. The job hash keeps no cp_* field once the job ended.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
export STAGE_JOBS_LEASE_MS=2000 STAGE_JOBS_RETRY_BASE_MS=200
e2e_init copy_resume_kill
# shellcheck source-path=SCRIPTDIR source=storelib.sh
. "$(dirname "$0")/storelib.sh"
stores_start
e2e_start
login_root
stores_stages

SIZE=$((256 << 20))
ROOT="$DATA/stage/user/root"
mkdir -p "$ROOT/kill"
mkrand "$ROOT/kill/big.bin" "$SIZE"
WANT="big.bin $(sha "$ROOT/kill/big.bin")"
field() { job_field "$@"; }

k=0
# FROM (a location) TO (a store) TOPATH (in it) SRCKEY (the source's key, as logged)
for c in "@~/kill/big.bin s3 kill/ stage/user/root/kill/big.bin" \
  "@~/kill/big.bin az kill/ stage/user/root/kill/big.bin" \
  "@~/kill/big.bin gcs kill/ stage/user/root/kill/big.bin" \
  "@s3/kill/big.bin fs kill_back/ data/kill/big.bin"; do
  read -r from to tpath skey <<<"$c"
  k=$((k + 1))
  tloc="@$to/$tpath"
  [ "$to" = fs ] && tloc="@~/$tpath"
  job=$(copy_start "$from" "$tloc")
  # once the target stored two chunks (16 MiB) of the file; up to 120 s
  off=0
  for _ in $(seq 2400); do
    off=$(field "$job" cp_off)
    [ "${off:-0}" -ge $((16 << 20)) ] && break
    case "$(field "$job" state)" in SUCCEEDED | FAILED | CANCELLED) break ;; esac
    sleep 0.05
  done
  if [ "${off:-0}" -lt $((16 << 20)) ]; then
    die "$to: job $job never stored 16 MiB mid-copy (cp_off '${off:-}', state $(field "$job" state))"
  fi
  kill_job_worker "$job"
  owner=$KILLED_WORKER victim=$KILLED_PID
  log "$to: job $job, worker $owner (pid $victim) killed with $off bytes stored (cp_part $(field "$job" cp_part))"
  check_ne "$to: the hash keeps the target writer's state" "" "$(field "$job" cp_wstate)"
  start_worker "r$k"
  out=$(job_wait "$job")
  check_eq "$to: job SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]')"
  check_eq "$to: 2 attempts" 2 "$(field "$job" attempts)"
  at=$(sed -n "s|.*job=$job resuming the copy of '$skey' at part \([0-9]*\), offset \([0-9]*\) of $SIZE.*|\1 \2|p" \
    "$T"/logs/worker*.log | head -1)
  log "$to: resumed at part ${at% *}, offset ${at#* }"
  check_eq "$to: resumed at a stored part at least as far as the kill saw" yes \
    "$([ -n "$at" ] && [ "${at#* }" -ge "$off" ] && [ "${at% *}" -ge 2 ] && echo yes || echo "no (${at:-never})")"
  read_n=$(sed -n "s/.*job=$job copied .* from offset [0-9]*: read \([0-9]*\) bytes of the source in this run.*/\1/p" \
    "$T"/logs/worker*.log | head -1)
  check_eq "$to: the resumed run read only the rest of the source" "$((SIZE - ${at#* }))" "${read_n:-none}"
  check_eq "$to: sha256 by $to's own client" "$WANT" "$(store_shas "$to" "$tpath")"
  check_eq "$to: no cp_* field left" "" "$(rcli HKEYS "st:job:$job" | grep '^cp_' || true)"
done
check_eq "no pending stream entries" 0 "$(rcli XPENDING st:q workers | head -1)"
e2e_finish
