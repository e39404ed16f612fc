#!/usr/bin/env bash
# tests/bench/s3.sh BIG_MIB "LIST_NS" quick|full - the S3 table of tests/bench/run.sh
# (run it through run.sh --s3). A stack with storage.type s3 against s3rver, and
# boto3 (tests/e2e/s3util.py) talking to the same emulator as the direct client:
#   upload/download of one BIG_MIB file: ctl put/get vs boto3 upload_file/download_file
#   ListFiles of N objects: ctl ls --json vs a boto3 list_objects_v2 paginator
#   the workers' peak RSS (VmHWM) right after the upload, the first thing they do.
# Ratios are direct time / service time (1.00 = as fast as direct).
set -euo pipefail
BIG_MIB=$1 LIST_NS=$2 KIND=$3
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export E2E_STORAGE=s3
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
e2e_init bench_s3
e2e_start
login_root
W="$T/work"
P=stage/user/root # root's @~ in the bucket

ROWS=()
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
row() { ROWS+=("$(printf '%-38s | %-26s | %-34s | %6s | %s' "$@")"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), a / b }'; }
mibs() { awk -v m="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? m / s : 0) }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
broken() {
  echo "bench s3: $*" >&2
  exit 1
}

# --- one big file
log "S3: one ${BIG_MIB} MiB file"
head -c $((BIG_MIB << 20)) /dev/urandom >"$W/big.bin"
want=$(sha "$W/big.bin")
t0=$(now); ctl put "$W/big.bin" @~/bench/big.bin >/dev/null || broken "put failed"; t1=$(now)
s_up=$(secs "$t0" "$t1")
rss=0
for p in "${WORKER_PIDS[@]}"; do
  k=$(hwm_kib "$p")
  [ "$k" -gt "$rss" ] && rss=$k
done
t0=$(now); s3util put direct/big.bin "$W/big.bin" || broken "boto3 upload_file failed"; t1=$(now)
d_up=$(secs "$t0" "$t1")
[ "$(s3util sha "$P/bench/big.bin")" = "$want" ] || broken "boto3 reads another sha256 than the source's"
row "upload ${BIG_MIB} MiB (put, wait=true)" "$(mibs "$BIG_MIB" "$s_up") MiB/s" \
  "$(mibs "$BIG_MIB" "$d_up") MiB/s (boto3 upload_file)" "$(ratio "$d_up" "$s_up")" ">= 0.9"
row "worker peak RSS during that upload" "$(awk -v k="$rss" 'BEGIN { printf "%.1f MiB", k / 1024 }')" "-" "-" "< 100 MiB"
t0=$(now); s3util get direct/big.bin "$W/direct.bin" || broken "boto3 download_file failed"; t1=$(now)
d_dn=$(secs "$t0" "$t1"); rm -f "$W/direct.bin"
t0=$(now); ctl get @~/bench/big.bin "$W/got.bin" >/dev/null || broken "get failed"; t1=$(now)
s_dn=$(secs "$t0" "$t1")
[ "$(sha "$W/got.bin")" = "$want" ] || broken "downloaded copy differs"
row "download ${BIG_MIB} MiB (get)" "$(mibs "$BIG_MIB" "$s_dn") MiB/s" \
  "$(mibs "$BIG_MIB" "$d_dn") MiB/s (boto3 download_file)" "$(ratio "$d_dn" "$s_dn")" ""
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
for n in $LIST_NS; do
  log "S3: ListFiles of $n objects"
  mkobjects "$T/s3/$S3_BUCKET/$P/list$n" "$n"
  t0=$(now); got=$(s3util count "$P/list$n/"); t1=$(now)
  d_ls=$(secs "$t0" "$t1")
  [ "$got" -eq "$n" ] || broken "boto3 listed $got of $n objects"
  t0=$(now); ctl --json ls "@~/list$n/" >"$W/ls.txt" || broken "ls failed"; t1=$(now)
  s_ls=$(secs "$t0" "$t1")
  [ "$(wc -l <"$W/ls.txt")" -eq "$n" ] || broken "ls of $n objects listed $(wc -l <"$W/ls.txt")"
  row "ListFiles $n objects (ls --json)" "${s_ls} s ($(rate "$n" "$s_ls") obj/s)" \
    "${d_ls} s (boto3 paginator)" "$(ratio "$d_ls" "$s_ls")" ">= 0.67 (<= 1.5x time)"
  rm -rf "$T/s3/$S3_BUCKET/$P/list$n"
done

echo
echo "== stage service benchmark, S3 ($KIND): $(nproc) CPUs, s3rver 5.0.0 on loopback, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-38s | %-26s | %-34s | %6s | %s\n' case service direct ratio target
printf '%s\n' "${ROWS[@]}"
echo "ratio: direct time / service time (1.00 = as fast as direct)"
e2e_finish
