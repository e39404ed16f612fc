#!/usr/bin/env bash
# test_memory.sh - a 1 GiB upload and download (data made on the fly, hashed on
# both ends; no source file on disk) through the Python client, presigned fs
# URLs (GET and a streamed PUT) and stagectl (stdin/stdout). Prints MiB/s and the peak RSS (VmHWM) of the
# frontend, the workers, Redis and stagectl. Fails only if a service process
# or stagectl peaks above 100 MiB: memory must not grow with the file size.
# Sizes: E2E_MEMORY_MIB (default 1024).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init memory
e2e_start
login_root

export E2E_MIB="${E2E_MEMORY_MIB:-1024}" E2E_STAGECTL="$STAGECTL"
E2E_PIDS_SVC="frontend=$PID_frontend redis=$PID_redis"
for i in "${!WORKER_PIDS[@]}"; do E2E_PIDS_SVC+=" worker$((i + 1))=${WORKER_PIDS[$i]}"; done
export E2E_PIDS_SVC
check_rc "1 GiB through the service with bounded memory" 0 pyrun <<'EOF'
import hashlib, os, subprocess, sys, threading, time
import stageclient as sc

MIB = 1 << 20
n = int(os.environ["E2E_MIB"])
c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
pids = dict(kv.split("=") for kv in os.environ["E2E_PIDS_SVC"].split())

def hwm_kib(pid):
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1

def random_chunks(h):
    block = os.urandom(MIB)  # rotate one random block: fast, and still not compressible
    for i in range(n):
        b = block[i % 997:] + block[:i % 997]
        h.update(b)
        yield b

results = []
def report(what, secs):
    rate = n / secs if secs > 0 else 0
    results.append((what, rate))
    print("%-40s %8.1f MiB/s  (%d MiB in %.1f s); frontend VmHWM so far %.1f MiB"
          % (what, rate, n, secs, hwm_kib(pids["frontend"]) / 1024))

# Python client: upload, then download
h_up = hashlib.sha256()
t = time.time()
job = c.upload("@~/mem/py.bin", random_chunks(h_up), size=n * MIB)
report("python upload (wait=true)", time.time() - t)
assert sc.STATE[job.state] == "SUCCEEDED", job
h_down, got = hashlib.sha256(), 0
t = time.time()
for x in c.download_iter("@~/mem/py.bin"):
    if isinstance(x, bytes):
        h_down.update(x)
        got += len(x)
report("python download", time.time() - t)
ok = h_up.hexdigest() == h_down.hexdigest() and got == n * MIB
print("python round trip sha256 %s" % ("matches" if ok else "DIFFERS (%d bytes)" % got))

# Presigned fs URLs: the same file through the HTTP listener, read in 1 MiB
# pieces (the relay must stream it, not buffer it)
import urllib.request
url = c.presign("@~/mem/py.bin")["url"]
h_pre, got_pre = hashlib.sha256(), 0
t = time.time()
with urllib.request.urlopen(url, timeout=120) as r:
    while True:
        b = r.read(MIB)
        if not b:
            break
        h_pre.update(b)
        got_pre += len(b)
report("presigned GET (HTTP listener)", time.time() - t)
ok_pre = h_pre.hexdigest() == h_up.hexdigest() and got_pre == n * MIB
print("presigned GET sha256 %s" % ("matches" if ok_pre else "DIFFERS (%d bytes)" % got_pre))

# Presigned PUT: 1 GiB streamed into the HTTP listener, which holds one part
# at a time (not the body); the stored file is hashed on disk
import http.client, json, urllib.parse
pu = urllib.parse.urlsplit(c.presign("@~/mem/put.bin", upload=True)["url"])
h_put = hashlib.sha256()
t = time.time()
conn = http.client.HTTPConnection(pu.hostname, pu.port, timeout=120)
conn.putrequest("PUT", pu.path)
conn.putheader("Content-Length", str(n * MIB))
conn.endheaders()
for b in random_chunks(h_put):
    conn.send(b)
