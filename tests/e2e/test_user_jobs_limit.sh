#!/usr/bin/env bash
# test_user_jobs_limit.sh - jobs.max_active_per_user (3 here): with the
# workers held, alice's 4th job is refused RESOURCE_EXHAUSTED naming the
# setting while bob's is taken; cancelling one of hers frees a place; once the
# workers go on every accepted job ends and her set of live jobs is empty.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init user_jobs_limit
export STAGE_JOBS_MAX_ACTIVE_PER_USER=3
e2e_start
export E2E_WORKERS="${WORKER_PIDS[*]}"

check_rc "one user cannot fill the queue" 0 pyrun <<'EOF'
import os, signal, time, stageclient as sc
S, PW = os.environ["E2E_SERVER"], os.environ["E2E_ROOT_PW"]
root = sc.StageClient(S); root.login("root", PW)
for u in ("alice", "bob"):
    root.rpc("CreateUser", name=u, password=u + "-pw-1234")
alice = sc.StageClient(S); alice.login("alice", "alice-pw-1234")
bob = sc.StageClient(S); bob.login("bob", "bob-pw-1234")
workers = [int(p) for p in os.environ["E2E_WORKERS"].split()]
errs, jobs = [], []
for p in workers:
    os.kill(p, signal.SIGSTOP)
try:
    jobs = [alice.remove("@~/d%d/" % i) for i in range(3)]
    try:
        alice.remove("@~/d3/")
        errs.append("alice's 4th job was taken")
    except sc.StageError as e:
        print("alice's 4th:", e.code, e.message)
        if e.code != "RESOURCE_EXHAUSTED" or "jobs.max_active_per_user" not in e.message:
            errs.append("4th: %s %s" % (e.code, e.message))
    jobs.append(bob.remove("@~/b/"))
    print("bob's job taken:", jobs[-1].id)
    alice.cancel_job(jobs[0].id)
    jobs.append(alice.remove("@~/d4/"))
    print("after a cancel alice's next job is taken:", jobs[-1].id)
finally:
    for p in workers:
        os.kill(p, signal.SIGCONT)
t0 = time.time()
left = [j.id for j in jobs]
while left and time.time() - t0 < 60:
    left = [i for i in left if sc.STATE[root.get_job(i).state] in ("QUEUED", "RUNNING")]
    time.sleep(0.1)
if left:
    errs.append("jobs not ended: %s" % left)
raise SystemExit("; ".join(errs) if errs else 0)
EOF
printf '%s\n' "$OUT"
check_eq "alice has no live job left in st:active" 0 "$(rcli SCARD st:active:alice)"
e2e_finish
