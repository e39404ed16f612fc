#!/usr/bin/env bash
# test_copy.sh - CopyFiles: @~ -> internal stage (a directory, sha256 of every
# copy checked on disk), internal -> @~ with a pattern, a file to a file
# name, fs:// external -> internal, overwrite=false skips an existing target
# (SKIPPED in GetJobResults, file untouched) and overwrite=true replaces it,
# NOT_FOUND when nothing matches, INVALID_ARGUMENT for a target inside its
# source or a pattern into one file name, PERMISSION_DENIED without READ on
# the source or WRITE on the target (nothing queued), an idempotency key
# gives the same job, kill -9 of the worker mid-copy: the job resumes on the
# other worker after the last copied file and every file is copied once;
# CancelJob stops a copy and leaves no partial file.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
export STAGE_STORAGE_ALLOW_FS_URLS=true STAGE_JOBS_LEASE_MS=2000 STAGE_JOBS_RETRY_BASE_MS=200
e2e_init copy
export STAGE_STORAGE_FS_URL_ROOTS="$T/ext" # the fs:// stage's base (made below)
e2e_start
login_root

EXT="$T/ext"
mkdir -p "$EXT/in/sub"
for i in 1 2 3; do mkrand "$EXT/in/e$i.bin" $((100000 * i)); done
mkrand "$EXT/in/sub/deep.bin" 4096
: >"$EXT/in/empty.txt"

E2E_EXT="$EXT" check_rc "copy scenarios" 0 pyrun <<'EOF'
import hashlib, os, subprocess, time
import stageclient as sc
from stageclient import pb
DATA, EXT = os.environ["E2E_DATA"], os.environ["E2E_EXT"]
S = os.environ["E2E_SERVER"]
rc = lambda *a: subprocess.run(["redis-cli", "-p", os.environ["E2E_REDIS_PORT"], *a],
                               capture_output=True, text=True).stdout.strip()
fails = []
def check(what, ok, detail=""):
    print("%s: %s%s" % ("ok" if ok else "FAIL", what, "" if ok else " -- %s" % (detail,)))
    if not ok:
        fails.append(what)
def sha_file(p):
    try:
        return hashlib.sha256(open(p, "rb").read()).hexdigest()
    except OSError as e:
        return "<%s>" % e
sha = lambda b: hashlib.sha256(b).hexdigest()
def status(fn, *a, **kw):
    try:
        fn(*a, **kw)
        return "OK", ""
    except sc.StageError as e:
        return e.code, e.message
def copy(c, src, dst, **kw):
    return c.rpc("CopyFiles", **{"from": src, "to": dst}, **kw).job
def results(c, job):
    out, tok = [], ""
    while True:
        page, tok = c.job_results(job, tok)
        out += [(r.name, r.status, r.error) for r in page]
        if not tok:
            return sorted(out)
def done(c, job, want="SUCCEEDED"):
    j = c.wait_job(job.id, timeout=60)
    check("job %s %s -> %s" % (job.id[:8], pb.JobKind.Name(j.kind),
                               want), sc.STATE[j.state] == want,
          "%s %s %s" % (sc.STATE[j.state], j.error_code, j.error_message))
    return j

root = sc.StageClient(S); root.login("root", os.environ["E2E_ROOT_PW"])
home = os.path.join(DATA, "stage/user/root")
def internal(n):  # an internal stage's directory: stage/internal/<name>/<id>/
    import glob
    d = glob.glob(os.path.join(DATA, "stage/internal", n, "*"))
    assert len(d) == 1, d
    return d[0]
root.rpc("CreateStage", name="dst")
root.rpc("CreateStage", name="ext", url="fs://%s/" % EXT)
root.upload("@dst/.keep", b"")  # so that its directory exists for internal()

# ---- @~ -> internal stage, a directory, keeping the tree below 'data/'
files = {"data/a.csv": os.urandom(70000), "data/b.json": b'{"k": 1}\n',
         "data/sub/c.csv": os.urandom(9 << 20), "data.csv": b"not under data/\n"}
for name, body in files.items():
    root.upload("@~/" + name, body)
job = copy(root, "@~/data/", "@dst/backup/")
check("CopyFiles answers a COPY job", job.kind == pb.COPY and job.id, str(job))
j = done(root, job)
check("files_total = files_done = 3", (j.files_total, j.files_done) == (3, 3),
      (j.files_total, j.files_done))
want_bytes = sum(len(files[n]) for n in files if n.startswith("data/"))
check("bytes_done = every copied byte", j.bytes_done == want_bytes, (j.bytes_done, want_bytes))
for name in ("data/a.csv", "data/b.json", "data/sub/c.csv"):
    dst = os.path.join(internal("dst"), "backup", name[len("data/"):])
    check("sha256 of the copy of %s on disk" % name, sha_file(dst) == sha(files[name]),
          sha_file(dst))
check("data.csv (outside 'data/') not copied",
      not os.path.exists(os.path.join(internal("dst"), "backup/data.csv")))
