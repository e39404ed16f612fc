#!/usr/bin/env bash
# test_jobctl.sh - CancelJob during an upload (CANCELLED, the client's call
# ends with an error, nothing left behind), idempotency keys on UploadFile
# and RemoveFiles (same key -> same job), WatchJob (every change of a running
# upload until SUCCEEDED), ListJobs (filter, paging), GetJobResults, and a
# client that cancels its own upload call (Ctrl-C): the job ends CANCELLED.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init jobctl
e2e_start
login_root

check_rc "cancel during an upload" 0 pyrun <<'EOF'
import os, threading, time, subprocess
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
rc = lambda *a: subprocess.run(["redis-cli", "-p", os.environ["E2E_REDIS_PORT"], *a],
                               capture_output=True, text=True).stdout.strip()
def slow():
    yield sc.pb.UploadFileRequest(header=sc.pb.UploadHeader(location="@~/cancel/big.bin"))
    for _ in range(200):
        yield sc.pb.UploadFileRequest(chunk=os.urandom(1 << 20))
        time.sleep(0.03)
out = {}
def run():
    try:
        out["job"] = c._upload_callable()(slow(), metadata=c.metadata(), timeout=60).job
    except Exception as e:
        out["err"] = e
t = threading.Thread(target=run); t.start()
job = ""
for _ in range(200):
    job = rc("ZRANGE", "st:jobs:root", "-1", "-1")
    if job and int(rc("HGET", "st:job:" + job, "parts_done") or 0) >= 1:
        break
    time.sleep(0.05)
j = c.cancel_job(job)
print("cancel ->", sc.STATE[j.state])
assert sc.STATE[j.state] == "CANCELLED", j
t0 = time.time(); t.join(30)
assert not t.is_alive(), "the upload call hangs after the cancel"
print("client call ended after %.2f s: %s" % (time.time() - t0, out.get("err") or out.get("job")))
assert "err" in out and "CANCELLED" in str(out["err"].code()), out
assert sc.STATE[c.get_job(job).state] == "CANCELLED"
assert sc.STATE[c.cancel_job(job).state] == "CANCELLED"  # again: the same answer
time.sleep(1)
left = [f for f in os.listdir(os.path.join(os.environ["E2E_DATA"], ".tmp"))]
assert left == [], left
assert not os.path.exists(os.path.join(os.environ["E2E_DATA"], "stage/user/root/cancel/big.bin"))
assert rc("--scan", "--pattern", "st:job:*:part:*") == ""
EOF
check_contains "cancel: CANCELLED" "$OUT" "cancel -> CANCELLED"

check_rc "idempotency keys" 0 pyrun <<'EOF'
import os
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
a = c.upload("@~/idem/a.bin", b"first", idempotency_key="k-1")
b = c.upload("@~/idem/a.bin", b"second, longer", idempotency_key="k-1")
print("upload ids", a.id, b.id, sc.STATE[b.state])
assert a.id == b.id and sc.STATE[b.state] == "SUCCEEDED"
with open(os.path.join(os.environ["E2E_DATA"], "stage/user/root/idem/a.bin"), "rb") as f:
    assert f.read() == b"first"
other = c.upload("@~/idem/b.bin", b"x", idempotency_key="k-2")
assert other.id != a.id
r1 = c.remove("@~/idem/", idempotency_key="rm-1")
r2 = c.remove("@~/idem/", idempotency_key="rm-1")
print("remove ids", r1.id, r2.id)
assert r1.id == r2.id
try:
    c.upload("@~/idem/c.bin", b"x", idempotency_key="bad key")
    raise SystemExit("a key with a space was accepted")
except sc.StageError as e:
    assert e.code == "INVALID_ARGUMENT", e
EOF
check_contains "idempotency: same job" "$OUT" "upload ids"

check_rc "watch a running upload" 0 pyrun <<'EOF'
import os, threading, time, subprocess
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
rc = lambda *a: subprocess.run(["redis-cli", "-p", os.environ["E2E_REDIS_PORT"], *a],
                               capture_output=True, text=True).stdout.strip()
before = rc("ZRANGE", "st:jobs:root", "-1", "-1")
def slow():
    yield sc.pb.UploadFileRequest(header=sc.pb.UploadHeader(location="@~/watch.bin", wait=False))
    for _ in range(40):
        yield sc.pb.UploadFileRequest(chunk=os.urandom(1 << 20))
        time.sleep(0.02)
