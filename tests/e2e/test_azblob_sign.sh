#!/usr/bin/env bash
# test_azblob_sign.sh - the project's Azure signing (storage/azblob/azsign.c, azurl.c)
# against the azurite emulator, which checks SharedKey and SAS signatures: requests
# signed by azsign_tool and sent with curl (Put Blob, Put Block + Put Block List, ranged
# Get Blob, Get Blob Properties, List Blobs, Delete Blob), and SAS URLs made by
# azurl_presign() used with curl. Every blob is checked with @azure/storage-blob
# (azutil.js): sizes 0, 1, a block boundary + 1 and 20 MiB in blocks, sha256 equal.
# No stack: the azblob backend itself is not wired yet (issue 15).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init azblob_sign
start_azurite

TOOL="$STAGE_BIN_DIR/storage/azsign_tool"
[ -x "$TOOL" ] || die "no $TOOL (build with STAGE_BUILD_TESTS=ON)"
CTR=stage-e2e
SIGN_KEY=$AZ_KEY
azutil mkcontainer "$CTR"

# az_req METHOD PATH [q:NAME=VALUE]... [h:NAME=VALUE]... [-- CURL_ARGS...]: send a
# SharedKey-signed request (x-ms-date and x-ms-version added); prints the HTTP status,
# the body goes to $T/resp, the headers to $T/resp.h.
az_req() {
  local method=$1 path=$2 kv auth qs date
  shift 2
  local q=() h=() qargs=() hargs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    case $1 in q:*) q+=("$1") ;; h:*) h+=("$1") ;; *) die "az_req: bad argument $1" ;; esac
    shift
  done
  [ "${1:-}" = -- ] && shift
  date=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
  h+=("h:x-ms-date=$date" "h:x-ms-version=2021-12-02")
  auth=$(AZ_KEY=$SIGN_KEY "$TOOL" sign "$AZ_ACCOUNT" "$method" "$path" ${q[@]+"${q[@]}"} "${h[@]}")
  for kv in ${q[@]+"${q[@]}"}; do qargs+=("${kv#q:}"); done
  qs=$("$TOOL" query ${qargs[@]+"${qargs[@]}"})
  hargs=(-H "Authorization: $auth")
  # curl's own Content-Type (form data) would be sent unsigned: drop it unless signed
  printf '%s\n' "${h[@]}" | grep -qi '^h:content-type=' || hargs+=(-H "Content-Type:")
  for kv in "${h[@]}"; do
    kv=${kv#h:}
    hargs+=(-H "${kv%%=*}: ${kv#*=}")
  done
  local m=(-X "$method")
  [ "$method" = HEAD ] && m=(-I)
  curl -s -o "$T/resp" -D "$T/resp.h" -w '%{http_code}' "${m[@]}" "${hargs[@]}" "$@" \
    "http://127.0.0.1:$AZ_PORT$path${qs:+?$qs}"
}

enc_path() { printf '/%s/%s/%s' "$AZ_ACCOUNT" "$CTR" "$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/-_.~"))' "$1")"; }

# Put Blob of FILE as BLOB in one request.
put_blob() {
  local n
  n=$(stat -c %s "$2")
  az_req PUT "$(enc_path "$1")" h:Content-Length="$n" h:x-ms-blob-type=BlockBlob \
    h:x-ms-meta-creator=e2e -- --data-binary @"$2"
}

# Put Block for each BLOCK-byte slice of FILE, then Put Block List.
put_blocks() {
  local blob=$1 file=$2 bs=$3 size i=0 off=0 id ids=() st body
  size=$(stat -c %s "$file")
  while [ "$off" -lt "$size" ] || [ "$i" = 0 ]; do
    id=$(printf 'block-%06d' "$i" | base64)
    head -c $((off + bs)) "$file" | tail -c +$((off + 1)) >"$T/block"
    st=$(az_req PUT "$(enc_path "$blob")" q:comp=block q:blockid="$id" \
      h:Content-Length="$(stat -c %s "$T/block")" -- --data-binary @"$T/block")
    [ "$st" = 201 ] || { echo "put block $i: $st $(cat "$T/resp")"; return 1; }
    ids+=("$id")
    i=$((i + 1))
    off=$((off + bs))
  done
  body='<?xml version="1.0" encoding="utf-8"?><BlockList>'
  for id in "${ids[@]}"; do body+="<Latest>$id</Latest>"; done
  body+='</BlockList>'
  printf '%s' "$body" >"$T/blocklist.xml"
  st=$(az_req PUT "$(enc_path "$blob")" q:comp=blocklist \
    h:Content-Length="$(stat -c %s "$T/blocklist.xml")" h:Content-Type=application/xml \
    h:x-ms-meta-sha256="$(sha "$file")" -- --data-binary @"$T/blocklist.xml")
  [ "$st" = 201 ] || { echo "put block list: $st $(cat "$T/resp")"; return 1; }
  echo ok
}

log "SharedKey: Put Blob, sizes 0 and 1"
: >"$T/work/zero"
mkrand "$T/work/one" 1
check_eq "put blob 0 bytes" 201 "$(put_blob "dir/zero" "$T/work/zero")"
check_eq "put blob 1 byte" 201 "$(put_blob "dir/one" "$T/work/one")"
check_eq "0 bytes: sha256 by the SDK" "$(sha "$T/work/zero")" "$(azutil sha "$CTR" dir/zero)"
check_eq "1 byte: sha256 by the SDK" "$(sha "$T/work/one")" "$(azutil sha "$CTR" dir/one)"
check_contains "metadata as sent" "$(azutil props "$CTR" dir/one)" '"creator":"e2e"'