check("the source is untouched", sha_file(os.path.join(home, "data/a.csv")) == sha(files["data/a.csv"]))
res = results(root, job.id)
check("GetJobResults: one COPIED per file",
      res == [("data/a.csv", "COPIED", ""), ("data/b.json", "COPIED", ""),
              ("data/sub/c.csv", "COPIED", "")], res)

# ---- idempotency key: the same job
a = copy(root, "@~/data.csv", "@dst/one/", idempotency_key="cp-key-1")
b = copy(root, "@~/data.csv", "@dst/one/", idempotency_key="cp-key-1")
check("same idempotency key -> same job", a.id == b.id, (a.id, b.id))
done(root, a)
check("one copy made", sha_file(os.path.join(internal("dst"), "one/data.csv")) == sha(files["data.csv"]))

# ---- internal -> @~ with a pattern (matched after the prefix)
job = copy(root, "@dst/backup/", "@~/back/", pattern=".*[.]csv")
j = done(root, job)
check("pattern: 2 files", (j.files_total, j.files_done) == (2, 2), (j.files_total, j.files_done))
got = sorted(os.path.relpath(os.path.join(d, f), os.path.join(home, "back"))
             for d, _, fs in os.walk(os.path.join(home, "back")) for f in fs)
check("pattern: only the .csv files landed in @~/back/", got == ["a.csv", "sub/c.csv"], got)
check("pattern: sha256 of sub/c.csv", sha_file(os.path.join(home, "back/sub/c.csv")) ==
      sha(files["data/sub/c.csv"]))

# ---- a file to a file name
j = done(root, copy(root, "@~/data/b.json", "@dst/renamed.json"))
check("file -> file name", sha_file(os.path.join(internal("dst"), "renamed.json")) ==
      sha(files["data/b.json"]) and j.files_done == 1)

# ---- fs:// external -> internal (also an empty file and a subdirectory)
j = done(root, copy(root, "@ext/in/", "@dst/fromext/"))
check("external: 5 files", j.files_done == 5, j.files_done)
for rel in ("e1.bin", "e2.bin", "e3.bin", "sub/deep.bin", "empty.txt"):
    check("external copy of %s has the source's sha256" % rel,
          sha_file(os.path.join(internal("dst"), "fromext", rel)) ==
          sha_file(os.path.join(EXT, "in", rel)))
# and back out to the external stage
j = done(root, copy(root, "@dst/backup/a.csv", "@ext/out/"))
check("internal -> external lands in the URL's directory",
      sha_file(os.path.join(EXT, "out/a.csv")) == sha(files["data/a.csv"]))

# ---- overwrite semantics
target = os.path.join(internal("dst"), "backup/a.csv")
root.upload("@~/data/a.csv", b"newer content", overwrite=True)
before = os.stat(target).st_mtime_ns
job = copy(root, "@~/data/", "@dst/backup/")
j = done(root, job)
res = results(root, job.id)
check("overwrite=false: existing targets SKIPPED, job SUCCEEDED",
      [r[1] for r in res] == ["SKIPPED"] * 3 and "already exists" in res[0][2], res)
check("overwrite=false: the target is untouched", sha_file(target) == sha(files["data/a.csv"])
      and os.stat(target).st_mtime_ns == before)
job = copy(root, "@~/data/a.csv", "@dst/backup/", overwrite=True)
done(root, job)
check("overwrite=true replaces the target", sha_file(target) == sha(b"newer content"))
check("overwrite=true: COPIED", results(root, job.id) == [("data/a.csv", "COPIED", "")],
      results(root, job.id))

# ---- errors
got, msg = status(copy, root, "@~/nothing/", "@dst/x/")
check("nothing matches -> NOT_FOUND", got == "NOT_FOUND" and "@~/nothing/" in msg, (got, msg))
got, msg = status(copy, root, "@~/data/", "@dst/x/", pattern="zzz.*")
check("pattern matches nothing -> NOT_FOUND naming the pattern", got == "NOT_FOUND" and "zzz" in msg,
      (got, msg))
got, msg = status(copy, root, "@~/data/", "@~/data/inner/")
check("target inside the source -> INVALID_ARGUMENT", got == "INVALID_ARGUMENT" and
      "inside" in msg, (got, msg))
got, msg = status(copy, root, "@~/data/", "@dst/one.csv", pattern=".*")
check("a pattern into one file name -> INVALID_ARGUMENT", got == "INVALID_ARGUMENT", (got, msg))
got, msg = status(copy, root, "@~/data/", "@nosuch/x/")
check("unknown target stage -> NOT_FOUND", got == "NOT_FOUND" and "nosuch" in msg, (got, msg))
got, msg = status(copy, root, "@~/data/", "@dst/x/", pattern="(")
check("bad pattern -> INVALID_ARGUMENT", got == "INVALID_ARGUMENT", (got, msg))

