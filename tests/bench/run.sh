#!/usr/bin/env bash
# tests/bench/run.sh - what the service costs against direct access, printed as
# a table `case | service | direct | ratio | target`, plus the peak RSS of
# every process. Figures, not pass/fail (only a broken case fails the run).
# Starts its own Redis + frontend + 2 workers on loopback in a temp dir
# (tests/e2e/lib.sh); every case runs in this one run so ratios compare.
# Each timed row is the median of BENCH_SAMPLES (default 3) samples of the
# service and of the direct command, with their spread as (min-max)
# (tests/bench/common.sh).
#
#   tests/bench/run.sh            1 GiB file, 1,000 x 64 KiB, LIST 10k and 100k,
#                                 10,000 WatchJob streams, 1,000 slow uploads
#   tests/bench/run.sh --quick    small sizes: a smoke test (CI runs it)
#   --fs / --s3 / --clouds        one table only (default: the fs table, the S3 one,
#                                 then the Azure Blob + GCS one with the copy matrix)
#
# The stream rows (tests/bench/stagebench.c, sb_*.c: gRPC C core async, one
# completion queue, streams multiplexed over 16 channels):
#   - N WatchJob streams on one job kept RUNNING by `stagebench slowup` (an
#     upload at 256 KiB/s for WATCH_S seconds, wait=false), held until the job
#     ends, while one client calls GetJob back to back: streams the server
#     refused (RESOURCE_EXHAUSTED), the worst lag from the job's finished_at
#     to a stream's terminal message, GetJob p50/p99 during the hold; and, in
#     the direct column, the frontend's peak RSS (VmHWM, reset before the row
#     through /proc/PID/clear_refs, so the peak during the row, from the RSS
#     the row started with), its most threads and the most Redis
#     connections it held, sampled every 0.25 s: the local ports of the
#     frontend's TCP connections to Redis (`ss -tnp`, which names the owning
#     pid) counted in Redis' own `CLIENT LIST` (addr=), so the workers' and
#     redis-cli's connections are left out.
#   - N uploads at 64 KiB/s each beside F at full speed (`stagebench
#     uploads`, wait=false for all, then GetJob until every job ended): the
#     median of 3 rounds of the F alone, then of up to 3 rounds beside the
#     slow ones; how many jobs of each kind SUCCEEDED; the frontend's peak RSS.
#   - one big upload through the service (UploadFile, wait=true) against the
#     same bytes in 1 MiB messages to a bare gRPC C core server that only
#     counts them (`stagebench sink` / `pushsink`), same transport settings.
# Refusals are figures. Every stream of the bench is root's: the stack
# raises server.max_streams_per_user (default 5000) to server.max_streams,
# as an operator would for one service account that holds the streams.
#
# The S3 table (storage.type s3 against the s3rver emulator, which checks SigV4;
# skipped if tests/e2e/install-emulators.sh has not installed it): the same big
# file through the service vs boto3 upload_file/download_file to the same
# emulator, LIST 10k and 100k objects vs a boto3 paginator, and the worker's
# peak RSS during the upload.
#
# The Azure Blob + GCS table (tests/bench/clouds.sh; skipped without azurite), on the
# EMULATORS (azurite, tests/e2e/gcsfake.py), not the clouds: a 1 GiB file through the
# service vs @azure/storage-blob and vs plain HTTP requests to the GCS fake, LIST 10k
# vs the same clients' listings; then copy MiB/s of one 256 MiB file for each of the 12
# ordered pairs of fs, s3, azblob and gcs (ctl cp --wait). --quick: 8 MiB, LIST 200,
# 4 MiB copies.
#
# Binaries: STAGE_BIN_DIR (default build/; built there if missing).
# shellcheck disable=SC2317 # the helpers below are run through sample / timed
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
QUICK=0
MODE=all
for a in "$@"; do
  case "$a" in
  --quick) QUICK=1 ;;
  --fs) MODE=fs ;;
  --s3) MODE=s3 ;;
  --clouds) MODE=clouds ;;
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "usage: $0 [--quick] [--fs|--s3|--clouds]" >&2; exit 2 ;;
  esac
