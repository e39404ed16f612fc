#!/usr/bin/env bash
# test_list_remove.sh - ListFiles with and without a pattern, on prefixes with
# and without a trailing '/' (Databend semantics); RemoveFiles with a pattern
# removes exactly the matching files, dry_run nothing; a catastrophic pattern
# is INVALID_ARGUMENT "pattern too expensive" for LIST, REMOVE and COPY; GetJob shows QUEUED,
# RUNNING (bytes_done growing) and SUCCEEDED with byte and file counts.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init list_remove
e2e_start
login_root

W="$T/work"
FILES=(2023/a.csv 2023/b.json 2023/sub/c.csv 2023.csv 2024/d.csv 2024.txt other.txt)
for f in "${FILES[@]}"; do
  printf 'content of %s\n' "$f" >"$W/src"
  py upload "$W/src" "@~/$f" >/dev/null || die "upload of $f failed"
done
# stagectl too, so both clients' files are listed alike
printf 'x' >"$W/src"
check_rc "stagectl put zz/last.csv" 0 ctl put "$W/src" @~/zz/last.csv
FILES+=(zz/last.csv)

# names NAME... sorted, one per line
sorted() { printf '%s\n' "$@" | LC_ALL=C sort; }
# list LOCATION [PATTERN] -> sorted names from the Python client
list() {
  local out
  out=$(py list "$1" --pattern "${2:-}") || { echo "<error: $out>"; return 0; }
  jget "$out" '"\n".join(sorted(f["name"] for f in j))'
}

check_eq "list @~ (everything)" "$(sorted "${FILES[@]}")" "$(list @~)"
check_eq "list @~/ (everything)" "$(sorted "${FILES[@]}")" "$(list @~/)"
check_eq "list @~/2023 is a key prefix: 2023/... and 2023.csv" \
  "$(sorted 2023/a.csv 2023/b.json 2023/sub/c.csv 2023.csv)" "$(list @~/2023)"
check_eq "list @~/2023/ is the directory only" \
  "$(sorted 2023/a.csv 2023/b.json 2023/sub/c.csv)" "$(list @~/2023/)"
check_eq "list @~/2023/ --pattern '.*[.]csv' (matched after the prefix)" \
  "$(sorted 2023/a.csv 2023/sub/c.csv)" "$(list @~/2023/ '.*[.]csv')"
check_eq "list @~ --pattern '.*[.]csv'" \
  "$(sorted 2023/a.csv 2023/sub/c.csv 2023.csv 2024/d.csv zz/last.csv)" "$(list @~ '.*[.]csv')"
check_eq "list @~/2023/ --pattern 'csv' (anchored: matches nothing)" "" "$(list @~/2023/ 'csv')"
check_eq "list @~/2023/ --pattern 'a[.]csv' (the path after the prefix, not the stage path)" \
  "2023/a.csv" "$(list @~/2023/ 'a[.]csv')"
check_eq "list @~/2023/ --pattern '2023/a[.]csv' matches nothing (the prefix is not seen)" \
  "" "$(list @~/2023/ '2023/a[.]csv')"
check_eq "list @~/2023 --pattern '[.]csv' (key prefix: the rest of 2023.csv)" \
  "2023.csv" "$(list @~/2023 '[.]csv')"
check_eq "list of a prefix with no files is empty" "" "$(list @~/nothing/)"
check_rc "list with an invalid pattern" 1 py list @~ --pattern '('
check_eq "... is INVALID_ARGUMENT" "INVALID_ARGUMENT" "$(jget "$OUT" 'j["error"]["code"]')"

# --- a pattern with catastrophic backtracking (issue 14 #4) ends the job INVALID_ARGUMENT
# "pattern too expensive", never a silent "no match" (an empty listing, a REMOVE or COPY
# of nothing). Over "aaa...ab1" "(a|a)+$" takes 2^41 steps without PCRE2 limits.
EVIL=$(printf 'a%.0s' $(seq 40))b
printf 'x' >"$W/src"
for i in 1 2 3; do
  py upload "$W/src" "@~/evil/$EVIL$i" >/dev/null || die "upload of evil/$EVIL$i failed"
