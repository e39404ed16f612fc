#!/usr/bin/env bash
# test_fault_cancel.sh - on the S3 backend (s3rver): CancelJob in the middle
# of a multipart upload -> CANCELLED, the client's call ends CANCELLED, no
# object (boto3), no parts or pending entries in Redis, and the worker aborted
# the multipart upload (a DELETE ?uploadId= for every upload id it sent parts
# to, seen in the emulator's request log: s3rver 5.0.0 answers it 405, it has
# no AbortMultipartUpload). Then idempotency keys under concurrency: 8 calls
# at once with one key make one job and store the first body only; the same
# for RemoveFiles. (test_jobctl covers cancel on the fs backend.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
export E2E_STORAGE=s3 E2E_S3_LOG=1
e2e_init fault_cancel
e2e_start
login_root

check_rc "cancel during a multipart upload" 0 pyrun <<'EOF'
import os, threading, time, subprocess
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
rc = lambda *a: subprocess.run(["redis-cli", "-p", os.environ["E2E_REDIS_PORT"], *a],
                               capture_output=True, text=True).stdout.strip()
before = rc("ZCARD", "st:jobs:root")
def slow():
    yield sc.pb.UploadFileRequest(header=sc.pb.UploadHeader(location="@~/cancel/big.bin"))
    for _ in range(400):
        yield sc.pb.UploadFileRequest(chunk=os.urandom(1 << 20))
        time.sleep(0.03)
out = {}
def run():
    try:
        out["job"] = c._upload_callable()(slow(), metadata=c.metadata(), timeout=90).job
    except Exception as e:
        out["err"] = e
t = threading.Thread(target=run); t.start()
job = ""
for _ in range(600):
    if rc("ZCARD", "st:jobs:root") != before:
        job = rc("ZRANGE", "st:jobs:root", "-1", "-1")
    if job and int(rc("HGET", "st:job:" + job, "parts_done") or 0) >= 8:  # 16 MiB: two S3 parts
        break
    time.sleep(0.05)
assert job, "no job"
j = c.cancel_job(job)
t0 = time.time()
print("cancel at part", rc("HGET", "st:job:" + job, "parts_done"), "->", sc.STATE[j.state])
assert sc.STATE[j.state] == "CANCELLED", j
t.join(30)
assert not t.is_alive(), "the upload call hangs after the cancel"
print("client call ended after %.2f s: %s" % (time.time() - t0, out.get("err") or out.get("job")))
assert "err" in out and "CANCELLED" in str(out["err"].code()), out
time.sleep(1)  # the worker sees the cancel between parts and aborts
assert sc.STATE[c.get_job(job).state] == "CANCELLED"
assert rc("--scan", "--pattern", "st:job:*:part:*") == ""
print("JOB", job)
EOF
printf '%s\n' "$OUT"
check_eq "no object in the bucket (boto3)" "" "$(s3util ls stage/user/root/cancel/)"
# koa-logger lines lose their first 16 characters (the method): an UploadPart
# is "...big.bin?partNumber=N&uploadId=X", an abort "...big.bin?uploadId=X".
log_s3="$T/logs/s3rver.log"
parts_ids=$( (grep -o 'cancel/big.bin?partNumber=[0-9]*&uploadId=[^& ]*' "$log_s3" || true) |
  sed 's/.*uploadId=//' | sort -u)
abort_ids=$( (grep -o 'cancel/big.bin?uploadId=[^& ]*' "$log_s3" || true) |
  sed 's/.*uploadId=//' | sort -u)
check_ne "parts went to a multipart upload" "" "$parts_ids"
check_eq "every multipart upload was aborted" "$parts_ids" "$abort_ids"

check_rc "idempotency keys under concurrency" 0 pyrun <<'EOF'
import os, subprocess, threading
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
rc = lambda *a: subprocess.run(["redis-cli", "-p", os.environ["E2E_REDIS_PORT"], *a],
                               capture_output=True, text=True).stdout.strip()
def at_once(fn, n=8):
    out, errs = [], []
    def run(i):
        try:
            out.append(fn(i))
        except Exception as e:
            errs.append(e)
    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    [t.start() for t in ts]; [t.join() for t in ts]
    assert not errs, errs
    return out
for r in range(5):  # the race is in a few ms: try it several times
    before = int(rc("ZCARD", "st:jobs:root"))
    ids = at_once(lambda i: c.upload("@~/idem/x%d.bin" % r, b"body %d" % i,
                                     idempotency_key="same-%d" % r).id)
    made = int(rc("ZCARD", "st:jobs:root")) - before
    assert len(set(ids)) == 1 and len(ids) == 8 and made == 1, (r, ids, made)
    _, body = c.download("@~/idem/x%d.bin" % r)
    assert body.startswith(b"body "), body
    j = c.get_job(ids[0])
    assert sc.STATE[j.state] == "SUCCEEDED" and j.bytes_done == len(body), j
print("upload: 5 rounds of 8 concurrent calls with one key -> 1 job each")
before = int(rc("ZCARD", "st:jobs:root"))
rids = at_once(lambda i: c.remove("@~/idem/", idempotency_key="rm").id)
assert len(rids) == 8 and len(set(rids)) == 1, rids
assert int(rc("ZCARD", "st:jobs:root")) - before == 1
print("remove ids", sorted(set(rids)))
EOF
printf '%s\n' "$OUT"
check_eq "the idempotent remove emptied the prefix (boto3)" 0 "$(s3util count stage/user/root/idem/ 2>/dev/null || echo err)"

parts=$(rcli --scan --pattern 'st:job:*:part:*' | wc -l)
check_eq "no parts left in Redis" 0 "$parts"
check_eq "no pending stream entries" 0 "$(rcli XPENDING st:q workers | head -1)"
log "SUMMARY: cancel (s3): CANCELLED, object 0, multipart uploads aborted" \
  "$(wc -w <<<"$abort_ids")/$(wc -w <<<"$parts_ids"), leftover parts $parts;" \
  "idempotency: 8 concurrent calls -> 1 job (upload and remove)"
e2e_finish
