#!/usr/bin/env bash
# test_presign_fs.sh - PresignFile on fs stages: a frontend URL served by the
# HTTP listener. Plain curl PUTs a multi-part file (sha256 checked on disk,
# Content-Type kept) and GETs it back (same sha256, Content-Type and
# Content-Length); an expired or tampered URL is 403, the wrong method 405, a
# Content-Type other than the signed one 400; a download URL of a missing
# file is NOT_FOUND at PresignFile; a password change revokes the URLs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init presign_fs
e2e_start
login_root

W="$T/work"
HTTP="127.0.0.1:$HTTP_PORT"
mkrand "$W/big.bin" $((20 << 20)) # 3 parts of 8 MiB
WANT=$(sha "$W/big.bin")
ps() { py presign "$@"; }
url_of() { jget "$1" 'j["url"]'; }
# code METHOD URL [curl args...] -> HTTP status; the body goes to $T/body
code() {
  local m=$1 u=$2
  shift 2
  curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$m" "$@" "$u"
}

# ---- PUT then GET with plain curl
out=$(ps @~/pre/big.bin --upload --content-type application/x-test)
check_eq "upload presign: method" UPLOAD_METHOD "$(jget "$out" 'j["method"]')"
check_eq "upload presign: the Content-Type to send" application/x-test \
  "$(jget "$out" 'j["headers"].get("Content-Type")')"
PUT_URL=$(url_of "$out")
check_contains "the URL is the HTTP listener's /v1/presign/" "$PUT_URL" "http://127.0.0.1:$HTTP_PORT/v1/presign/"
check_eq "curl PUT -> 200" 200 "$(code PUT "$PUT_URL" -H 'Content-Type: application/x-test' --data-binary @"$W/big.bin")"
check_contains "PUT answers with the job" "$(cat "$T/body")" '"job_id"'
check_eq "the stored file has the source's sha256" "$WANT" "$(sha "$(stage_path pre/big.bin)")"

out=$(ps @~/pre/big.bin --content-type text/x-mine)
check_eq "download presign: method" DOWNLOAD_METHOD "$(jget "$out" 'j["method"]')"
GET_URL=$(url_of "$out")
check_eq "curl GET -> 200" 200 "$(code GET "$GET_URL")"
check_eq "downloaded bytes have the sha256" "$WANT" "$(sha "$T/body")"
check_contains "Content-Type from the URL" "$(cat "$T/headers")" "Content-Type: text/x-mine"
check_contains "Content-Length" "$(cat "$T/headers")" "Content-Length: $((20 << 20))"
out=$(ps @~/pre/big.bin)
check_eq "GET without a signed type -> 200" 200 "$(code GET "$(url_of "$out")")"
check_contains "... application/octet-stream" "$(cat "$T/headers")" "Content-Type: application/octet-stream"

# small and empty files, a PUT without a signed Content-Type
printf 'hello presign\n' >"$W/small.txt"
u=$(url_of "$(ps @~/pre/small.txt --upload)")
check_eq "PUT small file -> 200" 200 "$(code PUT "$u" -H 'Content-Type: text/plain' --data-binary @"$W/small.txt")"
check_eq "small file on disk" "$(sha "$W/small.txt")" "$(sha "$(stage_path pre/small.txt)")"
: >"$W/empty"
u=$(url_of "$(ps @~/pre/empty --upload)")
check_eq "PUT empty file -> 200" 200 "$(code PUT "$u" --data-binary @"$W/empty")"
check_eq "empty file on disk" 0 "$(stat -c %s "$(stage_path pre/empty)")"
u=$(url_of "$(ps @~/pre/empty)")
check_eq "GET empty file -> 200" 200 "$(code GET "$u")"
check_eq "GET empty file: no bytes" 0 "$(stat -c %s "$T/body")"

# ---- refusals
check_eq "PUT on a download URL -> 405" 405 "$(code PUT "$GET_URL" --data-binary @"$W/small.txt")"
check_contains "... Allow: GET" "$(cat "$T/headers")" "Allow: GET"
check_eq "GET on an upload URL -> 405" 405 "$(code GET "$PUT_URL")"
check_eq "DELETE -> 405" 405 "$(code DELETE "$GET_URL")"
check_eq "PUT with another Content-Type than signed -> 400" 400 \
  "$(code PUT "$PUT_URL" -H 'Content-Type: text/evil' --data-binary @"$W/small.txt")"
check_eq "... and the file is untouched" "$WANT" "$(sha "$(stage_path pre/big.bin)")"
check_eq "chunked PUT (no Content-Length) -> 411" 411 \
  "$(code PUT "$PUT_URL" -H 'Content-Type: application/x-test' -H 'Transfer-Encoding: chunked' \
    --data-binary @"$W/small.txt")"
