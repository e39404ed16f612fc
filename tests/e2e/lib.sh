# shellcheck shell=bash
# lib.sh - shared helpers of the end-to-end tests (sourced, not run).
#
# A test does:
#   . "$(dirname "$0")/lib.sh"
#   e2e_init roundtrip          # temp dir, trap, paths, generated Python modules
#   e2e_start                   # redis-server + stage-frontend + 2 stage-worker
#   check_eq "what" "$expected" "$actual" ...
#   e2e_finish                  # exit 0, or 1 if any check failed
#
# Environment:
#   STAGE_BIN_DIR  the CMake build dir (binaries in frontend/, worker/, cli/); required
#   STAGE_SRC_DIR  the source tree (default: two levels above this file)
#   E2E_KEEP=1     keep the temp dir (logs, data) after the test
#   E2E_WORKERS    number of workers (default 2)
#   E2E_FSYNC      Redis appendfsync policy (default everysec; deploy/local uses always)
#   E2E_STORAGE    fs (default), s3 or azblob: the stack stores into an S3 emulator
#                  (start_s3rver) or the Azure Blob emulator (start_azurite, container
#                  $AZ_CONTAINER)
#   E2E_ENDPOINT_ALLOW  storage.endpoint_allow of the services (default 127.0.0.1,
#                  where the emulators listen)
# Everything lives in one temp dir ($T); the EXIT trap stops every process this
# file started (by pid) and removes $T. Checks print both sides and go on; a
# failed check makes the test fail at e2e_finish. `die` stops at once.

PY=/usr/bin/python3 # Debian's python3 has grpcio; a pyenv python3 on PATH does not
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${STAGE_SRC_DIR:=$(cd "$E2E_DIR/../.." && pwd)}"
export STAGE_SRC_DIR

E2E_FAILS=0
E2E_CHECKS=0
E2E_PIDS=()
declare -gA WORKER_PID_OF=() # worker name (e2e-worker-N) -> pid; start_worker fills it
E2E_SECRETS=() # passwords and backend keys a test uses; e2e_finish checks none leaked
E2E_NAME=""
T=""

log() { printf '[%s %s] %s\n' "$(date +%H:%M:%S)" "$E2E_NAME" "$*"; }

# ------------------------------------------------------------------ checks

die() {
  printf 'FATAL: %s\n' "$*" >&2
  E2E_FAILS=$((E2E_FAILS + 1))
  exit 1
}

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  E2E_FAILS=$((E2E_FAILS + 1))
}

pass() {
  E2E_CHECKS=$((E2E_CHECKS + 1))
  printf 'ok: %s\n' "$*"
}

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
  E2E_CHECKS=$((E2E_CHECKS + 1))
  if [ "$2" = "$3" ]; then
    printf 'ok: %s\n' "$1"
  else
    fail "$1"$'\n'"    expected: [$2]"$'\n'"    actual:   [$3]"
  fi
}

# check_ne WHAT UNEXPECTED ACTUAL
check_ne() {
  E2E_CHECKS=$((E2E_CHECKS + 1))
  if [ "$2" != "$3" ]; then
    printf 'ok: %s\n' "$1"
  else
    fail "$1"$'\n'"    expected anything but: [$2]"
  fi
}

# check_contains WHAT HAYSTACK NEEDLE
check_contains() {
  E2E_CHECKS=$((E2E_CHECKS + 1))
  case "$2" in
  *"$3"*) printf 'ok: %s\n' "$1" ;;
  *) fail "$1"$'\n'"    expected to contain: [$3]"$'\n'"    actual: [$2]" ;;
  esac
}

# check_le WHAT LIMIT ACTUAL (integers)
check_le() {
  E2E_CHECKS=$((E2E_CHECKS + 1))
  if [ "$3" -le "$2" ]; then
    printf 'ok: %s (%s <= %s)\n' "$1" "$3" "$2"
  else
    fail "$1"$'\n'"    expected <= $2"$'\n'"    actual:   $3"
  fi
}

