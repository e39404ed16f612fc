#!/usr/bin/env bash
# tests/bench/clouds.sh BIG_MIB LIST_N COPY_MIB quick|full - the Azure Blob and GCS
# table and the copy matrix of tests/bench/run.sh (run it through run.sh --clouds).
# EMULATORS, NOT THE CLOUDS: azurite 3.35.0 (blobs on disk, E2E_AZ_DISK=1), the GCS
# fake tests/e2e/gcsfake.py (Python, one thread per request) and s3rver; the figures
# say what the service costs against another client of the same emulator in the same
# run, not what Azure or Google would give.
# One stack (fs storage for @~) with external stages on the emulators:
# @az (azblob://bench/data/), @g (gcs://bench-gcs/data/) and @s3 (s3://bench-ext/data/).
#   azblob and gcs: upload/download of one BIG_MIB file: ctl put/get vs the independent
#     client to the same emulator: @azure/storage-blob uploadFile/downloadToFile
#     (tests/e2e/azutil.js, the SDK's defaults), and for GCS plain HTTP requests with a
#     token from the fake's token endpoint (tests/bench/gcsdirect.py: a resumable upload
#     in 8 MiB chunks, one GET ?alt=media).
#   ListFiles of LIST_N objects: ctl ls --json vs the client's listing (the SDK's
#     listBlobsFlat in pages of 5000; objects.list in pages of 1000). The azblob objects
#     are made with the SDK (64 uploads at a time); the GCS ones are written straight
#     into the fake's directory (its .data + .json files), as s3.sh does for s3rver.
#   copy MiB/s for every ordered pair of fs, s3, azblob, gcs (12): ctl cp --wait of one
#     COPY_MIB file (one sample each), from a source put there through the service.
# Ratios are direct time / service time (1.00 = as fast as direct). The big-file and
# LIST rows are the median of BENCH_SAMPLES (default 3) samples (tests/bench/common.sh).
# shellcheck disable=SC2317 # the helpers below are run through sample / timed
set -euo pipefail
BIG_MIB=$1 LIST_N=$2 COPY_MIB=$3 KIND=$4
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export E2E_STORAGE=fs E2E_AZ_DISK=1 # 1 GiB blobs: on disk, not in azurite's memory
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../e2e/gcslib.sh
. "$SRC/tests/e2e/gcslib.sh"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$SRC/tests/bench/common.sh"
e2e_init bench_clouds
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
W="$T/work"
AZC=bench GBKT=bench-gcs S3X=bench-ext
start_azurite
azutil mkcontainer "$AZC"
start_gcsfake "$GBKT"
CRED=$(gcs_cred "$GCS_KEY")
E2E_SECRETS+=("$CRED")
start_s3rver "$S3X"
export E2E_S3_BUCKET=$S3X
e2e_start
login_root
ctl stage create az --url "azblob://$AZC/data/" --conn "endpoint_url=$AZ_ENDPOINT" \
  --conn "account_name=$AZ_ACCOUNT" --conn "account_key=$AZ_KEY" >/dev/null || broken "stage @az"
ctl stage create g --url "gcs://$GBKT/data/" --conn "endpoint_url=$GCS_EP" \
  --conn "credential=$CRED" >/dev/null || broken "stage @g"
ctl stage create s3 --url "s3://$S3X/data/" --conn "endpoint_url=$S3_ENDPOINT" \
  --conn access_key_id=S3RVER --conn secret_access_key=S3RVER --conn region=us-east-1 >/dev/null ||
  broken "stage @s3"

gcsdirect() { "$PY" "$SRC/tests/bench/gcsdirect.py" "$GCS_EP" "$GBKT" "$GCS_KEY" "$GCS_EMAIL" "$@"; }
BIG_LABEL="${BIG_MIB} MiB"; [ "$BIG_MIB" = 1024 ] && BIG_LABEL="1 GiB"

