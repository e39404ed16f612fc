#!/usr/bin/env bash
# tests/bench/run.sh - figures, not pass/fail: upload and download MiB/s through
# the service (stagectl and the Python client) next to a plain `cp`, GetJob
# polls/s, LIST and REMOVE files/s, and the peak RSS (VmHWM) of the frontend
# and workers. Starts its own Redis + frontend + 2 workers on free ports in a
# temp dir (tests/e2e/lib.sh), like the e2e tests.
#
#   tests/bench/run.sh            quick: a 64 MiB file, 500 small files
#   tests/bench/run.sh --full     1 GiB file, 10,000 small files
#   tests/bench/run.sh --size MIB --files N
#
# Binaries: STAGE_BIN_DIR (default build/; built there if missing).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SIZE_MIB=64
NFILES=500
while [ $# -gt 0 ]; do
  case "$1" in
  --full) SIZE_MIB=1024 NFILES=10000 ;;
  --size) SIZE_MIB=$2; shift ;;
  --files) NFILES=$2; shift ;;
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "usage: $0 [--full] [--size MIB] [--files N]" >&2; exit 2 ;;
  esac
  shift
done

export STAGE_BIN_DIR=${STAGE_BIN_DIR:-$SRC/build}
if [ ! -x "$STAGE_BIN_DIR/frontend/stage-frontend" ] || [ ! -x "$STAGE_BIN_DIR/worker/stage-worker" ] ||
  [ ! -x "$STAGE_BIN_DIR/cli/stagectl" ]; then
  cmake -S "$SRC" -B "$STAGE_BIN_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$STAGE_BIN_DIR" -j"$(nproc 2>/dev/null || echo 2)" --target stage-frontend stage-worker stagectl
fi

# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
e2e_init bench
e2e_start
login_root

W="$T/work"
results=()
# rate NAME MIB START_NS END_NS
rate() {
  local ms=$((($4 - $3) / 1000000))
  [ "$ms" -gt 0 ] || ms=1
  results+=("$(printf '%-34s %9.1f MiB/s   (%d MiB in %d.%03d s)' "$1" \
    "$(awk -v m="$2" -v ms="$ms" 'BEGIN { print m * 1000 / ms }')" "$2" $((ms / 1000)) $((ms % 1000)))")
}
now() { date +%s%N; }

log "making a ${SIZE_MIB} MiB random file"
head -c $((SIZE_MIB << 20)) /dev/urandom >"$W/src.bin"
sync

t0=$(now)
cp "$W/src.bin" "$W/cp.bin"
t1=$(now)
rate "cp (page cache)" "$SIZE_MIB" "$t0" "$t1"
t0=$(now)
cp "$W/src.bin" "$W/cp2.bin" && sync "$W/cp2.bin"
t1=$(now)
rate "cp + sync" "$SIZE_MIB" "$t0" "$t1"
rm -f "$W/cp.bin" "$W/cp2.bin"

t0=$(now)
ctl put "$W/src.bin" @~/bench/ctl.bin >/dev/null
t1=$(now)
rate "stagectl put (wait=true)" "$SIZE_MIB" "$t0" "$t1"
t0=$(now)
ctl get @~/bench/ctl.bin "$W/ctl.out" >/dev/null
t1=$(now)
rate "stagectl get" "$SIZE_MIB" "$t0" "$t1"
[ "$(sha "$W/src.bin")" = "$(sha "$W/ctl.out")" ] || results+=("!! stagectl round trip: sha256 differs")
rm -f "$W/ctl.out"

t0=$(now)
py upload "$W/src.bin" @~/bench/py.bin >/dev/null
t1=$(now)
rate "python upload (wait=true)" "$SIZE_MIB" "$t0" "$t1"
t0=$(now)
py download @~/bench/py.bin - >/dev/null
t1=$(now)
rate "python download (discarded)" "$SIZE_MIB" "$t0" "$t1"
rm -f "$W/src.bin"

log "GetJob polls, LIST and REMOVE of $NFILES small files"
# shellcheck disable=SC2119 # pyrun reads the script from stdin
E2E_NFILES=$NFILES pyrun >"$W/py.txt" <<'EOF'
import os, time
import stageclient as sc

c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
job = c.upload("@~/bench/poll.txt", b"x")
n, t = 0, time.time()
while time.time() - t < 3:
    c.get_job(job.id)
    n += 1
print("%-34s %9.0f calls/s (sequential, 1 in flight)" % ("GetJob", n / (time.time() - t)))

nfiles = int(os.environ["E2E_NFILES"])
t = time.time()
for i in range(nfiles):
    c.upload("@~/many/f%06d.txt" % i, b"%d\n" % i)
print("%-34s %9.0f files/s (sequential, wait=true)" % ("UploadFile of small files",
                                                        nfiles / (time.time() - t)))
t = time.time()
files = c.list("@~/many/")
dt = time.time() - t
assert len(files) == nfiles, len(files)
print("%-34s %9.0f files/s (%d files in %.2f s)" % ("ListFiles", nfiles / dt, nfiles, dt))
t = time.time()
job = c.wait_job(c.remove("@~/many/").id, timeout=600)
dt = time.time() - t
print("%-34s %9.0f files/s (%d files in %.2f s, %s)" % ("RemoveFiles", job.files_done / dt,
                                                        job.files_done, dt, sc.STATE[job.state]))
EOF

hwm() { awk '/^VmHWM:/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$1/status"; }
echo
echo "== stage service benchmark: ${SIZE_MIB} MiB file, $NFILES small files, $(nproc) CPUs, fs backend in $T"
printf '%s\n' "${results[@]}"
cat "$W/py.txt"
echo "peak RSS (VmHWM):"
printf '  %-10s %s\n' frontend "$(hwm "$PID_frontend")"
for i in "${!WORKER_PIDS[@]}"; do printf '  %-10s %s\n' "worker$((i + 1))" "$(hwm "${WORKER_PIDS[$i]}")"; done
printf '  %-10s %s (used_memory_peak %s)\n' redis "$(hwm "$PID_redis")" \
  "$(rcli info memory | awk -F: '/^used_memory_peak_human/ { gsub(/\r/, ""); print $2 }')"
