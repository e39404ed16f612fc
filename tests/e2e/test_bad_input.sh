#!/usr/bin/env bash
# test_bad_input.sh - bad locations, content types and page tokens are
# INVALID_ARGUMENT and write nothing; missing files NOT_FOUND; bad or missing
# credentials UNAUTHENTICATED; unknown methods UNIMPLEMENTED; an upload
# cancelled halfway by its client ends CANCELLED (as CancelJob would) with no
# file, no temp file and no parts left
# in Redis.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init bad_input
e2e_start
login_root

W="$T/work"
printf 'payload\n' >"$W/small"

# --- bad locations (Python client: the location goes to the server as is)
check_rc "bad locations" 0 pyrun <<'EOF'
import os, sys
import stageclient as sc

c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
bad = {
    "parent segment": "@~/../x",
    "parent segment deeper": "@~/a/../../x",
    "absolute path": "@~//etc/passwd",
    "NUL byte": "@~/ok\x00evil",
    "control char": "@~/a\x01b",
    "newline": "@~/a\nb",
    "empty name": "@~/",
    "bare stage": "@~",
    "no @": "~/x",
    "percent-encoded dots": "@~/%2e%2e/x",
}
failed = 0
for what, loc in bad.items():
    for op in ("upload", "download", "stat"):
        try:
            if op == "upload":
                c.upload(loc, b"data")
            elif op == "download":
                c.download(loc)
            else:
                c.stat(loc)
            got = "OK"
        except sc.StageError as e:
            got = e.code
        ok = got == "INVALID_ARGUMENT"
        failed += not ok
        print("%s: %-22s %-9s %r -> %s" % ("ok" if ok else "FAIL", what, op, loc, got))
for what, loc in (("parent segment", "@~/../"), ("NUL byte", "@~/a\x00/")):
    for op in ("list", "remove"):
        try:
            (c.list if op == "list" else c.remove)(loc)
            got = "OK"
        except sc.StageError as e:
            got = e.code
        ok = got == "INVALID_ARGUMENT"
        failed += not ok
        print("%s: %-22s %-9s %r -> %s" % ("ok" if ok else "FAIL", what, op, loc, got))
sys.exit(1 if failed else 0)
EOF
printf '%s\n%s\n' "$OUT" "$ERR" | sed 's/^/    /'
# A NUL hidden from the old packed-size check: page_size -1 sent as the
# 5-byte varint protobuf-c reads and packs back in 10 bytes, so the message
# re-packed as long as it came and ListFiles ran on "@~/a" (common/pbcheck.c).
check_rc "ListFiles '@~/a<NUL>/../' with page_size -1 in 5 bytes: refused for the NUL" 0 pyrun <<'EOF'
import os, sys
import grpc
import stageclient as sc

c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
loc = b"@~/a\x00/../"
raw = b"\x0a" + bytes([len(loc)]) + loc + b"\x18\xff\xff\xff\xff\x0f"
fn = c.channel.unary_stream(sc.SERVICE + "ListFiles")
try:
    list(fn(raw, metadata=c.metadata(), timeout=10))
    print("accepted")
    sys.exit(1)
except grpc.RpcError as e:
    print(e.code(), e.details())
    sys.exit(0 if e.code() == grpc.StatusCode.INVALID_ARGUMENT and "NUL" in e.details() else 1)
EOF
printf '%s\n%s\n' "$OUT" "$ERR" | sed 's/^/    /'
sleep 1 # a wrongly accepted upload would be stored by now
check_eq "nothing was written in the fs root" "" "$(data_files)"
base=$(data_files) # later checks look for new files only, so one bug fails one check

check_rc "stagectl put to @~/../x" 1 ctl put "$W/small" @~/../x
check_contains "... prints 'stagectl put @~/../x: INVALID_ARGUMENT: '" "$ERR" "stagectl put @~/../x: INVALID_ARGUMENT: "
check_rc "stagectl --json put to @~//etc/passwd" 1 ctl --json put "$W/small" @~//etc/passwd
check_eq "... JSON error code" INVALID_ARGUMENT "$(jget "$OUT" 'j["error"]["code"]')"
check_eq "nothing more was written in the fs root" "$base" "$(data_files)"

