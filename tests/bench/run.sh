#!/usr/bin/env bash
# tests/bench/run.sh - what the service costs against direct access, printed as
# a table `case | service | direct | ratio | target`, plus the peak RSS of
# every process. Figures, not pass/fail (only a broken case fails the run).
# Starts its own Redis + frontend + 2 workers on loopback in a temp dir
# (tests/e2e/lib.sh); every case runs in this one run so ratios compare.
#
#   tests/bench/run.sh            1 GiB file, 1,000 x 64 KiB, LIST 10k and 100k
#   tests/bench/run.sh --quick    small sizes: a smoke test (CI runs it)
#   --fs / --s3                   one backend only (default: the fs table, then the S3 one)
#
# The S3 table (storage.type s3 against the s3rver emulator, which checks SigV4;
# skipped if tests/e2e/install-emulators.sh has not installed it): the same big
# file through the service vs boto3 upload_file/download_file to the same
# emulator, LIST 10k and 100k objects vs a boto3 paginator, and the worker's
# peak RSS during the upload.
#
# Binaries: STAGE_BIN_DIR (default build/; built there if missing).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
QUICK=0
MODE=all
for a in "$@"; do
  case "$a" in
  --quick) QUICK=1 ;;
  --fs) MODE=fs ;;
  --s3) MODE=s3 ;;
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "usage: $0 [--quick] [--fs|--s3]" >&2; exit 2 ;;
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
  exit $rc
fi
if [ $QUICK = 1 ]; then
  BIG_MIB=32 SMALL_N=200 LIST_NS="2000" RM_N=2000 POLL_S=1 QLAT_N=50
else
  BIG_MIB=1024 SMALL_N=1000 LIST_NS="10000 100000" RM_N=10000 POLL_S=3 QLAT_N=200
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
  exec "$SRC/tests/bench/s3.sh" "$BIG_MIB" "$LIST_NS" "$([ $QUICK = 1 ] && echo quick || echo full)"
fi

# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
e2e_init bench
e2e_start
login_root
W="$T/work"
U="$DATA/stage/user/root" # the fs backend's directory of root's @~
mkdir -p "$U"

