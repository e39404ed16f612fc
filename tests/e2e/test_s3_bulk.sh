#!/usr/bin/env bash
# test_s3_bulk.sh - S3 only (starts s3rver whatever E2E_STORAGE says): 3,000
# objects put by boto3 under @~/bulk/ are listed whole through the service
# (several ListObjectsV2 pages); RemoveFiles with a pattern deletes the 2,500
# .csv among them (three DeleteObjects batches) and boto3, listing the bucket
# independently, sees exactly the 500 others plus a neighbour outside the prefix.
set -euo pipefail
export E2E_STORAGE=s3
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init s3_bulk
e2e_start
login_root

W="$T/work"
P=stage/user/root
# every sixth key is a .txt, so kept and removed keys interleave across pages and batches
for i in $(seq 0 2999); do
  if [ $((i % 6)) -eq 5 ]; then printf '%s/bulk/f%04d.txt\n' "$P" "$i"; else printf '%s/bulk/f%04d.csv\n' "$P" "$i"; fi
done >"$W/keys"
# a neighbour outside the prefix; not "bulk.csv": s3rver lists the directory "bulk" before
# it (file-system order, not byte order) and its next page then skips it
printf '%s/bulkx/g.csv\n' "$P" >>"$W/keys"
t0=$(date +%s)
s3util putmany "$W/keys" || die "boto3 could not seed the bucket"
log "boto3 put $(wc -l <"$W/keys") objects in $(($(date +%s) - t0)) s"
check_eq "boto3 sees the 3,001 seeded objects" 3001 "$(s3util count "$P/")"

# (the listing is too big for one command-line argument: summarised by a pipe)
py list @~/bulk/ >"$W/list.json" || die "list failed: $(head -c 300 "$W/list.json")"
check_eq "ListFiles @~/bulk/ returns all 3,000 in order with sizes (several S3 pages)" \
  "3000 sorted bulk/f0000.csv 30 bulk/f2999.txt 30" \
  "$("$PY" -c 'import json,sys; j=json.load(sys.stdin); n=[f["name"] for f in j]
print(len(j), "sorted" if n == sorted(n) else "unsorted", j[0]["name"], j[0]["size"], j[-1]["name"], j[-1]["size"])' <"$W/list.json")"

check_rc "rm @~/bulk/ --pattern '.*[.]csv' --wait" 0 ctl --json rm @~/bulk/ --pattern '.*[.]csv' --wait
check_eq "rm job SUCCEEDED" SUCCEEDED "$(jget "$OUT" 'j["job"]["state"]')"
check_eq "rm job files_done" 2500 "$(jget "$OUT" 'j["job"]["files_done"]')"
check_eq "rm reports 2500 matched, 2500 removed" "2500 2500" "$(jget "$OUT" '"%d %d" % (j["matched"], j["removed"])')"
check_eq "boto3 sees exactly the others" \
  "$(grep -v '/bulk/f[0-9]*[.]csv$' "$W/keys" | LC_ALL=C sort)" "$(s3util ls "$P/")"
out=$(py list @~/bulk/)
check_eq "ListFiles agrees: 500 left" 500 "$(jget "$out" 'len(j)')"

e2e_finish