# --- header injection (issue 14 #5): a content type must be printable ASCII of at most
# 127 bytes; a CR/LF in it would add header lines to the request sent to S3
CRLF_TYPE=$'text/plain\r\nX-Evil: 1'
check_rc "upload with content_type 'text/plain\\r\\nX-Evil: 1'" 1 py upload "$W/small" @~/ct.txt --content-type "$CRLF_TYPE"
check_eq "... INVALID_ARGUMENT" INVALID_ARGUMENT "$(jget "$OUT" 'j["error"]["code"]')"
check_contains "... naming the field" "$(jget "$OUT" 'j["error"]["message"]')" "content_type must be printable ASCII"
check_rc "upload with a 128-byte content_type" 1 py upload "$W/small" @~/ct.txt --content-type "text/$(printf 'x%.0s' $(seq 123))"
check_eq "... INVALID_ARGUMENT" INVALID_ARGUMENT "$(jget "$OUT" 'j["error"]["code"]')"
check_contains "... too long" "$(jget "$OUT" 'j["error"]["message"]')" "content_type is too long"
check_rc "upload with a non-ASCII content_type" 1 py upload "$W/small" @~/ct.txt --content-type $'text/pl\xc3\xa4in'
check_eq "... INVALID_ARGUMENT" INVALID_ARGUMENT "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "presign upload with content_type 'text/plain\\r\\nX-Evil: 1'" 1 py presign @~/ct.txt --upload --content-type "$CRLF_TYPE"
check_eq "... INVALID_ARGUMENT" INVALID_ARGUMENT "$(jget "$OUT" 'j["error"]["code"]')"
check_contains "... naming the field" "$(jget "$OUT" 'j["error"]["message"]')" "content_type must be printable ASCII"
check_eq "nothing was written for the refused content types" "$base" "$(data_files)"
check_rc "upload with content_type 'text/csv; charset=utf-8'" 0 py upload "$W/small" @~/ct.csv --content-type 'text/csv; charset=utf-8'
base=$(data_files)

# --- size mismatch: the header says 100 bytes, 8 arrive
check_rc "upload shorter than its declared size" 0 pyrun <<'EOF'
import os, sys
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
try:
    c.upload("@~/short.bin", b"12345678", size=100)
    sys.exit("accepted")
except sc.StageError as e:
    print(e.code, e.message)
    sys.exit(0 if e.code == "INVALID_ARGUMENT" else "expected INVALID_ARGUMENT")
EOF
check_eq "... and no file was stored" "$base" "$(data_files)"

# --- missing files
check_rc "python download of a missing file" 1 py download @~/missing.csv "$W/out"
check_eq "... NOT_FOUND" NOT_FOUND "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "stagectl get of a missing file" 1 ctl get @~/missing.csv "$W/out"
check_contains "... prints 'stagectl get @~/missing.csv: NOT_FOUND: '" "$ERR" "stagectl get @~/missing.csv: NOT_FOUND: "
check_eq "... and leaves no file behind" "" "$(find "$W" -mindepth 1 ! -name small)"
check_rc "stagectl stat of a missing file" 1 ctl stat @~/missing.csv
check_contains "... NOT_FOUND" "$ERR" "NOT_FOUND"
check_rc "GetJob of an unknown job" 1 py job 0123456789abcdef0123456789abcdef
check_eq "... NOT_FOUND" NOT_FOUND "$(jget "$OUT" 'j["error"]["code"]')"
# --- GetJobResults: a page token is an offset parsed with bounds (issue 14 #12: start +
# page overflowed for LLONG_MAX)
check_rc "GetJobResults and ListJobs with huge or malformed page tokens: INVALID_ARGUMENT" 0 pyrun <<'EOF'
import os, sys
import stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
job = c.wait_job(c.remove("@~/no-such-dir/", dry_run=True).id)
failed = 0
for tok, want in (("9223372036854775807", "INVALID_ARGUMENT"),
                  ("9223372036854775808", "INVALID_ARGUMENT"),
                  ("1000000000001", "INVALID_ARGUMENT"), ("-1", "INVALID_ARGUMENT"),
                  ("1x", "INVALID_ARGUMENT"), (" 5", "INVALID_ARGUMENT"), ("", "OK"), ("0", "OK"),
                  ("1000000000000", "OK")):
    try:
        c.job_results(job.id, page_token=tok)
        got = "OK"
    except sc.StageError as e:
        got = e.code
    failed += got != want
    print("%s: page_token %r -> %s" % ("ok" if got == want else "FAIL", tok, got))
