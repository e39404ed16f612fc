#!/usr/bin/env bash
# test_cli_copytotal.sh - a COPY job knows its byte total (issue 17): once
# the worker has listed the sources it sets bytes_total to the bytes the
# job moves, so `job get` shows "done / total" and a finished copy reaches
# it; files skipped (the target exists) are not counted in it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init cli_copytotal
e2e_start
login_root

W="$T/work"
mkdir -p "$W/d"
mkrand "$W/d/a.bin" 3000000
mkrand "$W/d/b.bin" 123456
mkrand "$W/d/c.bin" 7
check_rc "put three files" 0 ctl put -r "$W/d" @~/src/
want=$((3000000 + 123456 + 7))

check_rc "cp --wait --json" 0 ctl --json cp @~/src/d/ @~/dst/ --wait
check_eq "... bytes_total is the sum of the sources" "$want" "$(jget "$OUT" 'j.get("bytesTotal", j.get("bytes_total"))')"
check_eq "... bytes_done reached it" "$want" "$(jget "$OUT" 'j.get("bytesDone", j.get("bytes_done"))')"
id=$(jget "$OUT" 'j["id"]')
check_rc "job get of the copy" 0 ctl job get "$id"
check_contains "... shows done / total" "$OUT" "($want / $want)"
check_eq "the copies are the sources (fs root)" "$(sha "$W/d/a.bin")" "$(sha "$(stage_path dst/a.bin)")"

# one target exists and overwrite is off: that file is skipped, not counted
check_rc "remove one target" 0 ctl rm @~/dst/b.bin
check_rc "cp again (two skipped)" 0 ctl --json cp @~/src/d/ @~/dst/ --wait
check_eq "... the total is the one file copied" 123456 "$(jget "$OUT" 'j.get("bytesTotal", j.get("bytes_total"))')"
check_eq "... and reached" 123456 "$(jget "$OUT" 'j.get("bytesDone", j.get("bytes_done"))')"

e2e_finish
