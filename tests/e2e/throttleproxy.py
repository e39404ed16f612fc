"""throttleproxy.py SERVER RATE_MIB_S LOGFILE: a TCP proxy on a free loopback
port that forwards to SERVER, the client->server direction at most RATE_MIB_S
MiB/s, so that a test can kill a client in the middle of an upload. Prints
"127.0.0.1:PORT" once listening. When either side closes or resets, both
sockets close at once (a killed client is a broken stream for the server).
Each connection appends "conn N up BYTES" to LOGFILE when it ends. Runs until
killed; every socket has a timeout, so nothing waits for ever."""
import socket
import sys
import threading
import time

host, port = sys.argv[1].rsplit(":", 1)
rate = float(sys.argv[2]) * (1 << 20)
logfile = sys.argv[3]
lock = threading.Lock()
seq = [0]


def pump(src, dst, limit, count, done):
    t0, sent = time.monotonic(), 0
    try:
        while not done.is_set():
            try:
                b = src.recv(65536)
            except socket.timeout:
                continue
            if not b:
                break
            dst.sendall(b)
            sent += len(b)
            count[0] = sent
            if limit:
                ahead = sent / limit - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
    except OSError:
        pass
    done.set()
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(c):
    with lock:
        seq[0] += 1
        n = seq[0]
    u = socket.create_connection((host, int(port)), timeout=10)
    for s in (c, u):
        s.settimeout(1.0)
    done, up, down = threading.Event(), [0], [0]
    ts = [threading.Thread(target=pump, args=(c, u, rate, up, done), daemon=True),
          threading.Thread(target=pump, args=(u, c, 0, down, done), daemon=True)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    c.close()
    u.close()
    with lock, open(logfile, "a") as f:
        f.write("conn %d up %d\n" % (n, up[0]))


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
print("127.0.0.1:%d" % ls.getsockname()[1], flush=True)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