# --- one big file per backend: the service vs the independent client
log "clouds: one $BIG_LABEL file, $SAMPLES samples per side"
head -c $((BIG_MIB << 20)) /dev/urandom >"$W/big.bin"
want=$(sha "$W/big.bin")
az_put() { azutil put "$AZC" direct/big.bin "$1"; }
az_get() { azutil get "$AZC" direct/big.bin "$1"; }
g_put() { gcsdirect put direct/big.bin "$1"; }
g_get() { gcsdirect get direct/big.bin "$1"; }
az_sha() { azutil sha "$AZC" "$1"; }
g_sha() { gcsfake sha "$GCS_DIR" "$1" || echo missing; }
big_rows() { # NAME STAGE DIRECT_PREFIX(az|g) CLIENT_LABEL_UP CLIENT_LABEL_DN
  local name=$1 st=$2 d=$3 s_up=() d_up=() s_dn=() d_dn=()
  for _ in $(seq "$SAMPLES"); do
    sample s_up q ctl put "$W/big.bin" "@$st/bench/big.bin" --overwrite || broken "$name: put failed"
    sample d_up "${d}_put" "$W/big.bin" || broken "$name: the direct upload failed"
  done
  [ "$("${d}_sha" data/bench/big.bin)" = "$want" ] || broken "$name: the client reads another sha256"
  [ "$("${d}_sha" direct/big.bin)" = "$want" ] || broken "$name: the direct upload differs"
  row "$name: upload $BIG_LABEL (put, wait=true)" "$(per_s "$BIG_MIB" MiB/s 1 "${s_up[@]}")" \
    "$(per_s "$BIG_MIB" MiB/s 1 "${d_up[@]}") ($4)" "$(ratio "$(mid "${d_up[@]}")" "$(mid "${s_up[@]}")")" ""
  for _ in $(seq "$SAMPLES"); do
    rm -f "$W/direct.bin" "$W/got.bin"
    sample d_dn "${d}_get" "$W/direct.bin" || broken "$name: the direct download failed"
    sample s_dn q ctl get "@$st/bench/big.bin" "$W/got.bin" || broken "$name: get failed"
  done
  [ "$(sha "$W/got.bin")" = "$want" ] || broken "$name: the downloaded copy differs"
  [ "$(sha "$W/direct.bin")" = "$want" ] || broken "$name: the direct download differs"
  row "$name: download $BIG_LABEL (get)" "$(per_s "$BIG_MIB" MiB/s 1 "${s_dn[@]}")" \
    "$(per_s "$BIG_MIB" MiB/s 1 "${d_dn[@]}") ($5)" "$(ratio "$(mid "${d_dn[@]}")" "$(mid "${s_dn[@]}")")" ""
  rm -f "$W/direct.bin" "$W/got.bin"
}
big_rows azblob az az "@azure/storage-blob uploadFile" "@azure/storage-blob downloadToFile"
big_rows gcs g g "HTTP resumable, 8 MiB chunks" "HTTP GET alt=media"

