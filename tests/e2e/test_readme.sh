#!/usr/bin/env bash
# test_readme.sh - the README's examples run as written: the "Example
# session" block in a directory laid out like the repository after
# deploy/local/run.sh (build/cli, .state/root-password), and the "Stages,
# users, privileges" block with its S3 stage pointed at the emulator. Only
# the address of the frontend and the bucket's endpoint, name and keys are
# replaced; every command is the README's own.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init readme
EXT=readme-bkt
start_s3rver "$EXT"
e2e_start
export E2E_S3_BUCKET=$EXT
E2E_SECRETS+=("s3cret" "b0b-s3cret" "n3w-s3cret") # the README's passwords: never in a log

# block HEADING: the first ```sh block after the line HEADING
block() {
  awk -v h="$1" '$0 == h {f = 1} f && /^```sh$/ {p = 1; next} p && /^```$/ {exit} p' \
    "$STAGE_SRC_DIR/README.md"
}
R="$T/repo"
mkdir -p "$R/build" "$R/.state" "$T/rhome"
ln -s "$STAGE_BIN_DIR/cli" "$R/build/cli"
printf '%s\n' "$ROOT_PW" >"$R/.state/root-password"

B1=$(block "## Example session")
check_contains "the example session block is there" "$B1" "stagectl login root"
B1=${B1//127.0.0.1:7070/$SERVER}
check_rc "the example session runs as written" 0 \
  env -u STAGE_TOKEN HOME="$T/rhome" bash -euo pipefail -c "cd '$R'; $B1"
check_contains "... it ended with the job list" "$OUT" "REMOVE"

B2=$(block "## Stages, users, privileges")
check_contains "the stages block is there" "$B2" "stagectl stage create lake"
B2=${B2//s3:\/\/my-bucket\//s3://$EXT/}
B2=${B2//http:\/\/127.0.0.1:9000/$S3_ENDPOINT}
B2=${B2//access_key_id=AK/access_key_id=S3RVER}
B2=${B2//secret_access_key=SK/secret_access_key=S3RVER}
check_rc "the stages block runs as written (lake on the S3 emulator)" 0 \
  env HOME="$T/rhome" PATH="$STAGE_BIN_DIR/cli:$PATH" STAGE_SERVER="$SERVER" \
  bash -euo pipefail -c "$B2"
check_contains "the copy is in the bucket (boto3)" "$(s3util ls raw/)" "raw/2024/data.csv"
check_eq "... with the bytes the block wrote" "$(printf 'a,b\n1,2\n' | sha256sum | cut -d' ' -f1)" \
  "$(s3util sha raw/2024/data.csv)"
e2e_finish