# ---- privileges: READ on the source, WRITE on the target
root.rpc("CreateUser", name="carol", password="pw-carol")
root.rpc("CreateStage", name="ro")
root.upload("@ro/r.txt", b"read me")
carol = sc.StageClient(S); carol.login("carol", "pw-carol")
nq = rc("XLEN", "st:q")
got, msg = status(copy, carol, "@ro/r.txt", "@~/")
check("no READ on the source -> PERMISSION_DENIED naming it", got == "PERMISSION_DENIED" and
      "READ" in msg and "'ro'" in msg, (got, msg))
root.rpc("Grant", privilege=pb.READ, stage="ro", user="carol")
got, msg = status(copy, carol, "@~/x", "@ro/")
check("no WRITE on the target -> PERMISSION_DENIED naming it", got == "PERMISSION_DENIED" and
      "WRITE" in msg, (got, msg))
check("refused copies queue nothing", rc("XLEN", "st:q") == nq, (nq, rc("XLEN", "st:q")))
j = done(carol, copy(carol, "@ro/r.txt", "@~/"))
check("with READ on the source: copied into carol's @~",
      open(os.path.join(DATA, "stage/user/carol/r.txt"), "rb").read() == b"read me")
sys_exit = 1 if fails else 0
print("copy scenarios: %d failed" % len(fails))
raise SystemExit(sys_exit)
EOF
printf '%s\n' "$OUT"
[ -n "$ERR" ] && printf '%s\n' "$ERR" >&2

# ---- kill -9 the worker mid-copy: resumed on the other one after the checkpoint
N=24
mkdir -p "$EXT/many"
for i in $(seq -w 1 $N); do mkrand "$EXT/many/f$i.bin" $((6 << 20)); done
declare -A PID_OF=([e2e-worker-1]=${WORKER_PIDS[0]} [e2e-worker-2]=${WORKER_PIDS[1]})
out=$(pyrun <<'EOF'
import os, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
print(c.rpc("CopyFiles", **{"from": "@ext/many/", "to": "@dst/many/"}).job.id)
EOF
)
job=$(printf '%s\n' "$out" | tail -1)
field() { rcli HGET "st:job:$job" "$1"; }
for _ in $(seq 400); do
  [ "$(field files_done)" -ge 3 ] 2>/dev/null && break
  sleep 0.02
done
done_at_kill=$(field files_done)
owner=$(field worker)
victim=${PID_OF[$owner]:-}
[ -n "$victim" ] || die "job $job runs on unknown worker '$owner'"
check_ne "the copy was still running when the worker was killed" SUCCEEDED "$(field state)"
kill -KILL "$victim"
log "killed $owner after $done_at_kill of $N files"
for _ in $(seq 600); do
  st=$(field state)
  [ "$st" = SUCCEEDED ] || [ "$st" = FAILED ] && break
  sleep 0.05
done
check_eq "the copy SUCCEEDED after the kill" SUCCEEDED "$(field state)"
check_ne "... on the other worker" "$owner" "$(field worker)"
check_eq "files_done = $N" "$N" "$(field files_done)"
check_eq "every file has exactly one result" "$N" "$(rcli LLEN "st:job:$job:results")"
check_eq "no file was recorded twice" "$N" \
  "$(rcli LRANGE "st:job:$job:results" 0 -1 | cut -f2 | sort -u | wc -l)"
bad=0
DST=$(echo "$DATA"/stage/internal/dst/*)
for i in $(seq -w 1 $N); do
  [ "$(sha "$EXT/many/f$i.bin")" = "$(sha "$DST"/many/f$i.bin 2>/dev/null || echo x)" ] ||
    bad=$((bad + 1))
done
check_eq "every copy has its source's sha256 on disk" 0 "$bad"

# ---- CancelJob stops a copy between chunks/files and leaves no partial file
out=$(pyrun <<'EOF'
import os, time, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
j = c.rpc("CopyFiles", **{"from": "@ext/many/", "to": "@dst/cancelled/"}).job
while c.get_job(j.id).files_done < 1:
    time.sleep(0.01)
c.cancel_job(j.id)
j = c.wait_job(j.id)
print(sc.STATE[j.state], j.files_done)
EOF
)
check_eq "cancelled copy: CANCELLED" CANCELLED "$(printf '%s\n' "$out" | tail -1 | cut -d' ' -f1)"
sleep 0.5
n=$(find "$DST/cancelled" -type f 2>/dev/null | wc -l)
check_le "cancelled copy: fewer than $N files copied" $((N - 1)) "$n"
bad=0
for f in $(find "$DST/cancelled" -type f 2>/dev/null); do
  [ "$(sha "$f")" = "$(sha "$EXT/many/${f##*/}")" ] || bad=$((bad + 1))
done
check_eq "cancelled copy: every file it made is whole" 0 "$bad"
check_eq "no temp file left" "" "$(ls -A "$DATA/.tmp" 2>/dev/null)"

e2e_finish
