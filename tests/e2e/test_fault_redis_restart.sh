#!/usr/bin/env bash
# test_fault_redis_restart.sh - kill -9 redis-server (AOF, appendfsync
# always) while 100 small upload jobs are queued and the workers are just
# starting on them, keep it down for a few seconds, start it again on the same
# port and directory. Checks: every call made while Redis is down answers
# UNAVAILABLE (the server's own bounded wait, redis.timeout_ms 1000) before
# the client's deadline of 10 s would end it DEADLINE_EXCEEDED; the frontend and both workers stay up and
# reconnect by themselves; every acknowledged job ends SUCCEEDED with exactly
# the bytes the client sent (none lost, none run twice to a different
# result); an upload whose data was streaming when Redis died fails (the
# client sees UNAVAILABLE, the frontend fails the job once Redis is back,
# without waiting for the stall timeout); no parts, pending entries or temp
# files are left. Then Redis hangs (SIGSTOP) for 3 s: with redis.timeout_ms
# 1000 calls answer UNAVAILABLE, not DEADLINE_EXCEEDED, and the service works again
# once it goes on (SIGCONT).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
N=100
export E2E_FSYNC=always STAGE_JOBS_LEASE_MS=2000 STAGE_JOBS_RETRY_BASE_MS=200
export STAGE_REDIS_TIMEOUT_MS=1000
e2e_init fault_redis_restart
e2e_start
login_root

# probe_down WHAT: for 3 s, every call answers UNAVAILABLE naming Redis: the
# frontend's bounded wait ended it, not the client's 10 s deadline (that would
# be DEADLINE_EXCEEDED). The slowest answer is printed, a figure, not a bound.
probe_down() {
  check_rc "$1: calls answer UNAVAILABLE quickly" 0 pyrun <<'EOF'
import os, time
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"], user="root", password=os.environ["E2E_ROOT_PW"],
                   timeout=10)
calls = {
    "GetJob": lambda: c.get_job("0" * 32),
    "ListJobs": lambda: c.list_jobs(),
    "UploadFile": lambda: c.upload("@~/rr/down.txt", b"while down"),
    "ListFiles": lambda: c.list("@~/rr/"),
    "Login": lambda: c.login("root", os.environ["E2E_ROOT_PW"]),
}
worst = 0.0
end = time.time() + 3
rounds = 0
while time.time() < end:
    rounds += 1
    for name, fn in calls.items():
        c.token = None  # Basic auth: authentication itself needs Redis
        t0 = time.time()
        try:
            fn()
            raise SystemExit("%s succeeded while Redis is down" % name)
        except sc.StageError as e:
            dt = time.time() - t0
            worst = max(worst, dt)
            assert e.code == "UNAVAILABLE", (name, e)
            assert "redis" in e.message.lower(), (name, e.message)
    time.sleep(0.2)
print("down: %d rounds of %d calls, all UNAVAILABLE, slowest %.0f ms" % (rounds, len(calls), worst * 1000))
print("WORST_MS %d" % (worst * 1000))
EOF
  printf '%s\n' "$OUT"
  WORST_MS=$(sed -n 's/^WORST_MS //p' <<<"$OUT")
}

# Hold the workers so that all N jobs are queued when Redis dies.
for p in "${WORKER_PIDS[@]}"; do kill -STOP "$p"; done
check_rc "queue $N small uploads (wait=false)" 0 pyrun "$N" "$T/jobs.txt" <<'EOF'
import os, sys, hashlib
import stageclient as sc
n, out = int(sys.argv[1]), sys.argv[2]
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
with open(out, "w") as f:
    for i in range(n):
        data = ("file %d " % i).encode() * (1 + i * 37 % 500)
        j = c.upload("@~/rr/f%03d.txt" % i, data, wait=False)
        f.write("%s f%03d.txt %s\n" % (j.id, i, hashlib.sha256(data).hexdigest()))
print("queued", n)
EOF
check_eq "acknowledged jobs" "$N" "$(wc -l <"$T/jobs.txt")"
queued=$(rcli XLEN st:q)
log "stream length before the crash: $queued"

# An upload still streaming when Redis dies (1 MiB per 30 ms).
pyrun "$T/slow.txt" <<'EOF' &
import os, sys, time
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
def slow():
    yield sc.pb.UploadFileRequest(header=sc.pb.UploadHeader(location="@~/rr/slow.bin"))
    for _ in range(1000):
        yield sc.pb.UploadFileRequest(chunk=os.urandom(1 << 20))
        time.sleep(0.03)
try:
    c._upload_callable()(slow(), metadata=c.metadata(), timeout=60)
    res = "OK"
except Exception as e:
    res = "ERR %s %s" % (e.code().name, e.details())
open(sys.argv[1], "w").write(res + "\n")
EOF
slow_client=$!
for _ in $(seq 100); do
  [ "$(rcli ZCARD st:jobs:root)" -gt "$N" ] && break
  sleep 0.05
done
slow_job=$(rcli ZRANGE st:jobs:root -1 -1)
sleep 0.3