# check_rc WHAT EXPECTED_RC CMD... : run CMD, compare its exit code; its
# stdout/stderr are kept in $OUT / $ERR for further checks.
check_rc() {
  local what=$1 want=$2 rc=0
  shift 2
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  OUT=$(cat "$T/out")
  ERR=$(cat "$T/err")
  E2E_CHECKS=$((E2E_CHECKS + 1))
  if [ "$rc" = "$want" ]; then
    printf 'ok: %s (exit %s)\n' "$what" "$rc"
  else
    fail "$what: exit code"$'\n'"    expected: $want"$'\n'"    actual:   $rc"$'\n'"    command: $*"$'\n'"    stdout: ${OUT:0:600}"$'\n'"    stderr: ${ERR:0:600}"
  fi
}

# ------------------------------------------------------------------ JSON, files

# jget JSON EXPR : print a Python expression over the parsed JSON `j`
# (jget "$out" 'j["job"]["state"]'); prints "<error: ...>" when it fails.
jget() {
  "$PY" -c 'import json,sys
try:
    j = json.loads(sys.argv[1])
    v = eval(sys.argv[2])
    print(json.dumps(v) if isinstance(v, (dict, list)) else v)
except Exception as e:
    print("<error: %s>" % e)' "$1" "$2"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# Random file of N bytes.
mkrand() { head -c "$2" /dev/urandom >"$1"; }

# Path of a file of user root's stage in the fs backend. With E2E_STORAGE=s3 (azblob) the
# object is downloaded with boto3 (@azure/storage-blob), an independent client, into
# $T/s3get and that path printed (a path that does not exist if the object is missing).
stage_path() {
  if [ "$E2E_STORAGE" != fs ]; then
    local dst
    dst="$T/s3get/$1"
    mkdir -p "$(dirname "$dst")"
    rm -f "$dst"
    if [ "$E2E_STORAGE" = s3 ]; then
      s3util get "stage/user/root/$1" "$dst" 2>/dev/null || true
    else
      azutil get "$AZ_CONTAINER" "stage/user/root/$1" "$dst" 2>/dev/null || rm -f "$dst"
    fi
    printf '%s' "$dst"
    return
  fi
  printf '%s/stage/user/root/%s' "$DATA" "$1"
}

# Files under the fs root (relative paths, sorted), excluding nothing; the bucket's keys
# (listed by boto3) with E2E_STORAGE=s3, the container's blobs (@azure/storage-blob) with
# azblob.
data_files() {
  case "$E2E_STORAGE" in
  s3) s3util ls ;;
  azblob) azutil list "$AZ_CONTAINER" "" | LC_ALL=C sort ;;
  *) (cd "$DATA" 2>/dev/null && find . -type f | sed 's|^\./||' | LC_ALL=C sort) || true ;;
  esac
}

# ------------------------------------------------------------------ S3 emulator

# E2E_STORAGE=s3 runs the stack with storage.type s3 against @20minutes/s3rver
# (tests/e2e/install-emulators.sh), which checks SigV4 signatures. start_s3rver [BUCKET]
# also serves BUCKET; E2E_S3RVER_ARGS adds s3rver flags (--allow-mismatched-signatures).
: "${E2E_STORAGE:=fs}"
S3_BUCKET=stage-e2e

