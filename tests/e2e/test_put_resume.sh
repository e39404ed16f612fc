#!/usr/bin/env bash
# test_put_resume.sh - resumable uploads (docs/jobs.md "Resumable uploads"),
# on fs (and on S3 as e2e.s3.put_resume, on Azure Blob as e2e.az.put_resume):
# `stagectl put` of a 64 MiB file through a throttling proxy (throttleproxy.py,
# 8 MiB/s) is killed -9 in the middle: its job waits (job get shows the resume
# point), someone else's resume is NOT_FOUND, `put --resume` sends only the
# rest (the proxy counts the bytes) and the stored file has the local sha256
# (sha256sum of the fs file; boto3 on S3, @azure/storage-blob on azblob).
# Ctrl-C (SIGINT) still cancels: CANCELLED, nothing left. A client that does
# not come back within upload.resume_window_s (2 s after a frontend restart)
# leaves a FAILED job, its parts and temp file / multipart upload gone
# (azblob: the blob never committed; Azure drops uncommitted blocks itself),
# and a late resume is FAILED_PRECONDITION. With the window 0 a killed
# stagectl ends its job at once, as before (CANCELLED, nothing kept).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=resumelib.sh
. "$(dirname "$0")/resumelib.sh"
[ "$E2E_STORAGE" = s3 ] && export E2E_S3_LOG=1
export STAGE_UPLOAD_RESUME_WINDOW_S=300
e2e_init put_resume
e2e_start
login_root

SIZE=$((64 << 20))
mkrand "$T/work/big.bin" "$SIZE"
LOCAL_SHA=$(sha "$T/work/big.bin")
PLOG="$T/logs/proxy.log"
: >"$PLOG"

proxy_lines() { wc -l <"$PLOG"; }

start_proxy

# ---------------------------------------------------------- kill -9, resume
BEFORE=$(newest)
"$STAGECTL" --server "$PSERVER" put "$T/work/big.bin" @~/resume/big.bin >"$T/put1.out" 2>&1 &
PUT=$!
wait_new_job
JOB1=$JOB
wait_field_ge "$JOB1" parts_ready 8 # 16 MiB of 64 in Redis or stored
kill -9 "$PUT"
wait "$PUT" 2>/dev/null || true
for _ in $(seq 100); do
  [ "$(hget "$JOB1" paused_until || echo 0)" -gt 0 ] 2>/dev/null && break
  sleep 0.05
