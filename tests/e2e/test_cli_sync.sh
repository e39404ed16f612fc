#!/usr/bin/env bash
# test_cli_sync.sh - stagectl sync (issue 17) both ways against the real
# frontend and workers, checked independently: sha256sum of the local files
# against the files in the fs storage root, and the server's job list to
# see that unchanged files are not uploaded again. --delete, --dry-run
# (changes nothing), the filter on both sides, --quiet.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init cli_sync
e2e_start
login_root

W="$T/work"
S="$W/src"
mkdir -p "$S/sub/deep"
mkrand "$S/a.csv" 70000
mkrand "$S/b.csv" 1234
mkrand "$S/sub/c.txt" 1
mkrand "$S/sub/deep/d.bin" 2500000
: >"$S/empty.csv"

# The tree under DIR as "sha256  path" lines, sorted.
tree_sums() { (cd "$1" && find . -type f ! -name '.*stagectl-*' | sed 's|^\./||' | LC_ALL=C sort | while read -r f; do
  printf '%s  %s\n' "$(sha "$f")" "$f"
done); }
# Upload jobs the server knows (job list --all, newest first).
uploads() { ctl --json job list --all --limit 0 | "$PY" -c 'import json,sys; print(sum(1 for j in json.load(sys.stdin)["jobs"] if j.get("kind") == "UPLOAD"))'; }

# --- upload: everything is new
check_rc "sync DIR @~/s/" 0 ctl sync "$S" @~/s/
check_contains "... the summary" "$OUT" "sync: 5 uploaded, 0 deleted, 0 unchanged"
check_eq "the stage holds the tree (fs root, sha256)" "$(tree_sums "$S")" "$(tree_sums "$(stage_path s)")"
n0=$(uploads)
m0=$(stat -c %Y.%N "$(stage_path s/a.csv)" 2>/dev/null || stat -c %y "$(stage_path s/a.csv)")

# --- again: nothing changed, nothing uploaded
check_rc "sync again" 0 ctl sync "$S" @~/s
check_contains "... all unchanged" "$OUT" "sync: 0 uploaded, 0 deleted, 5 unchanged"
check_eq "... no new upload job" "$n0" "$(uploads)"
check_eq "... a.csv not rewritten" "$m0" "$(stat -c %Y.%N "$(stage_path s/a.csv)" 2>/dev/null || stat -c %y "$(stage_path s/a.csv)")"

# --- change one file (same size, other bytes), grow one, add one, remove one
mkrand "$S/b.csv" 1234
mkrand "$S/sub/c.txt" 10
mkrand "$S/new.csv" 300
rm "$S/empty.csv"
check_rc "sync --dry-run" 0 ctl sync "$S" @~/s/ --dry-run --delete
check_contains "... plans b.csv (same size, other digest)" "$OUT" "upload   $S/b.csv -> @~/s/b.csv (changed)"
check_contains "... plans c.txt" "$OUT" "upload   $S/sub/c.txt -> @~/s/sub/c.txt (changed)"
check_contains "... plans new.csv" "$OUT" "upload   $S/new.csv -> @~/s/new.csv (new)"
check_contains "... plans the deletion" "$OUT" "delete   @~/s/empty.csv"
check_eq "... one line per file, and the summary" 5 "$(printf '%s\n' "$OUT" | wc -l)"
check_contains "... summary" "$OUT" "sync (dry run, nothing changed): 3 to upload, 1 to delete, 2 unchanged"
check_eq "... changed nothing" "$n0" "$(uploads)"
check_eq "... empty.csv still there" yes "$([ -e "$(stage_path s/empty.csv)" ] && echo yes || echo no)"
check_rc "sync --dry-run --json" 0 ctl --json sync "$S" @~/s/ --dry-run
check_eq "... one JSON object per step, then the summary" "changed changed new | 3 True" \
  "$(printf '%s\n' "$OUT" | "$PY" -c 'import json,sys
