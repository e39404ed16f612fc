"""secretscan.py LOGDIR [REDIS_PORT]: no secret used in the run appears in
any process's log nor anywhere in Redis (every key's name and every value,
whatever its type). The secrets come one per line on stdin (the root
password, the master key, the passwords and backend keys a test used; lib.sh
feeds them at e2e_finish). Prints what was scanned; exit 1 naming each leak
by file or key and the secret's first 3 characters."""
import base64
import os
import sys

from redisscan import Redis

CHUNK = 1 << 20


def needles(lines):
    out = set()
    for s in (x.strip() for x in lines):
        if len(s) < 6:  # too short to tell a leak from a coincidence
            continue
        out.add(s.encode())
        try:  # a base64 key (the master key) also leaks as its bytes in hex
            raw = base64.b64decode(s, validate=True)
            if len(raw) >= 16:
                out.add(raw.hex().encode())
        except ValueError:
            pass
    return sorted(out)


def scan_file(path, secrets):
    """Secrets found in `path`, read in chunks that overlap by the longest secret."""
    keep = max(len(s) for s in secrets) - 1
    found, tail = set(), b""
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                return found
            buf = tail + block
            found |= {s for s in secrets if s in buf}
            tail = buf[-keep:] if keep else b""


def main():
    logdir = sys.argv[1]
    secrets = needles(sys.stdin)
    if not secrets:
        print("secretscan: no secrets given")
        return 0
    leaks, nfiles, nkeys = [], 0, 0
    for name in sorted(os.listdir(logdir)):
        path = os.path.join(logdir, name)
        if os.path.isfile(path):
            nfiles += 1
            leaks += ["log %s: %s..." % (name, s[:3].decode()) for s in scan_file(path, secrets)]
    redis = "not scanned"
    if len(sys.argv) > 2:
        try:
            r = Redis(int(sys.argv[2]))
            for k in r.keys():
                nkeys += 1
                for v in [k] + [x for x in r.values(k) if isinstance(x, bytes)]:
                    leaks += ["redis key %s: %s..." % (k.decode(errors="replace"), s[:3].decode())
                              for s in secrets if s in v]
            redis = "%d keys" % nkeys
        except OSError as e:
            redis = "not reachable (%s)" % e
    print("secretscan: %d secrets, %d log files, Redis %s: %s" % (
        len(secrets), nfiles, redis, "%d leaks" % len(leaks) if leaks else "no leak"))
    for l in leaks[:20]:
        print("  LEAK " + l)
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
