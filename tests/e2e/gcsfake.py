#!/usr/bin/env python3
"""gcsfake.py - a small, strict fake of the GCS JSON API and the Google OAuth2 token
endpoint, for the e2e tests (tests/e2e/test_gcs.sh). Python 3 stdlib plus Debian's
python3-cryptography (to verify RS256 and GOOG4-RSA-SHA256 signatures).

There is no faithful GCS emulator here, so this fake keeps the rules the backend must
follow and refuses anything else, loudly:
  - POST /token: the JWT-bearer grant only; the assertion's RS256 signature must verify
    with --pubkey, iss must be --email, aud this endpoint's URL, the scope a devstorage
    one, iat not in the future (60 s slack), exp after now and at most 3600 s after iat.
    It answers a random bearer token valid for --token-ttl seconds.
  - every /storage/v1 and /upload/storage/v1 request needs "Authorization: Bearer <a
    token this endpoint issued and that has not expired>", else 401.
  - resumable uploads: POST ...?uploadType=resumable (JSON body with "name") gives a
    session URI in Location; PUT chunks with Content-Range "bytes a-b/*" must start at
    the stored size and be a non-zero multiple of 256 KiB; "bytes */*" asks for the
    stored size (308, with "Range: bytes=0-<n-1>" unless nothing is stored); the last
    chunk "bytes a-b/total" or "bytes */total" must make exactly `total` bytes; the
    object then appears atomically (412 if ifGenerationMatch=0 and it exists). DELETE
    of a session answers 499 and drops it.
  - objects: GET (resource), GET ?alt=media with Range (206, 416 past the end),
    DELETE, PATCH metadata, list with prefix/startOffset/maxResults (1..1000)/pageToken,
    rewrite (objects over 1 MiB take two calls: done=false with a rewriteToken first).
  - V4 signed URLs: GET /<bucket>/<object>?X-Goog-Algorithm=GOOG4-RSA-SHA256&...: the
    signature is checked with --pubkey over the canonical request rebuilt from what
    arrived (host without its port, as @google-cloud/storage signs it), and the date
    and expiry against the clock.
Objects live in --dir as <hex(name)>.data + .json, so a test reads them directly
(`gcsfake.py sha DIR NAME`; `shas DIR PREFIX`: every object under it), without the
service or this server.

  gcsfake.py serve --dir D --bucket B --pubkey P.pem --email E --port-file F
  gcsfake.py sha D NAME      -> hex SHA-256 of the stored object (exit 1 if none)
  gcsfake.py ls D            -> "name size" lines, sorted
  gcsfake.py shas D PREFIX   -> "NAME SHA256" of every object under PREFIX (NAME without it)
  gcsfake.py puttree D SRC PREFIX   stores every file under the local directory SRC as the
                             object PREFIX<its path under SRC>, as a finished upload would
                             (the tests' source sets, made without the service or server)
"""
import base64
import binascii
import datetime
import hashlib
import json
import os
import secrets
import shutil
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

CHUNK = 256 * 1024


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def enc(s):  # RFC 3986: everything but A-Za-z0-9-._~ as %XX
    return urllib.parse.quote(s, safe="-._~")