done
check_rc "list --pattern '(a|a)+\$' over a*40 b names" 1 py list @~/evil/ --pattern '(a|a)+$'
check_eq "... is INVALID_ARGUMENT" "INVALID_ARGUMENT" "$(jget "$OUT" 'j["error"]["code"]')"
check_contains "... naming 'pattern too expensive'" "$(jget "$OUT" 'j["error"]["message"]')" "pattern too expensive"
check_rc "stagectl ls --pattern '(a+)+\$' fails too" 1 ctl ls @~/evil/ --pattern '(a+)+$'
check_contains "... INVALID_ARGUMENT: pattern too expensive" "$ERR" "INVALID_ARGUMENT: pattern too expensive"
ctl --json rm @~/evil/ --pattern '(a|a)+$' >"$T/out" 2>"$T/err" || true
OUT=$(cat "$T/out")
check_eq "rm --pattern '(a|a)+\$': the job FAILED INVALID_ARGUMENT" "FAILED INVALID_ARGUMENT" \
  "$(jget "$OUT" 'j["state"] + " " + j["error_code"]')"
check_contains "... 'pattern too expensive'" "$(jget "$OUT" 'j["error_message"]')" "pattern too expensive"
check_eq "... and removed nothing" "$(sorted "$EVIL"1 "$EVIL"2 "$EVIL"3 | sed 's|^|evil/|')" "$(list @~/evil/)"
check_rc "CopyFiles --pattern '(a|a)+\$' ends FAILED INVALID_ARGUMENT" 0 pyrun <<'PY'
import os, sys
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
job = c.rpc("CopyFiles", pattern="(a|a)+$", **{"from": "@~/evil/", "to": "@~/evilcopy/"}).job
j = c.wait_job(job.id)
print(sc.STATE[j.state], j.error_code, j.error_message)
sys.exit(0 if (sc.STATE[j.state], j.error_code) == ("FAILED", "INVALID_ARGUMENT") and
         "pattern too expensive" in j.error_message else 1)
PY
check_eq "... and copied nothing" "" "$(list @~/evilcopy/)"
check_eq "a harmless pattern still lists them" "evil/${EVIL}2" "$(list @~/evil/ 'a+b2')"
rm_evil=$(py remove @~/evil/)
py wait-job "$(jget "$rm_evil" 'j["id"]')" >/dev/null

out=$(py list @~/2023/a.csv)
check_eq "FileInfo.size" "$(printf 'content of %s\n' 2023/a.csv | wc -c)" "$(jget "$out" 'j[0]["size"]')"
check_ne "FileInfo.last_modified is set" "0" "$(jget "$out" 'j[0]["last_modified"]')"

# stagectl ls: a table with a header, or JSON lines
check_rc "stagectl ls @~/2023/" 0 ctl ls @~/2023/
check_eq "stagectl ls: header + 3 rows" 4 "$(printf '%s\n' "$OUT" | wc -l)"
check_contains "stagectl ls: header" "$(printf '%s\n' "$OUT" | head -1)" "NAME"
check_contains "stagectl ls: a row" "$OUT" "2023/sub/c.csv"
check_rc "stagectl --json ls @~/2023 --pattern" 0 ctl --json ls @~/2023 --pattern '.*csv'
check_eq "stagectl --json ls: one document per file" \
  "$(sorted 2023/a.csv 2023/sub/c.csv 2023.csv)" \
  "$(printf '%s\n' "$OUT" | "$PY" -c 'import json,sys; print("\n".join(sorted(json.loads(l)["name"] for l in sys.stdin if l.strip())))')"

# --- RemoveFiles: dry run deletes nothing
before=$(data_files)
check_rc "stagectl rm --dry-run --wait" 0 ctl --json rm @~/2023/ --pattern '.*[.]csv' --dry-run --wait
last=$(printf '%s\n' "$OUT" | tail -1)
check_eq "dry run job SUCCEEDED" SUCCEEDED "$(jget "$last" 'j["job"]["state"]')"
check_eq "dry run: 2 matched, 0 removed, marked a dry run" "2 0 True" \
  "$(jget "$last" '"%d %d %s" % (j["matched"], j["removed"], j["dry_run"])')"
check_eq "dry run lists each file, one document each" "$(sorted 2023/a.csv 2023/sub/c.csv)" \
  "$(printf '%s\n' "$OUT" | head -n -1 | "$PY" -c 'import json,sys; print("\n".join(sorted(json.loads(l)["name"] for l in sys.stdin)))')"
check_eq "dry run removed nothing from the fs root" "$before" "$(data_files)"
check_rc "stagectl rm --dry-run (text)" 0 ctl rm @~/2023/ --pattern '.*[.]csv' --dry-run
check_eq "... one line per file, then the count" \
  "$(printf 'would remove 2023/a.csv\nwould remove 2023/sub/c.csv\ndry run: 2 file(s) matched @~/2023/; nothing was removed')" \
  "$(printf '%s\n' "$OUT" | sed 's/ (job [0-9a-f]*)$//')"
