#!/usr/bin/env bash
# test_sentinel.sh - Redis Sentinel failover under load (issue 16).
#
# A primary (AOF), a replica (--replicaof) and three sentinels on free
# ports; the frontend and two workers know only the sentinels (redis.url
# names the primary, whose port stops answering after the crash: following
# the failover proves they asked the sentinels). 100 small uploads and a
# remove for every third of them run from 4 client threads, which retry a
# call that failed (a new job: they use no idempotency key). After about a
# third of them the primary is killed with -9; the sentinels
# (down-after-milliseconds 1000) promote the replica.
# Checks: the sentinels promote the replica; the service follows (a read and
# an upload succeed again) - printed in seconds, bounded loosely (30 s) for a
# slow shared machine; every operation of the clients ends done; every job the
# service acknowledged still exists on the new primary (WAIT: none lost);
# every job in Redis ends SUCCEEDED or FAILED with a reason (none left
# unfinished); every SUCCEEDED upload's file holds exactly its bytes on the fs
# backend, every SUCCEEDED remove left no file. Figures: failover and follow
# times, client retries, jobs retried by the service (attempts > 1), jobs
# FAILED and their reasons.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
N=100
export E2E_FSYNC=always STAGE_JOBS_LEASE_MS=2000 STAGE_JOBS_RETRY_BASE_MS=200
export STAGE_REDIS_TIMEOUT_MS=1000
e2e_init sentinel

# ------------------------------------------------------------------ the Redis set

# redis_node NAME PORT [ARGS...]: a redis-server with AOF in $T/NAME.
redis_node() {
  local name=$1 port=$2
  shift 2
  mkdir -p "$T/$name"
  redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes --daemonize no --save '' \
    --appendonly yes --appendfsync "$E2E_FSYNC" --dir "$T/$name" --maxmemory-policy noeviction \
    "$@" >>"$T/logs/$name.log" 2>&1 &
  E2E_PIDS+=("$!")
  LAST_PID=$!
}

wait_pong() {
  for _ in $(seq 100); do
    redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  die "nothing answers PING on port $1"
}

# Each sentinel rewrites its own config file: one writable file each.
sentinel_node() {
  local i=$1 port=$2
  mkdir -p "$T/sentinel$i"
  cat >"$T/sentinel$i/sentinel.conf" <<EOF
port $port
bind 127.0.0.1
daemonize no
dir $T/sentinel$i
sentinel monitor stage 127.0.0.1 $P_PRIMARY 2
sentinel down-after-milliseconds stage 1000
sentinel failover-timeout stage 5000
sentinel parallel-syncs stage 1
EOF
  redis-server "$T/sentinel$i/sentinel.conf" --sentinel >>"$T/logs/sentinel$i.log" 2>&1 &
  E2E_PIDS+=("$!")
}

master_port() { redis-cli -p "$1" SENTINEL get-master-addr-by-name stage 2>/dev/null | sed -n 2p; }

P_PRIMARY=$(free_port)
P_REPLICA=$(free_port)
redis_node primary "$P_PRIMARY"
PID_primary=$LAST_PID
wait_pong "$P_PRIMARY"
redis_node replica "$P_REPLICA" --replicaof 127.0.0.1 "$P_PRIMARY"
wait_pong "$P_REPLICA"
SENTINELS=()
for i in 1 2 3; do
  p=$(free_port)
  SENTINELS+=("$p")
  sentinel_node "$i" "$p"
done
for p in "${SENTINELS[@]}"; do wait_pong "$p"; done
# The sentinels must know the replica (from the primary's INFO, every 10 s at
# first) before a failover can promote it.
known=""
for _ in $(seq 300); do
  known=$(redis-cli -p "${SENTINELS[0]}" SENTINEL replicas stage 2>/dev/null | grep -c "^127.0.0.1:$P_REPLICA$" || true)
  link=$(redis-cli -p "$P_REPLICA" INFO replication | tr -d '\r' | sed -n 's/^master_link_status://p')
  [ "${known:-0}" -ge 1 ] && [ "$link" = up ] && break
  sleep 0.1
done
[ "${known:-0}" -ge 1 ] || die "the sentinels did not discover the replica in 30 s"
log "primary $P_PRIMARY, replica $P_REPLICA, sentinels ${SENTINELS[*]}"

REDIS_PORT=$P_PRIMARY # service_env's redis.url, rcli
export STAGE_REDIS_MASTER_NAME=stage
STAGE_REDIS_SENTINELS=$(printf '127.0.0.1:%s,' "${SENTINELS[@]}")
export STAGE_REDIS_SENTINELS=${STAGE_REDIS_SENTINELS%,}

