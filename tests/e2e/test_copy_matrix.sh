#!/usr/bin/env bash
# test_copy_matrix.sh - CopyFiles across every ordered pair of backends: fs (the stack's
# own storage, @~), s3 (s3rver), azblob (azurite) and gcs (gcsfake), one external stage on
# each (storelib.sh). Two source sets, made on every store with the store's own client
# (store_put: not through the service) and read back with it: "set", 50 small files
# (1 byte .. 300 KiB) and one large file (64 MiB; 1 GiB with --long), and "many", 1,000
# small files. Each of the 12 pairs copies both sets from its source store's copy of them.
# The stack has two workers: two runners, one job each at a time; one runner does the
# pairs' "set" jobs one after another, so only one copy of a large file runs at a time,
# and both share the "many" jobs. Every target's sha256 list is read with the store's own
# client (sha256sum, boto3, @azure/storage-blob, the fake's files) and must equal the
# source's. Bytes stream through the worker one chunk at a time: each worker's peak RSS
# (VmHWM) must stay under 100 MiB. Prints MiB/s and files/s per pair (the worker's run of
# each job, from the job's started_at and finished_at): figures, not checks.
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

STORES=(fs s3 az gcs)
SRC="$T/srcsets" # the local files every store's sources are made from
R="$T/mx"        # what the background runners found, one file each
mkdir -p "$SRC/set/small" "$SRC/many" "$R"
"$PY" - "$SRC" <<'PYEOF'
import os, sys
d = sys.argv[1]
for i in range(50):  # 1 byte .. 300 KiB: single requests and a few GCS chunks
    with open("%s/set/small/f%02d.bin" % (d, i), "wb") as f:
        f.write(os.urandom(1 + (i * 6151) % 300000))
for i in range(1000):
    with open("%s/many/m%04d.txt" % (d, i), "wb") as f:
        f.write(os.urandom(1 + (i * 37) % 4000))
PYEOF
mkrand "$SRC/set/big.bin" "$BIG"
WANT_SET=$(dir_shas "$SRC/set")
WANT_MANY=$(dir_shas "$SRC/many")
check_eq "the set: 51 files" 51 "$(wc -l <<<"$WANT_SET")"
check_eq "many: 1,000 files" 1000 "$(wc -l <<<"$WANT_MANY")"

loc() { # STORE PATH -> a location
  if [ "$1" = fs ]; then printf '@~/mx/%s' "$2"; else printf '@%s/%s' "$1" "$2"; fi
}
spath() { # STORE PATH -> the path store_put and store_shas take
  if [ "$1" = fs ]; then printf 'mx/%s' "$2"; else printf '%s' "$2"; fi
}
# out FILE CMD...: CMD's output into FILE, which appears only whole and only if CMD
# succeeded (a reader after `wait` sees a result or nothing)
out() {
  local f=$1
  shift
  "$@" >"$f.tmp" && mv "$f.tmp" "$f"
}
# result FILE: what out put there, or "missing" (its command failed or never ran)
result() { if [ -f "$1" ]; then cat "$1"; else echo missing; fi; }

# unlist PID...: background children waited for already: not for e2e_cleanup to stop (their
# pids may be reused)
unlist() {
  local keep=() p q
  for p in "${E2E_PIDS[@]}"; do
    for q in "$@"; do [ "$p" = "$q" ] && continue 2; done
    keep+=("$p")
  done
  E2E_PIDS=("${keep[@]}")
}

# every store's sources, made with its own client, all four at once. Not read back: each
# pair's target must equal the local sets, so a wrong source fails every pair from it.
SEEDERS=()
for st in "${STORES[@]}"; do
  (
    store_put "$st" "$SRC/set" "$(spath "$st" src/)"
    store_put "$st" "$SRC/many" "$(spath "$st" many/)"
  ) >>"$T/logs/seed-$st.log" 2>&1 &
  SEEDERS+=("$!")
  E2E_PIDS+=("$!")