done
if [ $MODE = all ]; then # each backend on its own stack, one after the other
  q=(); [ $QUICK = 1 ] && q=(--quick)
  rc=0
  "$0" --fs "${q[@]}" || rc=1
  if [ -f "${STAGE_EMU_DIR:-/var/tmp/stage-emulators}/s3rver.js" ]; then
    "$0" --s3 "${q[@]}" || rc=1
  else
    echo "bench: no S3 emulator (tests/e2e/install-emulators.sh): S3 table skipped"
  fi
  if [ -f "${STAGE_EMU_DIR:-/var/tmp/stage-emulators}/s3rver.js" ] &&
    [ -x "${STAGE_EMU_DIR:-/var/tmp/stage-emulators}/azure/node_modules/.bin/azurite-blob" ]; then
    "$0" --clouds "${q[@]}" || rc=1
  else
    echo "bench: no azurite or s3rver (tests/e2e/install-emulators.sh): Azure Blob + GCS table skipped"
  fi
  exit $rc
fi
if [ $QUICK = 1 ]; then
  BIG_MIB=32 S3_BIG_MIB=16 SMALL_N=100 LIST_NS="1000" RM_N=1000 POLL_S=0.3 QLAT_N=50
  WATCH_N=200 WATCH_S=2 SLOW_N=50 SLOW_S=3 FAST_N=10 FAST_MIB=4 SINK_MIB=64
  CLOUD_BIG_MIB=8 CLOUD_LIST_N=200 COPY_MIB=4
else
  BIG_MIB=1024 S3_BIG_MIB=1024 SMALL_N=1000 LIST_NS="10000 100000" RM_N=10000 POLL_S=3 QLAT_N=200
  WATCH_N=10000 WATCH_S=10 SLOW_N=1000 SLOW_S=10 FAST_N=10 FAST_MIB=16 SINK_MIB=1024
  CLOUD_BIG_MIB=1024 CLOUD_LIST_N=10000 COPY_MIB=256
fi

export STAGE_BIN_DIR=${STAGE_BIN_DIR:-$SRC/build}
BENCH="$STAGE_BIN_DIR/tests/stagebench"
if [ ! -x "$STAGE_BIN_DIR/frontend/stage-frontend" ] || [ ! -x "$STAGE_BIN_DIR/worker/stage-worker" ] ||
  [ ! -x "$STAGE_BIN_DIR/cli/stagectl" ] || [ ! -x "$BENCH" ]; then
  cmake -S "$SRC" -B "$STAGE_BIN_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTAGE_BUILD_TESTS=ON >/dev/null
  cmake --build "$STAGE_BIN_DIR" -j"$(nproc 2>/dev/null || echo 2)" \
    --target stage-frontend stage-worker stagectl stagebench
fi


if [ $MODE = s3 ]; then
  export E2E_STORAGE=s3
  exec "$SRC/tests/bench/s3.sh" "$S3_BIG_MIB" "$LIST_NS" "$([ $QUICK = 1 ] && echo quick || echo full)"
fi
if [ $MODE = clouds ]; then
  exec "$SRC/tests/bench/clouds.sh" "$CLOUD_BIG_MIB" "$CLOUD_LIST_N" "$COPY_MIB" \
    "$([ $QUICK = 1 ] && echo quick || echo full)"
fi

# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$SRC/tests/bench/common.sh"
e2e_init bench
export STAGE_SERVER_MAX_STREAMS_PER_USER=${STAGE_SERVER_MAX_STREAMS_PER_USER:-20000}
e2e_start
login_root
W="$T/work"
U="$DATA/stage/user/root" # the fs backend's directory of root's @~
mkdir -p "$U"

thou() { printf '%s' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; } # 10000 -> 10,000

# --- one big file: through the service vs cp (+ sync, as the worker fsyncs)
log "one ${BIG_MIB} MiB file, $SAMPLES samples"
head -c $((BIG_MIB << 20)) /dev/urandom >"$W/big.bin"
sync
cp_sync() { cp "$1" "$2" && sync "$2"; }
d_up=() s_up=() d_dn=() s_dn=()
for _ in $(seq "$SAMPLES"); do
  sample d_up cp_sync "$W/big.bin" "$W/cp.bin" || broken "cp failed"
  rm -f "$W/cp.bin"
  sample s_up q ctl put "$W/big.bin" @~/bench/big.bin --overwrite || broken "put failed"
done
row "upload ${BIG_MIB} MiB (put, wait=true)" "$(per_s "$BIG_MIB" MiB/s 1 "${s_up[@]}")" \
  "$(per_s "$BIG_MIB" MiB/s 1 "${d_up[@]}") (cp+sync)" "$(ratio "$(mid "${d_up[@]}")" "$(mid "${s_up[@]}")")" ">= 0.6"