start_frontend
WORKER_PIDS=()
WORKER_HTTP_PORTS=()
for i in 1 2; do start_worker "$i"; done
wait_ready
export STAGE_SERVER="$SERVER"
login_root
check_eq "replication acknowledged by WAIT before the crash" "1" "$(rcli WAIT 1 2000)"

# ------------------------------------------------------------------ the load

# Op i: upload sent/fNNN.txt (wait for it to be stored); every third op then
# removes it. A call that fails is retried (a new job) for up to 45 s.
pyrun "$N" "$T/ops.json" "$T/progress" <<'EOF' >"$T/logs/load.log" 2>&1 &
import hashlib, json, os, sys, threading, time
import stageclient as sc
n, out, progress = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
ops, acked, errors, done = {}, [], [], [0]

def call(c, what, fn):
    end = time.time() + 45
    while True:
        try:
            return fn()
        except sc.StageError as e:
            with lock:
                errors.append({"t": time.time(), "what": what, "code": e.code, "msg": e.message[:200]})
            if time.time() > end:
                raise
            time.sleep(0.25)

def op(c, i):
    name = "sent/f%03d.txt" % i
    data = ("op %d " % i).encode() * (1 + i * 37 % 300)
    rec = {"name": name, "sha": hashlib.sha256(data).hexdigest(), "uploads": [], "removes": []}
    ops[i] = rec
    while True:  # an upload that ended FAILED is tried again
        j = call(c, "upload " + name, lambda: c.upload("@~/" + name, data, overwrite=True))
        st = sc.STATE[j.state]
        with lock:
            acked.append(j.id)
        rec["uploads"].append([j.id, st])
        if st == "SUCCEEDED" or len(rec["uploads"]) >= 5:
            break
    if i % 3 == 0:
        while True:
            j = call(c, "remove " + name, lambda: c.remove("@~/" + name))
            with lock:
                acked.append(j.id)
            j = call(c, "wait " + j.id, lambda: c.wait_job(j.id, timeout=40))
            st = sc.STATE[j.state]
            rec["removes"].append([j.id, st])
            if st == "SUCCEEDED" or len(rec["removes"]) >= 5:
                break
    with lock:
        done[0] += 1
        with open(progress, "w") as f:
            f.write("%d\n" % done[0])

def worker(t):
    c = sc.StageClient(os.environ["E2E_SERVER"], timeout=20)
    call(c, "login", lambda: c.login("root", os.environ["E2E_ROOT_PW"]))
    for i in range(t, n, 4):
        op(c, i)
        time.sleep(0.05)

th = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
for x in th: x.start()
for x in th: x.join()
json.dump({"ops": ops, "acked": acked, "errors": errors, "done": done[0]}, open(out, "w"))
print("load done: %d ops, %d calls retried" % (done[0], len(errors)))
EOF
load=$!

for _ in $(seq 600); do
  [ "$(cat "$T/progress" 2>/dev/null || echo 0)" -ge $((N / 3)) ] && break
  alive "$load" || break
  sleep 0.05
done
check_ne "the load is under way when the primary dies" "" "$(cat "$T/progress" 2>/dev/null || true)"
kill -KILL "$PID_primary"
t_kill=$(date +%s.%N)
log "primary killed (-9) after $(cat "$T/progress") operations"

# The sentinels promote the replica.
promoted=""
for _ in $(seq 300); do
  [ "$(master_port "${SENTINELS[0]}")" = "$P_REPLICA" ] && { promoted=$(date +%s.%N); break; }
  sleep 0.1
done
check_ne "the sentinels promoted the replica (within 30 s)" "" "$promoted"
REDIS_PORT=$P_REPLICA

# The service follows: a read and an upload succeed again.
check_rc "the service follows the failover" 0 pyrun "$t_kill" <<'EOF'
import os, sys, time
import stageclient as sc
t_kill = float(sys.argv[1])
c = sc.StageClient(os.environ["E2E_SERVER"], timeout=10)
read = write = None
end = time.time() + 60
while (read is None or write is None) and time.time() < end:
    try:
        if read is None:
            c.login("root", os.environ["E2E_ROOT_PW"])
            c.list_jobs(page_size=1)
            read = time.time() - t_kill
        if write is None:
            j = c.upload("@~/probe/after.txt", b"after the failover", overwrite=True)
            if sc.STATE[j.state] == "SUCCEEDED":
                write = time.time() - t_kill
    except sc.StageError:
        pass
    time.sleep(0.1)