t = threading.Thread(target=lambda: c._upload_callable()(slow(), metadata=c.metadata()))
t.start()
job = before
while job == before:
    time.sleep(0.02)
    job = rc("ZRANGE", "st:jobs:root", "-1", "-1")
seen = c.watch_job(job)
t.join()
states = [sc.STATE[j.state] for j in seen]
done = [j.bytes_done for j in seen]
print("watch:", len(seen), "messages", states[0], "->", states[-1], "bytes", done)
assert states[-1] == "SUCCEEDED" and len(seen) >= 3 and done == sorted(done), states
# a finished job: one message, then the end
again = c.watch_job(job)
assert len(again) == 1 and sc.STATE[again[0].state] == "SUCCEEDED"
try:
    c.watch_job("0" * 32)
    raise SystemExit("watching a missing job worked")
except sc.StageError as e:
    assert e.code == "NOT_FOUND", e
EOF
check_contains "watch: SUCCEEDED at the end" "$OUT" "-> SUCCEEDED"

check_rc "list jobs, results" 0 pyrun <<'EOF'
import os
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
for i in range(3):
    c.upload("@~/res/f%d.csv" % i, b"x" * i)
c.upload("@~/res/keep.txt", b"k")
allj, tok, pages = [], "", 0
while True:
    js, tok = c.list_jobs(page_size=2, page_token=tok)
    allj += js; pages += 1
    if not tok:
        break
ids = [j.id for j in allj]
print("jobs", len(ids), "pages", pages)
assert len(ids) == len(set(ids)) and len(ids) == 9, ids  # 1+3+1+4 above
assert ids == sorted(ids, reverse=True), "newest first"
succ, _ = c.list_jobs(state=3, page_size=1000)
assert all(sc.STATE[j.state] == "SUCCEEDED" for j in succ) and len(succ) < len(ids)
canc, _ = c.list_jobs(state=5)
assert len(canc) == 1, canc
rm = c.remove("@~/res/", pattern=r".*\.csv")
rm = c.wait_job(rm.id)
res, tok = c.job_results(rm.id)
names = sorted((r.name, r.status) for r in res)
print("results", names)
assert names == [("res/f%d.csv" % i, "REMOVED") for i in range(3)], names
assert tok == ""
try:
    c.job_results("f" * 32)
    raise SystemExit("results of a missing job")
except sc.StageError as e:
    assert e.code == "NOT_FOUND"
EOF
check_contains "list: pages" "$OUT" "pages"
check_rc "a client that cancels its upload call ends the job CANCELLED" 0 pyrun <<'EOF'
import os, threading, time, subprocess
import stageclient as sc
root = sc.StageClient(os.environ["E2E_SERVER"]); root.login("root", os.environ["E2E_ROOT_PW"])
root.rpc("CreateUser", name="dora", password="dora-pw-1234")
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("dora", "dora-pw-1234")
rc = lambda *a: subprocess.run(["redis-cli", "-p", os.environ["E2E_REDIS_PORT"], *a],
                               capture_output=True, text=True).stdout.strip()
def slow():
    yield sc.pb.UploadFileRequest(header=sc.pb.UploadHeader(location="@~/cancel/ctrlc.bin"))
    for _ in range(200):
        yield sc.pb.UploadFileRequest(chunk=os.urandom(1 << 20))
        time.sleep(0.03)
before = rc("ZRANGE", "st:jobs:dora", "-1", "-1")
fut = c._upload_callable().future(slow(), metadata=c.metadata(), timeout=60)
job = ""
for _ in range(200):
    job = rc("ZRANGE", "st:jobs:dora", "-1", "-1")
    if job != before and int(rc("HGET", "st:job:" + job, "parts_done") or 0) >= 1:
        break
    time.sleep(0.05)
fut.cancel()  # what Ctrl-C in a client does
for _ in range(200):
    st = rc("HGET", "st:job:" + job, "state")
    if st in ("CANCELLED", "FAILED", "SUCCEEDED"):
        break
    time.sleep(0.05)
print("client cancel -> %s: %s" % (st, rc("HGET", "st:job:" + job, "error_message")))
assert st == "CANCELLED", st
assert not os.path.exists(os.path.join(os.environ["E2E_DATA"], "stage/user/dora/cancel/ctrlc.bin"))
EOF
check_contains "... CANCELLED with the reason" "$OUT" "client cancel -> CANCELLED: upload cancelled by the client"

e2e_finish