# --- LIST
# gcsfake's store: <hex(name)>.data + .json per object, written directly.
mkgcs() { "$PY" -c 'import binascii, hashlib, base64, json, os, sys
d, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
md5 = base64.b64encode(hashlib.md5(b"x").digest()).decode()
for i in range(n):
    name = "%sf%07d.csv" % (prefix, i)
    p = os.path.join(d, binascii.hexlify(name.encode()).decode())
    open(p + ".data", "wb").write(b"x")
    json.dump({"name": name, "size": 1, "md5Hash": md5, "etag": "e%d" % i,
               "updated": "2026-01-01T00:00:00.000Z", "contentType": "text/csv",
               "metadata": {}}, open(p + ".json", "w"))' "$1" "$2" "$3"; }
count_is() { # N CMD...: CMD prints N
  local n=$1 got
  shift
  got=$("$@") || return 1
  [ "$got" -eq "$n" ] && return 0
  echo "bench clouds: $* listed $got of $n" >&2
  return 1
}
ls_json() { ctl --json ls "$1" >"$2"; }
list_row() { # NAME STAGE CLIENT_LABEL DIRECT_CMD...
  local name=$1 st=$2 lbl=$3 s_ls=() d_ls=()
  shift 3
  for _ in $(seq "$SAMPLES"); do
    sample d_ls count_is "$LIST_N" "$@" || broken "$name: the client's listing failed"
    sample s_ls ls_json "@$st/list/" "$W/ls.txt" || broken "$name: ls failed"
    [ "$(wc -l <"$W/ls.txt")" -eq "$LIST_N" ] || broken "$name: ls listed $(wc -l <"$W/ls.txt") of $LIST_N"
  done
  row "$name: ListFiles $LIST_N objects (ls --json)" "$(tspread "${s_ls[@]}"), $(rate "$LIST_N" "$(mid "${s_ls[@]}")") obj/s" \
    "$(tspread "${d_ls[@]}") ($lbl)" "$(ratio "$(mid "${d_ls[@]}")" "$(mid "${s_ls[@]}")")" ""
}
log "clouds: making $LIST_N blobs with @azure/storage-blob"
t=$(timed azutil fill "$AZC" data/list/f "$LIST_N") || broken "azutil fill failed"
log "clouds: ... in $t s; ListFiles, $SAMPLES samples"
list_row azblob az "SDK listBlobsFlat" azutil count "$AZC" data/list/
log "clouds: $LIST_N GCS objects written into the fake's directory; ListFiles, $SAMPLES samples"
mkgcs "$GCS_DIR" data/list/ "$LIST_N"
list_row gcs g "HTTP objects.list" gcsdirect count data/list/

# --- copy MiB/s for every ordered pair (one sample each)
COPY_LABEL="${COPY_MIB} MiB"; [ "$COPY_MIB" = 1024 ] && COPY_LABEL="1 GiB"
log "clouds: copy of one $COPY_LABEL file for the 12 ordered pairs of fs, s3, azblob, gcs"
head -c $((COPY_MIB << 20)) /dev/urandom >"$W/copy.bin"
BK=(fs s3 azblob gcs) ST=("~" s3 az g)
for i in "${!BK[@]}"; do
  ctl put "$W/copy.bin" "@${ST[$i]}/csrc/copy.bin" --overwrite >/dev/null || broken "put into @${ST[$i]}"
done
CM=()
cp_one() { q ctl cp "@$1/csrc/" "@$2/cdst-$3/" --overwrite --wait; }
for i in "${!BK[@]}"; do
  for j in "${!BK[@]}"; do
    if [ "$i" = "$j" ]; then CM+=("-"); continue; fi
    t=$(timed cp_one "${ST[$i]}" "${ST[$j]}" "${BK[$i]}") || broken "cp ${BK[$i]} -> ${BK[$j]} failed"
    sz=$(jget "$(ctl --json stat "@${ST[$j]}/cdst-${BK[$i]}/copy.bin")" 'j["size"]') || broken "stat after cp"
    [ "$sz" = $((COPY_MIB << 20)) ] || broken "cp ${BK[$i]} -> ${BK[$j]}: size $sz"
    CM+=("$(mibs "$COPY_MIB" "$t")")
    log "clouds: cp ${BK[$i]} -> ${BK[$j]}: $t s"
  done
done
rm -f "$W/big.bin" "$W/copy.bin"

echo
echo "== stage service benchmark, Azure Blob and GCS ($KIND): EMULATORS, not the real clouds:"
echo "   azurite 3.35.0 (blobs on disk) and tests/e2e/gcsfake.py (Python), on loopback;"
echo "   $(nproc) CPUs, load average at start $LOAD0 (other jobs on the machine: figures indicative), $(date -u +%Y-%m-%dT%H:%MZ)"
print_table
echo "ratio: direct time / service time (1.00 = as fast as direct); timed rows: median of $SAMPLES samples (min-max)"
echo
echo "== copy MiB/s, one $COPY_LABEL file per ordered pair (ctl cp --wait, one sample; emulators: s3rver, azurite, gcsfake)"
{
  printf 'from \\ to'
  printf '\t%s' "${BK[@]}"
  printf '\n'
  for i in "${!BK[@]}"; do
    printf '%s' "${BK[$i]}"
    for j in "${!BK[@]}"; do printf '\t%s' "${CM[$((i * 4 + j))]}"; done
    printf '\n'
  done
} | awk -F'\t' '{ printf "%-10s", $1; for (i = 2; i <= NF; i++) printf " | %8s", $i; printf "\n" }'
e2e_finish
