#!/usr/bin/env bash
# test_user_reuse.sh - a user name dropped and created again is a new user
# (issue 14, finding 9): the new one gets none of the old one's @~ files
# (DropUser queues their deletion and waits up to 10 s for it; the name is
# not handed out again until it ended: tested with the workers held), jobs,
# stages or tokens.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init user_reuse
e2e_start
export E2E_WORKERS="${WORKER_PIDS[*]}"

check_rc "a dropped user's name, created again" 0 pyrun <<'EOF'
import os, time, stageclient as sc
S, PW = os.environ["E2E_SERVER"], os.environ["E2E_ROOT_PW"]
root = sc.StageClient(S); root.login("root", PW)
root.rpc("CreateUser", name="bob", password="bob-pw-old-1")
root.rpc("Grant", privilege=sc.pb.CREATE_STAGE, stage="", user="bob")
old = sc.StageClient(S); old.login("bob", "bob-pw-old-1")
job = old.upload("@~/mine.txt", b"old bob's file")
old.rpc("CreateStage", name="bobs")
old.upload("@bobs/x.txt", b"in old bob's stage")
# workers held: the deletion of old bob's @~ cannot run yet, DropUser
# returns after its wait (10 s) and the name stays taken until it ran
import signal
workers = [int(p) for p in os.environ["E2E_WORKERS"].split()]
for p in workers:
    os.kill(p, signal.SIGSTOP)
try:
    drop = root.rpc("DropUser", name="bob")
    print("DropUser queued", drop.job_id)
    errs = []
    try:
        root.rpc("CreateUser", name="bob", password="bob-pw-new-1")
        errs.append("the name was handed out while the old files were still there")
    except sc.StageError as e:
        print("CreateUser while the files wait:", e.code, e.message)
        if e.code != "FAILED_PRECONDITION" or drop.job_id not in e.message:
            errs.append("CreateUser during the purge: %s %s" % (e.code, e.message))
finally:
    for p in workers:
        os.kill(p, signal.SIGCONT)
# the name is refused until the deletion ended, then taken
t0 = time.time()
while True:
    try:
        root.rpc("CreateUser", name="bob", password="bob-pw-new-1")
        break
    except sc.StageError as e:
        if e.code != "FAILED_PRECONDITION" or time.time() - t0 > 60:
            raise
        print("CreateUser while the files go:", e.code, e.message)
        time.sleep(0.2)
done = root.get_job(drop.job_id)
print("purge job:", sc.STATE[done.state])
if sc.STATE[done.state] != "SUCCEEDED":
    errs.append("the purge job did not succeed")
new = sc.StageClient(S); new.login("bob", "bob-pw-new-1")
files = [f.name for f in new.list("@~/")]
print("new bob's @~:", files)
if files:
    errs.append("new bob sees old bob's files")
try:
    new.get_job(job.id)
    errs.append("new bob sees old bob's job")
except sc.StageError as e:
    print("old job for new bob:", e.code)
ids = [j.id for j in new.list_jobs()[0]]
if job.id in ids:
    errs.append("old job in new bob's ListJobs")
for rpc in ("DropStage", "AlterStage"):
    try:
        new.rpc(rpc, name="bobs", comment="mine now") if rpc == "AlterStage" else new.rpc(rpc, name="bobs")
        errs.append("new bob could %s old bob's stage" % rpc)
    except sc.StageError as e:
        print("%s of old bob's stage: %s" % (rpc, e.code))
        if e.code != "PERMISSION_DENIED":
            errs.append("%s: %s" % (rpc, e.code))
try:
    old.rpc("ListStages")
    errs.append("old bob's token still works")
except sc.StageError as e:
    print("old token:", e.code)
raise SystemExit("; ".join(errs) if errs else 0)
EOF
printf '%s\n' "$OUT"
check_eq "old bob's @~ directory is gone from the disk" "" "$(ls -A "$DATA/stage/user/bob" 2>/dev/null || true)"
check_eq "the stage he made stays (an admin decides), with its file" 1 \
  "$(find "$DATA/stage/internal" -name x.txt | wc -l)"
e2e_finish
