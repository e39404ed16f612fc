#!/usr/bin/env bash
# test_gcs.sh - external gcs://bucket/path/ stages against gcsfake.py, a strict fake of
# the GCS JSON API and of Google's token endpoint (see its header for the rules it
# keeps). The test makes an RSA key with openssl; the stage's `credential` is the
# base64 of a service-account JSON holding it; the fake verifies the JWT grant and
# the V4 signed URLs with the public half. Files go up (resumable sessions: 0, 1,
# 256 KiB - 1, 256 KiB, 256 KiB + 1 and 20 MiB in several chunks) and down; their
# sha256 is read from the fake's own files, not through the service; listing with a
# pattern, stat, rm, a presigned GET fetched with curl, bad credentials refused with
# a message naming the part that is wrong, and the secret never in a log or in Redis.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init gcs
# shellcheck source-path=SCRIPTDIR source=gcslib.sh
. "$(dirname "$0")/gcslib.sh"
BKT=gcs-bkt
W="$T/work"
G="$T/gcs"
start_gcsfake "$BKT"
CRED=$(gcs_cred "$GCS_KEY")
E2E_SECRETS+=("$CRED")
e2e_start
login_root

# --- bad credentials: refused at CreateStage with the part named, no stage made
check_rc "a credential that is not base64 JSON" 1 ctl stage create bad --url "gcs://$BKT/bad/" \
  --conn "endpoint_url=$GCS_EP" --conn "credential=bm90IGpzb24="
check_eq "... INVALID_ARGUMENT or FAILED_PRECONDITION" yes \
  "$(grep -Eq 'INVALID_ARGUMENT|FAILED_PRECONDITION' <<<"$ERR" && echo yes || echo "no: $ERR")"
check_contains "... saying what is wrong" "$ERR" "not a service-account JSON object"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.pem" 2>/dev/null
check_rc "a key the token endpoint does not know" 1 ctl stage create bad --url "gcs://$BKT/bad/" \
  --conn "endpoint_url=$GCS_EP" --conn "credential=$(gcs_cred "$T/other.pem")"
check_contains "... FAILED_PRECONDITION" "$ERR" "FAILED_PRECONDITION"
check_contains "... the token endpoint's answer" "$ERR" "Invalid JWT Signature"
NOKEY=$("$PY" -c 'import base64,json,sys; print(base64.b64encode(json.dumps({"type":"service_account","client_email":"a@b"}).encode()).decode())')
check_rc "a credential without private_key" 1 ctl stage create bad --url "gcs://$BKT/bad/" \
  --conn "endpoint_url=$GCS_EP" --conn "credential=$NOKEY"
check_contains "... naming private_key" "$ERR" "private_key is missing"
check_rc "... and no stage exists" 1 ctl stage desc bad

# --- the right credential
check_rc "create @g" 0 ctl stage create g --url "gcs://$BKT/data/" \
  --conn "endpoint_url=$GCS_EP" --conn "credential=$CRED"
check_rc "desc @g" 0 ctl stage desc g
check_contains "... the credential masked" "$OUT" "******"
check_eq "... and not shown" "" "$(grep -o "${CRED:0:40}" <<<"$OUT" || true)"
for n in 0 1 262143 262144 262145 $((20 << 20)); do
  mkrand "$W/f$n" "$n"
  check_rc "put $n bytes" 0 ctl put "$W/f$n" "@g/in/f$n.bin"
  check_eq "... the fake holds the same bytes" "$(sha "$W/f$n")" \
    "$(gcsfake sha "$G" "data/in/f$n.bin" || echo missing)"
  check_rc "get $n bytes" 0 ctl get "@g/in/f$n.bin" "$W/back$n"
  check_eq "... sha256" "$(sha "$W/f$n")" "$(sha "$W/back$n")"
done
check_le "the 20 MiB file went in several chunks (308 replies seen by the fake)" \
  "$(grep -c '" 308 ' "$T/logs/gcsfake.log" || true)" 2
check_rc "list @g/in/ with a pattern" 0 py list @g/in/ --pattern 'f26214.[.]bin'
check_eq "... the three names" "in/f262143.bin in/f262144.bin in/f262145.bin" \
  "$(jget "$OUT" '" ".join(sorted(f["name"] for f in j))')"
