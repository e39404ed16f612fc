#!/usr/bin/env bash
# tests/fuzz/run.sh - build the libFuzzer targets (tests/fuzz/fuzz_*.c) with
# clang under ASan + UBSan into build-fuzz/ and run each for a fixed time,
# FUZZ_JOBS targets at once (default: the number of cores).
#   --seconds N   time per target (default 10: the short run of ./tests/run.sh;
#                 a long run: --seconds 600)
#   NAME...       only these targets (fuzz_s3xml or s3xml)
# Each target starts from its committed seeds and regression inputs
# (tests/fuzz/corpus/<name>/, replayed first, so a fixed crash stays fixed)
# plus what earlier runs found (build-fuzz/corpus/<name>/, not committed).
# Prints executions and executions per second per target; exits 1 if any
# target crashed, leaked, hit UB or a timeout, and names the input to keep.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
seconds=10
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) only+=("${1#fuzz_}"); shift ;;
  esac
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz: --seconds takes a whole number" >&2; exit 2 ;; esac

targets=()
for src in tests/fuzz/fuzz_*.c; do
  t=$(basename "$src" .c)
  t=${t#fuzz_}
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $t "* ]]; then continue; fi
  targets+=("$t")
done
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no such target: ${only[*]}" >&2; exit 2; }

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
  for c in clang-14 clang; do command -v "$c" >/dev/null && { cc=$c; break; }; done
fi
[ -n "$cc" ] || { echo "fuzz: clang not found (deploy/install-deps.sh installs clang-14)" >&2; exit 1; }
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
  cat "$probe/err" >&2
  echo "fuzz: $cc cannot link -fsanitize=fuzzer (Debian: libclang-rt-14-dev)" >&2
  exit 1
fi

build=$root/build-fuzz
jobs=$(nproc 2>/dev/null || echo 2)
echo "== fuzz: build ($cc, ASan + UBSan + libFuzzer, $build)"
cc=$(command -v "$cc")
# Another compiler in the cache makes cmake drop the whole cache, our
# options with it: start that build dir afresh instead.
cached=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
if [ -n "$cached" ] && [ "$(readlink -f "$cached")" != "$(readlink -f "$cc")" ]; then
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
fi
cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DSTAGE_FUZZ=ON -DSTAGE_BUILD_TESTS=OFF \
  -DSTAGE_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs" --target fuzz_all >/dev/null

# UB aborts (the code is built with -fno-sanitize-recover=undefined); leaks
# are reported by libFuzzer itself after each input that leaked.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logs=$build/fuzz-logs
mkdir -p "$logs" "$build/artifacts"
rc=0
total=0
# One target per core at a time: libFuzzer runs single-threaded, so on N cores N
# targets finish in 1/N of the wall time at the same executions each.
par=${FUZZ_JOBS:-$jobs}
run_one() { # TARGET: run it, leave its exit status in $logs/TARGET.rc
  local t=$1 work=$build/corpus/$1
  mkdir -p "$work"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$build/artifacts/$t-")
  [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
  local st=0
  "$build/tests/fuzz/fuzz_$t" "${args[@]}" "$work" "tests/fuzz/corpus/$t" >"$logs/$t.log" 2>&1 || st=$?
  echo "$st" >"$logs/$t.rc"
}
running=0
for t in "${targets[@]}"; do
  rm -f "$logs/$t.rc"
  if [ "$running" -ge "$par" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
wait || true

printf '%-12s %12s %10s %s\n' target executions exec/s result
for t in "${targets[@]}"; do
  log=$logs/$t.log
  result=ok
  [ "$(cat "$logs/$t.rc" 2>/dev/null || echo missing)" = 0 ] || result=FAILED
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  total=$((total + ${execs:-0}))
  printf '%-12s %12s %10s %s\n' "$t" "${execs:--}" "${rate:--}" "$result"
  if [ "$result" != ok ]; then
    rc=1
    grep -E 'ERROR:|SUMMARY:|property broken|runtime error|Test unit written' "$log" | head -20 || true
    echo "  log: $log"
    echo "  keep the input as a regression: cp <artifact> tests/fuzz/corpus/$t/regress_<what>"
    echo "  (and for a real bug: fix it, with a unit test that fails before the fix)"
  fi
done
echo "fuzz: $total executions in ${#targets[@]} targets, ${seconds}s each, $par at a time"
exit $rc