start_s3rver() {
  local emu=${STAGE_EMU_DIR:-/var/tmp/stage-emulators} i
  [ -f "$emu/s3rver.js" ] || die "no S3 emulator in $emu (run tests/e2e/install-emulators.sh)"
  mkdir -p "$T/s3"
  # Continuation tokens are DES-encrypted: Node >= 17 needs the legacy provider.
  # E2E_S3_LOG=1: log every request (path, query, status) for checks.
  local quiet=(-s)
  [ "${E2E_S3_LOG:-0}" = 1 ] && quiet=()
  NODE_OPTIONS=--openssl-legacy-provider node "$emu/s3rver.js" -d "$T/s3" -a 127.0.0.1 -p 0 \
    "${quiet[@]}" \
    --configure-bucket "$S3_BUCKET" ${1:+--configure-bucket "$1"} ${E2E_S3RVER_ARGS:-} \
    >"$T/logs/s3rver.log" 2>&1 &
  PID_s3rver=$!
  E2E_PIDS+=("$PID_s3rver")
  S3_PORT=""
  for i in $(seq 150); do
    # the log appears when the child opens it: until then, no port yet
    S3_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/logs/s3rver.log" 2>/dev/null |
      head -1 || true)
    [ -n "$S3_PORT" ] && break
    alive "$PID_s3rver" || die "s3rver exited: $(tail -5 "$T/logs/s3rver.log")"
    sleep 0.2
  done
  [ -n "$S3_PORT" ] || die "s3rver did not start: $(tail -5 "$T/logs/s3rver.log")"
  S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  export E2E_S3_ENDPOINT="$S3_ENDPOINT" E2E_S3_BUCKET="$S3_BUCKET" E2E_S3_KEY=S3RVER E2E_S3_SECRET=S3RVER
  log "s3rver on $S3_ENDPOINT, bucket $S3_BUCKET"
}

# boto3 against the emulator (tests/e2e/s3util.py).
s3util() { env -u AWS_CA_BUNDLE "$PY" "$E2E_DIR/s3util.py" "$@"; }

# The Azure Blob emulator (azurite, tests/e2e/install-emulators.sh), which checks SharedKey
# and SAS signatures: in memory, on a free port, account devstoreaccount1 with its
# published key, path-style URLs (AZ_ENDPOINT ends with the account).
AZ_ACCOUNT=devstoreaccount1
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
# How many requests for OPERATION azurite's debug log (E2E_AZ_DEBUG=1) holds. azurite
# writes that log behind its answers: azlog_mark first, to count everything answered so far.
azlog_count() {
  local log="$T/logs/azurite-debug.log"
  if [ -f "$log" ]; then grep -ac "Operation=$1\b" "$log" || true; else echo 0; fi
}
# Wait (at most 10 s) until azurite's debug log holds every request answered before: it
# logs in order, so once a fresh marker request is in it, so is everything before that.
azlog_mark() {
  local m="e2e-mark-$RANDOM$RANDOM" _
  curl -s -o /dev/null -I "$AZ_ENDPOINT/$m" || true
  for _ in $(seq 50); do
    grep -aq -- "$m" "$T/logs/azurite-debug.log" 2>/dev/null && return 0
    sleep 0.2
  done
  die "azurite's debug log lags more than 10 s"
}

# azoldproxy.py in front of azurite (after start_azurite): an Azure service without Blob
# Batch and without the synchronous Copy Blob From URL. Sets AZOLD_ENDPOINT (the account's
# URL through it) and AZOLD_LOG ("METHOD PATH STATUS" per request).
start_azold() {
  AZOLD_LOG="$T/logs/azold.log"
  : >"$AZOLD_LOG"
  "$PY" "$E2E_DIR/azoldproxy.py" "127.0.0.1:$AZ_PORT" "$AZOLD_LOG" >"$T/azold.addr" 2>"$T/logs/azold.err" &
  E2E_PIDS+=("$!")
  local addr="" _
  for _ in $(seq 100); do
    addr=$(head -1 "$T/azold.addr" 2>/dev/null || true)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || die "azoldproxy did not start: $(cat "$T/logs/azold.err")"
  AZOLD_ENDPOINT="http://$addr/$AZ_ACCOUNT"
}