check_eq "... removed nothing" "$before" "$(data_files)"

# --- RemoveFiles with a pattern removes exactly the matches
check_rc "stagectl rm --pattern --wait" 0 ctl --json rm @~/2023/ --pattern '.*[.]csv' --wait
check_eq "rm job SUCCEEDED" SUCCEEDED "$(jget "$OUT" 'j["job"]["state"]')"
check_eq "rm job kind" REMOVE "$(jget "$OUT" 'j["job"]["kind"]')"
check_eq "rm job files_done" 2 "$(jget "$OUT" 'j["job"]["files_done"]')"
check_eq "rm reports 2 matched, 2 removed" "2 2 False" "$(jget "$OUT" '"%d %d %s" % (j["matched"], j["removed"], j["dry_run"])')"
check_eq "fs root after rm: only the matches are gone" \
  "$(for f in 2023/b.json 2023.csv 2024/d.csv 2024.txt other.txt zz/last.csv; do echo "stage/user/root/$f"; done | LC_ALL=C sort)" \
  "$(data_files)"
check_eq "list agrees" "$(sorted 2023/b.json 2023.csv 2024/d.csv 2024.txt other.txt zz/last.csv)" "$(list @~)"

# a prefix without '/' removes both 2024/d.csv and 2024.txt
out=$(py remove @~/2024)
id=$(jget "$out" 'j["id"]')
check_eq "python remove @~/2024: job queued" REMOVE "$(jget "$out" 'j["kind"]')"
out=$(py wait-job "$id")
check_eq "... SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]')"
check_eq "... files_done" 2 "$(jget "$out" 'j["files_done"]')"
check_eq "fs root after rm @~/2024" \
  "$(for f in 2023/b.json 2023.csv other.txt zz/last.csv; do echo "stage/user/root/$f"; done | LC_ALL=C sort)" \
  "$(data_files)"
check_rc "rm -r of a prefix with no files is an error" 1 ctl --json rm -r @~/nothing/
check_eq "... NOT_FOUND, saying no files matched" "NOT_FOUND" "$(jget "$OUT" 'j["error"]["code"]')"
check_contains "... message" "$ERR" "no files matched @~/nothing/"
check_rc "... unless --force" 0 ctl rm -r --force @~/nothing/
check_contains "... which reports 0 files" "$OUT" "removed 0 of 0 matched file(s)"

# --- stagectl rm: one file unless -r or --pattern
printf 'x\n' >"$T/one.csv"
check_rc "put 2025_old/x.csv" 0 ctl put "$T/one.csv" @~/2025_old/x.csv
check_rc "put 2025.csv" 0 ctl put "$T/one.csv" @~/2025.csv
check_rc "put 2025" 0 ctl put "$T/one.csv" @~/2025
check_rc "rm @~/2025 removes the file 2025 only" 0 ctl rm @~/2025
check_contains "... reports 1 of 1" "$OUT" "removed 1 of 1 matched file(s) under @~/2025"
check_eq "... 2025.csv and 2025_old/x.csv stay" "$(sorted 2025.csv 2025_old/x.csv)" "$(list @~/2025)"
check_rc "rm @~/2025 again: no files matched" 1 ctl rm @~/2025
check_contains "... says so, and how to remove a prefix" "$ERR" "no files matched @~/2025; a prefix needs -r"
check_rc "... --force: exit 0" 0 ctl rm --force @~/2025
check_rc "rm of a directory location needs -r" 2 ctl rm @~/2025_old/
check_contains "... says so" "$ERR" "names no file"
check_rc "rm of a name with regex characters" 0 ctl put "$T/one.csv" '@~/re/a+(1).csv'
check_rc "... put a near name" 0 ctl put "$T/one.csv" '@~/re/aa(1).csv'
check_rc "... rm removes that one" 0 ctl rm '@~/re/a+(1).csv'
check_eq "... the near name stays" "re/aa(1).csv" "$(list @~/re/)"
check_rc "rm -r @~/2025 removes the prefix (Databend's semantics)" 0 ctl --json rm -r @~/2025
check_eq "... 2 matched, 2 removed" "2 2" "$(jget "$OUT" '"%d %d" % (j["matched"], j["removed"])')"
check_eq "... nothing left" "" "$(list @~/2025)"
check_rc "rm --no-wait prints the queued job" 0 ctl --json rm --no-wait '@~/re/aa(1).csv'
check_eq "... a REMOVE job" REMOVE "$(jget "$OUT" 'j["kind"]')"
out=$(py wait-job "$(jget "$OUT" 'j["id"]')")
check_eq "... which removes it" "SUCCEEDED 1" "$(jget "$out" 'j["state"] + " " + str(j["files_done"])')"
check_eq "fs root after the stagectl rm checks" \
  "$(for f in 2023/b.json 2023.csv other.txt zz/last.csv; do echo "stage/user/root/$f"; done | LC_ALL=C sort)" \
  "$(data_files)"

