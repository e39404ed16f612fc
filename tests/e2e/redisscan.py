"""A minimal Redis client (RESP2 over a socket) for the e2e tests: enough to
SCAN, TYPE, DUMP and read every key without a Python Redis package."""
import socket


class Redis:
    def __init__(self, port, host="127.0.0.1"):
        self.s = socket.create_connection((host, port))
        self.f = self.s.makefile("rb")

    def close(self):
        self.f.close()
        self.s.close()

    def cmd(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))
        return self._read()

    def _read(self):
        line = self.f.readline().rstrip(b"\r\n")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            return data[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)

    def keys(self):
        cur, out = b"0", []
        while True:
            cur, batch = self.cmd("SCAN", cur, "COUNT", 1000)
            out.extend(batch)
            if cur == b"0":
                return sorted(out)

    def values(self, key):
        """Every byte string stored under `key`, whatever its type."""
        t = self.cmd("TYPE", key)
        if t == b"string":
            return [self.cmd("GET", key)]
        if t == b"hash":
            return self.cmd("HGETALL", key)
        if t == b"set":
            return self.cmd("SMEMBERS", key)
        if t == b"zset":
            return self.cmd("ZRANGE", key, 0, -1)
        if t == b"list":
            return self.cmd("LRANGE", key, 0, -1)
        if t == b"stream":
            out = []
            for _id, fields in self.cmd("XRANGE", key, "-", "+"):
                out.extend(fields)
            return out
        return []

    def snapshot(self, skip=()):
        """{key: DUMP} of every key whose name does not start with a prefix in `skip`."""
        snap = {}
        for k in self.keys():
            if any(k.startswith(p) for p in skip):
                continue
            snap[k] = self.cmd("DUMP", k)
        return snap
