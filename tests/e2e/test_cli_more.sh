#!/usr/bin/env bash
# test_cli_more.sh - stagectl cat, du and mv as users of aws s3, gsutil and
# rclone expect them: cat gives the exact bytes of a binary file, du counts
# files and bytes like an independent sum over the fs backend, mv moves
# one file (or a prefix with -r) only once the copy succeeded, and a mv
# that cannot copy (missing source, existing target) changes nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init cli_more
e2e_start
login_root

W="$T/work"
mkdir -p "$W"
mkrand "$W/bin.dat" 3000001
mkrand "$W/a.csv" 70000
mkrand "$W/b.csv" 12345
mkrand "$W/c.txt" 1
: >"$W/empty.csv"

# --- cat: the exact bytes of a binary file, to stdout
check_rc "put a binary file" 0 ctl put "$W/bin.dat" @~/cat/bin.dat
"$STAGECTL" --server "$SERVER" cat @~/cat/bin.dat >"$W/cat.out"
check_eq "cat of a binary file equals the source" "$(sha "$W/bin.dat")" "$(sha "$W/cat.out")"
check_rc "cat a missing file" 1 ctl cat @~/cat/nope.dat
check_contains "... names the command, object and status" "$ERR" "cat @~/cat/nope.dat: NOT_FOUND"
check_rc "cat a prefix is a usage error" 2 ctl cat @~/cat/
check_rc "cat --help" 0 ctl cat --help
check_contains "... is cat's help" "$OUT" "usage: stagectl cat @LOCATION"

# --- du: files and bytes under a prefix, against an independent sum
check_rc "put files to count" 0 ctl put "$W/a.csv" "$W/b.csv" "$W/c.txt" "$W/empty.csv" @~/du/d/
check_rc "put a sibling matched by the prefix" 0 ctl put "$W/a.csv" @~/du/d.csv
want=$("$PY" - "$(stage_path du)" <<'PY'
import os, sys
root = sys.argv[1]
files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
         if os.path.relpath(os.path.join(d, f), root).startswith("d")]
print(len(files), sum(os.path.getsize(f) for f in files))
PY
)
check_rc "du --json" 0 ctl --json du @~/du/d
check_eq "du counts files and bytes as os.walk does" "$want" "$(jget "$OUT" 'str(j["files"]) + " " + str(j["bytes"])')"
check_eq "du --json names the location" "@~/du/d" "$(jget "$OUT" 'j["location"]')"
check_rc "du --pattern" 0 ctl --json du @~/du/d/ --pattern '.*[.]csv'
check_eq "du --pattern: only the .csv files" "3 $((70000 + 12345))" "$(jget "$OUT" 'str(j["files"]) + " " + str(j["bytes"])')"
check_rc "du for people" 0 ctl du @~/du/d/
check_contains "... human size and count" "$OUT" "4 files, 80.4 KiB (82346 bytes) under @~/du/d/"
check_rc "du of an empty prefix" 0 ctl --json du @~/du/none/
check_eq "... is zero" "0 0" "$(jget "$OUT" 'str(j["files"]) + " " + str(j["bytes"])')"

# --- mv of one file: the source gone, the target the same bytes
exists() { [ -e "$(stage_path "$1")" ] && echo yes || echo no; }
check_rc "put files to move" 0 ctl put "$W/a.csv" "$W/b.csv" @~/mv/
check_rc "put a sibling that shares the prefix" 0 ctl put "$W/c.txt" @~/mv/a.csv.bak
check_rc "mv one file" 0 ctl mv @~/mv/a.csv @~/moved/a1.csv
check_contains "... reports what moved" "$OUT" "moved 1 file(s) from @~/mv/a.csv to @~/moved/a1.csv"
check_eq "... the source is gone" no "$(exists mv/a.csv)"
check_eq "... the target has the source's bytes" "$(sha "$W/a.csv")" "$(sha "$(stage_path moved/a1.csv)")"
check_eq "... a name that merely starts with it stays" "$(sha "$W/c.txt")" "$(sha "$(stage_path mv/a.csv.bak)")"
check_rc "mv --json into a directory" 0 ctl --json mv @~/mv/b.csv @~/moved/
check_eq "... moved 1" 1 "$(jget "$OUT" 'j["moved"]')"
check_eq "... keeps the base name" "$(sha "$W/b.csv")" "$(sha "$(stage_path moved/b.csv)")"
check_eq "... the source is gone" no "$(exists mv/b.csv)"

