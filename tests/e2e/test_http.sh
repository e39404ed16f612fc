#!/usr/bin/env bash
# test_http.sh - the HTTP side ports of the frontend and the workers. Frontend: /healthz (liveness), /readyz
# (Redis reachable, not draining; 503 with the reason otherwise) and /metrics
# (Prometheus text with the queue backlog and pending jobs); then the gRPC
# Health/Watch stream through a SIGTERM (the test's last step).
# Hostile clients of the listener (server.http_timeout_s 10,
# server.http_max_connections 16 here): six 64 MiB PUTs to a bad presigned
# URL are answered 403 from their headers and the frontend's peak RSS does
# not grow with them; an idle connection is closed after the timeout; a
# connection over the cap waits unanswered while the others are held.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init http
export STAGE_SERVER_HTTP_TIMEOUT_S=10 STAGE_SERVER_HTTP_MAX_CONNECTIONS=16
e2e_start
login_root

URL="http://127.0.0.1:$HTTP_PORT"
code() { curl -s -o /dev/null -w '%{http_code}' "$1"; }

check_eq "GET /healthz" 200 "$(code "$URL/healthz")"
check_eq "GET /readyz with Redis up" 200 "$(code "$URL/readyz")"
check_eq "GET /nope" 404 "$(code "$URL/nope")"
m=$(curl -s "$URL/metrics")
check_contains "metrics: redis up" "$m" "stage_redis_up 1"
check_contains "metrics: backlog gauge" "$m" "# TYPE stage_queue_backlog gauge"
check_contains "metrics: empty queue" "$m" "stage_queue_backlog 0"

# Each worker answers on its own side port, on its event loop.
WURL="http://127.0.0.1:${WORKER_HTTP_PORTS[0]}"
check_eq "worker GET /healthz" 200 "$(code "$WURL/healthz")"
check_eq "worker GET /readyz" 200 "$(code "$WURL/readyz")"
check_eq "worker GET /nope" 404 "$(code "$WURL/nope")"
m=$(curl -s "$WURL/metrics")
check_contains "worker metrics: redis up" "$m" "stage_worker_redis_up 1"
check_contains "worker metrics: idle" "$m" "stage_worker_running_jobs 0"

# Jobs that no worker takes show up as backlog.
for p in "${WORKER_PIDS[@]}"; do kill -STOP "$p"; done
printf 'x' >"$T/one"
for i in 1 2 3; do py upload "$T/one" "@~/q$i" --no-wait >/dev/null; done
m=$(curl -s "$URL/metrics")
check_contains "metrics: 3 queued jobs" "$m" "stage_queue_backlog 3"
for p in "${WORKER_PIDS[@]}"; do kill -CONT "$p"; done
for _ in $(seq 100); do
  case "$(curl -s "$URL/metrics")" in *"stage_queue_backlog 0"*) break ;; esac
  sleep 0.1
done

# Counters and histograms: calls by method and status, their durations and
# bytes, the build; on the workers, job runs by kind and outcome.
m=$(curl -s "$URL/metrics")
check_contains "metrics: calls by method and status" "$m" 'stage_rpc_total{method="Login",code="OK"}'
check_contains "metrics: the three uploads" "$m" 'stage_rpc_total{method="UploadFile",code="OK"} 3'
check_contains "metrics: a duration histogram per method" "$m" \
  'stage_rpc_duration_seconds_bucket{method="Login",le="+Inf"}'
check_contains "metrics: bytes by method" "$m" 'stage_rpc_bytes_total{method="UploadFile"} 3'
check_contains "metrics: build info" "$m" 'stage_build_info{component="frontend",version="'
check_contains "metrics: cluster-wide gauges say how to aggregate" "$m" "aggregate with max"
wm=""
for hp in "${WORKER_HTTP_PORTS[@]}"; do wm+=$(curl -s "http://127.0.0.1:$hp/metrics"); done
check_contains "worker metrics: job runs by kind and outcome" "$wm" \
  'stage_worker_job_runs_total{kind="upload",outcome="succeeded"}'