# --- GetJob: QUEUED while no worker runs (workers stopped), then SUCCEEDED
for p in "${WORKER_PIDS[@]}"; do kill -STOP "$p"; done
out=$(py remove @~/zz/ --dry-run)
id=$(jget "$out" 'j["id"]')
sleep 0.5
out=$(py job "$id")
check_eq "GetJob while the workers are stopped: QUEUED" QUEUED "$(jget "$out" 'j["state"]')"
for p in "${WORKER_PIDS[@]}"; do kill -CONT "$p"; done
out=$(py wait-job "$id")
check_eq "GetJob after the workers resume: SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]')"
check_ne "... started_at set" 0 "$(jget "$out" 'j["started_at"]')"
check_ne "... finished_at set" 0 "$(jget "$out" 'j["finished_at"]')"
check_ne "... worker set" "" "$(jget "$out" 'j["worker"]')"

# --- GetJob during a 100 MiB upload: RUNNING with bytes_done growing, then SUCCEEDED.
# The upload is throttled a little (20 ms per MiB) so that polls see it move.
check_rc "GetJob polled during a 100 MiB upload" 0 pyrun <<'EOF'
import os, subprocess, sys, threading, time
import stageclient as sc

c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
size = 100 << 20

def reqs():
    yield sc.pb.UploadFileRequest(header=sc.pb.UploadHeader(
        location="@~/progress.bin", has_size=True, size=size, wait=False))
    for _ in range(100):
        yield sc.pb.UploadFileRequest(chunk=os.urandom(1 << 20))
        time.sleep(0.02)

before = subprocess.run(["redis-cli", "-p", os.environ["E2E_REDIS_PORT"], "zrange",
                         "st:jobs:root", "0", "-1"], capture_output=True, text=True).stdout.split()
fut = c.upload_future(reqs())
job_id = None
deadline = time.time() + 20
while not job_id and time.time() < deadline:
    ids = subprocess.run(["redis-cli", "-p", os.environ["E2E_REDIS_PORT"], "zrange",
                          "st:jobs:root", "0", "-1"], capture_output=True, text=True).stdout.split()
    new = [i for i in ids if i not in before]
    job_id = new[-1] if new else None
    time.sleep(0.01)
if not job_id:
    sys.exit("no new job id in st:jobs:root")
seen = []
deadline = time.time() + 120
while time.time() < deadline:
    j = c.get_job(job_id)
    seen.append((sc.STATE[j.state], j.bytes_done, j.bytes_total, j.files_done))
    if sc.STATE[j.state] in sc.TERMINAL:
        break
    time.sleep(0.02)
resp = fut.result(timeout=60)
states = [s[0] for s in seen]
running = [s for s in seen if s[0] == "RUNNING"]
done_values = sorted(set(s[1] for s in running))
print("polls:", len(seen), "states seen:", sorted(set(states)))
print("bytes_done while RUNNING:", done_values[:20])
print("final:", seen[-1])
print("UploadFile returned state:", sc.STATE[resp.job.state])
errors = []
if not running:
    errors.append("never saw RUNNING")
if len([v for v in done_values if 0 < v < size]) < 2:
    errors.append("bytes_done did not grow in steps while RUNNING: %s" % done_values)
if any(b[1] < a[1] for a, b in zip(seen, seen[1:])):
    errors.append("bytes_done went backwards")
if seen[-1][0] != "SUCCEEDED" or seen[-1][1] != size or seen[-1][2] != size:
    errors.append("final state/bytes wrong: %s" % (seen[-1],))
print("FILES_DONE=%d" % seen[-1][3])
if errors:
    sys.exit("; ".join(errors))
EOF
printf '%s\n%s\n' "$OUT" "$ERR" | sed 's/^/    /'
check_eq "a finished upload counts files_done 1" "FILES_DONE=1" "$(printf '%s\n' "$OUT" | grep -o 'FILES_DONE=[0-9]*' || echo none)"
check_eq "the polled upload is stored whole" "$((100 << 20))" "$(stat -c %s "$(stage_path progress.bin)" 2>/dev/null || echo missing)"

e2e_finish
