"""A TCP proxy that reaches the server from another loopback source address,
so one e2e stack sees two client addresses (127.0.0.1 directly, 127.0.0.2
through the proxy). gRPC clients cannot pick their source address; every
address of 127/8 is loopback on Linux, so binding 127.0.0.2 needs nothing.

    with SourceProxy("127.0.0.1:7070", "127.0.0.2") as target:
        StageClient(target).login(...)   # the server sees ipv4:127.0.0.2
"""
import socket
import threading


class SourceProxy:
    def __init__(self, server, source, timeout=30):
        host, port = server.rsplit(":", 1)
        self.server = (host, int(port))
        self.source = source
        self.timeout = timeout  # no wait without a deadline: idle sockets end
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.lsock.settimeout(0.5)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self.thread.start()
        return "127.0.0.1:%d" % self.lsock.getsockname()[1]

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(5)
        self.lsock.close()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            s = socket.socket()
            s.bind((self.source, 0))
            try:
                s.connect(self.server)
            except OSError:
                c.close()
                s.close()
                continue
            for a, b in ((c, s), (s, c)):
                a.settimeout(self.timeout)
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, a, b):
        try:
            while not self.stopped.is_set():
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for x in (a, b):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

