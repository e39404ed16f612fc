#!/usr/bin/env bash
# test_azblob_configured.sh - storage.type azblob: the stack's own storage in azurite (which
# checks SharedKey and SAS signatures), under storage.azblob.root, the account key given as
# a file (STAGE_STORAGE_AZBLOB_ACCOUNT_KEY_FILE). --check-config of both programs takes the
# section and names what is missing or wrong without echoing the key. Files of @~ and of an
# internal stage of sizes 0, 1 and a block (8 MiB) - 1, exactly and + 1 go up and down,
# and @azure/storage-blob reads them under <root>/stage/user/root/ and
# <root>/stage/internal/<name>/ with the same sha256 (the + 1 committed as two blocks);
# they are listed, copied between the stages (server-side), counted against the internal
# stage's quota, presigned (service SAS URLs used with curl, GET and PUT) and removed. The
# key is in no log and nowhere in Redis (e2e_finish's scan).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init azblob_configured
E2E_STORAGE=azblob
W="$T/work"
printf '%s\n' "$AZ_KEY" >"$T/az-key"
chmod 600 "$T/az-key"
export STAGE_STORAGE_AZBLOB_ROOT=/svc STAGE_STORAGE_AZBLOB_ACCOUNT_KEY_FILE="$T/az-key"

