#!/usr/bin/env bash
# test_cli.sh - stagectl as people and scripts use it: several files, globs
# and trees uploaded in parallel (skip or overwrite), a prefix downloaded in
# parallel, --resume, exit codes (0/1/2), --json errors with the gRPC status
# name, config precedence (flag > STAGE_SERVER > the server of the last
# login), and the progress bar on a terminal (tmux) but not on a pipe.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init cli
e2e_start
login_root

W="$T/work"
mkdir -p "$W/src/sub/deeper" "$W/out"
for i in 1 2 3 4 5; do mkrand "$W/src/f$i.csv" $((i * 70000)); done
mkrand "$W/src/notes.txt" 1000
mkrand "$W/src/sub/a.csv" 4096
mkrand "$W/src/sub/deeper/b.csv" 0

# --- put: a quoted glob, in parallel, one JSON object per file
check_rc "put glob --parallel 3" 0 ctl --json put "$W/src/*.csv" @~/glob/ --parallel 3
check_eq "one JSON line per file" 5 "$(printf '%s\n' "$OUT" | grep -c '"result":"uploaded"')"
for i in 1 2 3 4 5; do
  check_eq "glob f$i.csv stored intact" "$(sha "$W/src/f$i.csv")" "$(sha "$(stage_path glob/f$i.csv)")"
done
check_eq "notes.txt not matched by *.csv" "no" "$([ -e "$(stage_path glob/notes.txt)" ] && echo yes || echo no)"

# --- put: several files named, then again: skipped, not failed
check_rc "put two files" 0 ctl put "$W/src/f1.csv" "$W/src/notes.txt" @~/two/
check_contains "human line per file on a pipe" "$OUT" "uploaded"
check_rc "put the same files again: skipped" 0 ctl --json put "$W/src/f1.csv" "$W/src/notes.txt" @~/two/
check_eq "both reported skipped" 2 "$(printf '%s\n' "$OUT" | grep -c '"result":"skipped"')"
cp "$W/src/f2.csv" "$W/f1.csv"
check_rc "put --overwrite replaces" 0 ctl put "$W/f1.csv" "$W/src/notes.txt" @~/two/ --overwrite
check_eq "overwritten content" "$(sha "$W/src/f2.csv")" "$(sha "$(stage_path two/f1.csv)")"

# --- put -r: a tree keeps its shape under the directory's own name (like cp -r)
check_rc "put -r a tree" 0 ctl put -r "$W/src" @~/tree/ --parallel 4
check_eq "deep file in place" "$(sha "$W/src/sub/deeper/b.csv")" "$(sha "$(stage_path tree/src/sub/deeper/b.csv)")"
check_eq "tree file count" 8 "$(data_files | grep -c '^stage/user/root/tree/' || true)"
check_rc "put a directory without -r" 1 ctl put "$W/src" "$W/src/f1.csv" @~/x/
check_contains "names the directory and the fix" "$ERR" "is a directory (use -r)"

# --- usage errors exit 2
check_rc "several files to a non-directory location" 2 ctl put "$W/src/f1.csv" "$W/src/f2.csv" @~/one.csv
check_rc "unknown command" 2 ctl frobnicate
check_rc "unknown option" 2 ctl put --bogus "$W/src/f1.csv" @~/
check_rc "--parallel out of range" 2 ctl put --parallel 0 "$W/src/f1.csv" "$W/src/f2.csv" @~/p/
check_rc "glob matching nothing" 1 ctl put "$W/src/*.nope" @~/g/
check_contains "names the glob" "$ERR" "no file matches"

# --- errors exit 1, with the status name in --json
check_rc "single put of an existing file" 1 ctl --json put "$W/src/f1.csv" @~/two/f1.csv
check_eq "--json error code" "ALREADY_EXISTS" "$(jget "$OUT" 'j["error"]["code"]')"
check_eq "--json error object" "@~/two/f1.csv" "$(jget "$OUT" 'j["error"]["object"]')"
check_rc "get a missing file" 1 ctl --json get @~/nope.csv "$W/out/"
check_eq "NOT_FOUND in --json" "NOT_FOUND" "$(jget "$OUT" 'j["error"]["code"]')"
check_contains "stderr names the object" "$ERR" "@~/nope.csv"

# --- get a prefix, in parallel, paths below the prefix kept
check_rc "get a prefix --parallel 3" 0 ctl get @~/tree/src/ "$W/out/tree" --parallel 3
check_eq "prefix file count" 8 "$(find "$W/out/tree" -type f | wc -l)"
check_eq "deep file downloaded intact" "$(sha "$W/src/sub/deeper/b.csv")" "$(sha "$W/out/tree/sub/deeper/b.csv")"
check_eq "no temp files left" 0 "$(find "$W/out/tree" -name '.*stagectl*' | wc -l)"
check_rc "get --pattern" 0 ctl --json get @~/glob/ "$W/out/pat" --pattern 'f[12][.]csv'
check_eq "--pattern: only the matches" "f1.csv f2.csv" "$(cd "$W/out/pat" && ls | LC_ALL=C sort | xargs)"
check_eq "one JSON line per downloaded file" 2 "$(printf '%s\n' "$OUT" | grep -c '"file"')"