done
check_rc "a killed client pauses the job" 0 test "$(hget "$JOB1" paused_until || echo 0)" -gt 0
OUT=$(ctl job get "$JOB1")
printf '%s\n' "$OUT"
check_contains "job get shows the resume point" "$OUT" "PAUSED at"
check_contains "... and how to resume" "$OUT" "resume with stagectl put --resume"
check_contains "job list says PAUSED" "$(ctl job list | grep "$JOB1")" "PAUSED"
OFF=$(ctl --json job get "$JOB1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("resume_offset", 0))')
check_rc "the resume offset is a whole number of parts, inside the file" 0 \
  test "$OFF" -gt 0 -a "$OFF" -lt "$SIZE" -a $((OFF % (2 << 20))) -eq 0
if [ "$E2E_STORAGE" = fs ]; then
  check_ne "the temp file is kept while paused" 0 "$(find "$DATA/.tmp" -type f | wc -l)"
fi

check_rc "someone else's paused job is NOT_FOUND" 0 pyrun "$JOB1" "$OFF" "$LOCAL_SHA" <<'EOF2'
import os, sys, grpc
import stageclient as sc
job, off, digest = sys.argv[1], int(sys.argv[2]), sys.argv[3]
root = sc.StageClient(os.environ["E2E_SERVER"]); root.login("root", os.environ["E2E_ROOT_PW"])
root.rpc("CreateUser", name="dora", password="dora-pw-1234")
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("dora", "dora-pw-1234")
hdr = sc.pb.UploadHeader(location="@~/resume/big.bin", has_size=True, size=64 << 20,
                         sha256=digest, resume_job_id=job, resume_offset=off, resumable=True)
try:
    c._upload_callable()(iter([sc.pb.UploadFileRequest(header=hdr)]), metadata=c.metadata(),
                         timeout=30)
    sys.exit("a resume of root's job by dora was accepted")
except grpc.RpcError as e:
    print(e.code().name, e.details())
    assert e.code() == grpc.StatusCode.NOT_FOUND, e
EOF2

LINES=$(proxy_lines)
pctl put "$T/work/big.bin" @~/resume/big.bin --resume >"$T/put2.out" 2>"$T/put2.err" || true
cat "$T/put2.err" "$T/put2.out"
check_contains "put --resume says where it resumes" "$(cat "$T/put2.err")" "resuming job $JOB1 at"
check_eq "the resumed job SUCCEEDED" SUCCEEDED "$(hget "$JOB1" state)"
for _ in $(seq 100); do
  [ "$(proxy_lines)" -gt "$LINES" ] && break
  sleep 0.05
done
SENT=$(tail -n +"$((LINES + 1))" "$PLOG" | awk '{s += $4} END {print s + 0}')
log "resumed at $OFF: the second run sent $SENT bytes for a file of $SIZE"
check_rc "the resumed run sent about the rest only" 0 test "$SENT" -gt 0 -a "$SENT" -lt $((SIZE - OFF + (1 << 20)))
check_eq "the stored file's sha256 (independent)" "$LOCAL_SHA" "$(sha "$(stage_path resume/big.bin)")"

# ---------------------------------------------------------- Ctrl-C cancels
BEFORE=$(newest)
"$STAGECTL" --server "$PSERVER" put "$T/work/big.bin" @~/resume/ctrlc.bin >"$T/put3.out" 2>&1 &
PUT=$!
wait_new_job
JOB3=$JOB
wait_field_ge "$JOB3" parts_ready 2
kill -INT "$PUT"
RC=0
wait "$PUT" || RC=$?
cat "$T/put3.out"
check_ne "put exits non-zero after Ctrl-C" 0 "$RC"
wait_state "$JOB3" "CANCELLED FAILED SUCCEEDED"
check_eq "Ctrl-C -> CANCELLED" CANCELLED "$(hget "$JOB3" state)"
check_contains "... with the reason" "$(hget "$JOB3" error_message)" "cancelled by the client"
check_rc "no ctrlc.bin stored" 1 test -e "$(stage_path resume/ctrlc.bin)"

# ---------------------------------------------------------- window passes
stop_pid "$PID_proxy"
stop_pid "$PID_frontend"
export STAGE_UPLOAD_RESUME_WINDOW_S=2
start_frontend
wait_ready
start_proxy
BEFORE=$(newest)
# --resume also sends an idempotency key (target, size, mtime): the pause
# drops it, so that the same command later starts again instead of answering
# with this job once it failed
"$STAGECTL" --server "$PSERVER" put --resume "$T/work/big.bin" @~/resume/late.bin >"$T/put4.out" 2>&1 &
PUT=$!
wait_new_job
JOB4=$JOB
wait_field_ge "$JOB4" parts_ready 8
kill -9 "$PUT"
wait "$PUT" 2>/dev/null || true
wait_state "$JOB4" "CANCELLED FAILED SUCCEEDED"
check_eq "not resumed within the window -> FAILED" FAILED "$(hget "$JOB4" state)"
check_contains "... saying why" "$(hget "$JOB4" error_message)" "did not resume within"
check_rc "a late resume is FAILED_PRECONDITION" 0 pyrun "$JOB4" "$LOCAL_SHA" <<'EOF2'
import os, sys, grpc
import stageclient as sc
job, digest = sys.argv[1], sys.argv[2]
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
hdr = sc.pb.UploadHeader(location="@~/resume/late.bin", has_size=True, size=64 << 20,
                         sha256=digest, resume_job_id=job, resume_offset=16 << 20, resumable=True)
try:
    c._upload_callable()(iter([sc.pb.UploadFileRequest(header=hdr)]), metadata=c.metadata(),
                         timeout=30)
    sys.exit("a resume after the window was accepted")
except grpc.RpcError as e:
    print(e.code().name, e.details())
    assert e.code() == grpc.StatusCode.FAILED_PRECONDITION, e
EOF2
printf '%s\n' "$OUT"
check_rc "no late.bin stored" 1 test -e "$(stage_path resume/late.bin)"
if [ "$E2E_STORAGE" = fs ]; then
  for _ in $(seq 100); do # the worker deletes the temp file as it ends the job
    [ "$(find "$DATA/.tmp" -type f | wc -l)" = 0 ] && break
    sleep 0.05
  done
  check_eq "no temp file left" 0 "$(find "$DATA/.tmp" -type f | wc -l)"
elif [ "$E2E_STORAGE" = s3 ]; then
  log_s3="$T/logs/s3rver.log"
  ids() { (grep -o "resume/$1?$2uploadId=[^& ]*" "$log_s3" || true) | sed 's/.*uploadId=//' | sort -u; }
  for _ in $(seq 100); do
    [ -n "$(ids late.bin partNumber=[0-9]*\&)" ] && [ "$(ids late.bin 'partNumber=[0-9]*&')" = "$(ids late.bin '')" ] && break
    sleep 0.05
  done
  check_ne "late.bin's parts went to a multipart upload" "" "$(ids late.bin 'partNumber=[0-9]*&')"
  check_eq "... which was aborted" "$(ids late.bin 'partNumber=[0-9]*&')" "$(ids late.bin '')"
fi

# ---------------------------------------------------------- window 0: as before
stop_pid "$PID_proxy"
stop_pid "$PID_frontend"
export STAGE_UPLOAD_RESUME_WINDOW_S=0
start_frontend
wait_ready
start_proxy
BEFORE=$(newest)
"$STAGECTL" --server "$PSERVER" put "$T/work/big.bin" @~/resume/zero.bin >"$T/put5.out" 2>&1 &
PUT=$!
wait_new_job
JOB5=$JOB
wait_field_ge "$JOB5" parts_ready 2
kill -9 "$PUT"
wait "$PUT" 2>/dev/null || true
wait_state "$JOB5" "CANCELLED FAILED SUCCEEDED"
check_eq "window 0: a killed client ends the job at once, as before" CANCELLED "$(hget "$JOB5" state)"
P5=$(hget "$JOB5" paused_until)
check_eq "... never paused" 0 "${P5:-0}"
check_rc "... no zero.bin stored" 1 test -e "$(stage_path resume/zero.bin)"
check_eq "no parts left in Redis" "" "$(rcli --scan --pattern 'st:job:*:part:*')"
check_rc "put --resume after the window: uploads from the start" 0 pctl put --resume "$T/work/big.bin" @~/resume/late.bin
check_eq "... the stored late.bin's sha256" "$LOCAL_SHA" "$(sha "$(stage_path resume/late.bin)")"
log "SUMMARY: put_resume ($E2E_STORAGE): kill -9 at $OFF of $SIZE, resumed sending $SENT bytes," \
  "sha256 ok; Ctrl-C CANCELLED; window passed -> FAILED + FAILED_PRECONDITION; window 0 -> CANCELLED"
e2e_finish