done
for i in "${!SEEDERS[@]}"; do
  check_rc "${STORES[$i]}: both sets made by its own client" 0 wait "${SEEDERS[$i]}"
done
unlist "${SEEDERS[@]}"
log "sources made on ${STORES[*]}"

PAIRS=()
for from in "${STORES[@]}"; do
  for to in "${STORES[@]}"; do [ "$from" = "$to" ] || PAIRS+=("$from $to"); done
done
# task KIND FROM TO: copy FROM's KIND set into <KIND>_from_FROM/ of TO, then read the
# target's sha256 list with TO's own client
task() {
  local kind=$1 from=$2 to=$3 src=src/ dst="$1_from_$2/"
  [ "$kind" = many ] && src=many/
  out "$R/$kind-$from-$to.job" copy_wait "$(loc "$from" "$src")" "$(loc "$to" "$dst")" || true
  out "$R/$kind-$from-$to.shas" store_shas "$to" "$(spath "$to" "$dst")" || true
}
# The two runners, one job each at a time (the stack has two workers): runner 1 does the
# 12 "set" jobs (so only one copy of a large file runs at a time), runner 2 the "many"
# jobs; each takes the next "many" pair no one took yet (mkdir claims it) once it has
# nothing else left, so both finish at about the same time.
many_tasks() {
  local p i=0
  for p in "${PAIRS[@]}"; do
    i=$((i + 1))
    # shellcheck disable=SC2086 # p is "FROM TO"
    if mkdir "$R/claim-$i" 2>/dev/null; then task many $p; fi
  done
}
(
  for p in "${PAIRS[@]}"; do
    # shellcheck disable=SC2086 # p is "FROM TO"
    task set $p
  done
  many_tasks
) >>"$T/logs/runner-1.log" 2>&1 &
RUNNERS=("$!")
many_tasks >>"$T/logs/runner-2.log" 2>&1 &
RUNNERS+=("$!")
E2E_PIDS+=("${RUNNERS[@]}")
for i in "${!RUNNERS[@]}"; do
  wait "${RUNNERS[$i]}" || log "runner $((i + 1)) failed: $(tail -5 "$T/logs/runner-$((i + 1)).log" 2>&1)"
done
unlist "${RUNNERS[@]}"

RATES=()
for p in "${PAIRS[@]}"; do
  read -r from to <<<"$p"
  line=$(printf '%-4s -> %-4s' "$from" "$to")
  for kind in set many; do
    job=$(result "$R/$kind-$from-$to.job")
    want=$WANT_SET
    [ "$kind" = many ] && want=$WANT_MANY
    check_eq "$from -> $to ($kind): SUCCEEDED" SUCCEEDED "$(jget "$job" 'j["state"]')"
    check_eq "$from -> $to ($kind): every file's sha256, read by $to's own client" "$want" \
      "$(result "$R/$kind-$from-$to.shas")"
    line+="  $kind: "$(jget "$job" '"%4d files, %6.1f MiB in %6.2f s = %6.1f MiB/s, %6.1f files/s" % (
      j["files_done"], j["bytes_done"] / 1048576, (j["finished_at"] - j["started_at"]) / 1e3,
      j["bytes_done"] / 1048576 / max(j["finished_at"] - j["started_at"], 1) * 1e3,
      j["files_done"] / max(j["finished_at"] - j["started_at"], 1) * 1e3)')
  done
  RATES+=("$line")
done

log "copy rates per pair (the worker's run of each job; 'set' is 50 small files and one of $((BIG >> 20)) MiB, 'many' 1,000 small files):"
for l in "${RATES[@]}"; do log "  $l"; done
for i in "${!WORKER_PIDS[@]}"; do
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/${WORKER_PIDS[$i]}/status")
  log "worker $((i + 1)) (pid ${WORKER_PIDS[$i]}): peak RSS (VmHWM) $((hwm / 1024)) MiB"
  check_eq "worker $((i + 1)): peak RSS under 100 MiB" yes \
    "$([ "$hwm" -lt $((100 * 1024)) ] && echo yes || echo "no: $hwm kB")"
done
e2e_finish
