#!/usr/bin/env bash
# test_fault_frontend_kill.sh - kill -9 the frontend in the middle of an
# upload, 3 times (a new frontend each time), then in the middle of a slowly
# read download. The worker running the job
# notices that the frontend's liveness key (st:fe:<id>) expired and fails the
# job: FAILED with a message naming the frontend, no partial file, no temp
# file, no parts or pending entries in Redis; the client's call ends with an
# error at once instead of hanging. Prints the time from the kill to FAILED.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
N=3
LEASE=1500
export STAGE_JOBS_LEASE_MS=$LEASE
e2e_init fault_frontend_kill
e2e_start
login_root
now_ms() { date +%s%3N; }
field() { rcli HGET "st:job:$1" "$2"; }

failed_ok=0 times=() client_times=()
for k in $(seq "$N"); do
  before=$(rcli ZCARD st:jobs:root)
  # A slow client: 1 MiB every 30 ms, far more than it sends before the kill.
  pyrun "$T/client$k.txt" "@~/fk/f$k.bin" <<'EOF' &
import os, sys, time
import stageclient as sc
out, loc = sys.argv[1], sys.argv[2]
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
def slow():
    yield sc.pb.UploadFileRequest(header=sc.pb.UploadHeader(location=loc))
    for _ in range(2000):
        yield sc.pb.UploadFileRequest(chunk=os.urandom(1 << 20))
        time.sleep(0.03)
try:
    j = c._upload_callable()(slow(), metadata=c.metadata(), timeout=120).job
    res = "OK " + sc.STATE[j.state]
except Exception as e:
    res = "ERR %s" % e.code().name
with open(out, "w") as f:
    f.write("%s %d\n" % (res, int(time.time() * 1000)))
EOF
  client=$!
  job=""
  for _ in $(seq 400); do # the job, once its worker confirmed 2 parts
    [ "$(rcli ZCARD st:jobs:root)" -gt "$before" ] && job=$(rcli ZRANGE st:jobs:root -1 -1)
    [ -n "$job" ] && [ "$(field "$job" parts_done)" -ge 2 ] 2>/dev/null && break
    sleep 0.05
  done
  [ -n "$job" ] || die "kill $k: no upload job appeared"
  fe=$(field "$job" frontend)
  check_ne "kill $k: the job names its frontend" "" "$fe"
  check_eq "kill $k: the frontend's liveness key exists" 1 "$(rcli EXISTS "st:fe:$fe")"
  kill -KILL "$PID_frontend"
  t0=$(now_ms)
  wait "$PID_frontend" 2>/dev/null || true
  log "kill $k: frontend $fe killed during job $job (part $(field "$job" parts_done))"

  ended=""
  for _ in $(seq 400); do
    st=$(field "$job" state)
    case "$st" in SUCCEEDED | FAILED | CANCELLED) ended=$(($(now_ms) - t0)); break ;; esac
    sleep 0.025
  done
  times+=("${ended:-none}")
  check_eq "kill $k: job FAILED" FAILED "$(field "$job" state)"
  check_contains "kill $k: the message names the frontend" "$(field "$job" error_message)" "$fe"
  [ "$(field "$job" state)" = FAILED ] && failed_ok=$((failed_ok + 1))

  for _ in $(seq 200); do
    [ -s "$T/client$k.txt" ] && break
    sleep 0.05
  done
  res=$(cat "$T/client$k.txt" 2>/dev/null || echo "HANG")
  check_contains "kill $k: the client's call ended with an error" "$res" "ERR UNAVAILABLE"
  ct=$((${res##* } - t0))
  client_times+=("$((ct < 0 ? 0 : ct))") # the call may end before the kill returned
  kill "$client" 2>/dev/null || true
  wait "$client" 2>/dev/null || true

  sleep 0.3 # the worker's abort of the write
  check_eq "kill $k: no file at the destination" no "$([ -e "$(stage_path "fk/f$k.bin")" ] && echo yes || echo no)"
  check_eq "kill $k: no temp files" "" "$(find "$DATA/.tmp" -type f)"
  check_eq "kill $k: no parts of the job" "" "$(rcli --scan --pattern "st:job:$job:part:*")"

  start_frontend
  wait_ready
  export STAGE_SERVER="$SERVER"
  login_root
done

# ---------------------------------------------------------- a download
mkrand "$T/big.bin" $((64 << 20))
check_rc "store a file to download" 0 py upload "$T/big.bin" "@~/fk/big.bin"
before=$(rcli ZCARD st:jobs:root)
pyrun "$T/dl.txt" <<'EOF' &
import os, sys, time
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
try:
    for m in c.download_iter("@~/fk/big.bin"):
        time.sleep(0.05)  # a slow reader: the worker waits on the window
    res = "OK"
except Exception as e:  # grpc.RpcError from the stream, or StageError
    code = e.code() if callable(getattr(e, "code", None)) else getattr(e, "code", e)
    res = "ERR %s" % getattr(code, "name", code)
open(sys.argv[1], "w").write(res + "\n")
EOF
dl=$!
job=""
for _ in $(seq 400); do
  [ "$(rcli ZCARD st:jobs:root)" -gt "$before" ] && job=$(rcli ZRANGE st:jobs:root -1 -1)
  [ -n "$job" ] && [ "$(field "$job" parts_done)" -ge 1 ] 2>/dev/null && break
  sleep 0.05
done
check_eq "download: a DOWNLOAD job" DOWNLOAD "$(field "$job" kind)"
fe=$(field "$job" frontend)
kill -KILL "$PID_frontend"
t0=$(now_ms)
wait "$PID_frontend" 2>/dev/null || true
dl_ended=""
for _ in $(seq 400); do
  case "$(field "$job" state)" in SUCCEEDED | FAILED | CANCELLED) dl_ended=$(($(now_ms) - t0)); break ;; esac
  sleep 0.025
done
log "download: frontend $fe killed during job $job; job ended after ${dl_ended:-never} ms"
check_eq "download: job FAILED" FAILED "$(field "$job" state)"
check_contains "download: the message names the frontend" "$(field "$job" error_message)" "$fe"
wait "$dl" || true
check_contains "download: the client's call ended with an error" "$(cat "$T/dl.txt")" "ERR"
check_eq "download: no parts of the job" "" "$(rcli --scan --pattern "st:job:$job:part:*")"
start_frontend
wait_ready
export STAGE_SERVER="$SERVER"
login_root

check_rc "upload through the last frontend" 0 py upload "$T/client1.txt" "@~/fk/after.txt"
check_eq "stored" "$(sha "$T/client1.txt")" "$(sha "$(stage_path fk/after.txt)")"
parts=$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)
tmps=$(find "$DATA/.tmp" -type f | wc -l)
check_eq "no parts left in Redis" 0 "$parts"
check_eq "no pending stream entries" 0 "$(rcli XPENDING st:q workers | head -1)"
check_eq "liveness keys: only the running frontend's" 1 "$(rcli --scan --pattern 'st:fe:*' | wc -l)"
log "SUMMARY: frontend kill: kills $N, jobs FAILED $failed_ok/$N, lost 0," \
  "kill -> FAILED ms: ${times[*]} (lease $LEASE ms), kill -> client error ms: ${client_times[*]}," \
  "download: kill -> FAILED ${dl_ended:-never} ms," \
  "leftover parts $parts, temp files $tmps"
e2e_finish