for _ in $(seq "$SAMPLES"); do
  sample d_dn cp "$U/bench/big.bin" "$W/cp.bin" || broken "cp failed"
  rm -f "$W/cp.bin" "$W/got.bin"
  sample s_dn q ctl get @~/bench/big.bin "$W/got.bin" || broken "get failed"
done
[ "$(sha "$W/big.bin")" = "$(sha "$W/got.bin")" ] || broken "downloaded copy differs"
row "download ${BIG_MIB} MiB (get)" "$(per_s "$BIG_MIB" MiB/s 1 "${s_dn[@]}")" \
  "$(per_s "$BIG_MIB" MiB/s 1 "${d_dn[@]}") (cp)" "$(ratio "$(mid "${d_dn[@]}")" "$(mid "${s_dn[@]}")")" ""
rm -f "$W/big.bin" "$W/got.bin" "$U/bench/big.bin"

# --- many small files, 8 at a time (each sample into a directory of its own)
log "$SMALL_N x 64 KiB files, $SAMPLES samples"
mkdir -p "$W/small"
for i in $(seq -w 1 "$SMALL_N"); do head -c 65536 /dev/urandom >"$W/small/s$i"; done
cpr_sync() { cp -r "$1" "$2" && sync; }
d_sup=() s_sup=() d_sdn=() s_sdn=()
for k in $(seq "$SAMPLES"); do
  sample d_sup cpr_sync "$W/small" "$W/small.cp" || broken "cp -r failed"
  rm -rf "$W/small.cp"
  sample s_sup q ctl put "$W/small/*" "@~/small$k/" --parallel 8 || broken "put of small files failed"
done
row "upload $SMALL_N x 64 KiB (put --parallel 8)" "$(per_s "$SMALL_N" files/s 0 "${s_sup[@]}")" \
  "$(per_s "$SMALL_N" files/s 0 "${d_sup[@]}") (cp -r)" "$(ratio "$(mid "${d_sup[@]}")" "$(mid "${s_sup[@]}")")" ""
for k in $(seq "$SAMPLES"); do
  sample d_sdn cp -r "$U/small$k" "$W/small.cp" || broken "cp -r failed"
  rm -rf "$W/small.cp"
  sample s_sdn q ctl get "@~/small$k/" "$W/small.got$k" --parallel 8 || broken "get of small files failed"
  [ "$(find "$W/small.got$k" -type f | wc -l)" -eq "$SMALL_N" ] || broken "get of small files: count differs"
  rm -rf "$W/small.got$k"
done
row "download $SMALL_N x 64 KiB (get --parallel 8)" "$(per_s "$SMALL_N" files/s 0 "${s_sdn[@]}")" \
  "$(per_s "$SMALL_N" files/s 0 "${d_sdn[@]}") (cp -r)" "$(ratio "$(mid "${d_sdn[@]}")" "$(mid "${s_sdn[@]}")")" ""
rm -rf "$W/small" "$U"/small*

