#!/usr/bin/env bash
# test_gcs_configured.sh - storage.type gcs: the stack's own storage in gcsfake.py (the
# strict fake of the GCS JSON API and token endpoint), its credential given as a key
# file path (allowed for the operator's storage, never for a user's stage): files of
# @~ go up and down, are in the fake's files under storage.gcs.root with the same
# sha256, are listed, presigned (a V4 signed URL the fake verifies) and removed; a
# gcs:// stage whose credential is a path is refused. --check-config of both programs
# takes the gcs section (and the s3 one for storage.type s3) and names what is missing or
# wrong without echoing the credential.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gcslib.sh
. "$(dirname "$0")/gcslib.sh"
e2e_init gcs_configured
BKT=gcs-main
start_gcsfake "$BKT"
gcs_cred "$GCS_KEY" | base64 -d >"$T/key.json"
export STAGE_STORAGE_TYPE=gcs STAGE_STORAGE_GCS_BUCKET="$BKT" STAGE_STORAGE_GCS_ROOT=svc
export STAGE_STORAGE_GCS_ENDPOINT_URL="$GCS_EP" STAGE_STORAGE_GCS_CREDENTIAL="$T/key.json"

# --- --check-config: the section checked at start, each missing or bad key named
# shellcheck disable=SC2317 # called through check_rc
checkcfg() { # PROGRAM, then VAR=VALUE (set) or -VAR (unset)... for its environment
  local prog=$1
  shift
  check_config_env "$prog" STAGE_MASTER_KEY="$MASTER_KEY" "$@"
}
CRED_B64=$(gcs_cred "$GCS_KEY")
for prog in "$FRONTEND" "$WORKER"; do
  p=${prog##*/}
  check_rc "$p --check-config with the key file" 0 checkcfg "$prog"
  check_contains "... ok" "$OUT" "configuration ok"
  check_rc "$p --check-config with the key as base64" 0 checkcfg "$prog" STAGE_STORAGE_GCS_CREDENTIAL="$CRED_B64"
  check_rc "$p --check-config without a credential" 1 checkcfg "$prog" -STAGE_STORAGE_GCS_CREDENTIAL
  check_contains "... names it and where it may come from" "$ERR" \
    "storage.gcs.credential: must be set for storage.type gcs (environment STAGE_STORAGE_GCS_CREDENTIAL"
  check_rc "$p --check-config with a credential that is not a key" 1 checkcfg "$prog" \
    STAGE_STORAGE_GCS_CREDENTIAL="{\"type\": ${CRED_B64:0:24}}"
  check_contains "... says so" "$ERR" "storage.gcs.credential: not valid JSON"
  check_eq "... without echoing it" "" "$(grep -o -F "${CRED_B64:0:24}" <<<"$ERR$OUT" || true)"
  check_rc "$p --check-config without a bucket" 1 checkcfg "$prog" -STAGE_STORAGE_GCS_BUCKET
  check_contains "... names it" "$ERR" "storage.gcs.bucket: must be set for storage.type gcs"
  check_rc "$p --check-config with a bad bucket name" 1 checkcfg "$prog" STAGE_STORAGE_GCS_BUCKET=goog-x
  check_contains "... says so" "$ERR" "storage.gcs.bucket: 'goog-x' is not a GCS bucket name"
  # storage.type s3: the same at start, not only when a worker opens the bucket
  check_rc "$p --check-config with storage.type s3 and no bucket" 1 checkcfg "$prog" STAGE_STORAGE_TYPE=s3
  check_contains "... names it" "$ERR" "storage.s3.bucket: must be set for storage.type s3"
  check_rc "$p --check-config with an s3 secret key but no key id" 1 checkcfg "$prog" \
    STAGE_STORAGE_TYPE=s3 STAGE_STORAGE_S3_BUCKET=stage-e2e STAGE_STORAGE_S3_SECRET_ACCESS_KEY=e2e-s3-secret-x
  check_contains "... names it" "$ERR" "storage.s3.access_key_id: must be set with storage.s3.secret_access_key"
  check_eq "... without echoing the secret" "" "$(grep -o -F e2e-s3-secret-x <<<"$ERR$OUT" || true)"
  check_rc "$p --check-config with storage.type s3 complete" 0 checkcfg "$prog" STAGE_STORAGE_TYPE=s3 \
    STAGE_STORAGE_S3_BUCKET=stage-e2e STAGE_STORAGE_S3_ACCESS_KEY_ID=AKID STAGE_STORAGE_S3_SECRET_ACCESS_KEY=e2e-s3-secret-x
done

e2e_start
login_root

W="$T/work"
for n in 1 $((3 << 20)); do
  mkrand "$W/f$n" "$n"
  check_rc "put $n bytes into @~" 0 ctl put "$W/f$n" "@~/d/f$n.bin"
  check_eq "... the fake holds them under storage.gcs.root" "$(sha "$W/f$n")" \
    "$(gcsfake sha "$GCS_DIR" "svc/stage/user/root/d/f$n.bin" || echo missing)"
  check_rc "get them back" 0 ctl get "@~/d/f$n.bin" "$W/back$n"
  check_eq "... sha256" "$(sha "$W/f$n")" "$(sha "$W/back$n")"
done
check_rc "list @~/d/" 0 py list @~/d/
check_eq "... both files" "d/f1.bin d/f3145728.bin" "$(jget "$OUT" '" ".join(sorted(f["name"] for f in j))')"
check_rc "presign @~/d/f1.bin" 0 py presign @~/d/f1.bin
check_eq "curl GET of the signed URL" 200 \
  "$(curl -s -o "$W/pre" -w '%{http_code}' "$(jget "$OUT" 'j["url"]')" || echo curl-failed)"
check_eq "... sha256" "$(sha "$W/f1")" "$(sha "$W/pre")"
check_rc "rm @~/d/f1.bin" 0 ctl rm @~/d/f1.bin
check_eq "... gone from the fake" "$(printf 'svc/stage/user/root/d/f3145728.bin 3145728')" "$(gcsfake ls "$GCS_DIR")"
check_rc "a gcs:// stage with a key file path as its credential" 1 ctl stage create p \
  --url "gcs://$BKT/p/" --conn "endpoint_url=$GCS_EP" --conn "credential=$T/key.json"
check_contains "... refused" "$ERR" "credential"
e2e_finish
