#!/usr/bin/env bash
# test_http.sh - the HTTP side ports of the frontend and the workers. Frontend: /healthz (liveness), /readyz
# (Redis reachable, not draining; 503 with the reason otherwise) and /metrics
# (Prometheus text with the queue backlog and pending jobs).
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
e2e_finish
