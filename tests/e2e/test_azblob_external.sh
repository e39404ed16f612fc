#!/usr/bin/env bash
# test_azblob_external.sh - external azblob://container/path/ stages on the azurite
# emulator (which checks SharedKey signatures), on a stack whose own storage is fs:
# CreateStage probes the store, so a wrong account key is FAILED_PRECONDITION and no
# stage is created; with the right options files go up (Put Block + Put Block List),
# down (ranged Get Blob), are listed (List Blobs in pages of 25 with markers, and after a
# name), stat'ed, presigned (SAS URLs used with curl) and removed
# (one by one and with a pattern), and @azure/storage-blob (azutil.js) sees them under
# the stage's path with sha256 equal: sizes 0, 1, 8 MiB - 1, 8 MiB + 1 (the block size)
# and 20 MiB (blocks in parallel).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init azblob_external
start_azurite
CTR=stage-ext
azutil mkcontainer "$CTR"
e2e_start
login_root
E2E_SECRETS+=("$AZ_KEY")

W="$T/work"
WRONG_KEY=$(head -c 64 /dev/urandom | base64 -w0)
conn() { # the connection options with account key $1
  printf -- '--conn\nendpoint_url=%s\n--conn\naccount_name=%s\n--conn\naccount_key=%s\n' \
    "$AZ_ENDPOINT" "$AZ_ACCOUNT" "$1"
}
mapfile -t GOOD < <(conn "$AZ_KEY")
mapfile -t BAD < <(conn "$WRONG_KEY")

# --- a wrong key: refused at CreateStage, nothing created, the key not echoed
check_rc "create a stage with a wrong account key" 1 ctl stage create bad --url "azblob://$CTR/bad/" "${BAD[@]}"
check_contains "... FAILED_PRECONDITION" "$ERR" "FAILED_PRECONDITION"
check_contains "... with Azure's answer" "$ERR" "HTTP 403"
check_eq "... without the key" "" "$(printf '%s' "$ERR" | grep -o -F "$WRONG_KEY" || true)"
check_rc "... and the stage does not exist" 1 ctl stage desc bad

# --- an endpoint the guard does not allow (storage.endpoint_allow is 127.0.0.1 here)
check_rc "an azblob stage on 127.0.0.2" 1 ctl stage create ssrf --url "azblob://$CTR/x/" \
  --conn endpoint_url=http://127.0.0.2:1/devstoreaccount1 --conn "account_name=$AZ_ACCOUNT" \
  --conn "account_key=$AZ_KEY"
check_contains "... INVALID_ARGUMENT, a loopback address" "$ERR" "loopback address"

# --- the right options
check_rc "create ext with the right options" 0 ctl stage create ext --url "azblob://$CTR/data/" "${GOOD[@]}"
mkrand "$W/empty" 0
mkrand "$W/one" 1
# blocks of upload.object_part_size (8 MiB by default): a block boundary - 1 and + 1,
# and 20 MiB in three blocks sent in parallel
mkrand "$W/b_minus" $(((8 << 20) - 1))
mkrand "$W/b_plus" $(((8 << 20) + 1))
mkrand "$W/big" $((20 << 20))
for f in empty one b_minus b_plus big; do
  check_rc "put $f into @ext" 0 ctl put "$W/$f" "@ext/in/$f.bin"
  check_eq "the SDK reads $f from $CTR/data/in/" "$(sha "$W/$f")" "$(azutil sha "$CTR" "data/in/$f.bin")"
  check_rc "get $f back" 0 ctl get "@ext/in/$f.bin" "$W/back_$f"
  check_eq "... sha256" "$(sha "$W/$f")" "$(sha "$W/back_$f")"
done
check_eq "20 MiB: committed as blocks of 8, 8 and 4 MiB" "$((8 << 20)) $((8 << 20)) $((4 << 20))" \
  "$(azutil blocks "$CTR" data/in/big.bin)"
check_eq "8 MiB + 1: two blocks" "$((8 << 20)) 1" "$(azutil blocks "$CTR" data/in/b_plus.bin)"
check_contains "metadata: sha256 and creator stored" "$(azutil props "$CTR" data/in/one.bin)" \
  "\"sha256\":\"$(sha "$W/one")\""
