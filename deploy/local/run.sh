#!/usr/bin/env bash
# deploy/local/run.sh - the whole stage service on this machine, no containers:
# installs what is missing (../install-deps.sh --runtime), builds into build/,
# then starts redis-server (AOF, appendfsync always), one stage-frontend and two
# stage-worker processes on the fs backend. Everything lives in .state/ at the
# top of the repository (git-ignored): redis/, data/, logs/, pids, root-password.
#
#   deploy/local/run.sh            run in the foreground; Ctrl-C stops everything
#   deploy/local/run.sh --detach   start in the background (pids in .state/pids)
#   deploy/local/run.sh --stop     stop a stack started with --detach
#   deploy/local/run.sh --status   show what runs
#
# Environment:
#   STAGE_ROOT_PASSWORD     root's password when root is first created (default:
#                           random); later runs keep the one in .state/root-password
#   STAGE_LOCAL_REDIS_PORT  6390      STAGE_LOCAL_GRPC_PORT  7070
#   STAGE_LOCAL_HTTP_PORT   7071      STAGE_LOCAL_WORKERS    2
#   STAGE_LOG_LEVEL         info      STAGE_LOCAL_NO_BUILD=1 skips install + build
#   STAGE_LOCAL_BUILD_DIR, STAGE_LOCAL_STATE_DIR: other places than build/, .state/
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STATE=${STAGE_LOCAL_STATE_DIR:-$ROOT/.state}
BUILD=${STAGE_LOCAL_BUILD_DIR:-$ROOT/build}
PIDS="$STATE/pids"
REDIS_PORT=${STAGE_LOCAL_REDIS_PORT:-6390}
GRPC_PORT=${STAGE_LOCAL_GRPC_PORT:-7070}
HTTP_PORT=${STAGE_LOCAL_HTTP_PORT:-7071}
WORKERS=${STAGE_LOCAL_WORKERS:-2}
STARTED=() # "name pid" of what this run started

say() { printf 'run.sh: %s\n' "$*"; }
die() {
  printf 'run.sh: %s\n' "$*" >&2
  exit 1
}

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

alive() { kill -0 "$1" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ------------------------------------------------------------------ stop

stop_pid() { # NAME PID
  alive "$2" || return 0
  kill -TERM "$2" 2>/dev/null || true
  for _ in $(seq 150); do
    alive "$2" || return 0
    sleep 0.1
  done
  say "$1 (pid $2) ignored SIGTERM for 15 s; sending SIGKILL"
  kill -KILL "$2" 2>/dev/null || true
}

# Stop "name pid" entries: the frontend first (it drains its calls while the
# workers still run), then the workers, then Redis.
stop_list() {
  local pass name pid e
  for pass in frontend 'worker*' redis; do
    for e in "$@"; do
      read -r name pid <<<"$e"
      # shellcheck disable=SC2053 # $pass is a glob on purpose
      [[ $name == $pass ]] || continue
      say "stopping $name (pid $pid)"
      stop_pid "$name" "$pid"
    done
  done
}

cmd_stop() {
  [ -f "$PIDS" ] || die "nothing to stop: no $PIDS"
  local lines=()
  mapfile -t lines <"$PIDS"
  stop_list "${lines[@]}"
  rm -f "$PIDS"
  say "stopped"
}

cmd_status() {
  [ -f "$PIDS" ] || {
    say "not running (no $PIDS)"
    return 1
  }
  local name pid rc=0
  while read -r name pid; do
    if alive "$pid"; then say "$name: running (pid $pid)"; else
      say "$name: NOT running (pid $pid)"
      rc=1
    fi
  done <"$PIDS"
  return $rc
}

# ------------------------------------------------------------------ start

build() {
  [ "${STAGE_LOCAL_NO_BUILD:-0}" = 1 ] && return 0
  "$ROOT/deploy/install-deps.sh" --runtime
  # Tests need cmocka, which --runtime does not install; keep them when it is there.
  local tests=OFF
  pkg-config --exists cmocka 2>/dev/null && tests=ON
  say "building into build/"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTAGE_BUILD_TESTS=$tests >/dev/null
  cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" --target stage-frontend stage-worker stagectl
}

root_password() {
  local f="$STATE/root-password"
  if [ -s "$f" ]; then
    # root was created with this one; the frontend never changes an existing user
    ROOT_PW=$(cat "$f")
    if [ -n "${STAGE_ROOT_PASSWORD:-}" ] && [ "$STAGE_ROOT_PASSWORD" != "$ROOT_PW" ]; then
      say "warning: root already has the password in $f; STAGE_ROOT_PASSWORD is ignored" \
        "(remove $STATE to start from scratch)"
    fi
  elif [ -n "${STAGE_ROOT_PASSWORD:-}" ]; then
    ROOT_PW=$STAGE_ROOT_PASSWORD
  else
    ROOT_PW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)
  fi
  (umask 077 && printf '%s\n' "$ROOT_PW" >"$f")
  chmod 600 "$f"
}

# The AES-256-GCM key that seals external stages' secrets: made once, kept
# beside the data it protects (mode 0600), given to every process by file.
master_key() {
  local f="$STATE/master-key"
  [ -s "$f" ] || (umask 077 && head -c 32 /dev/urandom | base64 >"$f")
  chmod 600 "$f"
  export STAGE_MASTER_KEY_FILE="$f"
}

