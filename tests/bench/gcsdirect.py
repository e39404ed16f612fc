#!/usr/bin/env python3
"""gcsdirect.py - the bench's independent GCS client: plain HTTP (http.client, one
keep-alive connection) to the GCS JSON API of tests/e2e/gcsfake.py, with a bearer
token from the fake's token endpoint (a JWT-bearer grant signed RS256 with the
service account's key, as Google's client libraries do). Nothing of the service.

  gcsdirect.py EP BUCKET KEY.pem EMAIL put NAME FILE   resumable upload, 8 MiB chunks
  gcsdirect.py EP BUCKET KEY.pem EMAIL get NAME FILE   GET ?alt=media into FILE
  gcsdirect.py EP BUCKET KEY.pem EMAIL count PREFIX    objects.list pages of 1000: count
"""
import base64
import http.client
import json
import os
import sys
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

CHUNK = 8 << 20  # a multiple of 256 KiB, as GCS requires; the service's part size


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(conn, ep, key_pem, email):
    with open(key_pem, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    now = int(time.time())
    h = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    c = b64url(json.dumps({"iss": email, "aud": ep + "/token", "iat": now, "exp": now + 3600,
                           "scope": "https://www.googleapis.com/auth/devstorage.read_write"}).encode())
    sig = b64url(key.sign((h + "." + c).encode(), padding.PKCS1v15(), hashes.SHA256()))
    body = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   "assertion": h + "." + c + "." + sig})
    conn.request("POST", "/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    j = json.loads(r.read())
    if r.status != 200:
        raise SystemExit("gcsdirect: token: %d %s" % (r.status, j))
    return j["access_token"]


def call(conn, method, path, body=None, headers=None, ok=(200,)):
    conn.request(method, path, body, headers or {})
    r = conn.getresponse()
    data = r.read()
    if r.status not in ok:
        raise SystemExit("gcsdirect: %s %s: %d %s" % (method, path, r.status, data[:300]))
    return r, data


def main():
    ep, bucket, key_pem, email, cmd = sys.argv[1:6]
    u = urllib.parse.urlsplit(ep)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    auth = {"Authorization": "Bearer " + token(conn, ep, key_pem, email)}
    if cmd == "put":
        name, src = sys.argv[6:8]
        r, _ = call(conn, "POST", "/upload/storage/v1/b/%s/o?uploadType=resumable" % bucket,
                    json.dumps({"name": name}), dict(auth, **{"Content-Type": "application/json"}))
        sess = urllib.parse.urlsplit(r.getheader("Location"))
        spath = sess.path + "?" + sess.query
        size = os.path.getsize(src)
        off = 0
        with open(src, "rb") as f:
            while True:
                piece = f.read(CHUNK)
                last = off + len(piece) >= size
                if piece:
                    rng = "bytes %d-%d/%s" % (off, off + len(piece) - 1, size if last else "*")
                else:
                    rng = "bytes */%d" % size
                call(conn, "PUT", spath, piece, dict(auth, **{"Content-Range": rng}),
                     ok=(200, 201) if last else (308,))
                off += len(piece)
                if last:
                    break
    elif cmd == "get":
        name, dst = sys.argv[6:8]
        conn.request("GET", "/storage/v1/b/%s/o/%s?alt=media" % (bucket, urllib.parse.quote(name, safe="")),
                     headers=auth)
        r = conn.getresponse()
        if r.status != 200:
            raise SystemExit("gcsdirect: get %s: %d %s" % (name, r.status, r.read()[:300]))
        with open(dst, "wb") as f:
            for piece in iter(lambda: r.read(1 << 20), b""):
                f.write(piece)
    elif cmd == "count":
        prefix, n, page = sys.argv[6], 0, ""
        while True:
            q = {"prefix": prefix, "maxResults": "1000"}
            if page:
                q["pageToken"] = page
            _, data = call(conn, "GET", "/storage/v1/b/%s/o?%s" % (bucket, urllib.parse.urlencode(q)),
                           headers=auth)
            j = json.loads(data)
            n += len(j.get("items", []))
            page = j.get("nextPageToken", "")
            if not page:
                break
        print(n)
    else:
        raise SystemExit("gcsdirect: unknown command %s" % cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
