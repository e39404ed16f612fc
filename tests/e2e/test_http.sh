#!/usr/bin/env bash
# test_http.sh - the HTTP side ports of the frontend and the workers. Frontend: /healthz (liveness), /readyz
# (Redis reachable, not draining; 503 with the reason otherwise) and /metrics
# (Prometheus text with the queue backlog and pending jobs); then the gRPC
# Health/Watch stream through a SIGTERM (the test's last step).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init http
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

# Redis gone: not ready, with the reason; still alive.
kill -STOP "$PID_redis"
body=$(curl -s -m 20 "$URL/readyz" || true)
kill -CONT "$PID_redis"
check_contains "readyz names the cause while Redis is stopped" "$body" "not ready"
check_eq "healthz while Redis was stopped" 200 "$(code "$URL/healthz")"

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