check_contains "... creator" "$(azutil props "$CTR" data/in/one.bin)" '"creator":"root"'
printf 'x' >"$W/x"
azutil put "$CTR" outside/keep.csv "$W/x"
check_rc "ls @ext/" 0 ctl --json ls @ext/
check_eq "... the stage's files only, named inside the stage" \
  "in/b_minus.bin in/b_plus.bin in/big.bin in/empty.bin in/one.bin" \
  "$(printf '%s\n' "$OUT" | "$PY" -c 'import json,sys; print(" ".join(sorted(json.loads(l)["name"] for l in sys.stdin if l.strip())))')"
check_rc "stat @ext/in/big.bin" 0 ctl --json stat @ext/in/big.bin
check_eq "... size" $((20 << 20)) "$(jget "$OUT" 'j["size"]')"
check_rc "put without --overwrite over an existing file" 1 ctl put "$W/one" @ext/in/big.bin
check_contains "... ALREADY_EXISTS" "$ERR" "ALREADY_EXISTS"
check_eq "... and big.bin is unchanged" "$(sha "$W/big")" "$(azutil sha "$CTR" data/in/big.bin)"
check_rc "put --overwrite replaces it" 0 ctl put --overwrite "$W/one" @ext/in/big.bin
check_eq "... the SDK reads the new content" "$(sha "$W/one")" "$(azutil sha "$CTR" data/in/big.bin)"

# --- presigned URLs (a service SAS), used with curl
check_rc "presign @ext/in/b_plus.bin" 0 py presign @ext/in/b_plus.bin
check_eq "curl GET of the SAS URL" 200 \
  "$(curl -s -o "$W/pre" -w '%{http_code}' "$(jget "$OUT" 'j["url"]')" || echo curl-failed)"
check_eq "... sha256" "$(sha "$W/b_plus")" "$(sha "$W/pre")"
check_rc "presign an upload of @ext/up/p.csv" 0 py presign @ext/up/p.csv --upload --content-type text/csv
check_eq "... the reply names the blob type to send" BlockBlob "$(jget "$OUT" 'j["headers"]["x-ms-blob-type"]')"
printf 'id\n1\n' >"$W/p.csv"
check_eq "curl PUT with the reply's headers" 201 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'x-ms-blob-type: BlockBlob' -H 'Content-Type: text/csv' \
    --data-binary @"$W/p.csv" "$(jget "$OUT" 'j["url"]')" || echo curl-failed)"
check_eq "... the SDK reads it" "$(sha "$W/p.csv")" "$(azutil sha "$CTR" data/up/p.csv)"
check_contains "... with its content type" "$(azutil props "$CTR" data/up/p.csv)" '"type":"text/csv"'

# --- listing over several pages (List Blobs markers): 120 small files
for i in $(seq -w 1 120); do printf '%s' "$i" >"$W/many_$i"; done
for i in $(seq -w 1 120); do ctl put "$W/many_$i" "@ext/many/f$i.csv" >/dev/null || fail "put many $i"; done
check_eq "the SDK lists 120 files" 120 "$(azutil list "$CTR" data/many/ | wc -l)"
check_rc "ls @ext/many/" 0 ctl --json ls @ext/many/
check_eq "... 120 files" 120 "$(printf '%s\n' "$OUT" | grep -c '"name"')"
# pages of 25: the worker's lister asks List Blobs for 25 and follows NextMarker
pages=$(pyrun <<'PY'
import os, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
names = [f.name for f in c.list("@ext/many/", page_size=25)]
print(len(names), names == sorted(names), len(set(names)), names[0], names[-1])
after = [f.name for f in c.list("@ext/many/", page_size=25, start_after=names[59])]
print(len(after), after[0])
PY
)
check_eq "ListFiles in pages of 25: 120 names, sorted, distinct" "120 True 120 many/f001.csv many/f120.csv" \
  "$(printf '%s\n' "$pages" | sed -n 1p)"
check_eq "... start_after the 60th: the 60 after it" "60 many/f061.csv" "$(printf '%s\n' "$pages" | sed -n 2p)"

# --- remove
check_rc "rm @ext/in/one.bin" 0 ctl rm @ext/in/one.bin
check_eq "... gone for the SDK" missing "$(azutil sha "$CTR" data/in/one.bin)"
check_rc "rm @ext/many/ --pattern 'f0[0-9][0-9][.]csv'" 0 ctl rm @ext/many/ --pattern 'f0[0-9][0-9][.]csv'
check_eq "... 21 left (100-120)" 21 "$(azutil list "$CTR" data/many/ | wc -l)"
check_eq "... outside the stage untouched" "$(sha "$W/x")" "$(azutil sha "$CTR" outside/keep.csv)"

e2e_finish
