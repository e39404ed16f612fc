#!/usr/bin/env bash
# test_copy_matrix.sh - CopyFiles across every ordered pair of backends: fs (the stack's
# own storage, @~), s3 (s3rver), azblob (azurite) and gcs (gcsfake), one external stage on
# each (storelib.sh). A source set of 50 small files and one large file (64 MiB; 1 GiB
# with --long) goes fs -> each store, then from each store to every other one (12 pairs);
# 1,000 small files go fs -> s3 -> az -> fs (not through the slow Python GCS fake).
# Every target's sha256 list is read with the store's own client (sha256sum, boto3,
# @azure/storage-blob, the fake's files) and must equal the source's. Bytes stream through
# the worker one chunk at a time: each worker's peak RSS (VmHWM) must stay under 100 MiB.
# Prints MiB/s per pair.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
BIG=$((64 << 20))
[ "${1:-}" = --long ] && BIG=$((1 << 30))
e2e_init copy_matrix
# shellcheck source-path=SCRIPTDIR source=storelib.sh
. "$(dirname "$0")/storelib.sh"
stores_start
e2e_start
login_root
stores_stages

ROOT="$DATA/stage/user/root"
mkdir -p "$ROOT/mx/src/small" "$ROOT/mx/many"
"$PY" - "$ROOT/mx" <<'PYEOF'
import os, sys
d = sys.argv[1]
for i in range(50):  # 1 byte .. 300 KiB: single requests and a few GCS chunks
    with open("%s/src/small/f%02d.bin" % (d, i), "wb") as f:
        f.write(os.urandom(1 + (i * 6151) % 300000))
for i in range(1000):
    with open("%s/many/m%04d.txt" % (d, i), "wb") as f:
        f.write(os.urandom(1 + (i * 37) % 4000))
PYEOF
mkrand "$ROOT/mx/src/big.bin" "$BIG"
WANT=$(store_shas fs mx/src/)
WANT_MANY=$(store_shas fs mx/many/)
check_eq "the source set: 51 files" 51 "$(wc -l <<<"$WANT")"

loc() { # STORE PATH -> a location
  if [ "$1" = fs ]; then printf '@~/mx/%s' "$2"; else printf '@%s/%s' "$1" "$2"; fi
}
spath() { # STORE PATH -> the path store_shas takes
  if [ "$1" = fs ]; then printf 'mx/%s' "$2"; else printf '%s' "$2"; fi
}
RATES=()
# pair FROM FROMPATH TO TOPATH WANT: copy, time it, check every target's sha256
pair() {
  local t0 t1 out mib secs
  t0=$(date +%s.%N)
  out=$(copy_wait "$(loc "$1" "$2")" "$(loc "$3" "$4")")
  t1=$(date +%s.%N)
  check_eq "$1 -> $3 ($2): SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]')"
  check_eq "$1 -> $3 ($2): every file's sha256, read by $3's own client" "$5" \
    "$(store_shas "$3" "$(spath "$3" "$4")")"
  mib=$(jget "$out" '"%.1f" % (j["bytes_done"] / 1048576)')
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  RATES+=("$(printf '%-4s -> %-4s %6s MiB in %6s s: %6s MiB/s' "$1" "$3" "$mib" "$secs" \
    "$(awk -v m="$mib" -v s="$secs" 'BEGIN { printf "%.1f", m / s }')")")
}

for to in s3 az gcs; do pair fs src/ "$to" from_fs/ "$WANT"; done
for from in s3 az gcs; do
  for to in fs s3 az gcs; do
    [ "$from" = "$to" ] || pair "$from" from_fs/ "$to" "from_$from/" "$WANT"
  done
done
# not through gcsfake: a Python server at ~7 small files a second would take minutes
pair fs many/ s3 many/ "$WANT_MANY"
pair s3 many/ az many/ "$WANT_MANY"
pair az many/ fs many_back/ "$WANT_MANY"

log "copy rates (the large file is $((BIG >> 20)) MiB; 'many' is 1,000 small files):"
for l in "${RATES[@]}"; do log "  $l"; done
for i in "${!WORKER_PIDS[@]}"; do
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/${WORKER_PIDS[$i]}/status")
  log "worker $((i + 1)) (pid ${WORKER_PIDS[$i]}): peak RSS (VmHWM) $((hwm / 1024)) MiB"
  check_eq "worker $((i + 1)): peak RSS under 100 MiB" yes \
    "$([ "$hwm" -lt $((100 * 1024)) ] && echo yes || echo "no: $hwm kB")"
done
e2e_finish
