#!/usr/bin/env bash
# with_redis.sh CMD... - run CMD against a throwaway redis-server on a free port in a
# temp dir (AOF on, appendfsync always). Exports STAGE_TEST_REDIS_URL, STAGE_TEST_REDIS_PORT,
# STAGE_TEST_REDIS_DIR. The server and the dir are removed on exit, whatever happens.
set -euo pipefail
dir=$(mktemp -d "${TMPDIR:-/tmp}/stage-redis.XXXXXX")
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes --daemonize no \
  --save '' --appendonly yes --appendfsync always --dir "$dir" \
  --logfile "$dir/redis.log" --pidfile "$dir/redis.pid" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 100); do
  redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
export STAGE_TEST_REDIS_URL="redis://127.0.0.1:$port" STAGE_TEST_REDIS_PORT="$port" STAGE_TEST_REDIS_DIR="$dir"
"$@"