# Files made directly in the backend's directory: the fs backend lists what
# is there, and making 100,000 through the service would measure uploads.
mkfiles() { "$PY" -c 'import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
for i in range(n):
    open(os.path.join(d, "f%07d.csv" % i), "wb").write(b"x")' "$1" "$2"; }

# --- LIST
find_sort() { find "$1" -type f | LC_ALL=C sort >"$2"; }
ls_json() { ctl --json ls "$1" >"$2"; }
for n in $LIST_NS; do
  log "ListFiles of $n files, $SAMPLES samples"
  mkfiles "$U/list$n" "$n"
  sync
  d_ls=() s_ls=()
  for _ in $(seq "$SAMPLES"); do
    sample d_ls find_sort "$U/list$n" "$W/find.txt" || broken "find failed"
    sample s_ls ls_json "@~/list$n/" "$W/ls.txt" || broken "ls failed"
    [ "$(wc -l <"$W/ls.txt")" -eq "$n" ] || broken "ls of $n files listed $(wc -l <"$W/ls.txt")"
  done
  tgt=""; [ "$n" -ge 100000 ] && tgt="< 2 s"
  row "ListFiles $n files (ls --json)" "$(tspread "${s_ls[@]}"), $(rate "$n" "$(mid "${s_ls[@]}")") files/s" \
    "$(tspread "${d_ls[@]}") (find | sort)" "$(ratio "$(mid "${d_ls[@]}")" "$(mid "${s_ls[@]}")")" "$tgt"
  rm -rf "$U/list$n"
done

# --- REMOVE (the files made again before each sample, outside the timing)
log "RemoveFiles of $RM_N files, $SAMPLES samples"
rm_service() {
  local out
  out=$(ctl --json rm -r @~/rm/) || return 1
  [ "$(jget "$out" 'j["removed"]')" = "$RM_N" ] && return 0
  echo "bench: rm removed $(jget "$out" 'j["removed"]') of $RM_N files" >&2
  return 1
}
d_rm=() s_rm=()
for _ in $(seq "$SAMPLES"); do
  mkfiles "$W/rmdirect" "$RM_N"; sync
  sample d_rm rm -rf "$W/rmdirect" || broken "rm -rf failed"
  mkfiles "$U/rm" "$RM_N"; sync
  sample s_rm rm_service || broken "rm failed"
done
row "RemoveFiles $RM_N files (rm -r)" "$(tspread "${s_rm[@]}"), $(rate "$RM_N" "$(mid "${s_rm[@]}")") files/s" \
  "$(tspread "${d_rm[@]}") (rm -rf)" "$(ratio "$(mid "${d_rm[@]}")" "$(mid "${s_rm[@]}")")" ""

# --- GetJob polls vs the cheapest unary call on the same server
log "GetJob vs Health/Check, 1 and 16 clients, ${POLL_S} s each, $SAMPLES samples"
job=$(ctl --json put - @~/bench/poll.txt <<<"x" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
# calls MODE CLIENTS: the median rate, p50 and p99 (each over the samples)
calls() {
  local r=() p50=() p99=() out k
  for k in $(seq "$SAMPLES"); do
    if [ "$1" = poll ]; then
      out=$(STAGE_SERVER="$SERVER" "$BENCH" poll --job "$job" --clients "$2" --seconds "$POLL_S") || return 1
    else
      out=$(STAGE_SERVER="$SERVER" "$BENCH" health --clients "$2" --seconds "$POLL_S") || return 1
    fi
    r+=("$(field "$out" rate)") p50+=("$(field "$out" p50_us)") p99+=("$(field "$out" p99_us)")
  done
  echo "$(mid "${r[@]}") $(med "${r[@]}" | cut -d' ' -f2,3 | tr ' ' -) $(mid "${p50[@]}") $(mid "${p99[@]}")"
}
for c in 1 16; do
  read -r g_rate g_spread g_p50 g_p99 <<<"$(calls poll $c)" || broken "stagebench poll"
  read -r h_rate h_spread h_p50 h_p99 <<<"$(calls health $c)" || broken "stagebench health"
  if [ -z "$h_p99" ] || [ -z "$g_p99" ]; then broken "stagebench poll/health printed no figures"; fi
  row "GetJob, $c client(s)" "$g_rate/s ($g_spread) p50 $g_p50 p99 $g_p99 us" \
    "$h_rate/s ($h_spread) p50 $h_p50 p99 $h_p99 us (Health)" "$(ratio "$g_rate" "$h_rate")" ">= 0.7"
done

# --- queue latency: UploadFile returned (wait=false) -> GetJob says SUCCEEDED
log "queue latency, $QLAT_N x 1 KiB"
ql=$(STAGE_SERVER="$SERVER" "$BENCH" qlat --count "$QLAT_N") || broken "stagebench qlat"
row "queue latency 1 KiB (return -> SUCCEEDED)" "p50 $(field "$ql" p50_ms) p99 $(field "$ql" p99_ms) ms" "-" "-" "p50 < 10 ms"

# --- peak RSS of the cases above; from here on each stream row starts a new
# peak (hwm_reset) so that its frontend figure is its own.
PNAMES=(frontend) PPIDS=("$PID_frontend")
for i in "${!WORKER_PIDS[@]}"; do PNAMES+=("worker$((i + 1))") PPIDS+=("${WORKER_PIDS[$i]}"); done
PNAMES+=(redis) PPIDS+=("$PID_redis")
PK_CASES=() PK_STREAMS=()
HWM_NOTE=""
for i in "${!PPIDS[@]}"; do
  PK_CASES+=("$(hwm_kib "${PPIDS[$i]}")") PK_STREAMS+=(0)
  hwm_reset "${PPIDS[$i]}" || HWM_NOTE=" (clear_refs refused: peaks since start)"
done
# new_peak: fold the current peaks into PK_STREAMS, then reset them
new_peak() {
  local i k
  for i in "${!PPIDS[@]}"; do
    k=$(hwm_kib "${PPIDS[$i]}")
    [ "$k" -gt "${PK_STREAMS[$i]}" ] && PK_STREAMS[i]=$k
    hwm_reset "${PPIDS[$i]}" || HWM_NOTE=" (clear_refs refused: peaks since start)"
  done
}
peaks() {
  local -n _pk=$1
  local i
  for i in "${!PNAMES[@]}"; do printf '%s%s %s' "$([ "$i" -gt 0 ] && echo ', ')" "${PNAMES[$i]}" "$(kib_mib "${_pk[$i]}")"; done
}

# --- one big upload: the service vs a bare gRPC stream of the same bytes
SINK_LABEL="$SINK_MIB MiB"; [ "$SINK_MIB" = 1024 ] && SINK_LABEL="1 GiB"
log "$SINK_LABEL upload: UploadFile vs a bare gRPC sink, $SAMPLES samples"
new_peak
"$BENCH" sink --listen 127.0.0.1:0 >"$W/sink.out" 2>"$T/logs/sink.log" &
PID_sink=$!
E2E_PIDS+=("$PID_sink")
sink_port=""
for _ in $(seq 600); do # up to 60 s; the file appears when the child opens it
  sink_port=$(sed -n 's/^port=//p' "$W/sink.out" 2>/dev/null || true)
  [ -n "$sink_port" ] && break
  alive "$PID_sink" || broken "stagebench sink exited: $(cat "$T/logs/sink.log")"
  sleep 0.1
done
[ -n "$sink_port" ] || broken "stagebench sink did not listen"
s_push=() d_push=()
for _ in $(seq "$SAMPLES"); do
  out=$("$BENCH" pushsink --server "127.0.0.1:$sink_port" --size $((SINK_MIB << 20))) || broken "stagebench pushsink"
  d_push+=("$(field "$out" seconds)")
  out=$(STAGE_SERVER="$SERVER" "$BENCH" push --location @~/bench/push.bin --size $((SINK_MIB << 20))) ||
    broken "stagebench push"
  s_push+=("$(field "$out" seconds)")
done
stop_pid "$PID_sink"
rm -f "$U/bench/push.bin"
row "$SINK_LABEL upload: service vs bare gRPC stream" "$(per_s "$SINK_MIB" MiB/s 1 "${s_push[@]}") (UploadFile, wait=true)" \
  "$(per_s "$SINK_MIB" MiB/s 1 "${d_push[@]}") (bare C core sink)" \
  "$(ratio "$(mid "${d_push[@]}")" "$(mid "${s_push[@]}")")" ">= 0.5"

# --- slow uploads beside fast ones
log "$SLOW_N uploads at 64 KiB/s for ${SLOW_S} s beside $FAST_N at full speed ($FAST_MIB MiB each)"
new_peak
u=$(STAGE_SERVER="$SERVER" "$BENCH" uploads --slow "$SLOW_N" --slow-rate 65536 --fast "$FAST_N" \
  --size $((FAST_MIB << 20)) --seconds "$SLOW_S" --timeout 900) || broken "stagebench uploads"
[ -n "$(field "$u" fast_alone_mibs)" ] || broken "stagebench uploads printed no figures"
fe_up=$(hwm_kib "$PID_frontend")
row "$(thou "$SLOW_N") slow uploads + $FAST_N fast" \
  "slow $(field "$u" slow_ok)/$SLOW_N ok ($(field "$u" slow_refused) refused), fast $(field "$u" fast_ok)/$(field "$u" fast_total) ok ($(field "$u" fast_refused) refused), $(field "$u" fast_mibs) MiB/s beside slow (rounds: $(field "$u" rounds_beside_slow))" \
  "$(field "$u" fast_alone_mibs) MiB/s alone; frontend RSS $(kib_mib "$fe_up")" \
  "$(ratio "$(field "$u" fast_mibs)" "$(field "$u" fast_alone_mibs)")" "all SUCCEEDED, RSS <= 256 MiB, fast >= 0.8x alone"
rm -rf "$U/bench-up"

# --- WatchJob streams on one RUNNING job
# Redis connections the frontend holds: the local ports of its TCP connections
# to Redis (ss -tnp names the owning pid) that Redis' CLIENT LIST shows too.
fe_redis_conns() {
  local ports
  ports=$(ss -Htnp state established "( dport = :$REDIS_PORT )" 2>/dev/null |
    awk -v p="pid=$PID_frontend," 'index($0, p) { n = split($3, a, ":"); print a[n] }' | tr '\n' ' ')
  rcli CLIENT LIST 2>/dev/null | awk -v ports="$ports" '
    BEGIN { n = split(ports, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    { for (i = 1; i <= NF; i++) if ($i ~ /^addr=/) { m = split($i, x, ":"); if (x[m] in want) c++ } }
    END { print c + 0 }'
}
# sample_frontend FILE: every 0.25 s, the most threads and Redis connections
# of the frontend so far, as "THREADS CONNS" in FILE.
sample_frontend() {
  local mt=0 mc=0 t c
  while :; do
    t=$(awk '/^Threads:/ { print $2 }' "/proc/$PID_frontend/status" 2>/dev/null) || t=0
    c=$(fe_redis_conns) || c=0
    [ "${t:-0}" -gt "$mt" ] && mt=$t
    [ "${c:-0}" -gt "$mc" ] && mc=$c
    echo "$mt $mc" >"$1.tmp" && mv "$1.tmp" "$1"
    sleep 0.25
  done
}
log "$WATCH_N WatchJob streams on a job RUNNING for ${WATCH_S} s"
new_peak
"$BENCH" slowup --location @~/bench/watched.bin --seconds "$WATCH_S" --rate 262144 \
  >"$W/slowup.out" 2>"$T/logs/slowup.log" &
PID_slowup=$!
E2E_PIDS+=("$PID_slowup")
wjob=""
for _ in $(seq 600); do # up to 60 s; the file appears when the child opens it
  wjob=$(sed -n 's/^job=//p' "$W/slowup.out" 2>/dev/null || true)
  [ -n "$wjob" ] && break
  alive "$PID_slowup" || break
  sleep 0.1
done
[ -n "$wjob" ] || broken "stagebench slowup gave no job id: $(cat "$T/logs/slowup.log")"
sample_frontend "$W/fe.sample" &
PID_sampler=$!
E2E_PIDS+=("$PID_sampler")
w=$(STAGE_SERVER="$SERVER" "$BENCH" watch --job "$wjob" --streams "$WATCH_N" --timeout $((WATCH_S * 10 + 60))) ||
  broken "stagebench watch"
wait "$PID_slowup" || broken "stagebench slowup failed: $(cat "$T/logs/slowup.log")"
kill "$PID_sampler" 2>/dev/null || true
wait "$PID_sampler" 2>/dev/null || true
read -r fe_threads fe_conns <"$W/fe.sample" || broken "no frontend sample"
fe_watch=$(hwm_kib "$PID_frontend")
lag="lag max $(field "$w" terminal_lag_ms_max) ms"
[ "$(field "$w" terminal_lag_ms_max)" = - ] && lag="no terminal message"
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
row "$(thou "$WATCH_N") WatchJob streams" \
  "refused $(field "$w" refused)/$WATCH_N, terminal $(field "$w" got_terminal), $lag, GetJob p50 $(ms "$(field "$w" getjob_p50_us)") p99 $(ms "$(field "$w" getjob_p99_us)") ms ($(field "$w" getjob_calls) calls, $(field "$w" getjob_failed) failed)" \
  "frontend RSS $(kib_mib "$fe_watch"), $fe_threads threads, $fe_conns Redis conns" "-" \
  "0 refused, lag <= 1 s, p99 < 10 ms, RSS <= 256 MiB, <= 16 conns"
new_peak

echo
echo "== stage service benchmark ($([ $QUICK = 1 ] && echo quick || echo full)): $(nproc) CPUs, fs backend, loopback, $(date -u +%Y-%m-%dT%H:%MZ)"
print_table
echo "ratio: service speed / direct speed (1.00 = as fast as direct); timed rows: median of $SAMPLES samples (min-max)"
echo "peak RSS (VmHWM) over the cases up to queue latency: $(peaks PK_CASES); target < 100 MiB per process"
echo "peak RSS (VmHWM) during the stream rows$HWM_NOTE: $(peaks PK_STREAMS)"
e2e_finish
