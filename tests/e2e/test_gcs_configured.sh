#!/usr/bin/env bash
# test_gcs_configured.sh - storage.type gcs: the stack's own storage in gcsfake.py (the
# strict fake of the GCS JSON API and token endpoint), its credential given as a key
# file path (allowed for the operator's storage, never for a user's stage): files of
# @~ go up and down, are in the fake's files under storage.gcs.root with the same
# sha256, are listed, presigned (a V4 signed URL the fake verifies) and removed; a
# gcs:// stage whose credential is a path is refused.
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