# ListJobs: "<id>.<score>"; a score that is not digits reached Redis (INTERNAL)
for tok, want in (("f" * 32 + ".abc", "INVALID_ARGUMENT"), ("f" * 32 + ".-inf", "INVALID_ARGUMENT"),
                  (job.id + ".abc", "INVALID_ARGUMENT"), (job.id.upper() + ".1", "INVALID_ARGUMENT"),
                  ("0" * 32 + ".1", "OK")):
    try:
        c.list_jobs(page_token=tok)
        got = "OK"
    except sc.StageError as e:
        got = e.code
    failed += got != want
    print("%s: ListJobs page_token %r -> %s" % ("ok" if got == want else "FAIL", tok, got))
sys.exit(1 if failed else 0)
EOF
printf '%s\n%s\n' "$OUT" "$ERR" | sed 's/^/    /'
check_rc "stage that does not exist" 1 py list @nosuchstage/
check_eq "... NOT_FOUND" NOT_FOUND "$(jget "$OUT" 'j["error"]["code"]')"

# --- credentials
check_rc "login with a wrong password" 1 py login root wrong-password
check_eq "... UNAUTHENTICATED" UNAUTHENTICATED "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "login of an unknown user" 1 py login nobody wrong-password
check_eq "... UNAUTHENTICATED with the same message" "$(jget "$(py login root wrong-password)" 'j["error"]["message"]')" "$(jget "$OUT" 'j["error"]["message"]')"
check_rc "stagectl login with a wrong password" 1 ctl login root --password wrong
check_contains "... UNAUTHENTICATED" "$ERR" "UNAUTHENTICATED"
check_rc "no credentials" 1 "$PY" "$E2E_DIR/stageclient.py" --server "$SERVER" list @~
check_eq "... UNAUTHENTICATED" UNAUTHENTICATED "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "stagectl without credentials" 1 env HOME="$T/nohome" "$STAGECTL" --server "$SERVER" ls @~
check_contains "... UNAUTHENTICATED" "$ERR" "UNAUTHENTICATED"
check_rc "basic auth with a wrong password" 1 "$PY" "$E2E_DIR/stageclient.py" --server "$SERVER" --user root --password wrong list @~
check_eq "... UNAUTHENTICATED" UNAUTHENTICATED "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "basic auth with the right password" 0 "$PY" "$E2E_DIR/stageclient.py" --server "$SERVER" --user root --password "$ROOT_PW" list @~
check_rc "a forged bearer token" 1 "$PY" "$E2E_DIR/stageclient.py" --server "$SERVER" --token "v1.cm9vdHwxfDk5OTk5OTk5OTk5OTk.AAAA" list @~
check_eq "... UNAUTHENTICATED" UNAUTHENTICATED "$(jget "$OUT" 'j["error"]["code"]')"
mac=${TOKEN##*.}
tampered="${TOKEN%.*}.$([ "${mac:0:1}" = A ] && echo B || echo A)${mac:1}"
check_rc "a tampered token (first MAC char changed)" 1 "$PY" "$E2E_DIR/stageclient.py" --server "$SERVER" --token "$tampered" list @~
check_eq "... UNAUTHENTICATED" UNAUTHENTICATED "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "STAGE_USER + STAGE_PASSWORD for stagectl" 0 env HOME="$T/nohome" STAGE_USER=root STAGE_PASSWORD="$ROOT_PW" "$STAGECTL" --server "$SERVER" ls @~
check_rc "STAGE_TOKEN for stagectl" 0 env HOME="$T/nohome" STAGE_TOKEN="$TOKEN" "$STAGECTL" --server "$SERVER" ls @~

# --- unknown methods
check_rc "unknown StageService method" 1 py call /stage.v1.StageService/NoSuchMethod
check_eq "... UNIMPLEMENTED" UNIMPLEMENTED "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "unknown service" 1 py call /no.such.Service/Method
check_eq "... UNIMPLEMENTED" UNIMPLEMENTED "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "health of the whole server" 0 py health
check_eq "... SERVING" SERVING "$(jget "$OUT" 'j["status"]')"
check_rc "health of an unknown service" 1 py health no.such.Service
check_eq "... NOT_FOUND" NOT_FOUND "$(jget "$OUT" 'j["error"]["code"]')"

# --- an upload cancelled after ~20 MiB of 100 MiB, with and without a declared
# size (without one, only the cancellation tells the server the data is short)
# shellcheck disable=SC2119,SC2317 # pyrun reads stdin; called through check_rc
cancel_upload() { # NAME HAS_SIZE
  E2E_LOC="@~/cancelled_$1.bin" E2E_HAS_SIZE=$2 pyrun <<'EOF'
import os, subprocess, sys, threading, time
import grpc
import stageclient as sc

c = sc.StageClient(os.environ["E2E_SERVER"])
c.login("root", os.environ["E2E_ROOT_PW"])
port = os.environ["E2E_REDIS_PORT"]
sent = threading.Event()
stop = threading.Event()

def redis(*args):
    return subprocess.run(["redis-cli", "-p", port] + list(args), capture_output=True,
                          text=True).stdout

def reqs():
    hdr = sc.pb.UploadHeader(location=os.environ["E2E_LOC"], wait=True)
    if os.environ["E2E_HAS_SIZE"] == "1":
        hdr.has_size, hdr.size = True, 100 << 20
    yield sc.pb.UploadFileRequest(header=hdr)
    for i in range(100):
        if i == 20:
            sent.set()
            stop.wait(30)  # the call is cancelled meanwhile
            return
        yield sc.pb.UploadFileRequest(chunk=os.urandom(1 << 20))

before = set(redis("zrange", "st:jobs:root", "0", "-1").split())
fut = c.upload_future(reqs())
if not sent.wait(60):
    sys.exit("the upload did not reach 20 MiB in 60 s")
time.sleep(0.5)
fut.cancel()
stop.set()
try:
    fut.result(timeout=10)
    sys.exit("the cancelled upload returned a result")
except grpc.FutureCancelledError:
    pass
new = [i for i in redis("zrange", "st:jobs:root", "0", "-1").split() if i not in before]
if len(new) != 1:
    sys.exit("expected one new job, found %r" % new)
job_id = new[0]
state = ""
for _ in range(300):
    state = redis("hget", "st:job:" + job_id, "state").strip()
    if state in sc.TERMINAL:
        break
    time.sleep(0.1)
j = c.get_job(job_id)
print("job %s: %s %s: %s (bytes_done %d)" % (job_id, sc.STATE[j.state], j.error_code,
                                           j.error_message, j.bytes_done))
sys.exit(0 if state == "CANCELLED" and sc.STATE[j.state] == "CANCELLED" else "expected CANCELLED")
EOF
}
for sized in 1 0; do
  name=$([ $sized = 1 ] && echo sized || echo unsized)
  check_rc "upload ($name) cancelled halfway by its client ends CANCELLED" 0 cancel_upload "$name" "$sized"
  printf '%s\n%s\n' "$OUT" "$ERR" | sed 's/^/    /'
  check_eq "no partial file of the $name upload in the stage" "" "$(data_files | grep "cancelled_$name.bin" || true)"
  left=""
  for _ in $(seq 100); do # the worker removes its temp file once it sees the job failed
    left=$(find "$DATA/.tmp" -type f 2>/dev/null || true)
    [ -z "$left" ] && break
    sleep 0.2
  done
  check_eq "nothing left under data/.tmp" "" "$left"
  check_eq "no st:job:*:part:* keys left in Redis" "" "$(rcli --scan --pattern 'st:job:*:part:*')"
done

# PresignFile on fs gives URLs only for files that exist (test_presign_fs.sh covers the
# URLs, test_s3_presign.sh S3, test_azblob_configured.sh azblob); a bad expiry is refused
# before anything is looked up
if [ "$E2E_STORAGE" = fs ]; then
  check_rc "presign of a missing file on an fs stage" 1 py presign @~/after.txt
  check_eq "... NOT_FOUND" NOT_FOUND "$(jget "$OUT" 'j["error"]["code"]')"
  check_contains "... naming the file" "$(jget "$OUT" 'j["error"]["message"]')" "after.txt"
fi
check_rc "presign with an expiry over 7 days" 1 py presign @~/after.txt --expire 604801
check_eq "... INVALID_ARGUMENT" INVALID_ARGUMENT "$(jget "$OUT" 'j["error"]["code"]')"

# and the service still works afterwards
check_rc "an upload after the cancelled one" 0 ctl put "$W/small" @~/after.txt
check_eq "... stored" "$(sha "$W/small")" "$(sha "$(stage_path after.txt)" 2>/dev/null || echo missing)"

e2e_finish