check_contains "worker metrics: run durations" "$wm" \
  'stage_worker_job_duration_seconds_bucket{kind="upload",le="+Inf"}'
check_contains "worker metrics: build info" "$wm" 'stage_build_info{component="worker"'

# Redis reconnects: none on a healthy stack; when Redis drops every normal
# client connection (CLIENT KILL, as a restart or a failover would), each
# process renews its connections and counts them, and calls work again.
reconnects() { curl -s "http://127.0.0.1:$1/metrics" | sed -n 's/^stage_redis_reconnects_total //p'; }
check_eq "metrics: no Redis reconnects yet (frontend)" 0 "$(reconnects "$HTTP_PORT")"
for hp in "${WORKER_HTTP_PORTS[@]}"; do
  check_eq "worker metrics: no Redis reconnects yet ($hp)" 0 "$(reconnects "$hp")"
done
killed=$(rcli CLIENT KILL TYPE normal)
log "CLIENT KILL TYPE normal: $killed connections"
for hp in "$HTTP_PORT" "${WORKER_HTTP_PORTS[@]}"; do
  # A process notices at once (EOF on the socket) or at its next command:
  # poll with a call now and then, up to 60 s.
  for _ in $(seq 600); do
    [ "$(reconnects "$hp")" -gt 0 ] 2>/dev/null && break
    sleep 0.1
  done
  n=$(reconnects "$hp")
  check_rc "metrics: Redis reconnects counted after CLIENT KILL (port $hp: ${n:-none})" 0 test "${n:-0}" -gt 0
done
printf 'y' >"$T/two"
check_rc "an upload after the connections were killed" 0 py upload "$T/two" "@~/after-kill"

# Redis gone: not ready, with the reason; still alive.
kill -STOP "$PID_redis"
body=$(curl -s -m 20 "$URL/readyz" || true)
kill -CONT "$PID_redis"
check_contains "readyz names the cause while Redis is stopped" "$body" "not ready"
check_eq "healthz while Redis was stopped" 200 "$(code "$URL/healthz")"

# Hostile clients: bodies before authentication, idle and excess connections.
export E2E_HTTP_PORT="$HTTP_PORT" E2E_FE_PID="$PID_frontend"
check_rc "the HTTP listener holds no body before checking, times out, caps connections" 0 \
  pyrun <<'EOF'
import os, socket, threading, time
port, pid, MIB = int(os.environ["E2E_HTTP_PORT"]), os.environ["E2E_FE_PID"], 1 << 20
def hwm_mib():
    with open("/proc/%s/status" % pid) as f:
        return [int(l.split()[1]) for l in f if l.startswith("VmHWM:")][0] / 1024
