"""slowupload.py LOCATION MIB DELAY_S [SHA256]: upload MIB MiB as root, one
MiB every DELAY_S seconds (declared size, wait=false), so that a test can
watch or cancel a job while it runs. Prints the job's id as soon as the
frontend has created it (the newest of st:jobs:root), then the end of the
call ("done STATE" or "error CODE"). With SHA256 the header carries that
digest, so a wrong one makes the job FAIL on the worker. Environment as
lib.sh's pyrun (E2E_SERVER, E2E_ROOT_PW, E2E_REDIS_PORT)."""
import os
import sys
import threading
import time

import grpc

from redisscan import Redis
import stageclient as sc

loc, mib, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
digest = sys.argv[4] if len(sys.argv) > 4 else ""
R = Redis(int(os.environ["E2E_REDIS_PORT"]))
c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
newest = lambda: (R.cmd("ZRANGE", "st:jobs:root", -1, -1) or [b""])[0]
before = newest()


def chunks():
    hdr = sc.pb.UploadHeader(location=loc, has_size=True, size=mib << 20, wait=False,
                             sha256=digest, overwrite=True)
    yield sc.pb.UploadFileRequest(header=hdr)
    for _ in range(mib):
        yield sc.pb.UploadFileRequest(chunk=os.urandom(1 << 20))
        time.sleep(delay)


out = {}


def run():
    try:
        out["job"] = c._upload_callable()(chunks(), metadata=c.metadata(), timeout=120).job
    except grpc.RpcError as e:
        out["err"] = e.code().name


t = threading.Thread(target=run)
t.start()
job = before
for _ in range(400):
    job = newest()
    if job != before:
        break
    time.sleep(0.02)
print(job.decode(), flush=True)
t.join()
print("done %s" % sc.STATE[out["job"].state] if "job" in out else "error %s" % out["err"], flush=True)