log "SharedKey: Put Block + Put Block List (a block boundary + 1, and 20 MiB)"
mkrand "$T/work/b1" $((2 * 1024 * 1024 + 1))
check_eq "blocks: 2 MiB + 1 in 1 MiB blocks" ok "$(put_blocks "dir/a b+c.bin" "$T/work/b1" $((1024 * 1024)))"
check_eq "blocks: sha256 by the SDK" "$(sha "$T/work/b1")" "$(azutil sha "$CTR" "dir/a b+c.bin")"
mkrand "$T/work/big" $((20 * 1024 * 1024))
check_eq "blocks: 20 MiB in 4 MiB blocks" ok "$(put_blocks "big/x.bin" "$T/work/big" $((4 * 1024 * 1024)))"
check_eq "20 MiB: sha256 by the SDK" "$(sha "$T/work/big")" "$(azutil sha "$CTR" big/x.bin)"

log "SharedKey: ranged Get Blob, Get Blob Properties, List Blobs, Delete Blob"
check_eq "ranged get: 206" 206 "$(az_req GET "$(enc_path "dir/a b+c.bin")" h:x-ms-range=bytes=1048570-1048589)"
check_eq "ranged get: the bytes" "$(head -c 1048590 "$T/work/b1" | tail -c 20 | sha256sum | cut -d' ' -f1)" "$(sha "$T/resp")"
check_eq "properties: 200" 200 "$(az_req HEAD "$(enc_path big/x.bin)")"
check_contains "properties: length" "$(tr -d '\r' <"$T/resp.h" | tr '[:upper:]' '[:lower:]')" "content-length: $((20 * 1024 * 1024))"
check_eq "list with prefix: 200" 200 "$(az_req GET "/$AZ_ACCOUNT/$CTR" q:restype=container q:comp=list q:prefix=dir/ q:maxresults=2)"
check_contains "list: first page" "$(cat "$T/resp")" "<Name>dir/a b+c.bin</Name><Properties>"
check_contains "list: a marker for the next page" "$(cat "$T/resp")" "<NextMarker>dir/"
marker=$(sed -n 's:.*<NextMarker>\([^<]*\)</NextMarker>.*:\1:p' "$T/resp")
check_eq "list page 2: 200" 200 "$(az_req GET "/$AZ_ACCOUNT/$CTR" q:restype=container q:comp=list q:prefix=dir/ q:maxresults=2 q:marker="$marker")"
check_contains "list page 2: the rest" "$(cat "$T/resp")" "<Name>dir/zero</Name>"
check_eq "delete blob: 202" 202 "$(az_req DELETE "$(enc_path dir/one)")"
check_eq "deleted: the SDK finds nothing" missing "$(azutil sha "$CTR" dir/one)"
check_eq "SDK list after the delete" "$(printf 'dir/a b+c.bin\ndir/zero')" "$(azutil list "$CTR" dir/)"

log "SharedKey: a wrong key is refused"
SIGN_KEY=$(head -c 64 /dev/urandom | base64 -w0)
check_eq "wrong key: 403" 403 "$(az_req GET "$(enc_path dir/zero)")"
SIGN_KEY=$AZ_KEY

log "SAS: download and upload URLs with curl"
printf 'id,name\n1,alice\n' >"$T/work/s.csv"
azutil put "$CTR" "s/x y+z.csv" "$T/work/s.csv"
url=$(AZ_KEY=$AZ_KEY "$TOOL" presign "$AZ_ENDPOINT" "$AZ_ACCOUNT" "$CTR" "s/x y+z.csv" get 300 text/csv)
check_eq "SAS get: 200" 200 "$(curl -s -o "$T/got" -D "$T/got.h" -w '%{http_code}' "$url")"
check_eq "SAS get: the bytes" "$(sha "$T/work/s.csv")" "$(sha "$T/got")"
check_contains "SAS get: rsct answers the content type" "$(tr -d '\r' <"$T/got.h" | tr '[:upper:]' '[:lower:]')" "content-type: text/csv"
check_eq "SAS get, signature tampered: 403" 403 "$(curl -s -o /dev/null -w '%{http_code}' "${url%???}AA%3D")"
check_eq "SAS get used to PUT: 403" 403 "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'x-ms-blob-type: BlockBlob' --data-binary @"$T/work/s.csv" "$url")"
up=$(AZ_KEY=$AZ_KEY "$TOOL" presign "$AZ_ENDPOINT" "$AZ_ACCOUNT" "$CTR" "s/up load.bin" put 300)
mkrand "$T/work/up" 300000
check_eq "SAS put: 201" 201 "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'x-ms-blob-type: BlockBlob' -H 'Content-Type:' --data-binary @"$T/work/up" "$up")"
check_eq "SAS put: sha256 by the SDK" "$(sha "$T/work/up")" "$(azutil sha "$CTR" "s/up load.bin")"
short=$(AZ_KEY=$AZ_KEY "$TOOL" presign "$AZ_ENDPOINT" "$AZ_ACCOUNT" "$CTR" "s/x y+z.csv" get 1)
sleep 2
check_eq "SAS get after its expiry: 403" 403 "$(curl -s -o /dev/null -w '%{http_code}' "$short")"

E2E_SECRETS+=("$AZ_KEY")
e2e_finish
