#!/usr/bin/env bash
# test_azblob_batch.sh - removes on an azblob stage (azurite) go as Blob Batch requests of
# up to 256 Delete Blob each: a remove by pattern of 600 blobs is 3 batches (256, 256, 88;
# azurite's debug log counts Container_SubmitBatch) and no single Delete Blob, and
# @azure/storage-blob (azutil.js) lists none of them afterwards; a remove where some blobs
# are leased (their Delete Blob answers 412 inside the batch) removes the others and fails
# naming a leased one, which the SDK still sees. Behind a proxy that answers Blob Batch
# 501 (azoldproxy.py: a service without it) a remove is one Delete Blob per file, and
# the worker that saw the 501 sends no batch for that stage again.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init azblob_batch
E2E_AZ_DEBUG=1 start_azurite
CTR=stage-rm
azutil mkcontainer "$CTR"
e2e_start
login_root
E2E_SECRETS+=("$AZ_KEY")
check_rc "stage ext on $CTR/d/" 0 ctl stage create ext --url "azblob://$CTR/d/" \
  --conn "endpoint_url=$AZ_ENDPOINT" --conn "account_name=$AZ_ACCOUNT" --conn "account_key=$AZ_KEY"
ops() { azlog_count "$@"; }

# --- 600 blobs by pattern, 10 kept
azutil fill "$CTR" d/many/f 610
check_eq "the SDK lists 610 blobs" 610 "$(azutil list "$CTR" d/many/ | wc -l)"
wsum() { # METHOD -> azblob requests with it the workers sent, by their metrics
  local hp total=0 v re="^stage_worker_backend_requests_total[{]backend=\"azblob\",op=\"$1\","
  for hp in "${WORKER_HTTP_PORTS[@]}"; do
    v=$(curl -s "http://127.0.0.1:$hp/metrics" | awk -v re="$re" '$0 ~ re { n += $NF } END { print n + 0 }')
    total=$((total + v))
  done
  echo "$total"
}
azlog_mark
b0=$(ops Container_SubmitBatch)
p0=$(wsum post)
d0=$(wsum delete)
check_rc "rm @ext/many/ --pattern 'f00[0-5].*'" 0 ctl rm @ext/many/ --pattern 'f00[0-5].*'
azlog_mark
check_eq "... 3 Blob Batch requests" 3 $(($(ops Container_SubmitBatch) - b0))
check_eq "... the workers' metrics: 3 POST" 3 $(($(wsum post) - p0))
check_eq "... and no single Delete Blob" 0 $(($(wsum delete) - d0))
check_eq "... the SDK lists the 10 others only" "d/many/f00600 d/many/f00609" \
  "$(azutil list "$CTR" d/many/ | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//')"
check_eq "... 10 of them" 10 "$(azutil list "$CTR" d/many/ | wc -l)"

# --- some keys fail: two leased blobs among 10
azutil lease "$CTR" d/many/f00603
azutil lease "$CTR" d/many/f00607
res=$(pyrun <<'PY'
import os, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
j = c.wait_job(c.remove("@ext/many/", pattern=".*").id, timeout=120)
out, tok = [], ""
while True:
    page, tok = c.job_results(j.id, tok)
    out += ["%s %s %s" % (r.name, r.status, r.error.replace(" ", "_")) for r in page]
    if not tok:
        break
print(sc.STATE[j.state], j.files_done)
print("\n".join(sorted(out)))
print("ERROR", j.error_message)
PY
)
check_eq "rm of 10 with two leased: the job FAILED, 8 removed" "FAILED 8" "$(printf '%s\n' "$res" | sed -n 1p)"
check_eq "... per-key results: 8 REMOVED" 8 "$(printf '%s\n' "$res" | grep -c ' REMOVED ' || true)"
check_eq "... the two leased FAILED" "many/f00603 many/f00607" \
  "$(printf '%s\n' "$res" | awk '$2 == "FAILED" { print $1 }' | tr '\n' ' ' | sed 's/ $//')"
check_contains "... the job names a leased one" "$(printf '%s\n' "$res" | grep '^ERROR')" "many/f0060"
check_eq "... the SDK lists the two leased blobs only" "d/many/f00603 d/many/f00607" \
  "$(azutil list "$CTR" d/many/ | tr '\n' ' ' | sed 's/ $//')"
# --- a service without Blob Batch
start_azold
PLOG=$AZOLD_LOG
check_rc "stage nb on $CTR/nb/ through the proxy" 0 ctl stage create nb --url "azblob://$CTR/nb/" \
  --conn "endpoint_url=$AZOLD_ENDPOINT" --conn "account_name=$AZ_ACCOUNT" --conn "account_key=$AZ_KEY"
azutil fill "$CTR" nb/f 12
d0=$(wsum delete)
check_rc "rm @nb/ --pattern 'f0000[0-5]'" 0 ctl rm @nb/ --pattern 'f0000[0-5]'
check_eq "... one batch tried, answered 501" 1 "$(grep -c 'comp=batch 501$' "$PLOG" || true)"
check_eq "... then 6 Delete Blob" 6 $(($(wsum delete) - d0))
check_eq "... the SDK lists the 6 others" 6 "$(azutil list "$CTR" nb/ | wc -l)"
check_rc "rm -r @nb/" 0 ctl rm -r @nb/
# each worker remembers it for the stage's backend: at most one 501 per worker (two here)
check_rc "... at most one batch per worker" 0 test "$(grep -c 'comp=batch 501$' "$PLOG" || true)" -le 2
check_eq "... the SDK lists none" 0 "$(azutil list "$CTR" nb/ | wc -l)"
e2e_finish