start_azurite() {
  local emu=${STAGE_EMU_DIR:-/var/tmp/stage-emulators}/azure i
  [ -x "$emu/node_modules/.bin/azurite-blob" ] ||
    die "no azurite in $emu (run tests/e2e/install-emulators.sh)"
  mkdir -p "$T/azurite"
  AZ_PORT=$(free_port)
  # 3.35.0 refuses --location with --inMemoryPersistence: the temp dir is its cwd instead.
  # --skipApiVersionCheck: @azure/storage-blob 12.32.0 sends x-ms-version 2026-04-06,
  # newer than 3.35.0 knows; signatures are checked all the same. Memory capped at 1 GiB.
  # E2E_AZ_DISK=1: blobs on disk in $T/azurite instead (the in-memory store frees space
  # only when its collector runs: many large uploads fill it).
  local store=(--inMemoryPersistence --extentMemoryLimit 1024)
  [ "${E2E_AZ_DISK:-0}" = 1 ] && store=(--location "$T/azurite")
  # E2E_AZ_DEBUG=1: azurite's debug log in $T/logs/azurite-debug.log names each request's
  # operation (Operation=Blob_CopyFromURL ...): how a test proves what was sent to it.
  [ "${E2E_AZ_DEBUG:-0}" = 1 ] && store+=(--debug "$T/logs/azurite-debug.log")
  (cd "$T/azurite" && exec "$emu/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 \
    --blobPort "$AZ_PORT" "${store[@]}" --skipApiVersionCheck --disableTelemetry --silent) \
    >"$T/logs/azurite.log" 2>&1 &
  PID_azurite=$!
  E2E_PIDS+=("$PID_azurite")
  AZ_ENDPOINT="http://127.0.0.1:$AZ_PORT/$AZ_ACCOUNT"
  for i in $(seq 150); do
    # any HTTP answer (400 for a bare GET) means it listens
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$AZ_ENDPOINT" 2>/dev/null)" != 000 ] && break
    alive "$PID_azurite" || die "azurite exited: $(tail -5 "$T/logs/azurite.log")"
    sleep 0.2
  done
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$AZ_ENDPOINT")" != 000 ] ||
    die "azurite did not start: $(tail -5 "$T/logs/azurite.log")"
  export AZ_ENDPOINT AZ_ACCOUNT AZ_KEY
  log "azurite on $AZ_ENDPOINT"
}

# @azure/storage-blob against the emulator (tests/e2e/azutil.js): the independent client.
azutil() {
  NODE_PATH=${STAGE_EMU_DIR:-/var/tmp/stage-emulators}/azure/node_modules node "$E2E_DIR/azutil.js" "$@"
}

# E2E_STORAGE=azblob: azurite with the container the stack stores into (blobs on disk: a
# test's large uploads would fill the in-memory store); the account key is a secret that
# no log and no Redis value may show (e2e_finish).
AZ_CONTAINER=stage-e2e
start_azstorage() {
  E2E_AZ_DISK=1 start_azurite
  azutil mkcontainer "$AZ_CONTAINER" || die "cannot create the container $AZ_CONTAINER"
  E2E_SECRETS+=("$AZ_KEY")
}

# ------------------------------------------------------------------ processes

# A port nothing listens on now and this test has not handed out before: a
# process given a port binds it later, so two calls in a row (the frontend's
# gRPC and HTTP ports) could otherwise both get the same one. $T/ports keeps
# what was handed out, because the callers run this in a subshell.
free_port() {
  local p
  for _ in $(seq 50); do
    p=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    if ! grep -qx "$p" "$T/ports" 2>/dev/null; then
      echo "$p" >>"$T/ports"
      echo "$p"
      return 0
    fi
  done
  die "no free port on 127.0.0.1 that this test has not used already"
}

alive() { kill -0 "$1" 2>/dev/null; }

# Run redis-server on $REDIS_PORT with its data in $T/redis (AOF) and wait for
# PONG. restart_redis starts it again on the same port and directory (the AOF
# is replayed) after a test stopped or killed it.
run_redis() {
  mkdir -p "$T/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
    --daemonize no --save '' --appendonly yes --appendfsync "${E2E_FSYNC:-everysec}" \
    --dir "$T/redis" --maxmemory-policy noeviction --rdbcompression no >>"$T/logs/redis.log" 2>&1 &
  PID_redis=$!
  E2E_PIDS+=("$PID_redis")
  for _ in $(seq 100); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  die "redis-server did not answer on port $REDIS_PORT (log: $(tail -5 "$T/logs/redis.log"))"
}

start_redis() {
  REDIS_PORT=$(free_port)
  run_redis
}

restart_redis() { run_redis; }

rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

