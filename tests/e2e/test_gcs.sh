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
BKT=gcs-bkt
EMAIL=stage-e2e@stage-e2e.iam.gserviceaccount.com
W="$T/work"
G="$T/gcs"
mkdir -p "$G"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/key.pem" 2>/dev/null
openssl pkey -in "$T/key.pem" -pubout -out "$T/pub.pem"
"$PY" "$E2E_DIR/gcsfake.py" serve --dir "$G" --bucket "$BKT" --pubkey "$T/pub.pem" \
  --email "$EMAIL" --port-file "$T/gcs.port" >>"$T/logs/gcsfake.log" 2>&1 &
E2E_PIDS+=("$!")
for _ in $(seq 100); do [ -s "$T/gcs.port" ] && break; sleep 0.1; done
[ -s "$T/gcs.port" ] || die "gcsfake did not start: $(tail -5 "$T/logs/gcsfake.log")"
GCS_EP="http://127.0.0.1:$(cat "$T/gcs.port")"

# credential JSON with the key $1 and token_uri $2, base64 on one line
cred() {
  "$PY" - "$1" "$2" "$EMAIL" <<'PYEOF'
import base64, json, sys
key, uri, email = sys.argv[1:4]
j = {"type": "service_account", "project_id": "stage-e2e", "private_key_id": "k1",
     "private_key": open(key).read(), "client_email": email, "token_uri": uri}
print(base64.b64encode(json.dumps(j).encode()).decode())
PYEOF
}
CRED=$(cred "$T/key.pem" "$GCS_EP/token")
E2E_SECRETS+=("$(sed -n 2p "$T/key.pem")" "$CRED")
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
  --conn "endpoint_url=$GCS_EP" --conn "credential=$(cred "$T/other.pem" "$GCS_EP/token")"
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
for n in 0 1 262143 262144 262145 $((20 << 20)); do
  mkrand "$W/f$n" "$n"
  check_rc "put $n bytes" 0 ctl put "$W/f$n" "@g/in/f$n.bin"
  check_eq "... the fake holds the same bytes" "$(sha "$W/f$n")" \
    "$("$PY" "$E2E_DIR/gcsfake.py" sha "$G" "data/in/f$n.bin" || echo missing)"
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

check_rc "rm @g/in/f0.bin" 0 ctl rm @g/in/f0.bin
check_eq "... gone from the fake" "gone" "$("$PY" "$E2E_DIR/gcsfake.py" sha "$G" data/in/f0.bin >/dev/null && echo there || echo gone)"
check_eq "the fake's objects" "$(printf 'data/in/f1.bin 1\ndata/in/f20971520.bin 20971520\ndata/in/f262143.bin 262143\ndata/in/f262144.bin 262144\ndata/in/f262145.bin 262145')" \
  "$("$PY" "$E2E_DIR/gcsfake.py" ls "$G")"
check_eq "the worker logs hold no bearer token" "" "$(grep -ho 'ya29\.fake-[A-Za-z0-9_-]*' "$T"/logs/worker*.log "$T"/logs/frontend.log | head -1 || true)"
e2e_finish