# One worker goes on and is in the middle of the queue when Redis dies; the
# other only wakes up while Redis is down.
kill -CONT "${WORKER_PIDS[0]}"
for _ in $(seq 200); do
  [ "$(rcli XLEN st:q)" -le $((N - 10)) ] && break
  sleep 0.01
done
kill -KILL "$PID_redis"
wait "$PID_redis" 2>/dev/null || true
kill -CONT "${WORKER_PIDS[1]}"
log "redis-server killed (-9) while the first worker was running jobs"

probe_down "Redis killed"
worst_ms=$WORST_MS
restart_redis
log "redis-server restarted on port $REDIS_PORT"

for _ in $(seq 100); do
  [ -s "$T/slow.txt" ] && break
  sleep 0.1
done
check_contains "the streaming upload's client got UNAVAILABLE" "$(cat "$T/slow.txt" 2>/dev/null)" "ERR UNAVAILABLE"
wait "$slow_client" 2>/dev/null || true
slow_failed=""
t_up=$(date +%s%3N)
for _ in $(seq 150); do
  [ "$(rcli HGET "st:job:$slow_job" state)" = FAILED ] && slow_failed=$(($(date +%s%3N) - t_up)) && break
  sleep 0.1
done
check_ne "the streaming upload's job FAILED within 15 s of the restart" "" "$slow_failed"
check_eq "no partial file of it" no "$([ -e "$DATA/stage/user/root/rr/slow.bin" ] && echo yes || echo no)"
if alive "$PID_frontend"; then pass "frontend still running"; else fail "frontend exited"; fi
for p in "${WORKER_PIDS[@]}"; do
  if alive "$p"; then pass "worker $p still running"; else fail "worker $p exited"; fi
done

# Every acknowledged job ends; read the states from Redis directly.
t0=$(date +%s)
pending=$N
while [ $(($(date +%s) - t0)) -lt 90 ]; do
  pending=0
  while read -r id _ _; do
    case "$(rcli HGET "st:job:$id" state)" in SUCCEEDED | FAILED | CANCELLED) ;; *) pending=$((pending + 1)) ;; esac
  done <"$T/jobs.txt"
  [ "$pending" = 0 ] && break
  sleep 0.5
done
log "all jobs ended $(($(date +%s) - t0)) s after the restart ($pending not ended)"
check_eq "jobs not ended 90 s after the restart" 0 "$pending"

ok=0 lost=0 wrong=0 retried=0
while read -r id name want; do
  st=$(rcli HGET "st:job:$id" state)
  f="$DATA/stage/user/root/rr/$name"
  got=$( [ -f "$f" ] && sha "$f" || echo missing)
  [ "$(rcli HGET "st:job:$id" attempts)" -gt 1 ] 2>/dev/null && retried=$((retried + 1))
  if [ "$st" = SUCCEEDED ] && [ "$got" = "$want" ]; then
    ok=$((ok + 1))
  elif [ "$got" = missing ] || [ -z "$st" ]; then
    lost=$((lost + 1))
    fail "job $id ($name): state '$st', file $got"
  else
    wrong=$((wrong + 1))
    fail "job $id ($name): state '$st', sha $got, want $want"
  fi
done <"$T/jobs.txt"
check_eq "jobs SUCCEEDED with the client's bytes" "$N" "$ok"
check_eq "files in the stage (the $N, not the broken upload)" "$N" "$(find "$DATA/stage/user/root/rr" -type f | wc -l)"

# The service works again without any restart of its own.
check_rc "upload after the restart" 0 py upload "$T/jobs.txt" "@~/after.txt"
check_eq "stored after the restart" "$(sha "$T/jobs.txt")" "$(sha "$(stage_path after.txt)")"
check_eq "no process restarted: same frontend" yes "$(alive "$PID_frontend" && echo yes)"

# A hung Redis (SIGSTOP): the command timeout bounds every call.
kill -STOP "$PID_redis"
probe_down "Redis hung"
hung_ms=$WORST_MS
kill -CONT "$PID_redis"
check_rc "upload once Redis goes on" 0 py upload "$T/jobs.txt" "@~/after-hang.txt"
check_eq "stored after the hang" "$(sha "$T/jobs.txt")" "$(sha "$(stage_path after-hang.txt)")"
for p in "$PID_frontend" "${WORKER_PIDS[@]}"; do
  if alive "$p"; then pass "pid $p still running after the hang"; else fail "pid $p exited"; fi
done

sleep 0.5
parts=$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)
tmps=$(find "$DATA/.tmp" -type f 2>/dev/null | wc -l)
check_eq "no parts left in Redis" 0 "$parts"
check_eq "no pending stream entries" 0 "$(rcli XPENDING st:q workers | head -1)"
check_eq "no temp files in the fs root" 0 "$tmps"
log "SUMMARY: redis restart: jobs $N, succeeded $ok, lost $lost, wrong result $wrong," \
  "resumed after a retry $retried, slowest call while down ${worst_ms:-?} ms" \
  "(hung: ${hung_ms:-?} ms, redis.timeout_ms 1000)," \
  "streaming upload FAILED ${slow_failed:-never} ms after the restart," \
  "leftover parts $parts, temp files $tmps, processes exited 0"
e2e_finish