# The environment of the service processes (docs/design.md §7 names).
service_env() {
  export STAGE_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  export STAGE_STORAGE_FS_ROOT="$DATA"
  export STAGE_ROOT_PASSWORD="$ROOT_PW"
  export STAGE_MASTER_KEY="$MASTER_KEY"
  export STAGE_LOG_LEVEL=info
  # The emulators listen on 127.0.0.1, a loopback address external stages may
  # not reach unless the operator allows it (issue 14 #2); test_ssrf.sh sets
  # its own list.
  export STAGE_STORAGE_ENDPOINT_ALLOW="${E2E_ENDPOINT_ALLOW-127.0.0.1}"
  if [ "$E2E_STORAGE" = s3 ]; then
    export STAGE_STORAGE_TYPE=s3 STAGE_STORAGE_S3_BUCKET="$S3_BUCKET"
    export STAGE_STORAGE_S3_ENDPOINT_URL="$S3_ENDPOINT" STAGE_STORAGE_S3_ACCESS_KEY_ID=S3RVER
    export STAGE_STORAGE_S3_SECRET_ACCESS_KEY="${E2E_S3_WORKER_SECRET:-S3RVER}"
  elif [ "$E2E_STORAGE" = azblob ]; then
    export STAGE_STORAGE_TYPE=azblob STAGE_STORAGE_AZBLOB_CONTAINER="$AZ_CONTAINER"
    export STAGE_STORAGE_AZBLOB_ENDPOINT_URL="$AZ_ENDPOINT" STAGE_STORAGE_AZBLOB_ACCOUNT_NAME="$AZ_ACCOUNT"
    # a test may give the key as a file instead (the variable would win over it)
    [ -n "${STAGE_STORAGE_AZBLOB_ACCOUNT_KEY_FILE:-}" ] || export STAGE_STORAGE_AZBLOB_ACCOUNT_KEY="$AZ_KEY"
  fi
}

start_frontend() {
  GRPC_PORT=$(free_port)
  HTTP_PORT=$(free_port)
  SERVER="127.0.0.1:$GRPC_PORT"
  (
    service_env
    STAGE_SERVER_LISTEN="$SERVER" STAGE_SERVER_HTTP_LISTEN="127.0.0.1:$HTTP_PORT" exec "$FRONTEND"
  ) >"$T/logs/frontend.log" 2>&1 &
  PID_frontend=$!
  E2E_PIDS+=("$PID_frontend")
}

start_worker() {
  local i=$1 hp
  hp=$(free_port)
  (
    service_env
    STAGE_SERVER_HTTP_LISTEN="127.0.0.1:$hp" STAGE_WORKER_NAME="e2e-worker-$i" exec "$WORKER"
  ) >"$T/logs/worker$i.log" 2>&1 &
  E2E_PIDS+=("$!")
  WORKER_PIDS+=("$!")
  WORKER_PID_OF[e2e-worker-$i]=$!
  WORKER_HTTP_PORTS+=("$hp")
}

# One field of a job's hash: job_field JOB FIELD.
job_field() { rcli HGET "st:job:$1" "$2"; }

# wait_durable_parts BEFORE N: wait for the job root queued after BEFORE of
# its jobs (ZCARD st:jobs:root, read before queueing it) to have N parts
# durable and a worker; up to 120 s (a loaded machine is slow, not wrong).
# The job goes in DURABLE_JOB; dies if it never got there.
wait_durable_parts() {
  local before=$1 n=$2 job="" _
  for _ in $(seq 2400); do
    [ -z "$job" ] && [ "$(rcli ZCARD st:jobs:root)" -gt "$before" ] && job=$(rcli ZRANGE st:jobs:root -1 -1)
    [ -n "$job" ] && [ "$(job_field "$job" parts_durable)" -ge "$n" ] 2>/dev/null &&
      [ -n "$(job_field "$job" worker)" ] && break
    sleep 0.05
  done
  [ -n "$job" ] && [ -n "$(job_field "$job" worker)" ] ||
    die "job '$job' has no worker after 120 s ($(job_field "$job" parts_durable) parts durable)"
  DURABLE_JOB=$job
}