def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=60)
def put(polite, out, i):
    s = conn()
    s.sendall(b"PUT /v1/presign/not-a-token HTTP/1.1\r\nHost: x\r\n"
              b"Content-Length: %d\r\n\r\n" % (64 * MIB))
    status, sent, block = b"", 0, b"\0" * MIB
    if polite:  # read the answer to the headers alone, then push the body anyway
        status = s.recv(4096)
    try:
        while sent < 64 * MIB:
            s.sendall(block)
            sent += MIB
    except OSError:
        pass
    if not polite:
        try:
            status = s.recv(4096)
        except OSError:
            status = b"(reset)"
    out[i] = (status.split(b"\r\n")[0].decode(errors="replace"), sent // MIB)
    s.close()
before = hwm_mib()
out = [None] * 6
ts = [threading.Thread(target=put, args=(i < 3, out, i)) for i in range(6)]
[t.start() for t in ts]
[t.join() for t in ts]
after = hwm_mib()
print("six 64 MiB PUTs to a bad URL: %s; frontend VmHWM %.1f -> %.1f MiB" % (out, before, after))
polite_403 = all(o[0].endswith("403 Forbidden") for o in out[:3])
grew = after - before
# an idle connection is closed after server.http_timeout_s (10 s)
s, t0 = conn(), time.time()
idle_closed = s.recv(1) == b""
idle_s = time.time() - t0
s.close()
print("idle connection closed by the server after %.1f s" % idle_s)
# 16 connections held (each sent a partial request line): a 17th is not
# taken (it waits in the kernel's backlog, costing the frontend nothing)
# until one of them closes, then it is served
held = [conn() for _ in range(16)]
for h in held:
    h.sendall(b"GET /hea")
x = conn()
x.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
x.settimeout(2)
try:
    extra = x.recv(4096)
except socket.timeout:
    extra = b"(no answer within 2 s)"
print("17th connection while 16 are held: %r" % extra[:40])
for h in held:
    h.close()
x.settimeout(30)
again = x.recv(4096).split(b"\r\n")[0]
print("the 17th once they closed: %r" % again)
x.close()
errs = []
if not polite_403:
    errs.append("a PUT to a bad URL was not answered 403 from its headers")
if grew > 16:
    errs.append("peak RSS grew %.1f MiB with the bodies" % grew)
if not idle_closed or idle_s > 40:
    errs.append("idle connection not closed by the timeout")
if extra.startswith(b"HTTP/1.1 200"):
    errs.append("the 17th connection was served")
if not again.startswith(b"HTTP/1.1 200"):
    errs.append("/healthz did not answer after the held connections closed")
raise SystemExit("; ".join(errs) if errs else 0)
EOF
printf '%s\n' "$OUT"

# grpc.health.v1.Health/Watch: the status at once, SERVICE_UNKNOWN (the
# stream stays open) for an unknown name; on SIGTERM NOT_SERVING, then the
# stream ends UNAVAILABLE and does not hold the drain up.
E2E_READY="$T/hwatch.ready" pyrun >"$T/hwatch.json" 2>"$T/hwatch.err" <<'EOF' &
import json, os, threading, time, grpc, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"])
fn = c.channel.unary_stream(
    "/grpc.health.v1.Health/Watch",
    request_serializer=sc.health_pb.HealthCheckRequest.SerializeToString,
    response_deserializer=sc.health_pb.HealthCheckResponse.FromString)
name = sc.health_pb.HealthCheckResponse.ServingStatus.Name
out = {"all": [], "unknown": [], "ready_file": os.environ["E2E_READY"]}
unknown = fn(sc.health_pb.HealthCheckRequest(service="nope"), timeout=60)
out["unknown"].append(name(next(unknown).status))
stream = fn(sc.health_pb.HealthCheckRequest(service=""), timeout=60)
first = name(next(stream).status)
out["all"].append(first)
time.sleep(1.5)
out["unknown_open"] = unknown.running()
unknown.cancel()
open(os.environ["E2E_READY"], "w").write("x")
t0 = time.time()
try:
    for m in stream:
        out["all"].append(name(m.status))
    out["end"] = "OK"
except grpc.RpcError as e:
    out["end"] = e.code().name
out["end_s"] = round(time.time() - t0, 2)
print(json.dumps(out))
EOF
hw=$!
for _ in $(seq 200); do [ -e "$T/hwatch.ready" ] && break; sleep 0.05; done
kill -TERM "$PID_frontend"
wait "$hw" || true
wait "$PID_frontend" 2>/dev/null || true
W=$(cat "$T/hwatch.json")
log "Health/Watch: $W"
check_eq "Health/Watch: SERVING at once" SERVING "$(jget "$W" 'j["all"][0]')"
check_eq "Health/Watch of an unknown service: SERVICE_UNKNOWN" SERVICE_UNKNOWN "$(jget "$W" 'j["unknown"][0]')"
check_eq "... and the stream stays open" True "$(jget "$W" 'j["unknown_open"]')"
check_eq "on SIGTERM the watcher sees NOT_SERVING" NOT_SERVING "$(jget "$W" 'j["all"][-1]')"
check_eq "... then the stream ends UNAVAILABLE" UNAVAILABLE "$(jget "$W" 'j["end"]')"
e2e_finish
