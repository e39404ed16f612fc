#!/usr/bin/env bash
# test_s3_presign.sh - S3 only (starts s3rver, which verifies presigned
# signatures and expiry): PresignFile URLs work with plain curl. A presigned PUT
# stores a file (boto3 sees its bytes and the signed content type), a presigned
# GET returns it; expiry defaults to 3600 s, 604800 s is the most, bad values
# are INVALID_ARGUMENT; an expired URL or a content type other than the signed
# one is refused by the store; a download URL needs READ, an upload URL WRITE.
set -euo pipefail
export E2E_STORAGE=s3
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init s3_presign
e2e_start
login_root

W="$T/work"
mkrand "$W/a.bin" $(((5 << 20) + 3))
WANT=$(sha "$W/a.bin")
url_of() { jget "$1" 'j["url"]'; }
# http_code METHOD URL [curl args...]: the HTTP status, body in $W/body
http_code() {
  local m=$1 u=$2
  shift 2
  curl -s -o "$W/body" -w '%{http_code}' -X "$m" "$@" "$u" || echo "curl-failed"
}

# --- upload URL, plain curl PUT, then boto3 and the service see the file
check_rc "presign an upload URL for @~/ps/a.csv (text/csv)" 0 py presign @~/ps/a.csv --upload --content-type text/csv
put_url=$(url_of "$OUT")
check_eq "... method" UPLOAD_METHOD "$(jget "$OUT" 'j["method"]')"
check_eq "... the header to send" "text/csv" "$(jget "$OUT" 'j["headers"].get("Content-Type")')"
check_contains "... default expiry 3600 s" "$put_url" "X-Amz-Expires=3600&"
check_eq "curl PUT with the signed content type" 200 \
  "$(http_code PUT "$put_url" -H 'Content-Type: text/csv' --data-binary @"$W/a.bin")"
check_eq "boto3 reads the uploaded bytes" "$WANT" "$(s3util sha stage/user/root/ps/a.csv)"
check_eq "boto3 sees the content type" "text/csv" \
  "$(env -u AWS_CA_BUNDLE "$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import s3util, os
print(s3util.client().head_object(Bucket=os.environ["E2E_S3_BUCKET"], Key="stage/user/root/ps/a.csv")["ContentType"])' "$E2E_DIR")"
check_rc "the service stats it" 0 ctl --json stat @~/ps/a.csv
check_eq "... size" $(((5 << 20) + 3)) "$(jget "$OUT" 'j["size"]')"
check_eq "curl PUT with another content type is refused" 403 \
  "$(http_code PUT "$put_url" -H 'Content-Type: text/plain' --data-binary 'other')"
check_eq "... and the object is unchanged" "$WANT" "$(s3util sha stage/user/root/ps/a.csv)"

# --- download URL, plain curl GET (a file the service uploaded, and the one above)
mkrand "$W/b.bin" 100000
check_rc "upload b.bin through the service" 0 ctl put "$W/b.bin" @~/ps/b.bin
for f in a.csv:a.bin b.bin:b.bin; do
  check_rc "presign a download URL for @~/ps/${f%%:*}" 0 py presign "@~/ps/${f%%:*}"
  check_eq "... method" DOWNLOAD_METHOD "$(jget "$OUT" 'j["method"]')"
  check_eq "curl GET ${f%%:*}" 200 "$(http_code GET "$(url_of "$OUT")")"
  check_eq "... the file's sha256" "$(sha "$W/${f##*:}")" "$(sha "$W/body")"
done

# --- expiry
check_rc "expire_seconds 604800" 0 py presign @~/ps/b.bin --expire 604800
check_contains "... in the URL" "$(url_of "$OUT")" "X-Amz-Expires=604800&"
check_eq "... and it works" 200 "$(http_code GET "$(url_of "$OUT")")"
for e in 604801 -1; do
  check_rc "expire_seconds $e" 1 py presign @~/ps/b.bin --expire "$e"
  check_eq "... INVALID_ARGUMENT" INVALID_ARGUMENT "$(jget "$OUT" 'j["error"]["code"]')"
  check_contains "... naming the limit" "$(jget "$OUT" 'j["error"]["message"]')" "604800"
done
check_rc "expire_seconds 1" 0 py presign @~/ps/b.bin --expire 1
short=$(url_of "$OUT")
sleep 2.2
check_eq "an expired URL is refused by the store" 403 "$(http_code GET "$short")"

# --- bad locations
check_rc "presign a directory location" 1 py presign @~/ps/
check_eq "... INVALID_ARGUMENT" INVALID_ARGUMENT "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "presign on a missing stage" 1 py presign @nosuch/x.csv
check_eq "... NOT_FOUND" NOT_FOUND "$(jget "$OUT" 'j["error"]["code"]')"

# --- privileges: READ for a download URL, WRITE for an upload URL
check_rc "stage create ps" 0 ctl stage create ps
check_rc "put @ps/r.bin" 0 ctl put "$W/b.bin" @ps/r.bin
check_rc "user create dana" 0 ctl user create dana --password dana-pw-1
out=$(py login dana dana-pw-1)
DANA=(--token "$(jget "$out" 'j["token"]')")
dpy() { "$PY" "$E2E_DIR/stageclient.py" --server "$SERVER" "${DANA[@]}" "$@"; }
check_rc "dana without grants: download URL" 1 dpy presign @ps/r.bin
check_eq "... PERMISSION_DENIED" PERMISSION_DENIED "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "grant READ ps dana" 0 ctl grant READ ps dana
check_rc "dana with READ: download URL" 0 dpy presign @ps/r.bin
check_eq "... which works" 200 "$(http_code GET "$(url_of "$OUT")")"
check_eq "... the file's sha256" "$(sha "$W/b.bin")" "$(sha "$W/body")"
check_rc "dana with READ only: upload URL" 1 dpy presign @ps/new.bin --upload
check_eq "... PERMISSION_DENIED" PERMISSION_DENIED "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "grant WRITE ps dana" 0 ctl grant WRITE ps dana
check_rc "dana with WRITE: upload URL" 0 dpy presign @ps/new.bin --upload
check_eq "... which works" 200 "$(http_code PUT "$(url_of "$OUT")" --data-binary @"$W/b.bin")"
check_rc "the service downloads dana's file" 0 ctl get @ps/new.bin "$W/new.bin"
check_eq "... sha256" "$(sha "$W/b.bin")" "$(sha "$W/new.bin")"
check_eq "boto3 finds it under the internal stage's root" "1" \
  "$(s3util ls stage/ | grep -c '^stage/internal/ps/[0-9a-f]*/new[.]bin$' || true)"

e2e_finish