check_rc "list @g/ (everything)" 0 py list @g/
check_eq "... six files" 6 "$(jget "$OUT" 'len(j)')"
check_rc "stat the 20 MiB file" 0 ctl --json stat "@g/in/f$((20 << 20)).bin"
check_eq "... size" $((20 << 20)) "$(jget "$OUT" 'j["size"]')"
check_eq "... sha256 from the object's metadata" "$(sha "$W/f$((20 << 20))")" "$(jget "$OUT" 'j.get("sha256","")')"
check_rc "put without --overwrite over an existing file" 1 ctl put "$W/f1" @g/in/f0.bin
check_contains "... ALREADY_EXISTS" "$ERR" "ALREADY_EXISTS"

check_rc "presign @g/in/f262145.bin" 0 py presign @g/in/f262145.bin
URL=$(jget "$OUT" 'j["url"]')
check_contains "... a V4 signed URL" "$URL" "X-Goog-Algorithm=GOOG4-RSA-SHA256"
check_eq "curl GET of the signed URL (the fake checks the signature)" 200 \
  "$(curl -s -o "$W/pre" -w '%{http_code}' "$URL" || echo curl-failed)"
check_eq "... sha256" "$(sha "$W/f262145")" "$(sha "$W/pre")"
check_eq "a tampered signed URL is refused" 403 \
  "$(curl -s -o /dev/null -w '%{http_code}' "${URL/X-Goog-Expires=/X-Goog-Expires=1}" || echo curl-failed)"

# --- CopyFiles: inside the bucket by objects.rewrite (over 1 MiB the fake answers
# done=false with a rewriteToken first), and across backends (gcs <-> fs) streamed
cp_wait() { # FROM TO -> final job as JSON
  pyrun "$1" "$2" <<'PYEOF'
import json, os, sys, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
try:
    j = c.wait_job(c.rpc("CopyFiles", **{"from": sys.argv[1], "to": sys.argv[2]}).job.id)
    print(json.dumps({"state": sc.STATE[j.state], "files_done": j.files_done, "error": j.error_message}))
except sc.StageError as e:
    print(json.dumps({"state": "RPC " + e.code, "error": e.message}))
PYEOF
}
BIG=f$((20 << 20)).bin
out=$(cp_wait "@g/in/$BIG" "@g/copy/$BIG")
check_eq "copy inside @g: SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]')"
check_eq "... the fake holds the same bytes" "$(sha "$W/f$((20 << 20))")" "$(gcsfake sha "$G" "data/copy/$BIG" || echo missing)"
check_le "... by rewrite with a token (two calls), no media download" \
  "$(grep -c 'rewriteTo/b/.*rewriteToken=' "$T/logs/gcsfake.log" || true)" 1
out=$(cp_wait "@g/in/$BIG" "@~/fromgcs/$BIG")
check_eq "copy @g -> @~ (fs): SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]')"
check_eq "... sha256 on disk" "$(sha "$W/f$((20 << 20))")" "$(sha "$(stage_path "fromgcs/$BIG")" 2>/dev/null || echo missing)"
out=$(cp_wait "@~/fromgcs/" "@g/back/")
check_eq "copy @~ (fs) -> @g: SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]')"
check_eq "... the fake holds the same bytes" "$(sha "$W/f$((20 << 20))")" "$(gcsfake sha "$G" "data/back/$BIG" || echo missing)"

# --- a revoked token: the next request gets 401, the backend fetches a new one once
check_eq "the fake revokes every token" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$GCS_EP/_revoke" || echo curl-failed)"
check_rc "stat after the revocation" 0 ctl --json stat @g/in/f1.bin
check_eq "... size" 1 "$(jget "$OUT" 'j["size"]')"

check_rc "rm @g/in/f0.bin" 0 ctl rm @g/in/f0.bin
check_eq "... gone from the fake" "gone" "$(gcsfake sha "$G" data/in/f0.bin >/dev/null && echo there || echo gone)"
check_eq "the fake's objects" "$(printf 'data/back/%s 20971520\ndata/copy/%s 20971520\ndata/in/f1.bin 1\ndata/in/f20971520.bin 20971520\ndata/in/f262143.bin 262143\ndata/in/f262144.bin 262144\ndata/in/f262145.bin 262145' "$BIG" "$BIG")" \
  "$(gcsfake ls "$G")"
check_eq "the worker logs hold no bearer token" "" "$(grep -ho 'ya29\.fake-[A-Za-z0-9_-]*' "$T"/logs/worker*.log "$T"/logs/frontend.log | head -1 || true)"
e2e_finish
