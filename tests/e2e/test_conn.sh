#!/usr/bin/env bash
# test_conn.sh - connection management for L4 load balancing
# (server.max_connection_age_s 2, server.max_connection_age_grace_s 5 here):
#  1. one client channel making a call every 0.5 s for 8 s: every call
#     succeeds, and the channel is on a new TCP connection after it (the
#     frontend asked the old one to go: behind an L4 balancer the client
#     would land on another pod);
#  2. a WatchJob stream open across the connection's age ends normally
#     (the grace lets it finish);
#  3. a client pinging every second, idle, for 6 s is not sent away with
#     GOAWAY too_many_pings: its next call succeeds.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init conn
export STAGE_SERVER_MAX_CONNECTION_AGE_S=2 STAGE_SERVER_MAX_CONNECTION_AGE_GRACE_S=5
e2e_start
login_root

export E2E_GRPC_PORT="$GRPC_PORT" E2E_WORKERS="${WORKER_PIDS[*]}"
check_rc "aged connections are replaced, no call fails, pings are welcome" 0 pyrun <<'EOF'
import os, subprocess, threading, time, grpc, stageclient as sc
port = os.environ["E2E_GRPC_PORT"]

def client_ports():
    """The client ends of connections to the frontend, as 'port/sk:cookie': the
    socket cookie tells a new connection from the old one even when the
    kernel hands the new one the same local port (tcp_tw_reuse on loopback)."""
    out = subprocess.run(["ss", "-Htne", "state", "established", "dst", "127.0.0.1:" + port],
                         capture_output=True, text=True).stdout
    conns = set()
    for l in out.splitlines():
        f = l.split()
        if len(f) < 4:
            continue
        local = next(x for x in f if x.count(":") and not x.startswith(("timer", "ino", "sk", "cgroup")))
        sk = next((x for x in f if x.startswith("sk:")), "sk:?")
        conns.add("%s/%s" % (local.rsplit(":", 1)[1], sk))
    return sorted(conns)

errs = []
c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
c.health()
first = client_ports()
fails = 0
for _ in range(16):
    try:
        c.rpc("ListStages")
    except Exception as e:
        fails += 1
        print("call failed:", e)
    time.sleep(0.5)
later = client_ports()
print("client ports before %s, after 8 s %s; %d of 16 calls failed" % (first, later, fails))
if fails:
    errs.append("%d calls failed across connection ages" % fails)
if first and later and set(first) & set(later):
    errs.append("the first connection is still in use after 4 ages")

# a stream across an age: WatchJob on a job held queued for 3 s (workers stopped)
import signal
workers = [int(p) for p in os.environ["E2E_WORKERS"].split()]
for p in workers:
    os.kill(p, signal.SIGSTOP)
w = sc.StageClient(os.environ["E2E_SERVER"], token=c.token)
job = c.upload("@~/conn/a.bin", [b"x" * 10], size=10, wait=False)
got, end = [], {}
def watch():
    try:
        for j in w.watch_job(job.id):
            got.append(sc.STATE[j.state])
        end["code"] = "OK"
    except grpc.RpcError as e:
        end["code"] = e.code().name
t = threading.Thread(target=watch)
t.start()
time.sleep(3)
for p in workers:
    os.kill(p, signal.SIGCONT)
t.join(30)
print("WatchJob across an age: %s, ended %s" % (got, end.get("code")))
if end.get("code") != "OK" or not got or got[-1] != "SUCCEEDED":
    errs.append("WatchJob did not end with the job's state")

# keepalive pings from the client every second, idle
opts = [("grpc.keepalive_time_ms", 1000), ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0)]
ch = grpc.insecure_channel(os.environ["E2E_SERVER"], options=opts)
hc = ch.unary_unary("/grpc.health.v1.Health/Check",
                    request_serializer=sc.health_pb.HealthCheckRequest.SerializeToString,
                    response_deserializer=sc.health_pb.HealthCheckResponse.FromString)
hc(sc.health_pb.HealthCheckRequest(), timeout=10)
time.sleep(6)
try:
    hc(sc.health_pb.HealthCheckRequest(), timeout=10)
    print("after 6 s of pings: OK")
except grpc.RpcError as e:
    print("after 6 s of pings:", e.code().name, e.details())
    errs.append("a pinging client was refused: %s" % e.details())
raise SystemExit("; ".join(errs) if errs else 0)
EOF
printf '%s\n' "$OUT"
e2e_finish