# kill_job_worker JOB: kill -9 the worker that runs JOB (one start_worker
# started) and reap it. Sets KILLED_WORKER (its name), KILLED_PID and
# KILLED_AT_MS (when the signal went).
kill_job_worker() {
  KILLED_WORKER=$(job_field "$1" worker)
  KILLED_PID=${WORKER_PID_OF[$KILLED_WORKER]:-}
  [ -n "$KILLED_PID" ] || die "job $1 runs on unknown worker '$KILLED_WORKER'"
  kill -KILL "$KILLED_PID"
  KILLED_AT_MS=$(date +%s%3N)
  wait "$KILLED_PID" 2>/dev/null || true
}

# Wait until Health/Check answers SERVING (and the workers joined the group).
wait_ready() {
  local i st=""
  for i in $(seq 150); do
    alive "$PID_frontend" || die "stage-frontend exited; log:"$'\n'"$(tail -20 "$T/logs/frontend.log")"
    st=$(py health 2>/dev/null || true)
    case "$st" in *SERVING*) break ;; esac
    sleep 0.2
  done
  case "$st" in *'"SERVING"'*) ;; *) die "frontend not SERVING after 30 s: $st"$'\n'"$(tail -20 "$T/logs/frontend.log")" ;; esac
  for i in $(seq 100); do
    local n
    n=$(rcli XINFO CONSUMERS st:q workers 2>/dev/null | grep -c '^name$' || true)
    [ "${n:-0}" -ge "${#WORKER_PIDS[@]}" ] && break
    for p in "${WORKER_PIDS[@]}"; do
      alive "$p" || die "a stage-worker exited; logs:"$'\n'"$(tail -20 "$T"/logs/worker*.log)"
    done
    sleep 0.1
  done
  log "stack ready: frontend $SERVER (http $HTTP_PORT), redis $REDIS_PORT, workers ${WORKER_PIDS[*]}"
}

e2e_start() {
  [ -x "$FRONTEND" ] || die "no stage-frontend at $FRONTEND (build it first)"
  [ -x "$WORKER" ] || die "no stage-worker at $WORKER (build it first)"
  [ -x "$STAGECTL" ] || die "no stagectl at $STAGECTL (build it first)"
  [ "$E2E_STORAGE" = s3 ] && start_s3rver
  [ "$E2E_STORAGE" = azblob ] && start_azstorage
  start_redis
  start_frontend
  WORKER_PIDS=()
  WORKER_PID_OF=()
  WORKER_HTTP_PORTS=()
  for i in $(seq "${E2E_WORKERS:-2}"); do start_worker "$i"; done
  wait_ready
  export STAGE_SERVER="$SERVER"
}

# Stop one process by pid: TERM, wait up to 10 s, then KILL.
stop_pid() {
  local p=$1
  alive "$p" || { wait "$p" 2>/dev/null || true; return 0; }
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 100); do
    alive "$p" || break
    sleep 0.1
  done
  if alive "$p"; then
    printf 'WARN: pid %s ignored SIGTERM for 10 s; killing\n' "$p" >&2
    kill -KILL "$p" 2>/dev/null || true
  fi
  wait "$p" 2>/dev/null || true
}

e2e_cleanup() {
  local rc=$?
  set +e
  local i
  for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${E2E_PIDS[$i]}"; done
  if [ "$rc" -ne 0 ] || [ "$E2E_FAILS" -ne 0 ]; then
    for f in "$T"/logs/*.log; do
      [ -f "$f" ] || continue
      printf '\n----- %s (last 40 lines)\n' "${f##*/}" >&2
      tail -40 "$f" >&2
    done
  fi
  if [ "${E2E_KEEP:-0}" = 1 ]; then
    printf 'kept %s\n' "$T" >&2
  else
    rm -rf "$T"
  fi
  exit "$rc"
}

# ------------------------------------------------------------------ --check-config

