#!/usr/bin/env bash
# test_azblob_copy.sh - server-side copies on azblob stages (azurite): `stagectl cp`
# inside one stage and between two stages of one account is a Copy Blob From URL per
# file (the source read through a read-only service SAS): azurite's debug log shows one
# Blob_CopyFromURL per file and no Blob_Download at all while the copies run, so no byte
# passed through the worker; @azure/storage-blob (azutil.js) reads every copy with the
# source's sha256, and the copy carries the sha256 and creator metadata. Sizes 0, 1 and
# the 8 MiB block size - 1 and + 1, and 256 MiB + 1: above Copy Blob From URL's limit the
# copy is Put Block From URL per block, which azurite 3.35.0 answers 501 Not Implemented,
# so it is one asynchronous Copy Blob (polled; azurite ends it at once). Without
# --overwrite an existing target is SKIPPED. Behind a proxy that answers Copy Blob From
# URL 501 (azoldproxy.py) a copy is one asynchronous Copy Blob.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init azblob_copy
E2E_AZ_DEBUG=1 start_azurite
CTR=stage-cp
azutil mkcontainer "$CTR"
e2e_start
login_root
E2E_SECRETS+=("$AZ_KEY")
W="$T/work"
DLOG="$T/logs/azurite-debug.log"
GOOD=(--conn "endpoint_url=$AZ_ENDPOINT" --conn "account_name=$AZ_ACCOUNT" --conn "account_key=$AZ_KEY")
check_rc "stage a on $CTR/a/" 0 ctl stage create a --url "azblob://$CTR/a/" "${GOOD[@]}"
check_rc "stage b on $CTR/b/ (same account)" 0 ctl stage create b --url "azblob://$CTR/b/" "${GOOD[@]}"

FILES="empty one b_minus b_plus"
mkrand "$W/empty" 0
mkrand "$W/one" 1
mkrand "$W/b_minus" $(((8 << 20) - 1))
mkrand "$W/b_plus" $(((8 << 20) + 1))
for f in $FILES; do
  check_rc "put $f into @a/in/" 0 ctl put "$W/$f" "@a/in/$f.bin"
done
ops() { azlog_count "$@"; }
cp_server_side() { # FROM TO: the copy job succeeds, as 4 Copy Blob From URL and no Get Blob
  local dl cf
  azlog_mark
  dl=$(ops Blob_Download)
  cf=$(ops Blob_CopyFromURL)
  check_rc "cp $1 $2 --wait" 0 ctl --json cp "$1" "$2" --wait
  azlog_mark
  check_eq "... azurite: one Copy Blob From URL per file" 4 $(($(ops Blob_CopyFromURL) - cf))
  check_eq "... azurite: no Get Blob (no byte through the worker)" 0 $(($(ops Blob_Download) - dl))
}

# --- inside one stage
cp_server_side @a/in/ @a/copy/
for f in $FILES; do
  check_eq "@a/copy/$f.bin: the SDK reads the source's sha256" "$(sha "$W/$f")" \
    "$(azutil sha "$CTR" "a/copy/$f.bin")"
done
check_contains "... the sha256 metadata came with it" "$(azutil props "$CTR" a/copy/b_plus.bin)" \
  "\"sha256\":\"$(sha "$W/b_plus")\""
check_contains "... and the creator" "$(azutil props "$CTR" a/copy/one.bin)" '"creator":"root"'

# --- between two stages of the account
cp_server_side @a/in/ @b/from_a/
for f in $FILES; do
  check_eq "@b/from_a/$f.bin: the SDK reads the source's sha256" "$(sha "$W/$f")" \
    "$(azutil sha "$CTR" "b/from_a/$f.bin")"
done
check_rc "get @b/from_a/b_minus.bin back through the stage" 0 ctl get @b/from_a/b_minus.bin "$W/back"
check_eq "... sha256" "$(sha "$W/b_minus")" "$(sha "$W/back")"

# --- above 256 MiB (Copy Blob From URL's limit): Put Block From URL per block, which
# azurite 3.35.0 does not implement (501), so one asynchronous Copy Blob, polled
mkrand "$W/huge" $(((256 << 20) + 1))
check_rc "put 256 MiB + 1 into @a/big/" 0 ctl put "$W/huge" @a/big/huge.bin
huge_gets() { # Get Blob of the source, but azurite's own check of the SAS (?comp=metadata)
  grep -a "RequestMethod=GET RequestURL=[^ ]*/a/big/huge[.]bin" "$DLOG" | grep -avc "comp=metadata" || true
}
azlog_mark
gets=$(huge_gets)
check_rc "cp @a/big/huge.bin @b/big/ --wait" 0 ctl --json cp @a/big/huge.bin @b/big/ --wait
azlog_mark
check_rc "... azurite was asked for Put Block From URL" 0 test "$(ops BlockBlob_StageBlockFromURL)" -ge 1
check_eq "... and copied with one Copy Blob" 1 "$(ops Blob_StartCopyFromURL)"
check_eq "... no Get Blob of the source (no byte through the worker)" "$gets" "$(huge_gets)"
check_eq "... the SDK reads the source's sha256" "$(sha "$W/huge")" "$(azutil sha "$CTR" b/big/huge.bin)"
check_contains "... with the sha256 metadata" "$(azutil props "$CTR" b/big/huge.bin)" \
  "\"sha256\":\"$(sha "$W/huge")\""
rm -f "$W/huge"

# --- a service without the synchronous copy (azoldproxy.py answers it 501): Copy Blob
start_azold
PLOG=$AZOLD_LOG
check_rc "stage old on $CTR/old/ through the proxy" 0 ctl stage create old --url "azblob://$CTR/old/" \
  --conn "endpoint_url=$AZOLD_ENDPOINT" --conn "account_name=$AZ_ACCOUNT" --conn "account_key=$AZ_KEY"
check_rc "put b_plus into @old/" 0 ctl put "$W/b_plus" @old/src.bin
azlog_mark
sc=$(ops Blob_StartCopyFromURL)
check_rc "cp @old/src.bin @old/dst.bin --wait" 0 ctl --json cp @old/src.bin @old/dst.bin --wait
azlog_mark
check_eq "... Copy Blob From URL answered 501" 1 "$(grep -c '^PUT [^ ]*/old/dst[.]bin 501$' "$PLOG" || true)"
check_eq "... then one Copy Blob" 1 $(($(ops Blob_StartCopyFromURL) - sc))
check_eq "... no Get Blob of the source through the proxy" 0 "$(grep -c '^GET [^ ]*/old/src[.]bin ' "$PLOG" || true)"
check_eq "... the SDK reads the source's sha256" "$(sha "$W/b_plus")" "$(azutil sha "$CTR" old/dst.bin)"

# --- without --overwrite an existing target is skipped, with it replaced
check_rc "put one over @b/from_a/empty.bin" 0 ctl put --overwrite "$W/one" @b/from_a/empty.bin
check_rc "cp again without --overwrite" 0 ctl --json cp @a/in/empty.bin @b/from_a/ --wait
check_eq "... the target kept" "$(sha "$W/one")" "$(azutil sha "$CTR" b/from_a/empty.bin)"
check_rc "cp --overwrite" 0 ctl --json cp @a/in/empty.bin @b/from_a/ --overwrite --wait
check_eq "... the target replaced" "$(sha "$W/empty")" "$(azutil sha "$CTR" b/from_a/empty.bin)"
e2e_finish
