#!/usr/bin/env bash
# test_s3_external.sh - external s3://bucket/path/ stages with their own
# connection options, on a stack whose own storage is fs: CreateStage probes the
# store once through a worker, so a wrong secret is FAILED_PRECONDITION and no
# stage is created (never a silent success); with the right options files go up
# (PutObject and multipart) and down, are listed, stat'ed, presigned and removed,
# and boto3 sees them under the stage's path in that bucket. AlterStage to a
# wrong secret is refused and the stage keeps working. Workers keep 2 idle
# backends (worker.backend_cache): 20 AlterStage of one stage, each followed by
# a job, replace its cached backend and leave the other stage working (issue 14
# finding 11: the cache used to fill up and refuse every other stage).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init s3_external
EXT=ext-bkt
start_s3rver "$EXT" # the stack's storage stays fs; the emulator is the external store
export STAGE_WORKER_BACKEND_CACHE=2
e2e_start
login_root
export E2E_S3_BUCKET=$EXT # s3util looks at the external bucket

W="$T/work"
conn() { # the connection options with secret $1
  printf -- '--conn\nendpoint_url=%s\n--conn\naccess_key_id=S3RVER\n--conn\nsecret_access_key=%s\n--conn\nregion=eu-west-1\n' \
    "$S3_ENDPOINT" "$1"
}
mapfile -t GOOD < <(conn S3RVER)
mapfile -t BAD < <(conn wrong-secret-value)

# --- a wrong secret: refused at CreateStage, nothing created, the secret not echoed
check_rc "create a stage with a wrong secret" 1 ctl stage create bad --url "s3://$EXT/bad/" "${BAD[@]}"
check_contains "... FAILED_PRECONDITION" "$ERR" "FAILED_PRECONDITION"
check_contains "... naming the stage and the store's answer" "$ERR" "stage 'bad': s3://$EXT/bad/ does not answer"
check_contains "... with the HTTP status and a hint" "$ERR" "HTTP 403 Forbidden: access denied (check access_key_id, secret_access_key and region)"
check_eq "... without the secret" "" "$(printf '%s' "$ERR" | grep -o wrong-secret-value || true)"
check_rc "... and the stage does not exist" 1 ctl stage desc bad
check_contains "... NOT_FOUND" "$ERR" "NOT_FOUND"
check_rc "a missing access key id" 1 ctl stage create bad2 --url "s3://$EXT/bad/" \
  --conn "endpoint_url=$S3_ENDPOINT" --conn access_key_id=NOSUCHKEY --conn secret_access_key=S3RVER
check_contains "... FAILED_PRECONDITION" "$ERR" "FAILED_PRECONDITION"

# --- the right options
check_rc "create ext with the right options" 0 ctl stage create ext --url "s3://$EXT/data/" "${GOOD[@]}"
check_contains "... an External stage" "$OUT" "External"
mkrand "$W/empty" 0
mkrand "$W/one" 1
mkrand "$W/big" $(((6 << 20) + 5)) # two parts of 5 MiB+ : multipart
for f in empty one big; do
  check_rc "put $f into @ext" 0 ctl put "$W/$f" "@ext/in/$f.bin"
  check_eq "boto3 reads $f from $EXT/data/in/" "$(sha "$W/$f")" "$(s3util sha "data/in/$f.bin")"
  check_rc "get $f back" 0 ctl get "@ext/in/$f.bin" "$W/back_$f"
  check_eq "... sha256" "$(sha "$W/$f")" "$(sha "$W/back_$f")"
done
check_eq "boto3: keys and sizes under data/" \
  "$(printf 'data/in/big.bin %s\ndata/in/empty.bin 0\ndata/in/one.bin 1' $(((6 << 20) + 5)))" "$(s3util lsz data/)"
printf 'x' >"$W/x"
s3util put outside/keep.csv "$W/x"
check_rc "ls @ext/" 0 ctl --json ls @ext/
check_eq "... the stage's files only, named inside the stage" "in/big.bin in/empty.bin in/one.bin" \
  "$(printf '%s\n' "$OUT" | "$PY" -c 'import json,sys; print(" ".join(sorted(json.loads(l)["name"] for l in sys.stdin if l.strip())))')"
check_rc "stat @ext/in/big.bin" 0 ctl --json stat @ext/in/big.bin
check_eq "... size" $(((6 << 20) + 5)) "$(jget "$OUT" 'j["size"]')"
check_rc "put without --overwrite over an existing file" 1 ctl put "$W/one" @ext/in/big.bin
check_contains "... ALREADY_EXISTS" "$ERR" "ALREADY_EXISTS"

# presigned download of an external stage's file
check_rc "presign @ext/in/big.bin" 0 py presign @ext/in/big.bin
check_eq "curl GET of the presigned URL" 200 \
  "$(curl -s -o "$W/pre" -w '%{http_code}' "$(jget "$OUT" 'j["url"]')" || echo curl-failed)"
check_eq "... sha256" "$(sha "$W/big")" "$(sha "$W/pre")"

# --- AlterStage to a wrong secret is refused; the stage keeps its options
check_rc "alter ext to a wrong secret" 1 ctl stage alter ext "${BAD[@]}"
check_contains "... FAILED_PRECONDITION" "$ERR" "FAILED_PRECONDITION"
check_rc "ext still works" 0 ctl get @ext/in/one.bin "$W/again"
check_eq "... sha256" "$(sha "$W/one")" "$(sha "$W/again")"

# --- repeated AlterStage: each replaces ext's cached backend, another stage still works
check_rc "create ext2" 0 ctl stage create ext2 --url "s3://$EXT/two/" "${GOOD[@]}"
check_rc "put into @ext2" 0 ctl put "$W/one" @ext2/one.bin
alters_ok=0
for i in $(seq 20); do
  ctl stage alter ext "${GOOD[@]}" >/dev/null 2>&1 && ctl stat @ext/in/big.bin >/dev/null 2>&1 &&
    alters_ok=$((alters_ok + 1))
done
check_eq "20 AlterStage of ext, each followed by a StatFile" 20 "$alters_ok"
check_rc "... ext2 still works" 0 ctl get @ext2/one.bin "$W/two_back"
check_eq "... sha256" "$(sha "$W/one")" "$(sha "$W/two_back")"
check_rc "... and ext too" 0 ctl get @ext/in/big.bin "$W/big_back"
check_eq "... sha256" "$(sha "$W/big")" "$(sha "$W/big_back")"
check_eq "no worker refused a stage for a full cache" "" \
  "$(grep -h 'external storages' "$T"/logs/worker*.log || true)"
check_rc "rm -r @ext2/" 0 ctl rm -r @ext2/

# --- remove with a pattern
check_rc "rm @ext/in/ --pattern '.*[.]bin' (not big)" 0 ctl --json rm @ext/in/ --pattern '(empty|one)[.]bin' --wait
check_eq "... SUCCEEDED, 2 files" "SUCCEEDED 2" "$(jget "$OUT" 'j["job"]["state"] + " " + str(j["job"]["files_done"])')"
check_eq "boto3 sees exactly the others" "$(printf 'data/in/big.bin\noutside/keep.csv')" "$(s3util ls)"
check_eq "the stack's own fs storage got nothing" "" "$(cd "$DATA" && find . -path ./.tmp -prune -o -type f -print)"

e2e_finish
