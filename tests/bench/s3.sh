#!/usr/bin/env bash
# tests/bench/s3.sh BIG_MIB "LIST_NS" quick|full - the S3 table of tests/bench/run.sh
# (run it through run.sh --s3). A stack with storage.type s3 against s3rver, and
# boto3 (tests/e2e/s3util.py) talking to the same emulator as the direct client:
#   upload/download of one BIG_MIB file: ctl put/get vs boto3 upload_file/download_file
#   ListFiles of N objects: ctl ls --json vs a boto3 list_objects_v2 paginator
#   the workers' peak RSS (VmHWM) right after the upload, the first thing they do.
# Ratios are direct time / service time (1.00 = as fast as direct). Each timed
# row is the median of BENCH_SAMPLES (default 3) samples of both sides, with
# their spread as (min-max) (tests/bench/common.sh).
# shellcheck disable=SC2317 # the helpers below are run through sample / timed
set -euo pipefail
BIG_MIB=$1 LIST_NS=$2 KIND=$3
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export E2E_STORAGE=s3
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$SRC/tests/bench/common.sh"
e2e_init bench_s3
e2e_start
login_root
W="$T/work"
P=stage/user/root # root's @~ in the bucket

# --- one big file
log "S3: one ${BIG_MIB} MiB file, $SAMPLES samples"
head -c $((BIG_MIB << 20)) /dev/urandom >"$W/big.bin"
want=$(sha "$W/big.bin")
s_up=() d_up=() s_dn=() d_dn=()
rss=""
for _ in $(seq "$SAMPLES"); do
  sample s_up q ctl put "$W/big.bin" @~/bench/big.bin --overwrite || broken "put failed"
  if [ -z "$rss" ]; then # the workers' peak after the first thing they did
    rss=0
    for p in "${WORKER_PIDS[@]}"; do
      k=$(hwm_kib "$p")
      [ "$k" -gt "$rss" ] && rss=$k
    done
  fi
  sample d_up s3util put direct/big.bin "$W/big.bin" || broken "boto3 upload_file failed"
done
[ "$(s3util sha "$P/bench/big.bin")" = "$want" ] || broken "boto3 reads another sha256 than the source's"
row "upload ${BIG_MIB} MiB (put, wait=true)" "$(per_s "$BIG_MIB" MiB/s 1 "${s_up[@]}")" \
  "$(per_s "$BIG_MIB" MiB/s 1 "${d_up[@]}") (boto3 upload_file)" "$(ratio "$(mid "${d_up[@]}")" "$(mid "${s_up[@]}")")" ">= 0.9"
row "worker peak RSS during the first upload" "$(kib_mib "$rss")" "-" "-" "< 100 MiB"
for _ in $(seq "$SAMPLES"); do
  sample d_dn s3util get direct/big.bin "$W/direct.bin" || broken "boto3 download_file failed"
  rm -f "$W/direct.bin" "$W/got.bin"
  sample s_dn q ctl get @~/bench/big.bin "$W/got.bin" || broken "get failed"
done
[ "$(sha "$W/got.bin")" = "$want" ] || broken "downloaded copy differs"
row "download ${BIG_MIB} MiB (get)" "$(per_s "$BIG_MIB" MiB/s 1 "${s_dn[@]}")" \
  "$(per_s "$BIG_MIB" MiB/s 1 "${d_dn[@]}") (boto3 download_file)" "$(ratio "$(mid "${d_dn[@]}")" "$(mid "${s_dn[@]}")")" ""
rm -f "$W/big.bin" "$W/got.bin"

# Objects made directly in s3rver's directory (its file-system store: the content
# and a metadata file per key), as making 100,000 through any S3 client would
# measure s3rver's PUTs rather than listing.
mkobjects() { "$PY" -c 'import hashlib, os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
md5 = hashlib.md5(b"x").hexdigest()
for i in range(n):
    f = os.path.join(d, "f%07d.csv" % i)
    open(f + "._S3rver_object", "wb").write(b"x")
    open(f + "._S3rver_object.md5", "w").write(md5)
    open(f + "._S3rver_metadata.json", "w").write("{\"content-type\": \"text/csv\"}")' "$1" "$2"; }

# --- LIST
s3count() { # PREFIX N: boto3 lists N objects under PREFIX
  local got
  got=$(s3util count "$1") || return 1
  [ "$got" -eq "$2" ] && return 0
  echo "bench s3: boto3 listed $got of $2 objects" >&2
  return 1
}
ls_json() { ctl --json ls "$1" >"$2"; }
for n in $LIST_NS; do
  log "S3: ListFiles of $n objects, $SAMPLES samples"
  mkobjects "$T/s3/$S3_BUCKET/$P/list$n" "$n"
  d_ls=() s_ls=()
  for _ in $(seq "$SAMPLES"); do
    sample d_ls s3count "$P/list$n/" "$n" || broken "boto3 listing failed"
    sample s_ls ls_json "@~/list$n/" "$W/ls.txt" || broken "ls failed"
    [ "$(wc -l <"$W/ls.txt")" -eq "$n" ] || broken "ls of $n objects listed $(wc -l <"$W/ls.txt")"
  done
  row "ListFiles $n objects (ls --json)" "$(tspread "${s_ls[@]}"), $(rate "$n" "$(mid "${s_ls[@]}")") obj/s" \
    "$(tspread "${d_ls[@]}") (boto3 paginator)" "$(ratio "$(mid "${d_ls[@]}")" "$(mid "${s_ls[@]}")")" ">= 0.67 (<= 1.5x time)"
  rm -rf "$T/s3/$S3_BUCKET/$P/list$n"
done

echo
echo "== stage service benchmark, S3 ($KIND): $(nproc) CPUs, s3rver 5.0.0 on loopback, $(date -u +%Y-%m-%dT%H:%MZ)"
print_table
echo "ratio: direct time / service time (1.00 = as fast as direct); timed rows: median of $SAMPLES samples (min-max)"
e2e_finish
