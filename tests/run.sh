#!/usr/bin/env bash
# tests/run.sh - install what is missing, build, and run every test layer:
#   unit (cmocka, offline, under AddressSanitizer + UBSan), fuzz (each libFuzzer
#   target briefly: tests/fuzz/run.sh, FUZZ_SECONDS per target, default 10),
#   integration (a real redis-server per test), e2e (the real frontend and
#   workers on temp ports), deploy (the Kubernetes manifests rendered and
#   validated offline).
# Options: --unit | --fuzz | --integration | --e2e | --deploy   run one layer only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
layer=${1:-all}

./deploy/install-deps.sh
if [ -f tests/e2e/install-emulators.sh ]; then ./tests/e2e/install-emulators.sh; fi

echo "== build (RelWithDebInfo, -Werror)"
cmake -S . -B build -DSTAGE_WERROR=ON -DSTAGE_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

rc=0
if [ "$layer" = all ] || [ "$layer" = --unit ]; then
  echo "== format check (clang-format 14)"
  if command -v clang-format >/dev/null; then
    files=$(git ls-files '*.c' '*.h' 2>/dev/null || find common frontend worker cli tests -name '*.[ch]')
    # shellcheck disable=SC2086
    clang-format --dry-run --Werror $files || { echo "run: clang-format -i <files>"; rc=1; }
  else
    echo "clang-format not installed; skipped"
  fi
  echo "== build (ASan + UBSan) and unit tests"
  cmake -S . -B build-asan -DSTAGE_WERROR=ON -DSTAGE_BUILD_TESTS=ON -DSTAGE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-asan -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -L unit --output-on-failure || rc=1
fi
if [ "$layer" = all ] || [ "$layer" = --fuzz ]; then
  echo "== fuzz targets (clang, libFuzzer + ASan + UBSan)"
  ./tests/fuzz/run.sh --seconds "${FUZZ_SECONDS:-10}" || rc=1
fi
if [ "$layer" = all ] || [ "$layer" = --integration ]; then
  echo "== integration tests"
  ctest --test-dir build -L integration --output-on-failure || rc=1
fi
if [ "$layer" = all ] || [ "$layer" = --deploy ]; then
  echo "== deploy manifests"
  ctest --test-dir build -L deploy --output-on-failure || rc=1
fi
if [ "$layer" = all ] || [ "$layer" = --e2e ]; then
  echo "== end-to-end tests"
  rm -f build/e2e-memory-figures.txt
  # Two at a time on 2 cores (E2E_JOBS): most of an e2e test is waiting (leases,
  # retries, emulators' replies), and every wait in them is bounded with room
  # for a loaded machine; e2e.memory and e2e.bench_quick run alone (RUN_SERIAL)
  # so that the figures they print are not halved by a neighbour.
  ctest --test-dir build -L e2e -j"${E2E_JOBS:-$jobs}" --output-on-failure || rc=1
  if [ -s build/e2e-memory-figures.txt ]; then
    echo "== e2e.memory figures (1 GiB each way; peak RSS is VmHWM)"
    cat build/e2e-memory-figures.txt
  fi
fi
[ $rc -eq 0 ] && echo "== all test layers passed" || echo "== FAILED"
exit $rc