class Store:
    def __init__(self, d):
        self.dir = d
        self.lock = threading.Lock()
        self.tokens = {}    # token -> expiry
        self.sessions = {}  # id -> {"name", "meta", "ctype", "nomatch", "size", "done"}

    def path(self, name, ext):
        return os.path.join(self.dir, binascii.hexlify(name.encode()).decode() + ext)

    def meta(self, name):
        try:
            with open(self.path(name, ".json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def commit(self, name, spool, usermeta, ctype):
        """The file spool (in the store's directory tree) becomes object name."""
        md5, size = hashlib.md5(), 0
        with open(spool, "rb") as f:  # in pieces: the bench sends 1 GiB objects
            for piece in iter(lambda: f.read(1 << 20), b""):
                md5.update(piece)
                size += len(piece)
        m = {"name": name, "size": size,
             "md5Hash": base64.b64encode(md5.digest()).decode(),
             "etag": secrets.token_urlsafe(8),
             "updated": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:23] + "Z",
             "metadata": usermeta}
        if ctype:
            m["contentType"] = ctype
        os.replace(spool, self.path(name, ".data"))
        with open(self.path(name, ".json") + ".tmp", "w") as f:
            json.dump(m, f)
        os.replace(self.path(name, ".json") + ".tmp", self.path(name, ".json"))
        return m

    def names(self):
        out = []
        for f in os.listdir(self.dir):
            if f.endswith(".json"):
                out.append(binascii.unhexlify(f[:-5]).decode())
        return sorted(out)


def resource(bucket, m):
    return {"kind": "storage#object", "bucket": bucket, "name": m["name"], "size": str(m["size"]),
            "md5Hash": m["md5Hash"], "etag": m["etag"], "updated": m["updated"],
            "contentType": m.get("contentType", "application/octet-stream"),
            "metadata": m.get("metadata", {})}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: a reply goes out as two writes (headers, then body); with Nagle the
    # body waited for the ACK of the headers, which the client delays (40 ms on Linux),
    # so every request on a kept-alive connection cost ~40-70 ms (1,000 small files
    # fs -> gcs took 137 s; 3.4 s without it)
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        sys.stderr.write("gcsfake: %s %s\n" % (self.requestline, fmt % args))

    # ---- replies
    def reply(self, code, body=b"", headers=None, ctype="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, msg):
        self.reply(code, {"error": {"code": code, "message": msg}})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # ---- auth
    def authed(self):
        a = self.headers.get("Authorization", "")
        if not a.startswith("Bearer "):
            self.error(401, "no bearer token")
            return False
        with S.lock:
            exp = S.tokens.get(a[7:])
        if exp is None or exp < time.time():
            self.error(401, "unknown or expired token")
            return False
        return True

    def token(self):
        form = urllib.parse.parse_qs(self.body().decode(), strict_parsing=True)
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return self.reply(400, {"error": "unsupported_grant_type"})
        try:
            h64, c64, s64 = form["assertion"][0].split(".")
            hdr, cl = json.loads(b64url_dec(h64)), json.loads(b64url_dec(c64))
            if hdr.get("alg") != "RS256":
                raise ValueError("alg is not RS256")
            PUB.verify(b64url_dec(s64), (h64 + "." + c64).encode(), padding.PKCS1v15(),
                       hashes.SHA256())
        except InvalidSignature:
            return self.reply(400, {"error": "invalid_grant",
                                    "error_description": "Invalid JWT Signature."})
        except (KeyError, ValueError) as e:
            return self.reply(400, {"error": "invalid_request", "error_description": str(e)})
        now = time.time()
        url = "http://%s/token" % self.headers.get("Host")
        why = None
        if cl.get("iss") != ARGS["email"]:
            why = "iss is not the service account"
        elif cl.get("aud") != url:
            why = "aud %r is not %r" % (cl.get("aud"), url)
        elif "devstorage" not in str(cl.get("scope")):
            why = "no devstorage scope"
        elif not (cl.get("iat", 1e18) <= now + 60 and now < cl.get("exp", 0) <= cl["iat"] + 3600):
            why = "bad iat/exp"
        if why:
            return self.reply(400, {"error": "invalid_grant", "error_description": why})
        tok = "ya29.fake-" + secrets.token_urlsafe(24)
        with S.lock:
            S.tokens[tok] = now + ARGS["token_ttl"]
        self.reply(200, {"access_token": tok, "expires_in": ARGS["token_ttl"],
                         "token_type": "Bearer"})

    # ---- routing
    def route(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        parts = u.path.split("/")
        return u, q, parts

    def do_POST(self):
        u, q, parts = self.route()
        if u.path == "/token":
            return self.token()
        if u.path == "/_revoke":  # test hook: every issued token stops working
            with S.lock:
                S.tokens.clear()
            return self.reply(200, {})
        if not self.authed():
            return
        b = ARGS["bucket"]
        if u.path == "/upload/storage/v1/b/%s/o" % b and q.get("uploadType") == ["resumable"]:
            return self.start_session(q)
        # /storage/v1/b/B/o/SRC/rewriteTo/b/B/o/DST
        if (len(parts) == 12 and parts[1:6] == ["storage", "v1", "b", b, "o"] and
                parts[7:11] == ["rewriteTo", "b", b, "o"]):
            self.body()
            return self.rewrite(urllib.parse.unquote(parts[6]), urllib.parse.unquote(parts[11]), q)
        self.error(404, "no such route")

    def start_session(self, q):
        try:
            j = json.loads(self.body() or b"{}")
            name = j["name"]
        except (ValueError, KeyError):
            return self.error(400, "the session body needs a name")
        sid = secrets.token_hex(16)
        os.makedirs(os.path.join(ARGS["dir"], ".sessions"), exist_ok=True)
        open(os.path.join(ARGS["dir"], ".sessions", sid), "wb").close()
        with S.lock:
            S.sessions[sid] = {"name": name, "meta": j.get("metadata", {}),
                               "ctype": j.get("contentType"),
                               "nomatch": q.get("ifGenerationMatch") == ["0"], "size": 0,
                               "done": None}
        loc = "http://%s/upload/storage/v1/b/%s/o?uploadType=resumable&upload_id=%s" % (
            self.headers.get("Host"), ARGS["bucket"], sid)
        self.reply(200, b"", {"Location": loc})

    def do_PUT(self):
        u, q, parts = self.route()
        if not self.authed():
            return
        sid = (q.get("upload_id") or [""])[0]
        with S.lock:
            s = S.sessions.get(sid)
        if u.path != "/upload/storage/v1/b/%s/o" % ARGS["bucket"] or s is None:
            self.body()
            return self.error(404, "no such upload session")
        data = self.body()
        cr = self.headers.get("Content-Range", "")
        if not cr.startswith("bytes "):
            return self.error(400, "Content-Range missing")
        rng, _, total = cr[6:].partition("/")
        if s["done"]:
            return self.reply(200, resource(ARGS["bucket"], s["done"]))
        spool = os.path.join(ARGS["dir"], ".sessions", sid)
        if rng == "*":
            if data:
                return self.error(400, "a body with bytes */...")
            if total == "*":  # the tests look for this line after a resume
                sys.stderr.write("gcsfake: session %s asked for its size: %d stored\n"
                                 % (sid, s["size"]))
        else:
            a, _, z = rng.partition("-")
            a, z = int(a), int(z)
            if a != s["size"]:
                return self.error(400, "chunk starts at %d, the session holds %d" % (a, s["size"]))
            if len(data) != z - a + 1:
                return self.error(400, "Content-Range says %d bytes, got %d" % (z - a + 1, len(data)))
            if total == "*" and (len(data) % CHUNK or not data):
                return self.error(400, "a non-final chunk of %d bytes (not a multiple of 256 KiB)"
                                  % len(data))
            with open(spool, "ab") as f:
                f.write(data)
            s["size"] += len(data)
        if total == "*":
            hdr = {"Range": "bytes=0-%d" % (s["size"] - 1)} if s["size"] else {}
            return self.reply(308, b"", hdr)
        if int(total) != s["size"]:
            return self.error(400, "final size %s, the session holds %d" % (total, s["size"]))
        self.finish_session(sid, s, spool)

    def finish_session(self, sid, s, spool):
        name = s["name"]
        with S.lock:
            if s["nomatch"] and S.meta(name) is not None:
                return self.error(412, "conditionNotMet")
            m = S.commit(name, spool, s["meta"], s["ctype"])
            s["done"] = m
        self.reply(200, resource(ARGS["bucket"], m))

    def object_name(self, parts):
        b = ARGS["bucket"]
        if len(parts) == 7 and parts[1:6] == ["storage", "v1", "b", b, "o"]:
            return urllib.parse.unquote(parts[6])
        return None

    def do_GET(self):
        u, q, parts = self.route()
        if "X-Goog-Signature" in q:
            return self.signed_get(u, q)
        if not self.authed():
            return
        if u.path == "/storage/v1/b/%s/o" % ARGS["bucket"]:
            return self.list(q)
        name = self.object_name(parts)
        m = S.meta(name) if name else None
        if m is None:
            return self.error(404, "No such object: %s" % name)
        if q.get("alt") != ["media"]:
            return self.reply(200, resource(ARGS["bucket"], m))
        self.media(name, m)

    def media(self, name, m):
        # read from the file what the range asks for, sent in pieces (the bench's
        # objects are 1 GiB: never the whole object in memory per request)
        with open(S.path(name, ".data"), "rb") as f:
            size = os.fstat(f.fileno()).st_size
            r = self.headers.get("Range")
            code, hdr, a, z = 200, {}, 0, size - 1
            if r:
                a, _, z = r[len("bytes="):].partition("-")
                a = int(a)
                z = min(int(z) if z else size - 1, size - 1)
                if a >= size:
                    return self.error(416, "range not satisfiable")
                code, hdr = 206, {"Content-Range": "bytes %d-%d/%d" % (a, z, size)}
            self.send_response(code)
            for k, v in hdr.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(z - a + 1))
            self.end_headers()
            if self.command == "HEAD":
                return
            f.seek(a)
            left = z - a + 1
            while left > 0:
                piece = f.read(min(left, 1 << 20))
                if not piece:
                    break
                self.wfile.write(piece)
                left -= len(piece)

    def list(self, q):
        try:
            n = int((q.get("maxResults") or ["1000"])[0])
        except ValueError:
            n = 0
        if not 1 <= n <= 1000:
            return self.error(400, "maxResults out of range")
        prefix = (q.get("prefix") or [""])[0]
        start = (q.get("startOffset") or [""])[0]
        tok = (q.get("pageToken") or [""])[0]
        after = b64url_dec(tok).decode() if tok else None
        names = [x for x in S.names() if x.startswith(prefix) and x >= start and
                 (after is None or x > after)]
        page, more = names[:n], len(names) > n
        items = [resource(ARGS["bucket"], S.meta(x)) for x in page if S.meta(x)]
        out = {"kind": "storage#objects", "items": items}
        if more:
            out["nextPageToken"] = base64.urlsafe_b64encode(page[-1].encode()).decode()
        self.reply(200, out)

    def do_DELETE(self):
        u, q, parts = self.route()
        if not self.authed():
            return
        sid = (q.get("upload_id") or [""])[0]
        if sid:
            with S.lock:
                gone = S.sessions.pop(sid, None)
            return self.error(499 if gone else 404, "upload session deleted")
        name = self.object_name(parts)
        with S.lock:
            if not name or S.meta(name) is None:
                return self.error(404, "No such object")
            os.unlink(S.path(name, ".json"))
            os.unlink(S.path(name, ".data"))
        self.reply(204, b"")

    def do_PATCH(self):
        u, q, parts = self.route()
        if not self.authed():
            return
        name = self.object_name(parts)
        body = json.loads(self.body() or b"{}")
        with S.lock:
            m = S.meta(name) if name else None
            if m is None:
                return self.error(404, "No such object")
            m.setdefault("metadata", {}).update(body.get("metadata", {}))
            with open(S.path(name, ".json"), "w") as f:
                json.dump(m, f)
        self.reply(200, resource(ARGS["bucket"], m))

    def rewrite(self, src, dst, q):
        m = S.meta(src)
        if m is None:
            return self.error(404, "No such object: %s" % src)
        if m["size"] > (1 << 20) and not q.get("rewriteToken"):
            return self.reply(200, {"kind": "storage#rewriteResponse", "done": False,
                                    "totalBytesRewritten": str(1 << 20),
                                    "objectSize": str(m["size"]), "rewriteToken": "step2:" + src})
        if q.get("rewriteToken") and q["rewriteToken"] != ["step2:" + src]:
            return self.error(400, "bad rewriteToken")
        with S.lock:
            if q.get("ifGenerationMatch") == ["0"] and S.meta(dst) is not None:
                return self.error(412, "conditionNotMet")
            with open(S.path(src, ".data"), "rb") as f:
                data = f.read()
            with open(S.path(dst, ".data"), "wb") as f:
                f.write(data)
            m2 = dict(m, name=dst, etag=secrets.token_urlsafe(8))
            with open(S.path(dst, ".json"), "w") as f:
                json.dump(m2, f)
        self.reply(200, {"kind": "storage#rewriteResponse", "done": True,
                         "totalBytesRewritten": str(m["size"]), "objectSize": str(m["size"]),
                         "resource": resource(ARGS["bucket"], m2)})

    def signed_get(self, u, q):
        g = {k: v[0] for k, v in q.items()}
        try:
            email, day, _region, svc, req = g["X-Goog-Credential"].split("/")
            date = datetime.datetime.strptime(g["X-Goog-Date"], "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            exp = int(g["X-Goog-Expires"])
            if g["X-Goog-Algorithm"] != "GOOG4-RSA-SHA256" or email != ARGS["email"]:
                raise ValueError("algorithm or credential")
        except (KeyError, ValueError) as e:
            return self.error(400, "bad signed URL: %s" % e)
        now = time.time()
        if date > now + 60 or now > date + exp:
            return self.error(400, "signed URL not valid now")
        canon_q = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in
                           sorted((k, v) for k, v in g.items() if k != "X-Goog-Signature"))
        host = self.headers.get("Host", "").rsplit(":", 1)[0]
        canon = "\n".join([self.command, u.path, canon_q, "host:%s\n" % host,
                           g["X-Goog-SignedHeaders"], "UNSIGNED-PAYLOAD"])
        sts = "\n".join(["GOOG4-RSA-SHA256", g["X-Goog-Date"], "%s/%s/%s/%s" % (day, _region, svc, req),
                         hashlib.sha256(canon.encode()).hexdigest()])
        try:
            PUB.verify(bytes.fromhex(g["X-Goog-Signature"]), sts.encode(), padding.PKCS1v15(),
                       hashes.SHA256())
        except (InvalidSignature, ValueError):
            return self.error(403, "SignatureDoesNotMatch")
        bucket, _, name = u.path[1:].partition("/")
        name = urllib.parse.unquote(name)
        m = S.meta(name) if bucket == ARGS["bucket"] else None
        if m is None:
            return self.error(404, "No such object")
        self.media(name, m)


def main():
    global S, PUB, ARGS
    if sys.argv[1] in ("sha", "ls", "shas", "puttree"):
        st = Store(sys.argv[2])
        if sys.argv[1] == "puttree":  # every file under SRC as PREFIX + its relative path
            src, pre = sys.argv[3], sys.argv[4]
            spools = os.path.join(st.dir, ".sessions")
            os.makedirs(spools, exist_ok=True)
            for top, _dirs, files in os.walk(src):
                for fn in files:
                    rel = os.path.relpath(os.path.join(top, fn), src).replace(os.sep, "/")
                    tmp = os.path.join(spools, "put-" + secrets.token_hex(8))
                    shutil.copyfile(os.path.join(top, fn), tmp)
                    st.commit(pre + rel, tmp, {}, None)
            return 0
        if sys.argv[1] == "ls":
            for n in st.names():
                print(n, st.meta(n)["size"])
            return 0
        if sys.argv[1] == "shas":  # NAME SHA256 under a prefix (NAME without it), from its files
            pre = sys.argv[3]
            out = []
            for n in st.names():
                if n.startswith(pre):
                    h = hashlib.sha256()
                    with open(st.path(n, ".data"), "rb") as f:
                        for chunk in iter(lambda: f.read(1 << 20), b""):
                            h.update(chunk)
                    out.append("%s %s" % (n[len(pre):], h.hexdigest()))
            for line in sorted(out):
                print(line)
            return 0
        try:
            with open(st.path(sys.argv[3], ".data"), "rb") as f:
                print(hashlib.sha256(f.read()).hexdigest())
        except FileNotFoundError:
            return 1
        return 0
    a = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    ARGS = {"dir": a["--dir"], "bucket": a["--bucket"], "email": a["--email"],
            "token_ttl": int(a.get("--token-ttl", "3600"))}
    os.makedirs(ARGS["dir"], exist_ok=True)
    with open(a["--pubkey"], "rb") as f:
        PUB = serialization.load_pem_public_key(f.read())
    S = Store(ARGS["dir"])
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(a["--port-file"] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(a["--port-file"] + ".tmp", a["--port-file"])  # appears whole
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