ROWS=()
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
# row CASE SERVICE DIRECT RATIO TARGET
row() { ROWS+=("$(printf '%-38s | %-26s | %-26s | %6s | %s' "$@")"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), a / b }'; }
mibs() { awk -v m="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? m / s : 0) }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
broken() {
  echo "bench: $*" >&2
  exit 1
}

# --- one big file: through the service vs cp (+ sync, as the worker fsyncs)
log "one ${BIG_MIB} MiB file"
head -c $((BIG_MIB << 20)) /dev/urandom >"$W/big.bin"
sync
t0=$(now); cp "$W/big.bin" "$W/cp.bin" && sync "$W/cp.bin"; t1=$(now)
d_up=$(secs "$t0" "$t1"); rm -f "$W/cp.bin"
t0=$(now); ctl put "$W/big.bin" @~/bench/big.bin >/dev/null || broken "put failed"; t1=$(now)
s_up=$(secs "$t0" "$t1")
row "upload ${BIG_MIB} MiB (put, wait=true)" "$(mibs "$BIG_MIB" "$s_up") MiB/s" \
  "$(mibs "$BIG_MIB" "$d_up") MiB/s (cp+sync)" "$(ratio "$d_up" "$s_up")" ">= 0.6"
t0=$(now); cp "$U/bench/big.bin" "$W/cp.bin"; t1=$(now)
d_dn=$(secs "$t0" "$t1"); rm -f "$W/cp.bin"
t0=$(now); ctl get @~/bench/big.bin "$W/got.bin" >/dev/null || broken "get failed"; t1=$(now)
s_dn=$(secs "$t0" "$t1")
[ "$(sha "$W/big.bin")" = "$(sha "$W/got.bin")" ] || broken "downloaded copy differs"
row "download ${BIG_MIB} MiB (get)" "$(mibs "$BIG_MIB" "$s_dn") MiB/s" \
  "$(mibs "$BIG_MIB" "$d_dn") MiB/s (cp)" "$(ratio "$d_dn" "$s_dn")" ""
rm -f "$W/big.bin" "$W/got.bin"

# --- many small files, 8 at a time
log "$SMALL_N x 64 KiB files"
mkdir -p "$W/small"
for i in $(seq -w 1 "$SMALL_N"); do head -c 65536 /dev/urandom >"$W/small/s$i"; done
t0=$(now); cp -r "$W/small" "$W/small.cp" && sync; t1=$(now)
d_sup=$(secs "$t0" "$t1"); rm -rf "$W/small.cp"
t0=$(now); ctl put "$W/small/*" @~/small/ --parallel 8 >/dev/null || broken "put of small files failed"; t1=$(now)
s_sup=$(secs "$t0" "$t1")
row "upload $SMALL_N x 64 KiB (put --parallel 8)" "$(rate "$SMALL_N" "$s_sup") files/s" \
  "$(rate "$SMALL_N" "$d_sup") files/s (cp -r)" "$(ratio "$d_sup" "$s_sup")" ""
t0=$(now); cp -r "$U/small" "$W/small.cp"; t1=$(now)
d_sdn=$(secs "$t0" "$t1"); rm -rf "$W/small.cp"
t0=$(now); ctl get @~/small/ "$W/small.got" --parallel 8 >/dev/null || broken "get of small files failed"; t1=$(now)
s_sdn=$(secs "$t0" "$t1")
[ "$(find "$W/small.got" -type f | wc -l)" -eq "$SMALL_N" ] || broken "get of small files: count differs"
row "download $SMALL_N x 64 KiB (get --parallel 8)" "$(rate "$SMALL_N" "$s_sdn") files/s" \
  "$(rate "$SMALL_N" "$d_sdn") files/s (cp -r)" "$(ratio "$d_sdn" "$s_sdn")" ""
rm -rf "$W/small" "$W/small.got"

# Files made directly in the backend's directory: the fs backend lists what
# is there, and making 100,000 through the service would measure uploads.
mkfiles() { "$PY" -c 'import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
for i in range(n):
    open(os.path.join(d, "f%07d.csv" % i), "wb").write(b"x")' "$1" "$2"; }

# --- LIST
for n in $LIST_NS; do
  log "ListFiles of $n files"
  mkfiles "$U/list$n" "$n"
  sync
  t0=$(now); find "$U/list$n" -type f | LC_ALL=C sort >"$W/find.txt"; t1=$(now)
  d_ls=$(secs "$t0" "$t1")
  t0=$(now); ctl --json ls "@~/list$n/" >"$W/ls.txt" || broken "ls failed"; t1=$(now)
  s_ls=$(secs "$t0" "$t1")
  [ "$(wc -l <"$W/ls.txt")" -eq "$n" ] || broken "ls of $n files listed $(wc -l <"$W/ls.txt")"
  tgt=""; [ "$n" -ge 100000 ] && tgt="< 2 s"
  row "ListFiles $n files (ls --json)" "${s_ls} s ($(rate "$n" "$s_ls") files/s)" \
    "${d_ls} s (find | sort)" "$(ratio "$d_ls" "$s_ls")" "$tgt"
  rm -rf "$U/list$n"
done

# --- REMOVE
log "RemoveFiles of $RM_N files"
mkfiles "$W/rmdirect" "$RM_N"; sync
t0=$(now); rm -rf "$W/rmdirect"; t1=$(now)
d_rm=$(secs "$t0" "$t1")
mkfiles "$U/rm" "$RM_N"; sync
t0=$(now); out=$(ctl --json rm @~/rm/ --wait) || broken "rm failed"; t1=$(now)
s_rm=$(secs "$t0" "$t1")
[ "$(jget "$out" 'j["files_done"]')" = "$RM_N" ] || broken "rm removed $(jget "$out" 'j["files_done"]') files"
row "RemoveFiles $RM_N files (rm --wait)" "${s_rm} s ($(rate "$RM_N" "$s_rm") files/s)" \
  "${d_rm} s (rm -rf)" "$(ratio "$d_rm" "$s_rm")" ""

# --- GetJob polls vs the cheapest unary call on the same server
log "GetJob vs Health/Check, 1 and 16 clients, ${POLL_S} s each"
job=$(ctl --json put - @~/bench/poll.txt <<<"x" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for c in 1 16; do
  g=$(STAGE_SERVER="$SERVER" "$BENCH" poll --job "$job" --clients $c --seconds "$POLL_S") || broken "stagebench poll"
  h=$(STAGE_SERVER="$SERVER" "$BENCH" health --clients $c --seconds "$POLL_S") || broken "stagebench health"
  row "GetJob, $c client(s)" "$(field "$g" rate)/s p50 $(field "$g" p50_us) p99 $(field "$g" p99_us) us" \
    "$(field "$h" rate)/s p50 $(field "$h" p50_us) p99 $(field "$h" p99_us) us (Health)" \
    "$(ratio "$(field "$g" rate)" "$(field "$h" rate)")" ">= 0.7"
done

# --- queue latency: UploadFile returned (wait=false) -> GetJob says SUCCEEDED
log "queue latency, $QLAT_N x 1 KiB"
q=$(STAGE_SERVER="$SERVER" "$BENCH" qlat --count "$QLAT_N") || broken "stagebench qlat"
row "queue latency 1 KiB (return -> SUCCEEDED)" "p50 $(field "$q" p50_ms) p99 $(field "$q" p99_ms) ms" "-" "-" "p50 < 10 ms"

hwm() { awk '/^VmHWM:/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$1/status"; }
echo
echo "== stage service benchmark ($([ $QUICK = 1 ] && echo quick || echo full)): $(nproc) CPUs, fs backend, loopback, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-38s | %-26s | %-26s | %6s | %s\n' case service direct ratio target
printf '%s\n' "${ROWS[@]}"
echo "ratio: service speed / direct speed (1.00 = as fast as direct)"
echo "peak RSS (VmHWM): frontend $(hwm "$PID_frontend"), $(for i in "${!WORKER_PIDS[@]}"; do printf 'worker%d %s, ' $((i + 1)) "$(hwm "${WORKER_PIDS[$i]}")"; done)redis $(hwm "$PID_redis"); target < 100 MiB per process"
e2e_finish