r = [json.loads(l) for l in sys.stdin if l.strip()]
print(" ".join(sorted(x["reason"] for x in r[:-1])), "|", r[-1]["uploaded"], r[-1]["dry_run"])')"
check_rc "sync without --delete" 0 ctl sync "$S" @~/s/
check_contains "... 3 uploaded, nothing deleted" "$OUT" "sync: 3 uploaded, 0 deleted, 2 unchanged"
check_eq "... 3 new upload jobs" "$((n0 + 3))" "$(uploads)"
check_eq "... empty.csv stays without --delete" yes "$([ -e "$(stage_path s/empty.csv)" ] && echo yes || echo no)"
check_rc "sync --delete" 0 ctl sync "$S" @~/s/ --delete
check_contains "... deletes one" "$OUT" "sync: 0 uploaded, 1 deleted, 5 unchanged"
check_eq "the stage is the tree again" "$(tree_sums "$S")" "$(tree_sums "$(stage_path s)")"

# --- download: into a new directory, then the same checks the other way
D="$W/dst"
check_rc "sync @~/s/ DIR (new directory)" 0 ctl sync @~/s/ "$D"
check_contains "... downloaded 5" "$OUT" "sync: 5 downloaded, 0 deleted, 0 unchanged"
check_eq "the directory holds the stage's files" "$(tree_sums "$(stage_path s)")" "$(tree_sums "$D")"
check_rc "sync down again" 0 ctl sync @~/s/ "$D"
check_contains "... all unchanged" "$OUT" "sync: 0 downloaded, 0 deleted, 5 unchanged"
mkrand "$D/b.csv" 1234
mkrand "$D/stray.txt" 50
check_rc "sync down --delete --dry-run" 0 ctl sync @~/s/ "$D" --delete --dry-run
check_contains "... plans b.csv back" "$OUT" "download @~/s/b.csv -> $D/b.csv (changed)"
check_contains "... plans the local deletion" "$OUT" "delete   $D/stray.txt"
check_eq "... stray.txt still there" yes "$([ -e "$D/stray.txt" ] && echo yes || echo no)"
check_rc "sync down --delete" 0 ctl sync @~/s/ "$D" --delete
check_contains "... summary" "$OUT" "sync: 1 downloaded, 1 deleted, 4 unchanged"
check_eq "... stray.txt gone" no "$([ -e "$D/stray.txt" ] && echo yes || echo no)"
check_eq "the directory is the stage again" "$(tree_sums "$(stage_path s)")" "$(tree_sums "$D")"

# --- the filter selects on both sides; what it leaves out is never deleted
check_rc "sync --include '*.csv' --delete to a new prefix" 0 ctl sync "$S" @~/f/ --include '*.csv' --delete
check_eq "... only the top-level .csv files" "a.csv b.csv new.csv" "$(data_files | grep '^stage/user/root/f/' | sed 's|.*/f/||' | xargs)"
check_rc "put a file the filter leaves out" 0 ctl put "$S/sub/c.txt" @~/f/keep.txt
check_rc "sync --include '*.csv' --delete again" 0 ctl sync "$S" @~/f/ --include '*.csv' --delete
check_contains "... nothing to do" "$OUT" "sync: 0 uploaded, 0 deleted, 3 unchanged"
check_eq "... keep.txt (not selected) stays" yes "$([ -e "$(stage_path f/keep.txt)" ] && echo yes || echo no)"
check_rc "sync --exclude 'sub/**'" 0 ctl sync @~/s/ "$W/ex" --exclude 'sub/**'
check_eq "... no sub/" "" "$(find "$W/ex" -path '*sub*' | head -1)"

# --- quiet, usage
check_rc "sync -q with nothing to do" 0 ctl -q sync "$S" @~/s/
check_eq "... prints nothing" "" "$OUT$ERR"
check_rc "two local directories" 2 ctl sync "$S" "$D"
check_rc "two stage locations" 2 ctl sync @~/a/ @~/b/
check_rc "a missing local source" 1 ctl sync "$W/nope" @~/s/
check_contains "... NOT_FOUND" "$ERR" "NOT_FOUND"
check_rc "sync --help" 0 ctl sync --help
check_contains "... is sync's help" "$OUT" "usage: stagectl sync DIR @STAGE/PREFIX/"

e2e_finish
