#!/usr/bin/env bash
# test_copy_s3.sh - CopyFiles across backends: the configured storage is S3
# (the s3rver emulator, SigV4 checked) and an external stage is fs://, so
# fs -> S3 and S3 -> fs go through the backend interface; a 12 MiB file makes
# the S3 side a multipart upload. S3 -> S3 inside the bucket is a CopyObject
# (s3rver's request log shows no read of the source). Objects are checked with boto3 (an
# independent client) and files on disk, by sha256.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
export E2E_STORAGE=s3 STAGE_STORAGE_ALLOW_FS_URLS=true E2E_S3_LOG=1
e2e_init copy_s3
export STAGE_STORAGE_FS_URL_ROOTS="$T/ext" # the fs:// stage's base (made below)
e2e_start
login_root

EXT="$T/ext"
mkdir -p "$EXT/in/sub"
mkrand "$EXT/in/big.bin" $((12 << 20))
mkrand "$EXT/in/sub/small.bin" 5000
: >"$EXT/in/empty.txt"

cp_wait() { # FROM TO [extra python kwargs] -> final job as JSON
  pyrun "$1" "$2" "${3:-}" <<'EOF'
import json, os, sys, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
kw = eval("dict(%s)" % sys.argv[3])
try:
    j = c.wait_job(c.rpc("CopyFiles", **{"from": sys.argv[1], "to": sys.argv[2]}, **kw).job.id)
    res, _ = c.job_results(j.id)
    print(json.dumps({"state": sc.STATE[j.state], "files_done": j.files_done,
                      "error": j.error_message, "results": sorted(r.status for r in res)}))
except sc.StageError as e:
    print(json.dumps({"state": "RPC " + e.code, "error": e.message}))
EOF
}
export E2E_EXT="$EXT"
check_rc "external fs stage" 0 pyrun <<'EOF'
import os, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
c.rpc("CreateStage", name="ext", url="fs://%s/" % os.environ["E2E_EXT"])
EOF

out=$(cp_wait @ext/in/ @~/fromfs/)
check_eq "fs -> S3: SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]')"
check_eq "fs -> S3: 3 files" 3 "$(jget "$out" 'j["files_done"]')"
for f in big.bin sub/small.bin empty.txt; do
  check_eq "fs -> S3: object of $f has the source's sha256 (boto3)" "$(sha "$EXT/in/$f")" \
    "$(s3util sha "stage/user/root/fromfs/$f")"
done

out=$(cp_wait @~/fromfs/ @ext/back/)
check_eq "S3 -> fs: SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]')"
for f in big.bin sub/small.bin empty.txt; do
  check_eq "S3 -> fs: $f on disk has the sha256" "$(sha "$EXT/in/$f")" "$(sha "$EXT/back/$f" 2>/dev/null || echo missing)"
done

# inside one bucket S3 copies by itself (CopyObject): the worker reads nothing
# (E2E_S3_LOG: s3rver logs each request's path and status, and its copies)
reads() { grep -ac "/fromfs/big\.bin 206 " "$T/logs/s3rver.log" || true; }
before=$(reads)
[ "$before" -ge 1 ] || fail "the S3 -> fs copy above should show as ranged reads in s3rver's log"
out=$(cp_wait @~/fromfs/big.bin @~/copies/)
check_eq "S3 -> S3 (same bucket): SUCCEEDED" SUCCEEDED "$(jget "$out" 'j["state"]')"
check_eq "S3 -> S3: sha256 (boto3)" "$(sha "$EXT/in/big.bin")" "$(s3util sha stage/user/root/copies/big.bin)"
check_eq "S3 -> S3: s3rver copied the object itself" 1 \
  "$(grep -ac 'Copied object "stage/user/root/fromfs/big.bin" .* key of "stage/user/root/copies/big.bin"' "$T/logs/s3rver.log" || true)"
check_eq "S3 -> S3: no read of the source through the worker" "$before" "$(reads)"
check_eq "S3 -> S3: no multipart upload" 0 "$(grep -ac "/copies/big\.bin?uploads" "$T/logs/s3rver.log" || true)"

out=$(cp_wait @ext/in/ @~/fromfs/)
check_eq "again without overwrite: every file SKIPPED" "SKIPPED SKIPPED SKIPPED" \
  "$(jget "$out" '" ".join(j["results"])')"
out=$(cp_wait @ext/in/ @~/fromfs/ "overwrite=True")
check_eq "with overwrite: every file COPIED" "COPIED COPIED COPIED" "$(jget "$out" '" ".join(j["results"])')"
e2e_finish