print("FOLLOW_READ %.1f" % (read if read is not None else -1))
print("FOLLOW_WRITE %.1f" % (write if write is not None else -1))
sys.exit(0 if read is not None and write is not None else 1)
EOF
printf '%s\n' "$OUT"
follow_read=$(sed -n 's/^FOLLOW_READ //p' <<<"$OUT")
follow_write=$(sed -n 's/^FOLLOW_WRITE //p' <<<"$OUT")
check_le "reads work again within 30 s of the crash (${follow_read} s)" 30 "${follow_read%.*}"
check_le "uploads work again within 30 s of the crash (${follow_write} s)" 30 "${follow_write%.*}"

for _ in $(seq 900); do alive "$load" || break; sleep 0.1; done
rc=0
wait "$load" || rc=$?
check_eq "the client load finished" 0 "$rc"
cat "$T/logs/load.log"

# ------------------------------------------------------------------ the audit

rcli ZRANGE st:jobs:root 0 -1 >"$T/alljobs.txt"
check_rc "every job ended, none lost, the files are right" 0 pyrun "$T/ops.json" "$T/alljobs.txt" "$t_kill" "$promoted" <<'EOF'
import collections, hashlib, json, os, sys, time
import stageclient as sc
res = json.load(open(sys.argv[1]))
in_redis = [l.strip() for l in open(sys.argv[2]) if l.strip()]
t_kill, t_prom = float(sys.argv[3]), float(sys.argv[4])
c = sc.StageClient(os.environ["E2E_SERVER"], timeout=20)
c.login("root", os.environ["E2E_ROOT_PW"])
bad = []
ids = set(in_redis) | set(res["acked"])
states, reasons, retried = collections.Counter(), collections.Counter(), 0
for jid in sorted(ids):
    try:
        j = c.wait_job(jid, timeout=30)
    except sc.StageError as e:
        bad.append("job %s %s: %s" % (jid, "acknowledged" if jid in res["acked"] else "", e))
        continue
    st = sc.STATE[j.state]
    states[st] += 1
    if j.attempts > 1:
        retried += 1
    if st not in ("SUCCEEDED", "FAILED"):
        bad.append("job %s ended %s" % (jid, st))
    if st == "FAILED":
        if not j.error_message:
            bad.append("job %s FAILED without a reason" % jid)
        reasons[j.error_message[:90]] += 1
data = os.environ["E2E_DATA"]
files_ok = 0
for i, rec in res["ops"].items():
    path = os.path.join(data, "stage/user/root", rec["name"])
    up_ok = any(s == "SUCCEEDED" for _, s in rec["uploads"])
    rm_ok = any(s == "SUCCEEDED" for _, s in rec["removes"])
    if not up_ok:
        bad.append("op %s: no upload succeeded: %s" % (i, rec["uploads"]))
    elif int(i) % 3 == 0 and not rm_ok:
        bad.append("op %s: no remove succeeded: %s" % (i, rec["removes"]))
    elif int(i) % 3 == 0:
        if os.path.exists(path):
            bad.append("op %s: %s still exists after its remove succeeded" % (i, rec["name"]))
        else:
            files_ok += 1
    elif not os.path.exists(path):
        bad.append("op %s: %s missing although its upload succeeded" % (i, rec["name"]))
    elif hashlib.sha256(open(path, "rb").read()).hexdigest() != rec["sha"]:
        bad.append("op %s: %s has other bytes than uploaded" % (i, rec["name"]))
    else:
        files_ok += 1
errs = res["errors"]
codes = collections.Counter(e["code"] for e in errs)
last_err = max((e["t"] for e in errs), default=t_kill) - t_kill
print("figures: failover (kill -> sentinels name the replica) %.1f s; last client error %.1f s after the kill" % (t_prom - t_kill, last_err))
print("figures: %d operations, %d jobs (%s), %d acknowledged to clients" % (len(res["ops"]), len(ids), dict(states), len(res["acked"])))
print("figures: %d calls retried by the clients (%s); %d jobs run again by the service (attempts > 1); %d jobs FAILED" % (len(errs), dict(codes), retried, states["FAILED"]))
for r, k in reasons.most_common(6):
    print("   FAILED x%d: %s" % (k, r))
print("files checked: %d of %d" % (files_ok, len(res["ops"])))
for b in bad[:20]:
    print("BAD:", b)
sys.exit(1 if bad else 0)
EOF
printf '%s\n' "$OUT"
[ -n "$ERR" ] && printf '%s\n' "$ERR" | tail -5
fe_log=$(grep -c "sentinel\|connection lost\|cannot connect" "$T/logs/frontend.log" || true)
log "frontend log lines about the failover: $fe_log"
check_eq "the frontend is still running" 0 "$(alive "$PID_frontend" && echo 0 || echo 1)"
e2e_finish