# PROGRAM --check-config in a subshell whose environment the other arguments
# change in order: VAR=VALUE sets, -VAR unsets (a test passes its base
# settings first, then a check's changes). For check_rc.
# shellcheck disable=SC2317 # called through check_rc
check_config_env() {
  (
    local prog=$1 a
    shift
    for a in "$@"; do
      case "$a" in -*) unset "${a#-}" ;; *) export "${a?}" ;; esac
    done
    exec "$prog" --check-config
  )
}

# ------------------------------------------------------------------ clients

# stagectl against the stack (token from `ctl login`, kept in $HOME).
ctl() { "$STAGECTL" --server "$SERVER" "$@"; }

# The Python client's command line, logged in as root.
py() { "$PY" "$E2E_DIR/stageclient.py" --server "$SERVER" ${PY_AUTH:+"${PY_AUTH[@]}"} "$@"; }

# Run a Python snippet with stageclient importable; variables go through the env.
pyrun() {
  E2E_SERVER="$SERVER" E2E_ROOT_PW="$ROOT_PW" E2E_DATA="$DATA" E2E_REDIS_PORT="$REDIS_PORT" \
    PYTHONPATH="$E2E_DIR${PYTHONPATH:+:$PYTHONPATH}" "$PY" - "$@"
}

login_root() {
  ctl login root --password "$ROOT_PW" >/dev/null || die "stagectl login root failed"
  local out
  out=$(py login root "$ROOT_PW")
  TOKEN=$(jget "$out" 'j["token"]')
  PY_AUTH=(--token "$TOKEN")
}

# ------------------------------------------------------------------ life cycle

e2e_init() {
  E2E_NAME=$1
  : "${STAGE_BIN_DIR:?set STAGE_BIN_DIR to the CMake build directory}"
  FRONTEND="$STAGE_BIN_DIR/frontend/stage-frontend"
  WORKER="$STAGE_BIN_DIR/worker/stage-worker"
  STAGECTL="$STAGE_BIN_DIR/cli/stagectl"
  T=$(mktemp -d "${TMPDIR:-/tmp}/stage-e2e-$E2E_NAME.XXXXXX")
  trap e2e_cleanup EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$T/logs" "$T/home" "$T/pb" "$T/work"
  DATA="$T/data"
  mkdir -p "$DATA"
  ROOT_PW="e2e-$("$PY" -c 'import secrets; print(secrets.token_hex(8))')"
  MASTER_KEY=$("$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
  export HOME="$T/home" # stagectl keeps its token under $HOME/.config
  unset XDG_CONFIG_HOME STAGE_TOKEN STAGE_USER STAGE_PASSWORD STAGE_SERVER
  export STAGE_PB_DIR="$T/pb"
  "$PY" -c "import sys; sys.path.insert(0, '$E2E_DIR'); import stageclient" ||
    die "cannot generate the Python modules (protoc, python3-grpcio, python3-protobuf?)"
  log "temp dir $T"
}

# No secret of the run (the root password, the master key, E2E_SECRETS) in any
# process's log or anywhere in Redis (tests/e2e/secretscan.py).
scan_secrets() {
  local out rc=0
  [ -d "$T/logs" ] && [ -n "${ROOT_PW:-}" ] || return 0
  out=$(printf '%s\n' "$ROOT_PW" "$MASTER_KEY" ${E2E_SECRETS[@]+"${E2E_SECRETS[@]}"} |
    PYTHONPATH="$E2E_DIR" "$PY" "$E2E_DIR/secretscan.py" "$T/logs" ${REDIS_PORT:+"$REDIS_PORT"} 2>&1) || rc=$?
  if [ "$rc" = 0 ]; then pass "$out"; else fail "secrets leaked: $out"; fi
}

e2e_finish() {
  scan_secrets
  if [ "$E2E_FAILS" -ne 0 ]; then
    printf '\n%s: %d of %d checks FAILED\n' "$E2E_NAME" "$E2E_FAILS" "$E2E_CHECKS" >&2
    exit 1
  fi
  printf '\n%s: all %d checks passed\n' "$E2E_NAME" "$E2E_CHECKS"
  exit 0
}