# Start NAME CMD... in the background, logging to .state/logs/NAME.log.
launch() {
  local name=$1
  shift
  if [ "$DETACH" = 1 ]; then
    setsid "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  else
    "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  fi
  STARTED+=("$name $!")
  printf '%s %s\n' "$name" "$!" >>"$PIDS"
}

wait_for() { # WHAT PORT PID
  for _ in $(seq 300); do
    port_open "$2" && return 0
    alive "$3" || break
    sleep 0.1
  done
  die "$1 did not start on port $2; see $STATE/logs/ (last lines:)"$'\n'"$(tail -15 "$STATE/logs/$1.log" 2>/dev/null)"
}

start_all() {
  mkdir -p "$STATE/redis" "$STATE/data" "$STATE/logs"
  chmod 700 "$STATE"
  if [ -f "$PIDS" ]; then
    local name pid
    while read -r name pid; do
      alive "$pid" && die "already running ($name pid $pid); stop it with: $0 --stop"
    done <"$PIDS"
    rm -f "$PIDS"
  fi
  for p in "$REDIS_PORT" "$GRPC_PORT" "$HTTP_PORT"; do
    port_open "$p" && die "port $p is in use (set STAGE_LOCAL_*_PORT)"
  done
  root_password
  master_key
  launch redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
    --daemonize no --dir "$STATE/redis" --appendonly yes --appendfsync always \
    --maxmemory-policy noeviction --save '' --rdbcompression no
  wait_for redis "$REDIS_PORT" "${STARTED[0]#* }"

  export STAGE_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  export STAGE_STORAGE_TYPE=fs STAGE_STORAGE_FS_ROOT="$STATE/data"
  export STAGE_LOG_LEVEL="${STAGE_LOG_LEVEL:-info}"
  STAGE_ROOT_PASSWORD="$ROOT_PW" STAGE_SERVER_LISTEN="127.0.0.1:$GRPC_PORT" \
    STAGE_SERVER_HTTP_LISTEN="127.0.0.1:$HTTP_PORT" launch frontend "$BUILD/frontend/stage-frontend"
  for i in $(seq "$WORKERS"); do
    STAGE_SERVER_HTTP_LISTEN="127.0.0.1:$((HTTP_PORT + i))" \
      launch "worker$i" "$BUILD/worker/stage-worker"
  done
  wait_for frontend "$GRPC_PORT" "${STARTED[1]#* }"
}

print_help() {
  local ctl="$BUILD/cli/stagectl"
  cat <<EOF

stage service is up$([ "$DETACH" = 1 ] && echo " (detached; stop: $0 --stop)" || echo " (Ctrl-C stops it)")
  gRPC       127.0.0.1:$GRPC_PORT        HTTP http://127.0.0.1:$HTTP_PORT/healthz  /readyz  /metrics
  Redis      127.0.0.1:$REDIS_PORT        AOF, appendfsync always, in $STATE/redis
  storage    fs, root $STATE/data
  logs       $STATE/logs/
  processes  $(for s in "${STARTED[@]}"; do printf '%s ' "${s/ /:}"; done)
  root password: $ROOT_PW   (kept in $STATE/root-password, mode 0600)

try it:
  export PATH="$BUILD/cli:\$PATH" STAGE_SERVER=127.0.0.1:$GRPC_PORT
  STAGE_PASSWORD="\$(cat $STATE/root-password)" stagectl login root
  stagectl put README.md @~/docs/
  stagectl ls @~/docs/
  stagectl get @~/docs/README.md /tmp/README.copy
  stagectl rm @~/docs/ --pattern '.*[.]md' --wait
  stagectl job get <JOB_ID from put or rm>
EOF
  [ -x "$ctl" ] || say "note: $ctl is missing"
}

on_signal() {
  trap - INT TERM
  printf '\n'
  say "stopping"
  stop_list "${STARTED[@]}"
  rm -f "$PIDS"
  exit 0
}

on_exit() {
  local rc=$?
  # a failed start (foreground or detached) leaves nothing running
  if [ "$rc" -ne 0 ] && [ ${#STARTED[@]} -gt 0 ]; then
    stop_list "${STARTED[@]}"
    rm -f "$PIDS"
  fi
}

foreground() {
  trap on_signal INT TERM
  while :; do
    local name pid
    for s in "${STARTED[@]}"; do
      read -r name pid <<<"$s"
      if ! alive "$pid"; then
        say "$name (pid $pid) exited; last log lines:"
        tail -15 "$STATE/logs/$name.log" >&2 || true
        trap - INT TERM
        stop_list "${STARTED[@]}"
        rm -f "$PIDS"
        exit 1
      fi
    done
    sleep 1 &
    wait $! || true
  done
}

DETACH=0
case "${1:-}" in
--stop) cmd_stop; exit 0 ;;
--status) cmd_status; exit $? ;;
--detach) DETACH=1 ;;
-h | --help) usage; exit 0 ;;
"") ;;
*) usage >&2; exit 2 ;;
esac

trap on_exit EXIT
build
start_all
print_help
if [ "$DETACH" = 1 ]; then
  STARTED=() # keep them running
  exit 0
fi
foreground