# --- mv that cannot copy changes nothing
before=$(data_files)
check_rc "mv of a missing file" 1 ctl mv @~/mv/nope.csv @~/moved/nope.csv
check_contains "... names the object" "$ERR" "mv @~/mv/nope.csv: "
check_contains "... NOT_FOUND" "$ERR" "NOT_FOUND"
check_eq "... nothing changed" "$before" "$(data_files)"
check_rc "put a source and a target" 0 ctl put "$W/b.csv" @~/mv/src.csv
check_rc "..." 0 ctl put "$W/c.txt" @~/mv/dst.csv
check_rc "mv onto an existing target without --overwrite" 1 ctl mv @~/mv/src.csv @~/mv/dst.csv
check_contains "... says why" "$ERR" "ALREADY_EXISTS"
check_eq "... the source stays" "$(sha "$W/b.csv")" "$(sha "$(stage_path mv/src.csv)")"
check_eq "... the target stays" "$(sha "$W/c.txt")" "$(sha "$(stage_path mv/dst.csv)")"
check_rc "mv --overwrite" 0 ctl mv --overwrite @~/mv/src.csv @~/mv/dst.csv
check_eq "... the target replaced" "$(sha "$W/b.csv")" "$(sha "$(stage_path mv/dst.csv)")"
check_eq "... the source gone" no "$(exists mv/src.csv)"
check_rc "mv of a prefix without -r" 2 ctl mv @~/mv/ @~/moved/
check_rc "mv -r to a file" 2 ctl mv -r @~/mv @~/moved/x.csv

# --- mv -r: a prefix, everything under it
mkdir -p "$W/tree/sub"
for i in 1 2 3; do mkrand "$W/tree/f$i.csv" $((i * 1000)); done
mkrand "$W/tree/sub/g.csv" 777
check_rc "put a tree" 0 ctl put -r "$W/tree" @~/mvr/
check_rc "mv -r a prefix" 0 ctl --json mv -r @~/mvr/tree/ @~/mvr2/
check_eq "... moved 4" 4 "$(jget "$OUT" 'j["moved"]')"
check_eq "... nothing left under the source" "" "$(data_files | grep '^stage/user/root/mvr/' || true)"
check_eq "... deep file intact" "$(sha "$W/tree/sub/g.csv")" "$(sha "$(stage_path mvr2/sub/g.csv)")"
check_rc "mv --help" 0 ctl mv --help
check_contains "... is mv's help" "$OUT" "usage: stagectl mv @FROM @TO"

# --- --include/--exclude globs beside --pattern (ls, du, get, cp, rm)
mkdir -p "$W/g/sub"
for f in a.csv b.csv tmp.csv c.txt sub/d.csv; do mkrand "$W/g/$f" 100; done
check_rc "put files to filter" 0 ctl put -r "$W/g" @~/gl/
check_rc "ls --include" 0 ctl --json ls @~/gl/g/ --include '*.csv'
check_eq "... '*' stops at '/'" "a.csv b.csv tmp.csv" "$(printf '%s\n' "$OUT" | "$PY" -c 'import json,sys; print(" ".join(sorted(json.loads(l)["name"].rsplit("/",1)[1] for l in sys.stdin if "sub/" not in json.loads(l)["name"])))')"
check_eq "... and nothing under sub/" 3 "$(printf '%s\n' "$OUT" | grep -c '"name"')"
check_rc "du --include '**.csv' --exclude 'tmp*'" 0 ctl --json du @~/gl/g/ --include '**.csv' --exclude 'tmp*'
check_eq "... a.csv, b.csv, sub/d.csv" "3 300" "$(jget "$OUT" 'str(j["files"]) + " " + str(j["bytes"])')"
check_rc "get --exclude" 0 ctl get @~/gl/g/ "$W/gout" --exclude '*.csv' --exclude 'sub/**'
check_eq "... only c.txt" "c.txt" "$(cd "$W/gout" && find . -type f | sed 's|^\./||' | xargs)"
check_rc "cp --include --wait" 0 ctl cp @~/gl/g/ @~/gl2/ --include '[ab].csv' --wait
check_eq "... copied a.csv and b.csv" "a.csv b.csv" "$(data_files | grep '^stage/user/root/gl2/' | sed 's|.*/||' | xargs)"
check_rc "rm --include --dry-run" 0 ctl rm @~/gl/g/ --include 'sub/*' --dry-run
check_contains "... lists sub/d.csv" "$OUT" "would remove gl/g/sub/d.csv"
check_rc "rm --include" 0 ctl rm @~/gl/g/ --include 'tmp.csv'
check_eq "... tmp.csv gone" no "$(exists gl/g/tmp.csv)"
check_eq "... a.csv stays" yes "$(exists gl/g/a.csv)"
check_rc "--pattern with --include is a usage error" 2 ctl ls @~/gl/ --pattern '.*' --include '*'
check_contains "... says they do not combine" "$ERR" "do not combine"
check_rc "an unclosed class is a usage error" 2 ctl du @~/gl/ --include 'f[12'
check_rc "ls --help names the globs" 0 ctl ls --help
check_contains "... --include" "$OUT" "--include GLOB"
check_eq "... and runs no listing" "" "$(printf '%s\n' "$OUT" | grep '^NAME' || true)"
check_rc "du --help" 0 ctl du --help
check_eq "... and counts nothing" "" "$(printf '%s\n' "$OUT" | grep 'files, ' || true)"

e2e_finish