# --- --resume: the same put again returns the same jobs (when the server
# keeps idempotency keys) and never uploads a finished file twice.
check_rc "put --resume" 0 ctl --json put --resume "$W/src/f3.csv" "$W/src/f4.csv" @~/res/
first=$(printf '%s\n' "$OUT" | "$PY" -c 'import json,sys; print(" ".join(sorted(json.loads(l)["job"]["id"] for l in sys.stdin)))')
check_rc "put --resume again" 0 ctl --json put --resume "$W/src/f3.csv" "$W/src/f4.csv" @~/res/
again=$(printf '%s\n' "$OUT" | "$PY" -c 'import json,sys
ids = []
for l in sys.stdin:
    o = json.loads(l)
    ids.append(o["job"]["id"] if "job" in o else o["result"])
print(" ".join(sorted(ids)))')
case "$again" in
"$first") pass "--resume: the server answered with the same jobs" ;;
"skipped skipped") pass "--resume: finished files not uploaded again (skipped)" ;;
*) fail "--resume: expected the same jobs or skips, got [$again] after [$first]" ;;
esac

# --- config precedence: flag > STAGE_SERVER > server of the last login
check_eq "login remembered the server" "$SERVER" "$(cat "$HOME/.config/stagectl/server")"
check_eq "server file mode" 600 "$(stat -c %a "$HOME/.config/stagectl/server")"
check_eq "token file mode" 600 "$(stat -c %a "$HOME/.config/stagectl/token")"
check_rc "no flag, no env: the remembered server" 0 "$STAGECTL" stat @~/two/f1.csv
bad="127.0.0.1:$(free_port)"
check_rc "STAGE_SERVER beats the remembered server" 1 env STAGE_SERVER="$bad" "$STAGECTL" stat @~/two/f1.csv
check_contains "unreachable server is named" "$ERR" "$bad"
check_rc "--server beats STAGE_SERVER" 0 env STAGE_SERVER="$bad" "$STAGECTL" --server "$SERVER" stat @~/two/f1.csv

# --- who, which version, what was meant, how to log in
check_rc "--version" 0 ctl --version
check_contains "... names the version and commit" "$OUT" "stagectl 0."
check_contains "... and the commit" "$OUT" "(commit "
check_rc "stage-frontend --version" 0 "$FRONTEND" --version
check_contains "... names itself and the commit" "$OUT" "stage-frontend 0."
check_rc "stage-worker --version" 0 "$WORKER" --version
check_rc "stage-worker --check-config" 0 "$WORKER" --check-config
check_contains "... says the configuration is ok" "$OUT" "configuration ok"
check_rc "whoami" 0 ctl whoami
check_contains "... the user and server" "$OUT" "root on $SERVER (token expires "
check_rc "whoami --json" 0 ctl --json whoami
check_eq "... accepted" True "$(jget "$OUT" 'j["accepted"]')"
check_rc "a mistyped command" 2 ctl prsign @~/two/f1.csv
check_contains "... did you mean" "$ERR" "did you mean 'presign'?"
check_eq "... and no 40 lines of help" 2 "$(printf '%s\n' "$ERR" | wc -l)"
check_rc "list is ls" 0 ctl list @~/two/
check_rc "job list --state in lower case" 0 ctl job list --state succeeded
mkdir -p "$T/nohome"
check_rc "no credentials at all" 1 env HOME="$T/nohome" "$STAGECTL" --server "$SERVER" ls @~/
check_contains "... says how to log in" "$ERR" "not logged in: run 'stagectl login USER'"
check_rc "login --password-stdin" 0 env HOME="$T/nohome" bash -c \
  "printf '%s\n' \"\$1\" | \"\$2\" --server \"\$3\" login root --password-stdin" _ "$ROOT_PW" "$STAGECTL" "$SERVER"
check_rc "... and the token works" 0 env HOME="$T/nohome" "$STAGECTL" --server "$SERVER" whoami

# --- a job whose total is not known up front (stdin) shows what moved, not "/ 0 B"
check_rc "put from stdin" 0 bash -c "head -c 300000 /dev/urandom | '$STAGECTL' --server '$SERVER' --json put - @~/p/stdin.bin"
sid=$(jget "$OUT" 'j["job"]["id"] if "job" in j else j["id"]')
check_rc "job get of the stdin upload" 0 ctl job get "$sid"
check_contains "... its bytes" "$OUT" "(300000"
check_eq "... and no unknown total shown as 0 B" "" "$(printf '%s\n' "$OUT" | grep ' / 0 B' || true)"

# --- progress: nothing on a pipe, a bar with rate on a terminal
mkrand "$W/big.bin" $((48 << 20))
check_rc "put on a pipe" 0 ctl put "$W/big.bin" @~/p/pipe.bin
check_eq "no progress on a pipe" "" "$ERR"
if command -v tmux >/dev/null; then
  sock="$T/tmux.sock"
  # stdin trickles in, so the bar is on screen while we look at it
  tmux -S "$sock" new-session -d -x 160 -y 10 \
    "(head -c 3000000 /dev/urandom; sleep 3; head -c 1000 /dev/urandom) | $STAGECTL --server $SERVER put - @~/p/tty.bin; sleep 5"
  sleep 2
  screen=$(tmux -S "$sock" capture-pane -p || true)
  tmux -S "$sock" kill-server 2>/dev/null || true
  check_contains "progress line on a terminal shows bytes" "$screen" "MiB"
  check_contains "progress line on a terminal shows the rate" "$screen" "/s"
else
  log "tmux not installed: terminal progress not checked"
fi

e2e_finish