# --- --check-config: the section, each missing or bad key named, the key never shown
# shellcheck disable=SC2317 # called through check_rc
checkcfg() { # PROGRAM, then VAR=VALUE (set) or -VAR (unset)... for its environment
  local prog=$1
  shift
  check_config_env "$prog" STAGE_STORAGE_TYPE=azblob STAGE_STORAGE_AZBLOB_CONTAINER=stage-e2e \
    STAGE_STORAGE_AZBLOB_ACCOUNT_NAME="$AZ_ACCOUNT" STAGE_MASTER_KEY="$MASTER_KEY" \
    STAGE_STORAGE_AZBLOB_ENDPOINT_URL=http://127.0.0.1:1/devstoreaccount1 "$@"
}
for prog in "$FRONTEND" "$WORKER"; do
  p=${prog##*/}
  check_rc "$p --check-config with the key from a file" 0 checkcfg "$prog"
  check_contains "... ok" "$OUT" "configuration ok"
  check_rc "$p --check-config without the key" 1 checkcfg "$prog" -STAGE_STORAGE_AZBLOB_ACCOUNT_KEY_FILE
  check_contains "... names it and where it may come from" "$ERR" \
    "storage.azblob.account_key: must be set for storage.type azblob (environment STAGE_STORAGE_AZBLOB_ACCOUNT_KEY"
  check_rc "$p --check-config with a key that is not base64" 1 checkcfg "$prog" \
    STAGE_STORAGE_AZBLOB_ACCOUNT_KEY="not-base64-${AZ_KEY:0:20}"
  check_contains "... says so" "$ERR" "storage.azblob.account_key: is not base64"
  check_eq "... without echoing it" "" "$(grep -o -F "${AZ_KEY:0:20}" <<<"$ERR$OUT" || true)"
  check_rc "$p --check-config with a bad container name" 1 checkcfg "$prog" STAGE_STORAGE_AZBLOB_CONTAINER=Stage_1
  check_contains "... says so" "$ERR" "storage.azblob.container: 'Stage_1' is not an Azure container name"
done
printf 'storage:\n  azblob:\n    account_key: %s\n' "$AZ_KEY" >"$T/bad.yaml"
check_rc "the account key in the config file" 1 "$FRONTEND" --config "$T/bad.yaml" --check-config
check_contains "... is refused as a secret" "$ERR" "'storage.azblob.account_key' is a secret"
check_eq "... without echoing it" "" "$(grep -o -F "$AZ_KEY" <<<"$ERR$OUT" || true)"

e2e_start
login_root
check_contains "the worker says where its storage is" "$(cat "$T/logs/worker1.log")" \
  "storage azblob at azblob://$AZ_CONTAINER/svc/"

# --- @~ and an internal stage (with a quota): up, the SDK reads them, down
BLK=$((8 << 20)) # upload.object_part_size, the block size
declare -A SIZES=([zero]=0 [one]=1 [bm1]=$((BLK - 1)) [b]=$BLK [bp1]=$((BLK + 1)))
NAMES=(zero one bm1 b bp1)
for n in "${NAMES[@]}"; do mkrand "$W/$n" "${SIZES[$n]}"; done
check_rc "create the internal stage @int with a 40 MiB quota" 0 ctl stage create int --quota-bytes 40MiB
INT_ROOT=""
for n in "${NAMES[@]}"; do
  check_rc "put $n (${SIZES[$n]} B) into @~" 0 ctl put "$W/$n" "@~/d/$n.bin"
  check_eq "... the SDK reads it under svc/stage/user/root/" "$(sha "$W/$n")" \
    "$(azutil sha "$AZ_CONTAINER" "svc/stage/user/root/d/$n.bin")"
  check_rc "... get it back" 0 ctl get "@~/d/$n.bin" "$W/back_$n"
  check_eq "... sha256" "$(sha "$W/$n")" "$(sha "$W/back_$n")"
  check_rc "put $n into @int" 0 ctl put "$W/$n" "@int/$n.bin"
  if [ -z "$INT_ROOT" ]; then # the internal stage's directory: its name and incarnation
    INT_ROOT=$(azutil list "$AZ_CONTAINER" svc/stage/internal/ | sed -n 's|^\(svc/stage/internal/int/[^/]*/\).*|\1|p' | head -1)
    check_ne "... the SDK finds the stage's directory" "" "$INT_ROOT"
  fi
  check_eq "... the SDK reads it under $INT_ROOT" "$(sha "$W/$n")" \
    "$(azutil sha "$AZ_CONTAINER" "${INT_ROOT}$n.bin")"
  check_rc "... get it back" 0 ctl get "@int/$n.bin" "$W/iback_$n"
  check_eq "... sha256" "$(sha "$W/$n")" "$(sha "$W/iback_$n")"
done
check_eq "a block + 1: two blocks" "$BLK 1" "$(azutil blocks "$AZ_CONTAINER" svc/stage/user/root/d/bp1.bin)"
check_eq "a block exactly: one" "$BLK" "$(azutil blocks "$AZ_CONTAINER" svc/stage/user/root/d/b.bin)"
check_contains "metadata: sha256" "$(azutil props "$AZ_CONTAINER" svc/stage/user/root/d/one.bin)" \
  "\"sha256\":\"$(sha "$W/one")\""
check_contains "... and creator" "$(azutil props "$AZ_CONTAINER" svc/stage/user/root/d/one.bin)" \
  '"creator":"root"'
check_rc "ls @~/d/" 0 py list @~/d/
check_eq "... the five files" "d/b.bin d/bm1.bin d/bp1.bin d/one.bin d/zero.bin" \
  "$(jget "$OUT" '" ".join(sorted(f["name"] for f in j))')"
USED=$((3 * BLK + 1))
check_rc "stage desc @int" 0 ctl --json stage desc int
check_contains "... counts the bytes stored" "$OUT" "$USED"

# --- quota: what would pass 40 MiB is refused, nothing stored
mkrand "$W/big" $((20 << 20))
check_rc "a 20 MiB file into @int (24 MiB + 1 used, 40 MiB quota)" 1 ctl put "$W/big" @int/big.bin
check_contains "... RESOURCE_EXHAUSTED" "$ERR" "RESOURCE_EXHAUSTED"
check_eq "... nothing stored" missing "$(azutil sha "$AZ_CONTAINER" "${INT_ROOT}big.bin")"

# --- server-side copy from @~ to @int (the same container)
check_rc "cp @~/d/bp1.bin @int/copied/" 0 ctl cp @~/d/bp1.bin @int/copied/ --wait
check_eq "... the SDK reads the copy" "$(sha "$W/bp1")" "$(azutil sha "$AZ_CONTAINER" "${INT_ROOT}copied/bp1.bin")"

# --- PresignFile: service SAS URLs on the configured storage, used with curl
for n in zero one bp1; do
  check_rc "presign @~/d/$n.bin" 0 py presign "@~/d/$n.bin"
  url=$(jget "$OUT" 'j["url"]')
  check_contains "... a SAS URL of the blob under the root" "$url" "/$AZ_CONTAINER/svc/stage/user/root/d/$n.bin?"
  check_eq "... curl GET: 200" 200 "$(curl -s -o "$W/pre_$n" -w '%{http_code}' "$url" || echo curl-failed)"
  check_eq "... sha256" "$(sha "$W/$n")" "$(sha "$W/pre_$n")"
done
check_rc "presign @int/one.bin" 0 py presign @int/one.bin
check_eq "... curl GET of the internal stage's file" "$(sha "$W/one")" \
  "$(curl -s "$(jget "$OUT" 'j["url"]')" | sha256sum | cut -d' ' -f1)"
check_rc "presign an upload to @int: refused, the stage has a quota" 1 py presign @int/up.csv --upload
check_eq "... FAILED_PRECONDITION" FAILED_PRECONDITION "$(jget "$OUT" 'j["error"]["code"]')"
check_rc "presign an upload to @~/up/p.csv" 0 py presign @~/up/p.csv --upload --content-type text/csv
check_eq "... the reply names the blob type to send" BlockBlob "$(jget "$OUT" 'j["headers"]["x-ms-blob-type"]')"
url=$(jget "$OUT" 'j["url"]')
printf 'id\n1\n' >"$W/p.csv"
check_eq "curl PUT with the reply's headers: 201" 201 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'x-ms-blob-type: BlockBlob' -H 'Content-Type: text/csv' \
    --data-binary @"$W/p.csv" "$url" || echo curl-failed)"
check_eq "... the SDK reads it" "$(sha "$W/p.csv")" "$(azutil sha "$AZ_CONTAINER" svc/stage/user/root/up/p.csv)"
check_rc "... and the service serves it" 0 ctl get @~/up/p.csv "$W/p.back"
check_eq "... sha256" "$(sha "$W/p.csv")" "$(sha "$W/p.back")"
check_eq "a download URL does not upload" 403 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'x-ms-blob-type: BlockBlob' --data-binary @"$W/p.csv" \
    "$(py presign @~/d/one.bin | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["url"])')" || echo curl-failed)"

# --- remove
check_rc "rm @~/d/one.bin" 0 ctl rm @~/d/one.bin
check_eq "... gone for the SDK" missing "$(azutil sha "$AZ_CONTAINER" svc/stage/user/root/d/one.bin)"
check_rc "rm -r @int/" 0 ctl rm -r @int/
check_eq "... nothing left of @int" "" "$(azutil list "$AZ_CONTAINER" "$INT_ROOT")"
check_eq "nothing outside the root" "" "$(azutil list "$AZ_CONTAINER" "" | grep -v '^svc/' || true)"
e2e_finish