resp = conn.getresponse()
put_body = resp.read().decode()
report("presigned PUT (HTTP listener)", time.time() - t)
h_disk = hashlib.sha256()
with open(os.path.join(os.environ["E2E_DATA"], "stage/user/root/mem/put.bin"), "rb") as f:
    for b in iter(lambda: f.read(4 * MIB), b""):
        h_disk.update(b)
ok_put = resp.status == 200 and h_disk.hexdigest() == h_put.hexdigest()
print("presigned PUT: HTTP %d %s; sha256 on disk %s" % (resp.status, put_body.strip(),
      "matches" if ok_put else "DIFFERS"))

# stagectl: put from stdin, get to stdout. Its peak RSS is its VmHWM, sampled
# while it runs (wait4's ru_maxrss would include the forked Python before exec).
def run_ctl(args, feed=None, sink=None):
    p = subprocess.Popen([os.environ["E2E_STAGECTL"], "--server", os.environ["E2E_SERVER"]] + args,
                         stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
                         stdout=subprocess.PIPE if sink else subprocess.DEVNULL)
    peak = [0]
    done = threading.Event()
    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], hwm_kib(p.pid))
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    if feed:
        for b in feed:
            p.stdin.write(b)
        p.stdin.close()
    if sink:
        while True:
            b = p.stdout.read(MIB)
            if not b:
                break
            sink(b)
    p.wait()
    done.set()
    sampler.join()
    return p.returncode, peak[0]

h_up2 = hashlib.sha256()
t = time.time()
rc, rss_put = run_ctl(["put", "-", "@~/mem/ctl.bin"], feed=random_chunks(h_up2))
report("stagectl put - (stdin)", time.time() - t)
h_down2, n2 = hashlib.sha256(), [0]
def sink(b):
    h_down2.update(b)
    n2[0] += len(b)
t = time.time()
rc2, rss_get = run_ctl(["get", "@~/mem/ctl.bin", "-"], sink=sink)
report("stagectl get - (stdout)", time.time() - t)
ok2 = rc == 0 and rc2 == 0 and h_up2.hexdigest() == h_down2.hexdigest() and n2[0] == n * MIB
print("stagectl round trip (exit %d/%d) sha256 %s" % (rc, rc2, "matches" if ok2 else "DIFFERS"))

info = subprocess.run(["redis-cli", "-p", os.environ["E2E_REDIS_PORT"], "info", "memory"],
                      capture_output=True, text=True).stdout
peak = [l.split(":")[1].strip() for l in info.splitlines() if l.startswith("used_memory_peak_human")]
print()
print("peak RSS (VmHWM):")
over = []
for name, pid in pids.items():
    kib = hwm_kib(pid)
    print("  %-10s %7.1f MiB" % (name, kib / 1024))
    if name != "redis" and kib > 100 * 1024:
        over.append(name)
print("  %-10s %7.1f MiB (put), %.1f MiB (get)" % ("stagectl", rss_put / 1024, rss_get / 1024))
print("  redis used_memory_peak: %s" % (peak[0] if peak else "?"))
if max(rss_put, rss_get) > 100 * 1024:
    over.append("stagectl")
errors = []
if not ok:
    errors.append("python round trip differs")
if not ok_pre:
    errors.append("presigned GET differs")
if not ok_put:
    errors.append("presigned PUT failed or differs")
if not ok2:
    errors.append("stagectl round trip failed")
if over:
    errors.append("peak RSS above 100 MiB: %s" % ", ".join(over))
sys.exit("; ".join(errors) if errors else 0)
EOF
printf '%s\n%s\n' "$OUT" "$ERR" | sed 's/^/    /'
# The figures, for tests/run.sh to print even when the test passes (ctest
# shows a passing test's output only with -V).
if [ -n "${STAGE_BIN_DIR:-}" ] && [ -d "$STAGE_BIN_DIR" ]; then
  printf '%s\n' "$OUT" | grep -E 'MiB/s|^ +(frontend|redis|worker[0-9]|stagectl) ' \
    >"$STAGE_BIN_DIR/e2e-memory-figures.txt" || true
fi
check_rc "stagectl rm -r @~/mem/" 0 ctl rm -r @~/mem/
check_eq "the fs root is empty again" "" "$(cd "$DATA" && find . -path ./.tmp -prune -o -type f -print)"
e2e_finish