# over server.presign_max_put_bytes (1 GiB): answered from the headers alone,
# before a byte of the body is sent
check_rc "PUT announcing 2 GiB -> 413 before any body byte" 0 env U="$PUT_URL" "$PY" - <<'EOF'
import os, socket, urllib.parse
u = urllib.parse.urlsplit(os.environ["U"])
s = socket.create_connection((u.hostname, u.port), timeout=30)
s.sendall(b"PUT %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-test\r\n"
          b"Content-Length: %d\r\n\r\n" % (u.path.encode(), 2 << 30))
head = s.recv(4096).decode(errors="replace")
print(head.splitlines()[0] if head else "(closed)")
raise SystemExit(0 if " 413 " in head.splitlines()[0] and "presign_max_put_bytes" in head else 1)
EOF
check_eq "... and the file is untouched" "$WANT" "$(sha "$(stage_path pre/big.bin)")"
# flip one character of the signature, then of the claims
tok=${GET_URL##*/}
sig=${tok##*.}
flip() { local c=${1:0:1}; [ "$c" = A ] && printf 'B%s' "${1:1}" || printf 'A%s' "${1:1}"; }
check_eq "tampered signature -> 403" 403 "$(code GET "${GET_URL%.*}.$(flip "$sig")")"
check_contains "... says invalid" "$(cat "$T/body")" "invalid"
check_eq "tampered claims -> 403" 403 "$(code GET "${GET_URL%/*}/$(flip "$tok")")"
check_eq "no token -> 403" 403 "$(code GET "http://$HTTP/v1/presign/")"
u=$(url_of "$(ps @~/pre/small.txt --expire 1)")
sleep 2.1
check_eq "expired URL -> 403" 403 "$(code GET "$u")"
check_contains "... says expired" "$(cat "$T/body")" "expired"
check_rc "download presign of a missing file" 1 ps @~/pre/nope.bin
check_eq "... NOT_FOUND" NOT_FOUND "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "expire_seconds over 7 days" 1 ps @~/pre/small.txt --expire 604801
check_eq "... INVALID_ARGUMENT" INVALID_ARGUMENT "$(jget "$OUT" 'j["error"]["code"]')"

# ---- a user's URLs die with a password change
check_rc "user carol can presign her own files" 0 pyrun <<'EOF'
import os, subprocess, stageclient as sc
root = sc.StageClient(os.environ["E2E_SERVER"]); root.login("root", os.environ["E2E_ROOT_PW"])
root.rpc("CreateUser", name="carol", password="pw-carol-1")
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("carol", "pw-carol-1")
c.upload("@~/c.txt", b"carol's")
u = c.presign("@~/c.txt")["url"]
get = lambda: subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", u],
                             capture_output=True, text=True).stdout
before = get()
root.rpc("AlterUser", name="carol", password="pw-carol-2")
after = get()
print("before", before, "after", after)
assert (before, after) == ("200", "403"), (before, after)
EOF
check_contains "password change revokes: 200 then 403" "$OUT" "before 200 after 403"

# ---- a client that goes away mid-download: the job fails, the listener lives on
check_rc "GET cut short by the client" 0 bash -c "curl -s '$GET_URL' | head -c 1000 >/dev/null"
for _ in $(seq 100); do
  [ -z "$(rcli --scan --pattern 'st:job:*:part:*')" ] && break
  sleep 0.1
done
check_eq "/healthz still answers after the cut" 200 "$(code GET "http://$HTTP/healthz")"
check_eq "and a new GET works" 200 "$(code GET "$GET_URL")"
check_eq "... with the whole file" "$WANT" "$(sha "$T/body")"

# ---- concurrent calls: every call is a fiber on one loop thread, so state
# kept per thread (not per call) would mix them up; a download presign waits
# on a STAT job, so these calls interleave
check_rc "16 concurrent download presigns each name their own file" 0 pyrun <<'EOF'
import os, urllib.request, stageclient as sc
from concurrent.futures import ThreadPoolExecutor
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
for i in range(16):
    c.upload("@~/conc/f%02d.txt" % i, ("file %02d " % i).encode() * (i + 1))
with ThreadPoolExecutor(16) as ex:  # the calls at once; the GETs one by one
    urls = list(ex.map(lambda i: c.presign("@~/conc/f%02d.txt" % i)["url"], range(16)))
got = [urllib.request.urlopen(u, timeout=30).read() for u in urls]
bad = [i for i in range(16) if got[i] != ("file %02d " % i).encode() * (i + 1)]
print("wrong files for %s" % bad if bad else "16 of 16 right")
raise SystemExit(1 if bad else 0)
EOF
printf '%s\n' "$OUT"

# ---- nothing left behind
check_eq "no temp file left" "" "$(ls -A "$DATA/.tmp" 2>/dev/null)"
check_eq "no part left in Redis" "" "$(rcli --scan --pattern 'st:job:*:part:*')"
e2e_finish
