"""azoldproxy.py TARGET LOGFILE: an HTTP proxy on a free loopback port in
front of an Azure Blob endpoint (azurite) for a service without Blob Batch
and without the synchronous Copy Blob From URL: it answers every
"comp=batch" request and every request with x-ms-requires-sync 501
NotImplemented itself and forwards everything else unchanged (SharedKey
signs the path, not the host). Prints
"127.0.0.1:PORT" once listening; appends "METHOD PATH STATUS" per request to
LOGFILE. Runs until killed; every socket has a timeout."""
import http.client
import http.server
import sys

host, port = sys.argv[1].rsplit(":", 1)
logfile = sys.argv[2]
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, *args):
        pass

    def _log(self, status):
        with open(logfile, "a") as f:
            f.write("%s %s %d\n" % (self.command, self.path, status))

    def _any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if "comp=batch" in self.path or self.headers.get("x-ms-requires-sync"):
            self._log(501)  # before the answer: once the client has it, the line is there
            out = b'<?xml version="1.0" encoding="utf-8"?><Error><Code>NotImplemented</Code></Error>'
            self.send_response(501)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        c = http.client.HTTPConnection(host, int(port), timeout=30)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "expect"}
        c.request(self.command, self.path, body=body if n else None, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        self._log(r.status)
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        c.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
